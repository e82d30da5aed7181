"""The upgrade drill's traffic (scripts/upgrade_drill.py): the load balancer standing in for the ALB, and
the steady HTTP load sent through it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import httpx


class Balancer:
    """The ALB's stand-in: HTTP per request (not per connection), round robin over registered targets."""

    def __init__(self) -> None:
        self.targets: dict[str, str] = {}  # name -> base URL, only registered ones
        self.in_flight: Counter[str] = Counter()
        self.no_target = 0
        self._turn = 0
        self.port = 0
        self._client: httpx.AsyncClient | None = None

    def register(self, name: str, url: str) -> None:
        self.targets[name] = url

    def deregister(self, name: str, timeout: float = 60) -> float:
        """Take it out of rotation and wait until its open requests are answered; seconds waited."""
        self.targets.pop(name, None)
        started = time.monotonic()
        while self.in_flight[name] and time.monotonic() - started < timeout:
            time.sleep(0.01)
        return time.monotonic() - started

    async def app(self, scope, receive, send) -> None:  # noqa: ANN001 - a plain ASGI app
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        names = list(self.targets)
        if not names:
            self.no_target += 1
            await _answer(send, 503, b"no registered target")
            return
        self._turn += 1
        name = names[self._turn % len(names)]
        url = self.targets[name] + scope["path"] + (f"?{scope['query_string'].decode()}"
                                                    if scope["query_string"] else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"]
                   if k.lower() not in (b"host", b"connection")]
        self.in_flight[name] += 1
        try:
            assert self._client is not None
            r = await self._client.request(scope["method"], url, headers=headers, content=body)
            await _answer(send, r.status_code, r.content, r.headers.get("content-type", "text/plain"))
        except httpx.HTTPError as exc:
            await _answer(send, 502, f"{name}: {type(exc).__name__}".encode())  # what the ALB answers
        finally:
            self.in_flight[name] -= 1

    def start(self) -> Balancer:
        import uvicorn

        from tests.support import free_port

        self.port = free_port()

        async def serve() -> None:
            self._client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_keepalive_connections=20))
            config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                    access_log=False, lifespan="off", interface="asgi3")
            await uvicorn.Server(config).serve()

        threading.Thread(target=asyncio.run, args=(serve(),), daemon=True, name="balancer").start()
        wait_until(lambda: _answers(f"http://127.0.0.1:{self.port}/"), 10, "the balancer")
        return self


async def _answer(send, status: int, body: bytes, ctype: str = "text/plain") -> None:  # noqa: ANN001
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
        return True
    except httpx.HTTPError:
        return False


def wait_until(check, timeout: float, what: str) -> float:  # noqa: ANN001
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


class Load:
    """Steady requests through the balancer, each on its own schedule slot (a slow answer delays nothing)."""

    def __init__(self, base: str, api_path: str, api_key: str, rps: float) -> None:
        self.base, self.api_path, self.api_key, self.rps = base, api_path, api_key, rps
        self.results: list[tuple[str, int, float]] = []  # (kind, status or 0, seconds)
        self.errors: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True, name="load")

    async def _one(self, client: httpx.AsyncClient, kind: str) -> None:
        started = time.monotonic()
        try:
            if kind == "health":
                r = await client.get("/api/health")
            else:
                r = await client.get(self.api_path, headers={"X-API-Key": self.api_key})
            status = r.status_code
            if status >= 400:
                self.errors[f"{kind} {status} {r.text[:80]}"] += 1
        except httpx.HTTPError as exc:
            status = 0
            self.errors[f"{kind} {type(exc).__name__}"] += 1
        self.results.append((kind, status, time.monotonic() - started))

    async def _run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as client:
            pending: set[asyncio.Task[None]] = set()
            i = 0
            next_at = time.monotonic()
            while not self._stop.is_set():
                kind = "health" if i % 2 == 0 else "api"
                task = asyncio.create_task(self._one(client, kind))
                pending.add(task)
                task.add_done_callback(pending.discard)
                i += 1
                next_at += 1 / self.rps
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if pending:
                await asyncio.wait(pending, timeout=35)

    def start(self) -> Load:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(40)
