"""Messaging: the e-mail Quillcast sends. Templates, the outbox and sending from a worker (email), and
which notice mails a person wants with their one-click unsubscribe links (notifications). Uses models
and core only, so every other package may send mail."""
