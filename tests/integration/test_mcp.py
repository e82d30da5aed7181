"""The MCP server at /mcp, through the MCP SDK's own client over real HTTP (uvicorn on a free port),
with real API keys, PostgreSQL and Redis; what it does is checked through the REST API too."""

from __future__ import annotations

import concurrent.futures
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from app.api.main import create_api
from app.services.tenancy import apikeys
from models import Membership, PublishAttempt
from tests.factories import make_channel, make_target, make_user, make_workspace
from tests.support import free_port


@pytest.fixture(scope="module", autouse=True)
def _no_worker_takes_our_tasks(app_env, servers):
    """publish-now enqueues a task; no Celery worker of this run consumes broker db 0."""
    from tests.conftest import _reset_clients

    saved = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = f"{servers.redis_base_url}/0"
    _reset_clients()
    yield
    os.environ["REDIS_URL"] = saved
    _reset_clients()


@pytest.fixture(scope="module")
def base_url(_no_worker_takes_our_tasks) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_api(), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True, name="mcp-web")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture(scope="module")
def ws(app_env, _no_worker_takes_our_tasks) -> dict[str, Any]:
    from app.core.db import new_session

    with new_session() as session:
        owner, viewer = make_user(session), make_user(session)
        workspace = make_workspace(session, owner=owner)
        session.add(Membership(workspace_id=workspace.id, user_id=viewer.id, role="viewer"))
        session.commit()
        channel = make_channel(session, workspace, "bluesky", settings={"endpoint": "http://127.0.0.1:9"})
        keys = {
            "owner": apikeys.create(session, owner.id, workspace.id, "agent",
                                    ["posts:write", "channels:read", "analytics:read"]).secret,
            "read_only": apikeys.create(session, owner.id, workspace.id, "reader", ["posts:read"]).secret,
            "viewer": apikeys.create(session, viewer.id, workspace.id, "viewer agent", ["posts:write"]).secret,
        }
        session.commit()
        return {"ws": workspace.id, "channel": channel.id, "keys": keys,
                "rest": f"/api/workspaces/{workspace.id}"}


def _mcp(base_url: str, key: str, *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    """Open a client session with `key`, run the calls (("list_tools", {}) or (tool, arguments))."""

    async def go() -> list[Any]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=20) as http, \
                streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            out = []
            for name, arguments in calls:
                if name == "list_tools":
                    out.append(await session.list_tools())
                else:
                    out.append(await session.call_tool(name, arguments))
            return out

    # In a thread of its own: after the browser tests, Playwright's sync API keeps an event loop running
    # in this one, and anyio.run would refuse ("Already running asyncio in this thread").
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, go).result()


def _json(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    value = result.structured_content  # a list comes wrapped as {"result": [...]} on older protocols
    return value["result"] if isinstance(value, dict) and set(value) == {"result"} else value


def _error(result: Any) -> dict[str, Any]:
    assert result.is_error
    return json.loads(result.content[0].text)


def _rest(base_url: str, key: str, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, f"{base_url}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=20,
                         **kw)


def test_tools_are_listed(base_url, ws):
    (tools,) = _mcp(base_url, ws["keys"]["owner"], ("list_tools", {}))
    names = {t.name for t in tools.tools}
    assert {"list_channels", "list_posts", "get_post", "create_post", "update_post", "schedule_post",
            "cancel_post", "publish_now", "next_free_slot", "list_ideas", "create_idea", "approve_post",
            "request_changes", "analytics_summary", "upload_media_from_url"} <= names


def test_a_post_created_and_scheduled_through_mcp_shows_in_the_rest_api(base_url, ws):
    key = ws["keys"]["owner"]
    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0, tzinfo=None)
    channels, created, ideas = _mcp(
        base_url, key, ("list_channels", {}),
        ("create_post", {"text": "Hello from an agent", "channel_ids": [str(ws["channel"])]}),
        ("list_ideas", {}))
    assert [c["id"] for c in _json(channels)] == [str(ws["channel"])]
    post = _json(created)
    assert post["status"] == "draft"
    assert _json(ideas) == []
    (scheduled, fetched) = _mcp(
        base_url, key,
        ("schedule_post", {"post_id": post["id"], "local_time": when.isoformat(), "timezone": "UTC"}),
        ("list_posts", {"status": ["scheduled"]}))
    assert _json(scheduled)["status"] == "scheduled"
    assert post["id"] in [p["id"] for p in _json(fetched)["items"]]

    rest = _rest(base_url, key, "GET", f"{ws['rest']}/posts/{post['id']}")
    assert rest.status_code == 200
    assert rest.json()["status"] == "scheduled"
    assert rest.json()["targets"][0]["scheduled_at"].startswith(when.isoformat())

    (cancelled,) = _mcp(base_url, key, ("cancel_post", {"post_id": post["id"]}))
    assert _json(cancelled)["status"] == _rest(base_url, key, "GET", f"{ws['rest']}/posts/{post['id']}").json()[
        "status"]


