"""One input guard for every API operation: what no field may hold, and how large a body may be.

- Every route's endpoint is wrapped once (`guard_router`, applied to each router in `create_api`): after
  FastAPI has validated the parameters and before the route runs, every value that came from the request
  (path, query, headers, cookies, the JSON or form body, nested models, lists, an upload's file name) is
  walked. A text with a NUL character or a lone surrogate, or a date/datetime outside the years 2-9998
  (where a zone conversion or a month's arithmetic overflows), is a 422 naming the field, in the same
  shape as FastAPI's own validation errors. No route checks these itself.
- `BodyLimit` (ASGI middleware under /api) refuses a body over its size with 413: by Content-Length
  before anything is read, and by counting the streamed bytes when there is no length. JSON bodies take
  `JSON_MAX_BYTES`; the upload routes keep their own limit (the file's limit plus room for the multipart
  framing, so a file just over it still gets the service's own message).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from datetime import date
from enum import Enum
from typing import Any

from fastapi import APIRouter, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import ErrorBody, error_response
from app.services.errors import Problem
from app.services.inputs import moment_problem, text_problem

JSON_MAX_BYTES = 1024 * 1024  # 1 MiB: far above any post, webhook or settings body
MULTIPART_ROOM = 64 * 1024  # the multipart framing around an uploaded file
_GUARDED = "__quillcast_guarded__"
Loc = tuple[str | int, ...]


# --- the values --------------------------------------------------------------------------------------
def problems_in(value: Any, loc: Loc) -> Iterator[tuple[Loc, str, str]]:
    """(location, message, type) for each value that no field may hold."""
    if isinstance(value, str):
        why = text_problem(value)
        if why:
            yield loc, why, "invalid_text"
    elif isinstance(value, date):
        why = moment_problem(value)
        if why:
            yield loc, why, "date_out_of_range"
    elif isinstance(value, Enum | bool | int | float) or value is None:
        return
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from problems_in(getattr(value, name, None), (*loc, info.alias or name))
    elif isinstance(value, UploadFile):
        if value.filename:
            yield from problems_in(value.filename, (*loc, "filename"))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from problems_in(key, loc)
            yield from problems_in(item, (*loc, str(key)))
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            yield from problems_in(item, (*loc, i))


def _locations(route: APIRoute) -> dict[str, Loc]:
    """Endpoint argument -> where FastAPI says it came from (the same `loc` as its own errors)."""
    d = route.dependant
    where: dict[str, Loc] = {}
    for kind, fields in (("path", d.path_params), ("query", d.query_params), ("header", d.header_params),
                         ("cookie", d.cookie_params)):
        for f in fields:
            where[f.name] = (kind, f.alias)
    body = d.body_params
    embedded = len(body) > 1 or any(getattr(f.field_info, "embed", False) or
                                    isinstance(f.field_info, Form) for f in body)
    for f in body:
        where[f.name] = ("body", f.alias) if embedded else ("body",)
    return where


def _check(arguments: dict[str, Any], where: dict[str, Loc]) -> None:
    errors = [{"type": kind, "loc": loc, "msg": why, "input": None}
              for name, loc0 in where.items() if name in arguments
              for loc, why, kind in problems_in(arguments[name], loc0)]
    if errors:
        raise RequestValidationError(errors)


def _guarded(endpoint: Callable[..., Any], where: dict[str, Loc]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def guarded_async(*args: Any, **kwargs: Any) -> Any:
            _check(kwargs, where)
            return await endpoint(*args, **kwargs)

        wrapper: Callable[..., Any] = guarded_async
    else:
        @functools.wraps(endpoint)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            _check(kwargs, where)
            return endpoint(*args, **kwargs)

        wrapper = guarded
    setattr(wrapper, _GUARDED, True)
    return wrapper


def guard_router(router: APIRouter) -> APIRouter:
    """Wrap each route's endpoint (once: routers are module-level, create_api may run many times).
    FastAPI builds an included route from `route.endpoint`, reading the signature through the wrapper."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or getattr(route.endpoint, _GUARDED, False):
            continue
        if inspect.isgeneratorfunction(route.endpoint) or inspect.isasyncgenfunction(route.endpoint):
            continue  # streams: none takes a body
        route.endpoint = _guarded(route.endpoint, _locations(route))
    return router


# --- the size ----------------------------------------------------------------------------------------
class BodyTooLarge(HTTPException):
    def __init__(self, message: str):
        super().__init__(413, message)


def too_large_message(file_limit: int | None) -> str:
    if file_limit is None:
        return (f"the request body has more than {JSON_MAX_BYTES:,} bytes (1 MiB), the most this API takes: "
                "send less, e.g. fewer or shorter texts per request")
    return (f"the upload is larger than this endpoint takes (a file of at most {file_limit:,} bytes): upload "
            "a smaller file, or split a CSV import into several files")


class BodyLimit:
    """413 for a body over the route's limit, by Content-Length and by the bytes that arrive."""

    def __init__(self, app: ASGIApp, prefix: str, uploads: dict[str, int]):
        self.app = app
        self.prefix = prefix
        self.uploads = [(re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), n)
                        for path, n in uploads.items()]

    def limits_for(self, path: str) -> tuple[int, int | None]:
        """(body limit, the file's own limit for an upload route)."""
        file_limit = next((n for pattern, n in self.uploads if pattern.match(path)), None)
        return (JSON_MAX_BYTES if file_limit is None else file_limit + MULTIPART_ROOM), file_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        limit, file_limit = self.limits_for(scope["path"])
        message = too_large_message(file_limit)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _refuse(message)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(message)  # FastAPI re-raises HTTPExceptions: the 413 handler answers
            return event

        async def watched(event: Message) -> None:
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(message)(scope, receive, send)


def _refuse(message: str) -> ASGIApp:
    return error_response(413, ErrorBody("payload_too_large", message, [Problem(None, message,
                                                                                 "payload_too_large")]),
                          {"Connection": "close"})
