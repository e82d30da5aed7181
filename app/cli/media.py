"""`quillcast media migrate-to-storage`: move images kept on the local disk into the bucket."""

from __future__ import annotations

import typer

from app.cli.base import fail, load_settings, say
from app.cli.local import local_services

media_cli = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Uploaded media: move it into the bucket of MEDIA_STORAGE_URL.")


@media_cli.command("migrate-to-storage")
def migrate_to_storage(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be moved"),
    batch: int = typer.Option(100, "--batch", min=1, max=10_000, help="Images per committed batch"),
) -> None:
    """Copy every image still kept on the local disk (DATA_DIR/media) into MEDIA_STORAGE_URL's bucket and
    point its row at the copy. Run it where that directory is; safe to run again; local files are kept."""
    from app.core import db, storage
    from app.services.errors import DomainError
    from app.services.planning import media_migration

    load_settings()
    with local_services():
        with db.session_scope() as session:
            count, size = media_migration.local_images(session)
        target = storage.media_store().describe()
        if dry_run or not count:
            say(f"{count} image(s), {size / 1e6:.1f} MB, are kept on a local disk"
                + (f"; without --dry-run they would be copied to {target}" if count else ""))
            return
        say(f"copying {count} image(s), {size / 1e6:.1f} MB, to {target}")
        try:
            report = media_migration.migrate_to_storage(db.session_scope, batch=batch)
        except DomainError as exc:
            fail(exc.message)
        except storage.StorageError as exc:
            fail(f"media storage: {exc}")
    say(f"moved {report.moved} image(s), {report.bytes / 1e6:.1f} MB, to {target}")
    for line in report.problems:
        say(f"left on disk: {line}")
    if report.problems:
        fail(f"{len(report.problems)} image(s) were not moved (above); fix them and run this again")
    say("the local files are still there: delete DATA_DIR/media once the images show in the app")
