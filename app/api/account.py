"""/api/auth/me, change-password, change-email: the signed-in account.

The caller is the holder of a live access token (CallerDep); the routes act as the system
(ServiceSessionDep) on that caller's own row only, as app.services.identity.accounts does.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from app.api.auth_common import CallerDep, Message, NewSessionOut, client_ip, session_tokens, user_agent
from app.api.deps import ServiceSessionDep
from app.services import zones
from app.services.identity import accounts, passwords, totp
from models import User

router = APIRouter(prefix="/auth", tags=["auth"])


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    timezone: str
    email_verified: bool
    pending_email: str | None
    two_factor_enabled: bool
    is_admin: bool


class ProfileIn(BaseModel):
    display_name: str | None = Field(default=None, max_length=accounts.DISPLAY_NAME_MAX)
    timezone: str | None = Field(default=None, max_length=zones.ZONE_MAX)


class ChangePasswordIn(BaseModel):
    current_password: str = Field(max_length=10_000)
    new_password: str = Field(max_length=passwords.MAX_LENGTH)


class ChangeEmailIn(BaseModel):
    password: str = Field(max_length=10_000)
    new_email: str = Field(max_length=accounts.EMAIL_MAX)


def _public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id, email=user.email, display_name=user.display_name, timezone=user.timezone,
        email_verified=user.email_verified_at is not None, pending_email=user.pending_email,
        two_factor_enabled=totp.is_enabled(user), is_admin=user.is_admin,
    )


@router.post("/change-password", response_model=NewSessionOut)
def change_password(body: ChangePasswordIn, caller: CallerDep, session: ServiceSessionDep,
                    request: Request) -> NewSessionOut:
    """Needs the current password; ends every session and returns new tokens for this client."""
    token = accounts.change_password(session, user_id=caller.user_id, current_password=body.current_password,
                                     new_password=body.new_password, ip=client_ip(request),
                                     user_agent=user_agent(request))
    return NewSessionOut(**session_tokens(session, caller.user_id, token))  # type: ignore[arg-type]


@router.post("/change-email", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def change_email(body: ChangeEmailIn, caller: CallerDep, session: ServiceSessionDep,
                 request: Request) -> Message:
    """Needs the password; the new address gets a link and is used once the link is followed."""
    accounts.change_email(session, user_id=caller.user_id, password=body.password, new_email=body.new_email,
                          ip=client_ip(request))
    return Message(message="check the new address's inbox: the change happens when you follow the link")


@router.get("/me", response_model=UserPublic)
def me(caller: CallerDep, session: ServiceSessionDep) -> UserPublic:
    """The signed-in account."""
    return _public(accounts.get_user(session, caller.user_id))


@router.patch("/me", response_model=UserPublic)
def update_me(body: ProfileIn, caller: CallerDep, session: ServiceSessionDep) -> UserPublic:
    """Change display name and time zone."""
    return _public(accounts.update_profile(session, user_id=caller.user_id, display_name=body.display_name,
                                           timezone=body.timezone))