def test_viewer_role_and_read_only_scope_are_refused_with_the_apis_words(base_url, ws):
    args = {"text": "Not allowed", "channel_ids": [str(ws["channel"])]}
    body = {"body": "Not allowed", "targets": [{"channel_id": str(ws["channel"])}]}
    for who in ("viewer", "read_only"):
        key = ws["keys"][who]
        (result,) = _mcp(base_url, key, ("create_post", args))
        rest = _rest(base_url, key, "POST", f"{ws['rest']}/posts", json=body)
        assert rest.status_code == 403
        assert _error(result) == rest.json(), who
    # Reading is within both.
    (listed,) = _mcp(base_url, ws["keys"]["read_only"], ("list_posts", {}))
    assert _json(listed)["total"] >= 0


def test_no_key_or_a_bad_key_is_a_401(base_url):
    for headers in ({}, {"Authorization": "Bearer qc_nothing_here"}):
        answer = httpx.post(f"{base_url}/mcp", headers={**headers, "Accept": "application/json"},
                            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["code"] == "not_authenticated"
    with pytest.raises(Exception):  # noqa: B017 - the SDK's client fails to connect, in its own words
        _mcp(base_url, "qc_nothing_here", ("list_tools", {}))


def test_a_past_time_and_empty_text_are_tool_errors_naming_the_field(base_url, ws):
    past = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat(timespec="minutes")
    before = _rest(base_url, ws["keys"]["owner"], "GET", f"{ws['rest']}/posts").json()["total"]
    late, empty = _mcp(
        base_url, ws["keys"]["owner"],
        ("create_post", {"text": "Too late", "channel_ids": [str(ws["channel"])], "local_time": past,
                         "timezone": "Europe/Paris"}),
        ("create_post", {"text": "", "channel_ids": [str(ws["channel"])]}))
    late_error = _error(late)
    assert "is in the past" in late_error["message"]
    assert [p["field"] for p in late_error["problems"]] == ["scheduled_at"]
    empty_error = _error(empty)
    assert empty_error["code"] == "validation_failed"
    assert empty_error["problems"][0]["field"] in ("body", "text")
    # Nothing was kept: the refused schedule rolled the whole tool call back.
    assert _rest(base_url, ws["keys"]["owner"], "GET", f"{ws['rest']}/posts").json()["total"] == before


def test_get_post_shows_each_target_and_attempt(base_url, ws, session):
    from models import Channel

    channel = session.get(Channel, ws["channel"])
    target = make_target(session, channel, status="failed", body="Tried once")
    for number, outcome, status, error in ((1, "transient_error", 503, "the network is down"),
                                           (2, "permanent_error", 400, "text too long")):
        session.add(PublishAttempt(workspace_id=target.workspace_id, target_id=target.id, number=number,
                                   outcome=outcome, http_status=status, error=error,
                                   finished_at=datetime.now(UTC)))
    session.commit()
    (got,) = _mcp(base_url, ws["keys"]["owner"], ("get_post", {"post_id": str(target.post_id)}))
    detail = _json(got)
    assert detail["targets"][0]["channel_id"] == str(ws["channel"])
    log = detail["targets"][0]["attempt_log"]
    assert [(a["number"], a["outcome"], a["http_status"], a["error"]) for a in log] == [
        (1, "transient_error", 503, "the network is down"), (2, "permanent_error", 400, "text too long")]
    (missing,) = _mcp(base_url, ws["keys"]["owner"], ("get_post", {"post_id": str(ws["ws"])}))
    assert _error(missing)["message"] == "post not found"


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    """A plain HTTP server on loopback with one PNG (and nothing else)."""
    import io
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    png = buffer.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            found = self.path == "/pictures/red%20dot.png"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png if found else b"")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True, name="images").start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_media_from_a_url_is_stored_like_an_upload_and_private_addresses_are_refused(
    base_url, ws, image_server, monkeypatch
):
    from app.core.config import get_settings

    url = f"{image_server}/pictures/red%20dot.png"
    stored, missing = _mcp(base_url, ws["keys"]["owner"],
                           ("upload_media_from_url", {"url": url, "alt_text": "A red dot"}),
                           ("upload_media_from_url", {"url": f"{image_server}/nothing.png"}))
    asset = _json(stored)
    assert (asset["content_type"], asset["width"], asset["height"], asset["alt_text"]) == (
        "image/png", 8, 6, "A red dot")
    assert asset["filename"] == "red dot.png"
    assert _error(missing)["problems"][0]["field"] == "url"
    assert "HTTP 404" in _error(missing)["message"]
    # Production's rule (no private endpoints): the loopback server is refused before anything is sent.
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", False)
    (refused,) = _mcp(base_url, ws["keys"]["owner"], ("upload_media_from_url", {"url": url}))
    error = _error(refused)
    assert error["problems"][0]["field"] == "url"
    assert "private address (127.0.0.1)" in error["message"]


