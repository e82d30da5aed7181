"""Property-based requests generated from our OpenAPI schema (schemathesis): whatever a caller sends to
the tenancy, credentials and security endpoints, the answer is never a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from app.api.main import create_api
from app.core import db
from app.core.config import get_settings
from app.services import tokens
from tests.factories import make_user, make_workspace

schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_api())


@pytest.fixture(autouse=True)
def no_rate_limit(app_env, monkeypatch):
    monkeypatch.setenv("API_RATE_LIMIT_PER_MINUTE", "0")  # we want answers, not 429s
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture()
def bearer(session):
    user = make_user(session)
    make_workspace(session, user)
    with db.session_scope() as s:
        return {"Authorization": f"Bearer {tokens.issue(s, user.id).access_token}"}


@schema.exclude(path_regex=r"^/api/(auth/oidc|ready|health|docs|static)").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, bearer):
    case.call_and_validate(headers=bearer, checks=[not_a_server_error])
