"""Planning: everything before a post leaves. Posts and their targets (posts, post_scheduling,
post_approval, post_rules, post_queries), statuses and the actions each allows, the composer's checks and
save, queue time slots and local times, the calendar and drafts views, ideas, snippets, threads,
previews, AI assist, CSV import, iCal feeds, short links, the media library (and moving it into a
bucket: media_migration), and the request a target will send (publish_request). Uses models, core,
connectors, tenancy, channels and events; it hands due targets to delivery only through the database and
the jobs port."""
