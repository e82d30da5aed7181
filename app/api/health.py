"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.services.operations import system

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str
    ms: float


class Readiness(BaseModel):
    ok: bool
    checks: list[CheckOut]


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness: the web process answers."""
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
def ready() -> JSONResponse:
    """Readiness: database (at the migration head), Redis, the Celery broker, a live worker and the
    media store (directory or bucket)."""
    body = system.readiness_dict()
    return JSONResponse(body, status_code=200 if body["ok"] else 503)
