"""Tenancy: workspaces and who may do what in them. Workspaces and members, invitations, scoped API keys,
the one permission matrix and guard (permissions), and reading the audit log. Uses models, core, identity
and messaging; channels, planning and delivery call its guard, never the reverse."""
