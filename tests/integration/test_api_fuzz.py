"""Property-based requests generated from our OpenAPI schema (schemathesis) against every operation,
signed in as a real member of a real workspace (with a channel, a post, an idea, a webhook, so that path
parameters often name rows that exist): whatever is sent, the answer is never a 5xx, and its status code,
content type and body are the ones the schema documents.

Beyond the schema's own values, strings are spoiled with what broke the API before: NUL characters, lone
surrogates, emoji and right-to-left text, HTML and SQL fragments, very long strings; dates and
date-times are often at the edge of the calendar (years 1 and 9999, in far-off zones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.main import create_api
from app.core import db, jobs
from app.core.config import get_settings
from app.services.events import webhooks
from app.services.identity import tokens
from models import Idea
from tests.factories import make_channel, make_target, make_user, make_workspace

schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_api())
# Rows of the signed-in member, by path parameter name: filled per test.
KNOWN: dict[str, str] = {}

# What broke the API before comes up most often: NUL characters (and, in JSON, lone surrogates).
_IN_URLS = ["\x00", "a\x00b", "\x00\x00", "🚀👩‍👩‍👧‍👦", "\u202eטקסט עברי\u202c", "مرحبا",
            "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "' OR 1=1; --",
            "'); DROP TABLE posts; --", "x" * 5_000, "\u200b\ufeff", "%00", "../../etc/passwd"]
# A lone surrogate cannot be put in a URL (it has no UTF-8 form), only in JSON as an escape.
NASTY = st.sampled_from([*_IN_URLS, "\ud800", "x\udfff", "\udbff"])
NASTY_IN_URLS = st.sampled_from(_IN_URLS)
EDGE_DATETIMES = ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00",
                  "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"]
EDGE_DATES = ["0001-01-01", "9999-12-31"]
_SOON = datetime.now(UTC) + timedelta(days=3)
schemathesis.openapi.format("date-time", st.one_of(
    st.sampled_from(EDGE_DATETIMES),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(lambda d: d.isoformat()),
    st.just(_SOON.isoformat())))
schemathesis.openapi.format("date", st.one_of(st.sampled_from(EDGE_DATES), st.dates().map(str)))


def _spoiled(value: Any, nasty: st.SearchStrategy[str] = NASTY) -> st.SearchStrategy[Any]:
    """The value as generated, or with a nasty fragment inside a string, or an edge date in its place."""
    if isinstance(value, str):
        return st.one_of(
            nasty.map(lambda n: value[:3] + n + value[3:]),
            st.sampled_from(EDGE_DATETIMES + EDGE_DATES),
            st.just(value),
        )
    if isinstance(value, dict):
        return st.fixed_dictionaries({k: _spoiled(v, nasty) for k, v in value.items()})
    if isinstance(value, list):
        return st.tuples(*[_spoiled(v, nasty) for v in value]).map(list)
    return st.just(value)


@schemathesis.hook
def flatmap_body(ctx: Any, body: Any) -> st.SearchStrategy[Any]:
    json_body = any("json" in media for media in ctx.operation.definition.raw.get("requestBody", {})
                    .get("content", {}))
    return _spoiled(body, NASTY if json_body else NASTY_IN_URLS)  # multipart text is UTF-8 bytes


@schemathesis.hook
def flatmap_query(_ctx: Any, query: Any) -> st.SearchStrategy[Any]:
    return _spoiled(query, NASTY_IN_URLS) if query else st.just(query)


@schemathesis.hook
def flatmap_path_parameters(_ctx: Any, params: Any) -> st.SearchStrategy[Any]:
    return _spoiled(params, NASTY_IN_URLS) if params else st.just(params)


@pytest.fixture(autouse=True)
def no_rate_limit(app_env, monkeypatch):
    monkeypatch.setenv("API_RATE_LIMIT_PER_MINUTE", "0")  # we want answers, not 429s
    monkeypatch.setattr(jobs, "send", lambda *a, **kw: None)  # nothing leaves for a worker
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture()
def bearer(session):
    user = make_user(session, email_verified_at=datetime.now(UTC))
    ws = make_workspace(session, user, timezone="Europe/Berlin")
    channel = make_channel(session, ws, name="Main")
    target = make_target(session, channel, author=user, status="draft", scheduled_at=_SOON)
    idea = Idea(workspace_id=ws.id, author_id=user.id, title="An idea")
    session.add(idea)
    session.commit()
    with db.session_scope() as s:
        hook, _secret = webhooks.create(s, user.id, ws.id, url="https://example.com/hook",
                                        events=["post.approved"])
        hook_id = hook.id
        access = tokens.issue(s, user.id).access_token
    KNOWN.clear()
    KNOWN.update(workspace_id=str(ws.id), channel_id=str(channel.id), post_id=str(target.post_id),
                 target_id=str(target.id), idea_id=str(idea.id), webhook_id=str(hook_id),
                 user_id=str(user.id))
    return {"Authorization": f"Bearer {access}"}


@schema.exclude(path_regex=r"^/api/(auth/oidc|ready|health|metrics|docs|static)").parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, bearer):
    # Ids name the member's own rows, so the operation gets past 404 to its rules (other path values,
    # e.g. a provider's name, stay as drawn).
    for name in (case.path_parameters or {}).keys() & KNOWN.keys():
        case.path_parameters[name] = KNOWN[name]
    response = case.call(headers=bearer)
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    # The one documented 5xx: AI assist on an instance where it is off (no AI_BASE_URL here).
    if not (response.status_code == 503 and response.json().get("code") == "assist_unavailable"):
        checks.append(not_a_server_error)
    case.validate_response(response, checks=checks)
