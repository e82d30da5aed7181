"""A small REAL HTTP server that acknowledges posts like a social network, and a connector for it.

The sink (Starlette on uvicorn, 127.0.0.1, a free port) is deliberately naive: it does NOT deduplicate,
so every post it is sent twice is counted as a duplicate — exactly-once must come from the engine.
It has configurable latency, a random 5xx error rate, a random 429 rate with Retry-After, per-key
scripted answers, revoked tokens, and a record of every post it took (for duplicate and lateness counts).

`connector_for(channel, credentials)` is a real connector over httpx (one shared client per process)
that the engine reaches through CONNECTOR_RESOLVER="tests.sink:connector_for" in worker processes or
`publishing.set_connector_resolver` in the test process. The channel's settings carry the sink's URL.
The benchmark (scripts/bench_publish.py) uses the same sink.
"""

from __future__ import annotations

import asyncio
import base64
import random
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.connectors.base import (
    AuthError,
    Limits,
    LookupResult,
    PermanentError,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    TransientError,
)


@dataclass
class SinkState:
    latency: float = 0.0  # seconds before each answer
    error_rate: float = 0.0  # share of publishes answered 503
    rate_limit_rate: float = 0.0  # share answered 429 + Retry-After
    retry_after: int = 1
    lookup_unknown: bool = False  # lookups answer 503 (the network cannot tell)
    revoked_tokens: set[str] = field(default_factory=set)
    scripted: dict[str, deque[tuple[int, dict[str, Any], dict[str, str]]]] = field(default_factory=dict)
    created: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # key -> times
    texts: dict[str, str] = field(default_factory=dict)
    media: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # key -> images as received
    requests: int = 0

    def script(self, key: str, *answers: tuple[int, dict[str, Any], dict[str, str]]) -> None:
        """Answer the next publishes of `key` with these (status, json, headers) before acting normally."""
        self.scripted[key] = deque(answers)

    def duplicates(self) -> int:
        return sum(len(times) - 1 for times in self.created.values() if len(times) > 1)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


class Sink:
    def __init__(self) -> None:
        self.state = SinkState()
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        state = self.state

        async def publish(request: Request) -> JSONResponse:
            state.requests += 1
            if state.latency:
                await asyncio.sleep(state.latency)
            if request.headers.get("authorization", "").removeprefix("Bearer ") in state.revoked_tokens:
                return JSONResponse({"error": "The access token was revoked"}, status_code=401)
            body = await request.json()
            key = body["key"]
            script = state.scripted.get(key)
            if script:
                status, payload, headers = script.popleft()
                if status >= 300:
                    return JSONResponse(payload, status_code=status, headers=headers)
            roll = random.random()  # noqa: S311
            if roll < state.error_rate:
                return JSONResponse({"error": "Service temporarily unavailable"}, status_code=503)
            if roll < state.error_rate + state.rate_limit_rate:
                return JSONResponse({"error": "Too many requests"}, status_code=429,
                                    headers={"Retry-After": str(state.retry_after)})
            state.created[key].append(time.time())
            state.texts[key] = body.get("text", "")
            if body.get("media"):
                state.media[key] = body["media"]
            return JSONResponse({"id": f"sink-{key}", "url": f"{self.url}/posts/{key}"}, status_code=201)

        async def lookup(request: Request) -> JSONResponse:
            if state.lookup_unknown:
                return JSONResponse({"error": "lookup unavailable"}, status_code=503)
            key = request.path_params["key"]
            if state.created.get(key):
                return JSONResponse({"id": f"sink-{key}", "url": f"{self.url}/posts/{key}"})
            return JSONResponse({"error": "not found"}, status_code=404)

        return Starlette(routes=[Route("/publish", publish, methods=["POST"]),
                                 Route("/posts/{key}", lookup, methods=["GET"])])

    def start(self) -> Sink:
        from tests.support import free_port

        self.port = free_port()
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, lifespan="off", http="auto", loop="auto")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="sink")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the sink server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
        if self._thread:
            self._thread.join(5)


# --- the connector ---
_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http() -> httpx.Client:
    """One pooled client per process: connection reuse is most of a fast publish."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0),
                                   limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
        return _client


def _image(item: Any) -> dict[str, Any]:
    """An image as a network receives it: its bytes (base64), type and alt text."""
    data = item.read()  # from the media store, as a real connector reads it
    return {"data": base64.b64encode(data).decode(), "content_type": item.content_type,
            "alt": item.alt_text, "size": len(data)}


class SinkConnector:
    def __init__(self, network: str, endpoint: str, token: str, max_chars: int = 300,
                 refreshable: bool = False) -> None:
        self.refreshable = refreshable
        self.network = network
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        self.max_chars = max_chars

    def limits(self) -> Limits:
        return Limits(max_chars=self.max_chars, max_media=4, max_image_bytes=1_000_000,
                      image_types=("image/png", "image/jpeg"), supports_threads=True,
                      supports_first_comment=True)

    def validate(self, request: PublishRequest) -> list[Problem]:
        problems = []
        for i, part in enumerate((request.text, *request.thread)):
            if len(part) > self.max_chars:
                name = "text" if i == 0 else f"thread[{i - 1}]"
                problems.append(Problem(self.network, name, (
                    f"{self.network} allows {self.max_chars} characters; this has {len(part)}. "
                    f"Shorten it by {len(part) - self.max_chars}."), self.max_chars, len(part)))
        return problems

    def publish(self, request: PublishRequest) -> PublishResult:
        try:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            r = _http().post(f"{self.endpoint}/publish", headers=headers,
                             json={"key": request.idempotency_key, "text": request.text,
                                   "thread": list(request.thread), "media": [_image(m) for m in request.media]})
        except httpx.TransportError as exc:
            raise TransientError(f"the network did not answer ({type(exc).__name__})") from exc
        message = _message(r)
        if r.status_code == 429 or r.status_code >= 500:
            retry_after = r.headers.get("Retry-After")
            raise TransientError(message, retry_after=float(retry_after) if retry_after else None,
                                 http_status=r.status_code)
        if r.status_code == 401:
            raise AuthError(message, http_status=401)
        if r.status_code >= 400:
            raise PermanentError(message, http_status=r.status_code)
        data = r.json()
        return PublishResult(data["id"], data.get("url"), data)

    def lookup(self, idempotency_key: str) -> LookupResult:
        try:
            r = _http().get(f"{self.endpoint}/posts/{idempotency_key}")
        except httpx.TransportError:
            return LookupResult(Presence.UNKNOWN)
        if r.status_code == 200:
            return LookupResult(Presence.EXISTS, r.json()["id"], r.json().get("url"))
        if r.status_code == 404:
            return LookupResult(Presence.ABSENT)
        return LookupResult(Presence.UNKNOWN)

    def refresh_credentials(self) -> dict[str, Any] | None:
        """Channels with settings {"refreshable": true} get a new token, like an OAuth refresh."""
        return {"token": new_token()} if self.refreshable else None

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> None:
        return None  # the sink counts posts, not reactions


def _message(r: httpx.Response) -> str:
    try:
        return str(r.json().get("error") or r.text)
    except ValueError:
        return r.text[:500]


def connector_for(channel: Any, credentials: dict[str, Any]) -> SinkConnector:
    settings = channel.settings or {}
    return SinkConnector(channel.network, settings["endpoint"], credentials.get("token", ""),
                         int(settings.get("max_chars", 300)), bool(settings.get("refreshable")))


def new_token() -> str:
    return secrets.token_hex(8)
