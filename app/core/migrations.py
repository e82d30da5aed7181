"""Alembic, driven from code (the runner, tests and readiness share it)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.core import dblogin
from app.core.config import ROOT, get_settings


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = database_url or get_settings().sqlalchemy_database_url
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql+psycopg://unused")).get_current_head()


def is_known(revision: str) -> bool:
    """Whether this code's migrations include `revision` (a later release's is unknown to it)."""
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config("postgresql+psycopg://unused")).get_revision(
            revision) is not None
    except CommandError:
        return False


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    """Migrate as the owner; at head, also make (or repair) the app's own login, unless DATABASE_APP_URL
    names one made by hand. Every start migrates, so a changed SECRET_KEY re-derives its password."""
    cfg = alembic_config(database_url)
    command.upgrade(cfg, revision)
    settings = get_settings()
    if revision == "head" and not settings.database_app_url:
        dblogin.ensure_login(cfg.attributes["database_url"], settings.secret_key)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
