import pytest
from pydantic import ValidationError

from app.core.config import Settings, sqlalchemy_url, with_redis_db


def test_production_refuses_placeholder_secret_and_names_the_variable():
    with pytest.raises(ValidationError) as err:
        Settings(environment="production", secret_key="changethis", database_url="postgresql://x/y",
                 redis_url="redis://x", _env_file=None)
    assert "SECRET_KEY" in str(err.value)


def test_production_refuses_missing_database_url():
    with pytest.raises(ValidationError) as err:
        Settings(environment="production", secret_key="x" * 40, redis_url="redis://x", database_url=None,
                 _env_file=None)
    assert "DATABASE_URL" in str(err.value)


def test_production_accepts_real_values():
    s = Settings(environment="production", secret_key="k" * 48, database_url="postgresql://h/db",
                 redis_url="redis://h:6379/0", _env_file=None)
    assert s.sqlalchemy_database_url == "postgresql+psycopg://h/db"


def test_redis_uses_separate_dbs_for_broker_state_and_cache():
    s = Settings(redis_url="redis://h:6379/3", _env_file=None)
    assert (s.broker_url, s.state_redis_url, s.cache_redis_url) == (
        "redis://h:6379/3", "redis://h:6379/4", "redis://h:6379/5")


def test_urls_are_normalised():
    assert sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert with_redis_db("redis://:pw@h:1/0?x=1", 2) == "redis://:pw@h:1/2?x=1"


def test_invalid_port_is_refused_with_field_name():
    with pytest.raises(ValidationError) as err:
        Settings(web_port=70000, _env_file=None)
    assert "web_port" in str(err.value)
