"""Events: what happened to a post, told to the people and systems that wait for it. The approval notice
mails (submitted, approved, changes requested) and the outgoing event webhooks: managing them
(webhooks), recording an event for each subscribed webhook in the caller's transaction (webhook_events),
and sending it signed from a worker (webhook_delivery). Uses models, core, connectors.webhook (signing),
messaging (mail), tenancy (permissions) and channels.public_endpoints (no private addresses)."""
