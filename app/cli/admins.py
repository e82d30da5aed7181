"""Instance administrators: `create-admin`, and `setup-link` for the first one."""

from __future__ import annotations

import sys

import typer

from app.cli.base import fail, say
from app.cli.local import local_services


def create_admin(
    email: str = typer.Option(..., "--email", help="The administrator's e-mail address"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read a password for a new account from standard input"),
) -> None:
    """Make an instance administrator (a new account, or promote an existing one)."""
    from app.core import db
    from app.services.errors import DomainError
    from app.services.identity import admins

    # Never from argv: it would sit in the shell history and the process list.
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with local_services():
        try:
            with db.session_scope() as session:
                result = admins.create_admin(session, email, password)
        except DomainError as exc:
            fail(exc.message)
        except Exception as exc:  # noqa: BLE001 - one clear line, no traceback
            fail(f"could not reach the database ({type(exc).__name__}): check DATABASE_URL and run "
                 "`quillcast migrate`")
    user = result.user
    if result.created:
        note = "" if password else " (no password: set one with 'forgot password')"
        say(f"created administrator {user.email}{note}")
    elif result.promoted:
        say(f"{user.email} is now an administrator (password unchanged)")
    else:
        say(f"{user.email} was already an administrator (nothing changed)")


def first_run_link(base_url: str | None = None) -> str | None:
    """The first-run setup link while no instance administrator exists (identity.setup), else None."""
    from app.core import db
    from app.services.identity import setup

    with db.session_scope() as session:
        return setup.setup_link(session, base_url)


def setup_link() -> None:
    """Print the one-time link that makes the first administrator (only while there is none)."""
    with local_services():
        try:
            link = first_run_link()
        except Exception as exc:  # noqa: BLE001 - one clear line, no traceback
            fail(f"could not read the database ({type(exc).__name__}): run `quillcast migrate` "
                 "(or `make run`) first")
    if link is None:
        fail("this Quillcast is already set up (it has an administrator): sign in, or make another "
             "administrator with `quillcast create-admin --email <address>`")
    say("open this link to create the first account, the administrator (it works until one exists):")
    typer.echo(link)
