"""Insight: how publishing and the posts went. Workspace analytics, engagement read back from the networks
(metric snapshots), and feature usage for administrators. Uses models, core, connectors (fetch_metrics)
and tenancy; it only reads what planning and delivery wrote, except its own snapshots."""
