"""Tenancy: workspaces and who may do what in them. Workspaces and members, invitations, the one
permission matrix and guard, and the audit log (writing and reading). Uses models, core, identity and
messaging; planning and delivery call its guard, never the reverse."""
