"""Messaging: what Quillcast tells people and other systems. E-mail (templates, outbox, sending),
notice preferences and unsubscribe links, approval notices, and outgoing event webhooks. Uses models,
core, connectors.webhook (signing) and tenancy's permissions; it never decides a post's fate."""
