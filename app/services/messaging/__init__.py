"""Messaging: what Quillcast tells people and other systems. E-mail (templates, outbox, sending),
notice preferences and unsubscribe links, approval notices, and outgoing event webhooks (managing them,
recording events, delivering them). Uses models, core, connectors (webhook signing, the pinned HTTP
transport), tenancy's permissions and audit, and delivery's public-endpoint check; it never decides a
post's fate."""
