"""The metrics sync end to end: the beat's task on a real Celery worker, the real Mastodon connector over
HTTP to a small local server answering with the documented Status shape, a snapshot in Postgres."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from app.core import crypto, jobs
from app.services.insight import engagement
from models import MetricSnapshot
from tests.factories import make_channel, make_target, make_user, make_workspace


class FakeMastodon(BaseHTTPRequestHandler):
    """GET /api/v1/statuses/:id -> a Status (docs.joinmastodon.org/entities/Status) with its counts."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        m = re.fullmatch(r"/api/v1/statuses/(\d+)", self.path)
        if not m or self.headers.get("Authorization") != "Bearer tok":
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"id": m.group(1), "content": "<p>Hello</p>", "visibility": "public",
                           "favourites_count": 21, "reblogs_count": 4, "replies_count": 6}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def mastodon():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMastodon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_sync_task_on_a_worker_stores_a_snapshot(session, celery_worker, mastodon):
    ws = make_workspace(session, owner=make_user(session))
    channel = make_channel(session, ws, "mastodon", settings={"endpoint": mastodon}, credentials=crypto.encrypt(
        json.dumps({"instance": mastodon, "access_token": "tok"})))
    now = datetime.now(UTC)
    target = make_target(session, channel, scheduled_at=now - timedelta(minutes=30), status="published")
    target.published_at, target.remote_id = now - timedelta(minutes=30), "4242"
    session.add(target)
    session.commit()

    jobs.send(engagement.SYNC_TASK, queue=jobs.MAINTENANCE_QUEUE)

    deadline = time.monotonic() + 60
    found: list[MetricSnapshot] = []
    while time.monotonic() < deadline and not found:
        time.sleep(0.3)
        session.expire_all()
        found = list(session.exec(select(MetricSnapshot).where(MetricSnapshot.target_id == target.id)).all())
    assert [(s.likes, s.reposts, s.replies) for s in found] == [(21, 4, 6)]
