"""How a command speaks (say, fail) and reads its settings; shared by every command group."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from app.core.config import Settings


def say(message: str) -> None:
    typer.echo(f"quillcast | {message}", err=True)


def fail(message: str) -> NoReturn:
    """One clear line naming the problem and the fix; no traceback."""
    typer.secho(f"quillcast | error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def load_settings() -> Settings:
    """The settings, or one line saying which one is wrong."""
    from pydantic import ValidationError

    from app.core.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))


def require_set(var: str, value: str | None) -> None:
    if not value:
        fail(f"{var} is not set: set it, or start the whole system with `quillcast run`")
