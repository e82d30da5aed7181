"""Planning: everything before a post leaves. Posts and their targets, content rules and statuses, the
composer's checks and save, queue time slots and local times, the calendar and drafts views, ideas,
snippets, threads, previews, AI assist, CSV import, iCal feeds, short links and the media library. Uses
models, core, connectors (for limits and checks), tenancy and messaging; hands due targets to delivery
only through the database."""
