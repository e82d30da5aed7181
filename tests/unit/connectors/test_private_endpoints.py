"""User-given endpoints (a webhook URL, a Mastodon instance, a PDS, a homeserver) are connected to only
at an address checked to be public, where private endpoints are not allowed (production's default).

A real loopback server stands in for an internal service; a fake resolver plays a DNS answer that points
a public-looking name at it. Nothing may reach it, and the user gets a permanent error that says why.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.connectors import http as connector_http
from app.connectors.base import PermanentError, PublishRequest
from app.connectors.mastodon import MastodonConnector
from app.connectors.webhook import WebhookConnector
from app.core.config import get_settings


@pytest.fixture()
def internal_service():
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"id": "1"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()


@pytest.fixture()
def production_policy(monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_ENDPOINTS", "false")
    get_settings.cache_clear()
    monkeypatch.setattr(connector_http, "resolve", lambda host, port: ["127.0.0.1"])
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_webhook_channel_whose_name_resolves_inside_is_refused_and_nothing_is_sent(
        internal_service, production_policy):
    port, hits = internal_service
    connector = WebhookConnector({"url": f"http://hooks.example.com:{port}/in", "secret": "s" * 32})
    with pytest.raises(PermanentError, match="private address"):
        connector.publish(PublishRequest(idempotency_key="k1", text="hello"))
    assert hits == []


def test_a_mastodon_instance_resolving_inside_is_refused(internal_service, production_policy):
    port, hits = internal_service
    connector = MastodonConnector({"instance": f"http://social.example.com:{port}", "access_token": "t"})
    with pytest.raises(PermanentError, match="internal addresses"):
        connector.publish(PublishRequest(idempotency_key="k2", text="hello"))
    assert hits == []


def test_where_private_endpoints_are_allowed_the_same_server_is_reached(internal_service, monkeypatch):
    port, hits = internal_service
    monkeypatch.setenv("ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()
    try:
        WebhookConnector({"url": f"http://127.0.0.1:{port}/in", "secret": "s" * 32}).publish(
            PublishRequest(idempotency_key="k3", text="hello"))
    finally:
        get_settings.cache_clear()
    assert hits == ["/in"]
