"""Insight: how publishing and the posts went. Workspace analytics, engagement read back from the
networks (metric snapshots), and the best times to post drawn from them. Uses models, core, connectors
(fetch_metrics), tenancy, channels and planning; it writes only its own snapshots, and a channel's queue
slots only through planning's timeslots when a person applies the suggested times."""
