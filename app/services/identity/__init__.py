"""Identity: who a person is and how they prove it. Local accounts, passwords, e-mail links, TOTP and
recovery codes, server-side sessions, API tokens and keys, social and Supabase sign-in, instance
administrators and the first-run setup link. Uses models, core, and the messaging package to send mail;
nothing here knows about posts or channels."""
