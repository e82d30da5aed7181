"""Delivery: getting a target onto its network exactly once. Channels (connect, verify, credentials,
OAuth), the dispatcher that claims due targets, publishing with leases, attempts and the reconciler. Uses
models, core, connectors, tenancy, messaging (outcome mails and webhooks) and planning's rules."""
