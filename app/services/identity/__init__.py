"""Identity: who a person is and how they prove it. Accounts and their input rules, signing in and out
(authentication), passwords, e-mail links (onetime), TOTP and recovery codes, server-side sessions, API
tokens, social and Supabase sign-in, instance administrators and the first-run setup link. Uses models,
core, the shared audit and usage modules, and messaging to send mail; nothing here knows about
workspaces, posts or channels."""
