"""The REST API (FastAPI), mounted inside the Reflex app under /api."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from app.api import (
    admin,
    api_keys,
    auth,
    auth_tokens,
    channels,
    health,
    imports,
    metrics,
    notifications,
    oidc,
    posts,
    security,
    studio,
    webhooks,
    workspaces,
)
from app.core import metrics as core_metrics
from app.services.errors import DomainError, ErrorBody, Problem, RateLimited

API_PREFIX = "/api"


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
    api.include_router(health.router, prefix=API_PREFIX)
    api.include_router(metrics.router, prefix=API_PREFIX)
    api.include_router(studio.router, prefix=API_PREFIX)
    api.include_router(studio.public)
    api.include_router(channels.router, prefix=API_PREFIX)
    api.include_router(channels.networks_router, prefix=API_PREFIX)
    api.include_router(posts.router, prefix=API_PREFIX)
    api.include_router(imports.router, prefix=API_PREFIX)
    api.include_router(auth.router, prefix=API_PREFIX)
    api.include_router(auth_tokens.router, prefix=API_PREFIX)
    api.include_router(workspaces.router, prefix=API_PREFIX)
    api.include_router(webhooks.router, prefix=API_PREFIX)
    api.include_router(api_keys.router, prefix=API_PREFIX)
    api.include_router(oidc.router, prefix=API_PREFIX)
    api.include_router(admin.router, prefix=API_PREFIX)
    api.include_router(notifications.router, prefix=API_PREFIX)
    _install_error_handlers(api)
    oidc.install(api)
    security.install(api, API_PREFIX)
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
    """Every 4xx has one shape: {code, message, problems: [{field, message, code}]}."""

    @api.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        body = ErrorBody(exc.code, exc.message, exc.problems)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if exc.status_code == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return JSONResponse(jsonable_encoder(body), status_code=exc.status_code, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            Problem(".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")) or None,
                    e["msg"], e["type"])
            for e in exc.errors()
        ]
        message = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
        body = ErrorBody("validation_failed", message, problems)
        return JSONResponse(jsonable_encoder(body), status_code=422)
