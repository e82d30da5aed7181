"""Prometheus metrics of the whole instance (GET /api/metrics)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.deps import ServiceSessionDep
from app.core.config import get_settings
from app.services.errors import NotAuthenticated, NotFound
from app.services.operations import prometheus as monitoring

router = APIRouter(tags=["health"])


def _allow(request: Request) -> None:
    settings = get_settings()
    token = settings.metrics_token
    if not token:
        if settings.environment == "production":
            raise NotFound("metrics are off: set METRICS_TOKEN and scrape with that bearer token")
        return
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise NotAuthenticated("send the METRICS_TOKEN as `Authorization: Bearer <token>`")


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {monitoring.CONTENT_TYPE: {}},
                                  "description": "Prometheus text format"}})
def prometheus(request: Request, session: ServiceSessionDep) -> Response:
    """Targets by status, overdue targets, publish lateness, queue depth, breakers, e-mail, latencies."""
    _allow(request)
    return Response(monitoring.exposition(session), media_type=monitoring.CONTENT_TYPE)
