"""Dependencies shared by every router: the db session, the caller, the workspace and its permission.

A caller proves who they are with `Authorization: Bearer <token>` where the token is a Quillcast JWT
access token, a Supabase access token (when Supabase Auth is configured), or an API key (`qc_...`,
also accepted in `X-API-Key`). From then on the request's session acts under the caller's claims, so
Row Level Security applies to everything the route does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.core import db
from app.core.db import get_db, get_service_db
from app.core.security import InvalidToken
from app.services.errors import NotAuthenticated, PermissionDenied
from app.services.identity import supabase_auth, tokens
from app.services.tenancy import apikeys, permissions
from models import ApiKey, Membership, User, Workspace

# The door owns the transaction (DESIGN.md, "Conventions"): one session per request, committed when the route
# has returned and its answer is built, before the answer is sent (`scope="function"`; the default
# "request" scope would commit after the client already has a 2xx), and rolled back on any error.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
# Routes that act as the system, not as a signed-in caller: sign-in and account flows before anyone is
# known (and the account routes, which check the caller's token themselves), token refresh, the OIDC
# callback, public links and feeds whose code or token decides what they may see. Row Level Security does
# not narrow what these routes read: they must.
ServiceSessionDep = Annotated[Session, Depends(get_service_db, scope="function")]

_bearer = HTTPBearer(
    auto_error=False, scheme_name="AccessToken", bearerFormat="JWT",
    description="A JWT access token (15 minutes; renew it at POST /api/auth/refresh), or an API key.",
)
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey",
    description="A scoped API key (`qc_...`), from POST /api/api-keys. Also accepted as a Bearer token.",
)
_EXPIRED = "the access token is invalid or expired: refresh it or sign in again"


def _user_from_jwt(session: Session, token: str) -> User:
    # Every token lives by a session or a refresh family, checked in Redis on each request: signing
    # out, a reused refresh token, a password or 2FA change end it at once, not 15 minutes later.
    try:
        user_id = tokens.verify_access(token).user_id
    except InvalidToken as exc:
        if supabase_auth.enabled():
            return supabase_auth.user_for_token(session, token)
        raise NotAuthenticated(_EXPIRED) from exc
    db.set_claims(session, db.user_claims(user_id))
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated(_EXPIRED)
    return user


def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> User:
    raw = api_key or (credentials.credentials if credentials else None)
    if not raw:
        raise NotAuthenticated("sign in first: send `Authorization: Bearer <access token>` or `X-API-Key`")
    request.state.api_key = None
    if apikeys.looks_like_key(raw):
        user, key = apikeys.authenticate(session, raw)
        request.state.api_key = key
        db.set_claims(session, db.user_claims(user.id))
        return user
    user = _user_from_jwt(session, raw)
    db.set_claims(session, db.user_claims(user.id))
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def current_api_key(request: Request) -> ApiKey | None:
    return getattr(request.state, "api_key", None)


def get_signed_in_user(request: Request, user: CurrentUser) -> User:
    """A person with a session or access token, not an API key (managing keys, leaving workspaces)."""
    if current_api_key(request) is not None:
        raise PermissionDenied("API keys cannot do this; sign in as the user")
    return user


SignedInUser = Annotated[User, Depends(get_signed_in_user)]


def get_instance_admin(session: SessionDep, user: SignedInUser) -> User:
    from app.services.identity import admins

    return admins.require_instance_admin(session, user.id)


InstanceAdmin = Annotated[User, Depends(get_instance_admin)]


@dataclass(frozen=True)
class WorkspaceContext:
    user: User
    workspace: Workspace
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role


def require(permission: str) -> Callable[..., WorkspaceContext]:
    """Route dependency: `Depends(require("post:publish"))` on /workspaces/{workspace_id}/... paths.
    With an API key, the key's workspace and scopes must allow it too."""

    def dependency(
        request: Request, session: SessionDep, user: CurrentUser, workspace_id: Annotated[uuid.UUID, Path()]
    ) -> WorkspaceContext:
        key = current_api_key(request)
        if key is not None:
            apikeys.require_scope(key, workspace_id, permission)
        # The service the route calls checks the same member again: permissions.require answers that
        # second check from the rows loaded here, so membership is read once per request.
        m = permissions.require(session, user.id, workspace_id, permission)
        workspace = session.get(Workspace, workspace_id)  # loaded with the membership: no second query
        assert workspace is not None  # a membership row implies its workspace (FK)
        return WorkspaceContext(user, workspace, m)

    return dependency


# Shared by the post-shaped resources (posts, links, snippets, ideas, the calendar feed, assist).
PostReader = Annotated[WorkspaceContext, Depends(require("post:read"))]
PostWriter = Annotated[WorkspaceContext, Depends(require("post:create"))]
# Read-only numbers about the workspace's publishing (analytics, best times).
AnalyticsReader = Annotated[WorkspaceContext, Depends(require("analytics:read"))]
