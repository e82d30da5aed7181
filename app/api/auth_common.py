"""What the /api/auth routers share: the caller of an account route, the tokens a new session is
answered with, and who is calling from where."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlmodel import Session

from app.core.security import InvalidToken
from app.services.errors import NotAuthenticated
from app.services.identity import tokens

bearer = HTTPBearer(auto_error=False, description="A JWT access token from /api/auth/signin")


class Message(BaseModel):
    message: str


class NewSessionOut(BaseModel):
    session_token: str
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")


def session_tokens(session: Session, user_id: uuid.UUID, session_token: str) -> dict[str, object]:
    # The access token lives by the new session; the refresh family is linked to it, so signing out
    # either way ends all three.
    pair = tokens.issue(session, user_id, session_token=session_token)
    return {"session_token": session_token, "access_token": pair.access_token,
            "refresh_token": pair.refresh_token, "expires_in": pair.expires_in}


class Caller(BaseModel):
    user_id: uuid.UUID
    session_id: str  # what the access token lives by: a session, or else a refresh token family
    family_id: str


def current_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller of an account route: a valid access token whose session or family still lives."""
    if credentials is None:
        raise NotAuthenticated("sign in first: send `Authorization: Bearer <access token>`")
    try:
        claims = tokens.verify_access(credentials.credentials)
    except InvalidToken as exc:
        raise NotAuthenticated("the access token is invalid or expired: sign in again") from exc
    return Caller(user_id=claims.user_id, session_id=claims.session_id, family_id=claims.family_id)


CallerDep = Annotated[Caller, Depends(current_caller)]
