"""Channels: the network accounts a workspace publishes to. Connect, verify, reconnect and disconnect
(channels), the OAuth code flow (channel_oauth), credentials at rest, their rotation and refresh
(channel_credentials), the connector a channel publishes through (connector), and the check that a
user-given address is public (public_endpoints). Uses models, core, connectors and tenancy; it knows
nothing of posts."""
