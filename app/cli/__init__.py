"""`quillcast`: run the whole system, or one process of it.

`quillcast run` starts web + worker + beat (and embedded PostgreSQL / Redis when DATABASE_URL /
REDIS_URL are unset) and stops every one of them on Ctrl-C. The single-process commands are what
production (Dockerfile, compose.yaml) runs.
"""

from __future__ import annotations

import typer

from app.cli import admins, database, local, processes, run
from app.cli.media import media_cli
from app.cli.processes import beat_argv, exposure_line, local_url, web_argv, worker_argv

__all__ = ["beat_argv", "cli", "exposure_line", "local_url", "main", "web_argv", "worker_argv"]

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
# Every command, in the order `quillcast --help` lists them; each lives with its group's module.
cli.command()(processes.web)
cli.command()(processes.worker)
cli.command()(processes.beat)
cli.command()(database.migrate)
cli.command("create-admin")(admins.create_admin)
cli.command("setup-link")(admins.setup_link)
cli.command()(database.backup)
cli.command()(database.restore)
cli.command()(local.check)
cli.add_typer(media_cli, name="media")
cli.command()(run.run)


def main() -> None:
    cli()
