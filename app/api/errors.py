"""The one error body of the API (`ErrorBody`: {code, message, problems: [{field, message, code}]}), as
OpenAPI documents it on every operation and as the handlers send it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.services.errors import DomainError, ErrorBody, Problem, RateLimited
from app.services.inputs import safe_text

_WHEN = {
    400: "the request could not be read (e.g. a broken multipart body)",
    401: "no valid credential: sign in, refresh the access token or check the API key",
    403: "signed in, but this role or key may not do this (or a cross-site cookie write)",
    404: "no such resource in a workspace you belong to",
    409: "the resource's current state forbids this (e.g. a duplicate or an already published post)",
    413: "the request body is larger than this endpoint takes",
    422: "a field is invalid: each problem names it (NUL characters, broken text and dates outside "
         "years 2-9998 are refused everywhere)",
    429: "too many requests: wait the seconds in Retry-After",
}
# Listed on every operation (FastAPI adds 422 itself where parameters exist; ours replaces its schema).
# The model is the one error body the handlers send (`ErrorBody`: code, message, problems with field,
# message and code), so a route that names it for its own answers shares the same schema.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": when} for status, when in _WHEN.items()
}


class SafeJSONResponse(JSONResponse):
    """Error messages may quote what was sent: a lone surrogate there must not break the answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_safe(content), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {_safe(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


def error_response(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return SafeJSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def field_of(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """`targets.0.text` for FastAPI's ("body", "targets", 0, "text") (a field may be called `body` too)."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or None


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return error_response(exc.status_code, ErrorBody(exc.code, exc.message, exc.problems), headers)


def _say(error: Any) -> str:
    """Pydantic's words for a length limit, said the way the services say it (one voice for one rule)."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "string_too_long" and "max_length" in ctx:
        return f"use at most {ctx['max_length']} characters"
    return str(error["msg"])


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [Problem(field_of(e["loc"]), _say(e), e["type"]) for e in exc.errors()]
    message = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
    return error_response(422, ErrorBody("validation_failed", message, problems))


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers (unknown path, wrong method, unreadable body) in the same shape."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = str(exc.detail)
    return error_response(exc.status_code, ErrorBody(code, message, [Problem(None, message, code)]),
                          dict(exc.headers or {}))