def test_a_body_over_the_size_cap_is_refused_while_reading(image_server):
    from app.services.errors import ValidationFailed
    from app.services.planning import media_fetch

    with pytest.raises(ValidationFailed) as refused:
        media_fetch.fetch(f"{image_server}/pictures/red%20dot.png", max_bytes=10)
    assert refused.value.field == "url"
    assert "larger than" in refused.value.message


def test_the_whole_port_reflex_serves_answers_at_mcp(app_env, ws):
    """`quillcast web` serves Reflex's app with the API inside: /mcp is reached there too."""
    from fastapi.testclient import TestClient

    import app.app as ui

    port = TestClient(ui.app())
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "list_channels", "arguments": {}}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    assert port.post("/mcp", json=call, headers=headers).status_code == 401
    answer = port.post("/mcp", json=call, headers={**headers, "Authorization": f"Bearer {ws['keys']['owner']}"})
    assert answer.status_code == 200, answer.text
    assert str(ws["channel"]) in answer.text


def test_mcp_shares_the_apis_rate_limit(base_url, monkeypatch):
    import secrets

    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "api_rate_limit_per_minute", 3)
    headers = {"Authorization": f"Bearer qc_{secrets.token_hex(8)}", "Accept": "application/json"}
    codes = [httpx.post(f"{base_url}/mcp", headers=headers, timeout=10,
                        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_the_other_tools_answer_like_the_api(base_url, ws):
    key = ws["keys"]["owner"]
    slots = _rest(base_url, key, "PUT", f"{ws['rest']}/channels/{ws['channel']}/slots",
                  json={"timezone": "Europe/Paris", "slots": [{"weekday": 0, "local_time": "09:30"}]})
    assert slots.status_code == 200, slots.text
    created, idea, ideas, summary, slot = _mcp(
        base_url, key,
        ("create_post", {"text": "First words", "channel_ids": [str(ws["channel"])]}),
        ("create_idea", {"title": "A thread about queues", "notes": "from the agent"}),
        ("list_ideas", {}),
        ("analytics_summary", {"days": 7}),
        ("next_free_slot", {"channel_ids": [str(ws["channel"])]}))
    post_id = _json(created)["id"]
    assert _json(idea)["title"] in [i["title"] for i in _json(ideas)]
    assert {"published", "failed", "per_network", "top_posts"} <= set(_json(summary))
    at = datetime.fromisoformat(_json(slot)["at"])
    paris = at.astimezone(ZoneInfo("Europe/Paris"))
    assert at > datetime.now(UTC) and (paris.weekday(), paris.hour, paris.minute) == (0, 9, 30)

    updated, approve = _mcp(base_url, key, ("update_post", {"post_id": post_id, "text": "Better words"}),
                            ("approve_post", {"post_id": post_id}))
    assert _json(updated)["body"] == "Better words"
    rest = _rest(base_url, key, "POST", f"{ws['rest']}/posts/{post_id}/approve")
    assert _error(approve) == rest.json()  # a draft cannot be approved: the same answer, both doors
    (published,) = _mcp(base_url, key, ("publish_now", {"post_id": post_id}))
    assert _json(published)["status"] not in ("draft", "scheduled")
    assert _rest(base_url, key, "GET", f"{ws['rest']}/posts/{post_id}").json()["body"] == "Better words"
