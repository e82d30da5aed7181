"""Dependencies shared by every router: the db session, the caller, the workspace and its permission."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.core.db import get_db, get_service_db, set_claims, user_claims
from app.core.security import InvalidToken, decode_access_token
from app.services import permissions
from app.services.errors import NotAuthenticated
from models import Membership, User, Workspace

SessionDep = Annotated[Session, Depends(get_db)]
# Account routes (sign-up, sign-in, reset, the caller's own profile) act before or as the identity
# they establish: the accounts service checks the caller itself, RLS cannot know them yet.
ServiceSessionDep = Annotated[Session, Depends(get_service_db)]
_bearer = HTTPBearer(auto_error=False, description="A JWT access token or an API key")


def get_current_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    if credentials is None:
        raise NotAuthenticated("sign in first: send `Authorization: Bearer <access token>`")
    try:
        claims = decode_access_token(credentials.credentials)
        user_id = uuid.UUID(claims["sub"])
        # From here on the request acts as this user: Row Level Security shows only their workspaces.
        set_claims(session, user_claims(user_id))
        user = session.get(User, user_id)
    except (InvalidToken, ValueError) as exc:
        raise NotAuthenticated("the access token is invalid or expired: refresh it or sign in again") from exc
    if user is None or not user.is_active:
        raise NotAuthenticated("the access token is invalid or expired: refresh it or sign in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@dataclass(frozen=True)
class WorkspaceContext:
    user: User
    workspace: Workspace
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role


def require(permission: str) -> Callable[..., WorkspaceContext]:
    """Route dependency: `Depends(require("post:publish"))` on /workspaces/{workspace_id}/... paths."""

    def dependency(
        session: SessionDep, user: CurrentUser, workspace_id: Annotated[uuid.UUID, Path()]
    ) -> WorkspaceContext:
        m = permissions.require(session, user.id, workspace_id, permission)
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None  # a membership row implies its workspace (FK)
        return WorkspaceContext(user, workspace, m)

    return dependency
