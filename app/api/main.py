"""The REST API (FastAPI), mounted inside the Reflex app under /api."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app.api import health

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
    return api
