"""Delivery: getting a target onto its network exactly once. The dispatcher that claims due targets,
publishing with its lease and attempts, recording each outcome (outcomes), and the reconciler for what a
dead worker left behind. Uses models, core, connectors, and every package before it: channels (the
connector and its credentials), events (outcome webhooks), messaging (failure mails) and planning
(statuses, the request a target sends)."""
