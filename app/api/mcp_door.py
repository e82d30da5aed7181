"""The MCP door's plumbing: who calls (an API key), one transaction per tool call, the API's error words.

`/mcp` speaks MCP's streamable HTTP in its stateless form with JSON answers: each HTTP request is
complete in itself, so any web process can answer any request and nothing is kept between them. The
request's key is checked before the MCP server sees anything (no key or a bad key: 401 with the API's
error body). Each tool call then works like one REST request (DESIGN.md, "Conventions"): a session as
the caller (Row Level Security applies), the key authenticated again in it (a key revoked a moment ago
stops at once), the key's scope and the member's role checked for the tool's permission at the door,
the service's own checks after that, and a commit when the tool's answer is built, a rollback on any
error. A service's `DomainError` becomes an MCP tool error whose text is the API's error body (JSON).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent
from sqlmodel import Session
from starlette.types import Receive, Scope, Send

from app.api.errors import error_response
from app.core import db
from app.services.errors import DomainError, ErrorBody, NotAuthenticated
from app.services.tenancy import apikeys, permissions
from models import ApiKey, User

PATH = "/mcp"
# The key of the HTTP request being served; tools run in tasks and threads started from it (contextvars
# are copied into both).
_raw_key: ContextVar[str] = ContextVar("mcp_api_key")
_NO_KEY = ("send your Quillcast API key: `Authorization: Bearer qc_...` (create one under Account -> API "
           "keys, or POST /api/api-keys)")


@dataclass(frozen=True)
class Caller:
    """Who a tool call acts for: the key's user in the key's workspace."""

    user: User
    key: ApiKey

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.key.workspace_id


def error_text(exc: DomainError) -> str:
    """The API's error body for `exc` ({code, message, problems: [{field, message, code}]}), as JSON."""
    return json.dumps(jsonable_encoder(ErrorBody(exc.code, exc.message, exc.problems)), ensure_ascii=False)


def _authenticate(session: Session, raw: str) -> tuple[User, ApiKey]:
    user, key = apikeys.authenticate(session, raw)
    db.set_claims(session, db.user_claims(user.id))
    return user, key


@contextmanager
def caller_session(permission: str) -> Iterator[tuple[Session, Caller]]:
    """One tool call's unit of work, acting as the key's user, once key scope and role allow `permission`."""
    with db.session_scope(db.ANON_CLAIMS) as session:
        user, key = _authenticate(session, _raw_key.get())
        apikeys.require_scope(key, key.workspace_id, permission)
        permissions.require(session, user.id, key.workspace_id, permission)
        yield session, Caller(user, key)


def run(permission: str, action: Callable[[Session, Caller], Any]) -> Any:
    """Call one service as the caller in one transaction; its answer is built before the commit. A refusal
    is a tool error whose text is the API's error body (returned, not raised: the SDK would put
    "Error executing tool ..." before the API's words). So the answer is the action's, or a CallToolResult,
    which the SDK passes through but does not let a tool's return annotation name (hence Any)."""
    try:
        with caller_session(permission) as (session, caller):
            return action(session, caller)
    except DomainError as exc:
        return CallToolResult(content=[TextContent(type="text", text=error_text(exc))], is_error=True)


def _check_key(raw: str) -> None:
    with db.session_scope(db.ANON_CLAIMS) as session:
        _authenticate(session, raw)  # commits the key's last use


def _key_of(scope: Scope) -> str | None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    if headers.get("x-api-key"):
        return headers["x-api-key"].strip()
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class McpDoor:
    """The ASGI app at /mcp: the API key first, then the SDK's streamable HTTP transport."""

    def __init__(self, server: MCPServer[Any]) -> None:
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = _key_of(scope)
        try:
            if not raw:
                raise NotAuthenticated(_NO_KEY)
            await run_in_threadpool(_check_key, raw)
        except NotAuthenticated as exc:
            answer = error_response(401, ErrorBody(exc.code, exc.message, exc.problems),
                                    {"WWW-Authenticate": "Bearer"})
            await answer(scope, receive, send)
            return
        token = _raw_key.set(raw)
        try:
            # Stateless: a transport and its task group per request, so no lifespan is needed (the API is
            # mounted inside Reflex's app, whose lifespan does not run the API's). The host check is
            # not needed either: the key, never a cookie, is what lets a request in.
            http_app = self.server.streamable_http_app(
                streamable_http_path=PATH, stateless_http=True, json_response=True,
                transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
            # That app's own lifespan runs its own session manager (not the server's last-made one, which a
            # concurrent request may have replaced).
            async with http_app.router.lifespan_context(http_app):
                await http_app(scope, receive, send)
        finally:
            _raw_key.reset(token)
