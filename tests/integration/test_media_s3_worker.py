"""Web and worker share nothing but PostgreSQL, Redis and the bucket: an image uploaded through the REST API
(this process, the web's side) is published by a REAL Celery worker process whose DATA_DIR is another, empty
directory, through the real webhook connector to a receiving server on loopback, and the bytes that arrive
are the bytes uploaded. S3 is moto's server mode (real HTTP). This module's broker is Redis dbs 1-3, so no
worker of another module (without the bucket) takes its task."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import secrets
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from fastapi.testclient import TestClient
from PIL import Image

from app.api.main import create_api
from app.core import crypto
from app.services.delivery import dispatcher
from tests import support
from tests.accounts_support import access_token_for
from tests.engine_support import clear_targets, reload, wait_for
from tests.factories import make_channel, make_target, make_user, make_workspace
from tests.peers.receiver import WebhookReceiver
from tests.s3_support import MotoS3, environment


def _reset_clients():
    from tests.conftest import _reset_clients as reset

    reset()


@pytest.fixture(scope="module")
def s3():
    server = MotoS3().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def web_and_worker(app_env, servers, s3, tmp_path_factory):
    """This process as web (its own DATA_DIR) and a worker process with another, both on one bucket."""
    bucket = s3.make_bucket()
    web_dir, worker_dir = tmp_path_factory.mktemp("web-data"), tmp_path_factory.mktemp("worker-data")
    for db in (1, 2, 3):
        redis_lib.Redis.from_url(f"{servers.redis_base_url}/{db}").flushdb()
    with environment(**s3.env(bucket), DATA_DIR=str(web_dir), REDIS_URL=f"{servers.redis_base_url}/1",
                     CONNECTOR_RESOLVER="app.connectors.registry:connector_for"):
        _reset_clients()
        worker = support.CeleryWorker({**os.environ, "DATA_DIR": str(worker_dir)}, concurrency=1)
        worker.start()
        try:
            yield bucket, web_dir, worker_dir
        finally:
            worker.stop()
    _reset_clients()


@pytest.fixture()
def receiver():
    r = WebhookReceiver(secrets.token_urlsafe(24)).start()
    yield r
    r.stop()


def test_a_worker_publishes_an_image_uploaded_through_web_from_the_bucket(session, s3, web_and_worker,
                                                                          receiver):
    bucket, web_dir, worker_dir = web_and_worker
    clear_targets(session)
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), "crimson").save(buf, "PNG")
    data = buf.getvalue()

    r = TestClient(create_api()).post(
        f"/api/workspaces/{ws.id}/media", headers={"Authorization": f"Bearer {access_token_for(owner.id)}"},
        files={"file": ("poppy.png", data, "image/png")}, data={"alt_text": "A crimson field"})
    assert r.status_code == 201, r.text
    assert s3.keys(bucket) == [f"media/{ws.id}/{hashlib.sha256(data).hexdigest()}.png"]

    channel = make_channel(session, ws, network="webhook", account="127.0.0.1",
                           credentials=crypto.encrypt(json.dumps({"url": receiver.url,
                                                                  "secret": receiver.secret})))
    target = make_target(session, channel, author=owner, body="Poppies",
                         scheduled_at=datetime.now(UTC) - timedelta(seconds=1))
    target.options = {"media": [{"id": r.json()["id"], "alt": "Poppies in June"}]}
    session.add(target)
    session.commit()

    assert dispatcher.dispatch_due() == 1
    assert wait_for(lambda: reload(session, target).status == "published", timeout=30), (
        reload(session, target).status, reload(session, target).last_error)

    [got] = receiver.received
    assert got.signature_ok and got.json["text"] == "Poppies"
    [image] = got.json["media"]
    assert base64.b64decode(image["data_base64"]) == data
    assert (image["content_type"], image["alt_text"]) == ("image/png", "Poppies in June")
    # Neither side kept a copy on its disk: the bucket is all they share.
    assert not (web_dir / "media").exists() and not (worker_dir / "media").exists()
