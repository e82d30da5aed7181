"""HTTP security for the API: headers, CORS allowlist, CSRF check for cookie-authenticated writes, and a
per-caller rate limit (429 + Retry-After)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache
from urllib.parse import urlsplit

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from limits import RateLimitItemPerMinute, storage, strategies
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.services.errors import ErrorBody, Problem

log = structlog.get_logger(__name__)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The API answers JSON only: nothing may run, load or frame it.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI (served offline from /api/static-offline-docs) needs its own scripts and one inline boot script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
# The UI's pages (production build, served on this one port): React Router's pages boot from inline
# scripts (route context, module imports) that differ per page, and Reflex's client runs
# `rx.call_script` / `rx.set_clipboard` code through eval: so 'unsafe-inline' and 'unsafe-eval' for
# scripts, nothing from elsewhere. Radix and FullCalendar set inline styles; thumbnails are data: URLs;
# the state travels over a websocket to this same host.
APP_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
           "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
           "connect-src 'self' {ws}; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; "
           "form-action 'self'")
EXEMPT_FROM_RATE_LIMIT = ("/api/health", "/api/ready")
HSTS = "max-age=63072000; includeSubDomains"
PREFLIGHT_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"

Handler = Callable[[Request], Awaitable[Response]]


def allowed_origins() -> list[str]:
    """Origins other than the page's own that may call this app with credentials: `CORS_ORIGINS`, the
    public address, and the UI's own addresses on this machine (in dev mode the UI is on another port
    than the backend). Reflex's CORS and socket.io read the same list (rxconfig.py)."""
    settings = get_settings()
    own = [f"http://localhost:{settings.web_port}", f"http://127.0.0.1:{settings.web_port}"]
    if settings.public_url:
        own.append(_origin_of(settings.public_url))
    return list(dict.fromkeys(o.lower() for o in [*settings.cors_origin_list, *own]))


def install(api: FastAPI, prefix: str = "/api", also_limited: tuple[str, ...] = ()) -> None:
    """Add the middleware. Starlette runs the last added first: headers wrap everything (429s too).
    `also_limited`: paths outside `prefix` that share its rate limit (/mcp)."""
    settings = get_settings()
    api.add_middleware(
        StrictCORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        expose_headers=["Retry-After"],
        max_age=600,
    )

    @api.middleware("http")
    async def rate_limit(request: Request, call_next: Handler) -> Response:
        path = request.url.path
        if path.startswith((prefix, *also_limited)) and not path.startswith(EXEMPT_FROM_RATE_LIMIT):
            retry_after = await run_in_threadpool(_hit, _caller(request))
            if retry_after is not None:
                return _error(429, "rate_limited",
                              f"too many requests: wait {retry_after} s, then try again",
                              {"Retry-After": str(retry_after)})
        return await call_next(request)

    @api.middleware("http")
    async def csrf(request: Request, call_next: Handler) -> Response:
        # /api only: the Reflex UI talks over its websocket and guards its own endpoints.
        if (request.method in UNSAFE_METHODS and request.url.path.startswith(prefix)
                and _cookie_authenticated(request) and not _same_or_allowed_origin(request)):
            log.warning("csrf_refused", path=request.url.path, origin=request.headers.get("origin"))
            return _error(403, "csrf_failed", "this request came from another site: reload the page and try "
                          "again from Quillcast itself")
        return await call_next(request)

    api.add_middleware(WebsocketOriginGate)

    @api.middleware("http")
    async def security_headers(request: Request, call_next: Handler) -> Response:
        response = await call_next(request)
        path = request.url.path
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if path.startswith(f"{prefix}/docs") or path.startswith(f"{prefix}/static-offline-docs"):
            h.setdefault("Content-Security-Policy", DOCS_CSP)
        elif path.startswith(prefix):
            h.setdefault("Content-Security-Policy", API_CSP)
            h.setdefault("Cache-Control", "no-store")
        else:
            host = request.headers.get("host", "")
            h.setdefault("Content-Security-Policy", APP_CSP.format(ws=f"ws://{host} wss://{host}"))
        if _is_https(request):
            h.setdefault("Strict-Transport-Security", HSTS)
        return response


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(code, message, [Problem(None, message, code)])
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def _is_https(request: Request) -> bool:
    # Behind a TLS-terminating proxy the scheme arrives in X-Forwarded-Proto.
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or proto == "https"


def _cookie_authenticated(request: Request) -> bool:
    """A browser sends cookies on its own, even to requests another site starts; a header it does not."""
    has_credentials_header = "authorization" in request.headers or "x-api-key" in request.headers
    return bool(request.headers.get("cookie")) and not has_credentials_header


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _same_or_allowed_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or _origin_of(request.headers.get("referer", ""))
    if not origin or origin == "null":
        return False  # a cookie-carrying write must say where it comes from
    origin = origin.rstrip("/").lower()
    allowed = {o.lower() for o in get_settings().cors_origin_list}
    public = get_settings().public_url
    if public:
        allowed.add(_origin_of(public))
    host = request.headers.get("host", "")
    allowed |= {f"http://{host}".lower(), f"https://{host}".lower()}
    return origin in allowed


def _caller(request: Request) -> str:
    """Who is calling: an API key or token (by hash: never store it), else the client's address."""
    api_key = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    secret = api_key or (auth[7:] if auth.lower().startswith("bearer ") else "")
    if secret:
        return "cred:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "ip:" + (request.client.host if request.client else "unknown")


@lru_cache
def _limiter(url: str) -> strategies.MovingWindowRateLimiter:
    return strategies.MovingWindowRateLimiter(storage.RedisStorage(url))


def _hit(caller: str) -> int | None:
    """None when the caller may go on; else seconds until they may try again."""
    settings = get_settings()
    per_minute = settings.api_rate_limit_per_minute
    if per_minute <= 0 or not settings.redis_url:
        return None
    limiter = _limiter(settings.cache_redis_url)
    item = RateLimitItemPerMinute(per_minute)
    try:
        if limiter.hit(item, "api", caller):
            return None
        stats = limiter.get_window_stats(item, "api", caller)
    except Exception as exc:  # noqa: BLE001 - Redis down must not take the API down with it
        log.warning("rate_limit_unavailable", error=type(exc).__name__)
        return None
    return max(1, int(stats.reset_time - time.time()) + 1)


class WebsocketOriginGate:
    """The UI's websocket (`/_event`, socket.io) opens only from this site or an allowed origin.

    Browsers send cookies on a websocket handshake from any site and apply no CORS to it, so the origin is
    checked here: the page's own origin (its Host), `allowed_origins()`, or the dev frontend Reflex runs
    on another port. An accepted handshake reaches socket.io without its Origin header: its own list is
    static and would refuse this site reached under another name (a LAN address) — the check is done."""

    def __init__(self, app: ASGIApp, path: str = "/_event"):
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith(self.path):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None:
            if not _origin_allowed(origin.rstrip("/").lower(), headers):
                log.warning("websocket_origin_refused", origin=origin[:200])
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await _error(403, "origin_refused", "this page may not connect from another site")(
                        scope, receive, send)
                return
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"origin"]}
        await self.app(scope, receive, send)


def _origin_allowed(origin: str, headers: Headers) -> bool:
    hosts = {headers.get("host", ""), headers.get("x-forwarded-host", "").split(",")[0].strip()} - {""}
    if any(origin in (f"http://{h}".lower(), f"https://{h}".lower()) for h in hosts):
        return True
    return origin in allowed_origins() or origin == _dev_frontend_origin()


def _dev_frontend_origin() -> str:
    """Where Reflex serves the UI when that is not this port (dev mode, the browser tests' harness)."""
    from reflex.config import get_config  # the UI's config: read only when a socket opens

    return _origin_of(get_config().deploy_url or "")


class StrictCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, except that an origin it does not allow gets no CORS header at all (Starlette
    sends `Access-Control-Allow-Credentials: true` to any origin; harmless without Allow-Origin, but a
    scanner, and the issue, read it as an open door)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        if origin is not None and not self.is_allowed_origin(origin):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class OriginPolicy:
    """The outermost layer of the whole port (UI, websocket, API), where CORS is decided once.

    Reflex wraps everything in CORS layers of its own, built at start from a fixed list; but the UI's own
    dev frontend may be on a port known only later (dev mode, the browser tests' harness). Here: an
    allowed origin (this site, `allowed_origins()`, the dev frontend) gets its preflight answered and
    Allow-Origin + Allow-Credentials on every answer; any other origin gets no Access-Control-* header at
    all, whatever an inner layer added."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        origin = headers.get("origin") if headers is not None else None
        if headers is None or origin is None:
            await self.app(scope, receive, send)
            return
        allowed = _origin_allowed(origin.rstrip("/").lower(), headers)
        if allowed and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await PlainTextResponse("OK", headers={
                **_allow(origin), "Access-Control-Allow-Methods": PREFLIGHT_METHODS,
                "Access-Control-Allow-Headers": headers.get("access-control-request-headers", ""),
                "Access-Control-Max-Age": "600"})(scope, receive, send)
            return

        async def decided(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", [])
                        if allowed or not k.lower().startswith(b"access-control-")]
                if allowed:
                    kept = [(k, v) for k, v in kept if k.lower() not in (b"access-control-allow-origin",
                                                                         b"access-control-allow-credentials")]
                    kept += [(k.lower().encode(), v.encode()) for k, v in _allow(origin).items()]
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, decided)


def _allow(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin"}
