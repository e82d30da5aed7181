"""Insight: how publishing and the posts went. Workspace analytics and engagement read back from the
networks (metric snapshots). Uses models, core, connectors (fetch_metrics), tenancy and channels; it only
reads what planning and delivery wrote, except its own snapshots."""
