"""The REST API (FastAPI), mounted inside the Reflex app under /api."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from app.api import (
    account,
    admin,
    api_keys,
    assist,
    auth,
    auth_tokens,
    best_times,
    calendar_feed,
    channels,
    errors,
    guard,
    health,
    ideas,
    imports,
    links,
    mcp,
    mcp_door,
    metrics,
    notifications,
    oidc,
    posts,
    rss_feeds,
    security,
    sessions,
    snippets,
    two_factor,
    webhooks,
    workspaces,
)
from app.core import metrics as core_metrics
from app.services.errors import DomainError
from app.services.planning import bulk_import, media

API_PREFIX = "/api"
# Upload routes take their file's own limit (JSON bodies: guard.JSON_MAX_BYTES).
UPLOAD_LIMITS = {
    f"{API_PREFIX}/workspaces/{{workspace_id}}/media": media.MAX_UPLOAD_BYTES,
    f"{API_PREFIX}/workspaces/{{workspace_id}}/imports": bulk_import.MAX_BYTES,
}


def create_api() -> FastAPI:
    api = FastAPIOffline(
        title="Quillcast API",
        version="0.1.0",
        description="Schedule and publish posts to social networks. Times are ISO 8601 in UTC.",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
        static_url=f"{API_PREFIX}/static-offline-docs",
    )
    # Every router: the one input guard, and the error answers every operation may give (OpenAPI).
    routers: list[tuple[APIRouter, str]] = [
        (health.router, API_PREFIX), (metrics.router, API_PREFIX), (links.router, API_PREFIX),
        (snippets.router, API_PREFIX), (ideas.router, API_PREFIX), (calendar_feed.router, API_PREFIX),
        (assist.router, API_PREFIX), (links.public, ""), (calendar_feed.public, ""),
        (channels.router, API_PREFIX), (channels.networks_router, API_PREFIX),
        (posts.router, API_PREFIX), (imports.router, API_PREFIX), (auth.router, API_PREFIX),
        (account.router, API_PREFIX), (two_factor.router, API_PREFIX), (sessions.router, API_PREFIX),
        (auth_tokens.router, API_PREFIX), (workspaces.router, API_PREFIX), (webhooks.router, API_PREFIX),
        (api_keys.router, API_PREFIX), (oidc.router, API_PREFIX), (admin.router, API_PREFIX),
        (notifications.router, API_PREFIX), (best_times.router, API_PREFIX),
        (rss_feeds.router, API_PREFIX),
    ]
    for router, prefix in routers:
        api.include_router(guard.guard_router(router), prefix=prefix, responses=errors.RESPONSES)
    _install_error_handlers(api)
    # MCP for AI agents (app/api/mcp.py): its own transport and error shape, beside the REST API.
    api.add_route(mcp_door.PATH, mcp.door, include_in_schema=False)
    # Inside the security headers and CORS (added below, so they wrap it): a 413 carries them too.
    api.add_middleware(guard.BodyLimit, prefix=API_PREFIX, uploads=UPLOAD_LIMITS)
    oidc.install(api)
    security.install(api, API_PREFIX, also_limited=(mcp_door.PATH,))
    _install_timing(api)
    return api


def _install_timing(api: FastAPI) -> None:
    """Every API request's duration, by route template (never the raw path: ids would explode it)."""

    @api.middleware("http")
    async def timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        labels = {"method": request.method, "route": _route_template(request),
                  "status": f"{response.status_code // 100}xx"}
        seconds = time.perf_counter() - started
        await run_in_threadpool(core_metrics.observe, core_metrics.HTTP_SECONDS, labels, seconds)
        return response


def _route_template(request: Request) -> str:
    """`/api/posts/{post_id}` for `/api/posts/5f0c…`. (An included router's route knows only its own
    path, without the prefix, so the template is rebuilt from the matched path parameters.)"""
    if "route" not in request.scope:
        return "unmatched"
    path = request.scope["path"]
    for name, value in request.scope.get("path_params", {}).items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return str(path)


def _install_error_handlers(api: FastAPI) -> None:
    """Every 4xx has one shape, ErrorBody: {code, message, problems: [{field, message, code}]}."""
    api.add_exception_handler(DomainError, errors.domain_error)
    api.add_exception_handler(RequestValidationError, errors.invalid_request)
    api.add_exception_handler(HTTPException, errors.http_error)
