"""Migrations run up and down on a database of their own; the app never uses create_all."""

from sqlalchemy import create_engine, inspect, text

from app.core import migrations
from tests import support


def test_upgrade_creates_every_table_then_downgrade_removes_them(servers):
    name = support.unique_name("quillcast_mig")
    url = support.create_database(servers.pg_server_url, name)
    try:
        migrations.upgrade(url)
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
        assert {"users", "workspaces", "memberships", "channels", "posts", "post_targets",
                "media_assets", "publish_attempts", "audit_log"} <= tables
        with engine.connect() as conn:
            kind = conn.execute(text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name='post_targets' AND column_name='scheduled_at'")).scalar()
            assert kind == "timestamp with time zone"
            due_index = conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname='ix_post_targets_due'")).scalar()
            assert "scheduled_at" in due_index and "scheduled" in due_index
        migrations.downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(url)  # and up again: the downgrade left nothing behind that blocks it
        engine.dispose()
    finally:
        support.drop_database(servers.pg_server_url, name)


def test_models_match_the_migrations(database_url):
    """Autogenerate finds nothing to add: models and migrations say the same thing."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import models  # noqa: F401

    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []
