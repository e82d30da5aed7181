"""The one input guard: NUL characters, lone surrogates and dates at the edge of the calendar get a 422
naming the field, on every kind of input; bodies over their size get 413; the CSV import reports such
rows as its own row errors; and the service layer refuses such text when it arrives from the UI."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.api import guard
from app.api.main import create_api
from app.core import db, jobs
from app.core.config import get_settings
from app.services.errors import ValidationFailed
from app.services.identity import tokens
from app.services.planning import ideas, snippets
from tests.factories import make_channel, make_target, make_user, make_workspace

NUL = "a\x00b"
SURROGATE = r'"a\ud800b"'  # a lone surrogate can only be sent as a JSON escape


@pytest.fixture()
def api(app_env, monkeypatch):
    monkeypatch.setattr(jobs, "send", lambda *a, **kw: None)
    monkeypatch.setenv("API_RATE_LIMIT_PER_MINUTE", "0")
    get_settings.cache_clear()
    with TestClient(create_api()) as client:
        yield client
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture()
def owner(session):
    user = make_user(session)
    ws = make_workspace(session, owner=user)
    with db.session_scope() as s:  # a token of a real sign-in (a refresh family), as an API client has
        access = tokens.issue(s, user.id).access_token
    return ws, {"Authorization": f"Bearer {access}"}, user


def _refused(res, field: str, *, code: str = "invalid_text") -> None:
    assert res.status_code == 422, res.text
    body = res.json()
    assert body["code"] == "validation_failed"
    problem = next((p for p in body["problems"] if p["field"] == field), None)
    assert problem is not None, body
    assert problem["code"] in code.split("|")
    assert field in body["message"]


@pytest.mark.parametrize("path, payload, field", [
    ("ideas", {"title": NUL}, "title"),
    ("ideas", {"title": "ok", "notes": NUL}, "notes"),
    ("snippets", {"kind": "snippet", "name": "n", "body": NUL}, "body"),
    ("webhooks", {"url": f"https://example.com/{NUL}", "events": ["post.approved"]}, "url"),
    ("webhooks", {"url": "https://example.com/h", "events": ["post.approved"], "description": NUL},
     "description"),
    ("channels", {"network": "bluesky", "name": NUL, "credentials": {}}, "name"),
    ("channels", {"network": "bluesky", "credentials": {"identifier": NUL}}, "credentials.identifier"),
    ("links", {"url": f"https://example.com/{NUL}"}, "url"),
])
def test_a_nul_character_in_any_text_field_is_a_422_naming_it(api, owner, path, payload, field):
    ws, auth, _ = owner
    _refused(api.post(f"/api/workspaces/{ws.id}/{path}", headers=auth, json=payload), field)


def test_api_key_name_with_nul(api, owner):
    ws, auth, _ = owner
    res = api.post("/api/api-keys", headers=auth,
                   json={"workspace_id": str(ws.id), "name": NUL, "scopes": ["posts:read"]})
    _refused(res, "name")


@pytest.mark.parametrize("body, field", [
    ('{"title": SURROGATE}', "title"),
    ('{"kind": "snippet", "name": SURROGATE, "body": "x"}', "name"),
    ('{"network": "bluesky", "credentials": {"k": ["ok", SURROGATE]}}', "credentials.k.1"),
])
def test_a_lone_surrogate_is_a_422_naming_the_field(api, owner, body, field):
    ws, auth, _ = owner
    path = "ideas" if "title" in body else "snippets" if "kind" in body else "channels"
    res = api.post(f"/api/workspaces/{ws.id}/{path}", headers={**auth, "Content-Type": "application/json"},
                   content=body.replace("SURROGATE", SURROGATE).encode())
    # Pydantic refuses a lone surrogate in a typed text field itself; the guard finds it anywhere else.
    _refused(res, field, code="invalid_text|string_unicode")


def test_query_and_path_values_are_guarded_too(api, owner):
    ws, auth, _ = owner
    _refused(api.get(f"/api/workspaces/{ws.id}/audit", headers=auth, params={"action": NUL}), "action")
    _refused(api.get("/api/auth/oidc/a%00b/login"), "provider")


@pytest.mark.parametrize("local_time", ["0001-01-01T00:00:00", "9999-12-31T23:59:00"])
def test_schedule_at_the_edge_of_the_calendar_is_a_422(api, owner, session, local_time):
    ws, auth, user = owner
    target = make_target(session, make_channel(session, ws), author=user, status="draft",
                         scheduled_at=datetime.now(UTC) + timedelta(days=1))
    res = api.post(f"/api/workspaces/{ws.id}/posts/{target.post_id}/schedule", headers=auth,
                   json={"local_time": local_time, "timezone": "Pacific/Kiritimati"})
    _refused(res, "local_time", code="date_out_of_range")
    assert "between the years 2 and 9998" in res.json()["message"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00",
                                    "0001-01-01T00:00:00Z"])
def test_dates_in_any_zone_are_checked_in_queries(api, owner, moment):
    ws, auth, _ = owner
    res = api.get(f"/api/workspaces/{ws.id}/posts", headers=auth, params={"start": moment})
    _refused(res, "start", code="date_out_of_range")


def test_an_api_key_expiring_in_year_9999_is_refused(api, owner):
    ws, auth, _ = owner
    res = api.post("/api/api-keys", headers=auth, json={
        "workspace_id": str(ws.id), "name": "k", "scopes": ["posts:read"], "expires_at": "9999-12-31T23:59:59Z"})
    _refused(res, "expires_at", code="date_out_of_range")


def test_emoji_rtl_and_markup_are_ordinary_text(api, owner):
    ws, auth, _ = owner
    title = "Launch 🚀 שלום <script>alert(1)</script> '; DROP TABLE ideas; --"
    res = api.post(f"/api/workspaces/{ws.id}/ideas", headers=auth, json={"title": title})
    assert res.status_code == 201, res.text
    assert res.json()["title"] == title


def test_a_json_body_over_1_mib_is_a_413_by_its_length(api, owner):
    ws, auth, _ = owner
    big = json.dumps({"title": "x", "notes": "y" * (guard.JSON_MAX_BYTES + 10)})
    res = api.post(f"/api/workspaces/{ws.id}/ideas", headers={**auth, "Content-Type": "application/json"},
                   content=big.encode())
    assert res.status_code == 413
    assert res.json()["code"] == "payload_too_large"
    assert "1,048,576 bytes" in res.json()["message"]
    assert res.headers["x-content-type-options"] == "nosniff"


def test_a_streamed_body_without_a_length_is_counted(api, owner):
    ws, auth, _ = owner

    def chunks():
        yield b'{"title": "x", "notes": "'
        for _ in range(20):
            yield b"y" * 65_536
        yield b'"}'

    res = api.post(f"/api/workspaces/{ws.id}/ideas", headers={**auth, "Content-Type": "application/json"},
                   content=chunks())
    assert "content-length" not in res.request.headers
    assert res.status_code == 413
    assert res.json()["code"] == "payload_too_large"


def test_uploads_keep_their_own_limits(api, owner):
    ws, auth, _ = owner
    over_csv = b"x" * (1_000_000 + guard.MULTIPART_ROOM + 1)
    res = api.post(f"/api/workspaces/{ws.id}/imports", headers=auth, files={"file": ("a.csv", over_csv)})
    assert res.status_code == 413 and "at most 1,000,000 bytes" in res.json()["message"]
    # Just over the file's limit: the service's own words ("at most 1,000,000 (1 MB)").
    res = api.post(f"/api/workspaces/{ws.id}/imports", headers=auth,
                   files={"file": ("a.csv", b"x" * 1_000_001)})
    assert res.status_code == 422 and "1 MB" in res.json()["message"]
    # An image of 2 MiB is far over the JSON limit, not over the media limit: it reaches the service.
    res = api.post(f"/api/workspaces/{ws.id}/media", headers=auth,
                   files={"file": ("a.png", b"\x89PNG" + b"\0" * (2 * 1024 * 1024))})
    assert res.status_code == 422 and res.json()["problems"][0]["field"] == "file"


def test_csv_rows_with_nul_or_edge_dates_are_row_errors(api, owner, session):
    ws, auth, _ = owner
    make_channel(session, ws, name="Main")
    csv = ("date,time,channel,text\n"
           "0001-01-01,09:00,Main,first\n"
           "9999-12-31,23:30,Main,second\n"
           "2030-01-0\x001,09:00,Main,third\n"
           "2030-01-02,09:00,Main,fou\x00rth\n")
    res = api.post(f"/api/workspaces/{ws.id}/imports", headers=auth, files={"file": ("a.csv", csv.encode())})
    assert res.status_code == 422, res.text
    problems = {(p["field"], p["code"]) for p in res.json()["problems"]}
    assert ("rows[2].date", "date_out_of_range") in problems
    assert ("rows[3].date", "date_out_of_range") in problems
    assert ("rows[4].date", "invalid_text") in problems
    assert ("rows[5].text", "invalid_text") in problems


def test_the_service_layer_refuses_such_text_from_any_door(session, owner):
    """The UI's state calls services directly: a NUL or lone surrogate is a named error, not a crash."""
    ws, _, user = owner
    with pytest.raises(ValidationFailed) as err:
        ideas.add(session, user.id, ws.id, title=NUL)
    assert err.value.field == "title" and "NUL" in err.value.message
    session.rollback()
    with pytest.raises(ValidationFailed) as err:
        snippets.save(session, user.id, ws.id, kind="snippet", name="n", body="x\ud800")
    assert err.value.field == "body" and "surrogate" in err.value.message
    session.rollback()
