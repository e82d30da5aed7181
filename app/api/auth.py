"""/api/auth: sign up, verify, sign in (two steps with 2FA), reset, account, 2FA and sessions.

Thin: every route calls app.services.identity (accounts, authentication, totp, sessions). Sync routes on
purpose: FastAPI runs them in a thread pool, so argon2 hashing never blocks the event loop.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from app.api.deps import ServiceSessionDep as SessionDep
from app.core.security import ACCESS_TOKEN_TTL, InvalidToken
from app.services.errors import ErrorBody, NotAuthenticated
from app.services.identity import accounts, authentication, passwords, sessions, setup, tokens, totp
from app.services.planning import timeslots
from models import User

router = APIRouter(prefix="/auth", tags=["auth"])
_bearer = HTTPBearer(auto_error=False, description="A JWT access token from /api/auth/signin")
SessionTokenHeader = Annotated[str | None, Header(alias="X-Session-Token", include_in_schema=True)]


# --- schemas: one per direction, so no column leaks by accident ---

class Message(BaseModel):
    message: str


class SignUpIn(BaseModel):
    email: str = Field(max_length=accounts.EMAIL_MAX)
    password: str = Field(max_length=passwords.MAX_LENGTH)
    display_name: str = Field(default="", max_length=accounts.DISPLAY_NAME_MAX)
    timezone: str = Field(default="UTC", max_length=timeslots.ZONE_MAX)
    setup_token: str | None = Field(
        default=None, max_length=setup.TOKEN_MAX,
        description="Only on a fresh instance: the token of the setup link that `quillcast run` prints "
                    "(`quillcast setup-link`). With it this account becomes the instance administrator, "
                    "verified and signed in (201).")


class TokenIn(BaseModel):
    token: str = Field(max_length=500)


class EmailIn(BaseModel):
    email: str = Field(max_length=accounts.EMAIL_MAX)


class SignInIn(BaseModel):
    email: str = Field(max_length=accounts.EMAIL_MAX)
    password: str = Field(max_length=10_000)


class TwoFactorIn(BaseModel):
    challenge: str = Field(max_length=200)
    code: str = Field(max_length=64)


class SignInResponse(BaseModel):
    """Either `two_factor_required` with a `challenge`, or a session token, an access token (15 minutes,
    bound to the session) and a refresh token (30 days, POST /api/auth/refresh).

    Extend it rather than replacing it: clients rely on these fields.
    """

    two_factor_required: bool = False
    challenge: str | None = None
    session_token: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int | None = None
    user_id: uuid.UUID | None = None


class ResetIn(BaseModel):
    token: str = Field(max_length=500)
    password: str = Field(max_length=passwords.MAX_LENGTH)


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
    timezone: str | None = Field(default=None, max_length=timeslots.ZONE_MAX)


class ChangePasswordIn(BaseModel):
    current_password: str = Field(max_length=10_000)
    new_password: str = Field(max_length=passwords.MAX_LENGTH)


class ChangeEmailIn(BaseModel):
    password: str = Field(max_length=10_000)
    new_email: str = Field(max_length=accounts.EMAIL_MAX)


class PasswordIn(BaseModel):
    password: str = Field(max_length=10_000)


class CodeIn(BaseModel):
    code: str = Field(max_length=64)


class EnrolmentOut(BaseModel):
    secret: str
    uri: str
    qr_svg: str


class NewSessionOut(BaseModel):
    session_token: str
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class TwoFactorEnabledOut(NewSessionOut):
    recovery_codes: list[str]


class NewAccessTokenOut(Message):
    """Every earlier access token has ended; this one continues the caller's session or family."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class SessionOut(BaseModel):
    id: str
    device: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


# --- helpers ---

def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _ua(request: Request) -> str | None:
    return request.headers.get("user-agent")


def _tokens(session: SessionDep, user_id: uuid.UUID, session_token: str) -> dict[str, object]:
    # The access token lives by the new session; the refresh family is linked to it, so signing out
    # either way ends all three.
    pair = tokens.issue(session, user_id, session_token=session_token)
    return {"session_token": session_token, "access_token": pair.access_token,
            "refresh_token": pair.refresh_token, "expires_in": pair.expires_in}


def _public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id, email=user.email, display_name=user.display_name, timezone=user.timezone,
        email_verified=user.email_verified_at is not None, pending_email=user.pending_email,
        two_factor_enabled=totp.is_enabled(user), is_admin=user.is_admin,
    )


class Caller(BaseModel):
    user_id: uuid.UUID
    session_id: str  # what the access token lives by: a session, or else a refresh token family
    family_id: str


def current_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller of an account route: a valid access token whose session or family still lives."""
    if credentials is None:
        raise NotAuthenticated("sign in first: send `Authorization: Bearer <access token>`")
    try:
        claims = tokens.verify_access(credentials.credentials)
    except InvalidToken as exc:
        raise NotAuthenticated("the access token is invalid or expired: sign in again") from exc
    return Caller(user_id=claims.user_id, session_id=claims.session_id, family_id=claims.family_id)


def _fresh_access(caller: Caller) -> NewAccessTokenOut:
    access = tokens.access_token(caller.user_id, session_id=caller.session_id, family_id=caller.family_id)
    return NewAccessTokenOut(message="", access_token=access,
                             expires_in=int(ACCESS_TOKEN_TTL.total_seconds()))


CallerDep = Annotated[Caller, Depends(current_caller)]


# --- sign up and verify ---

_SIGNUP_ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {"model": SignInResponse,
          "description": "with a valid `setup_token`: the first administrator, verified and signed in"},
    403: {"model": ErrorBody, "description": "`setup_token` is missing or wrong"},
    409: {"model": ErrorBody, "description": "`setup_token` given, but the instance is already set up"},
}


@router.post("/signup", response_model=Message, status_code=status.HTTP_202_ACCEPTED,
             responses=_SIGNUP_ANSWERS)
def signup(body: SignUpIn, session: SessionDep, request: Request) -> Message | JSONResponse:
    """Create an account; a verification link is mailed (same answer for a taken address).

    On a fresh instance, `setup_token` makes the first instance administrator instead: verified, signed
    in, and answered like sign-in (201)."""
    if body.setup_token is not None:
        first = setup.create_first_admin(
            session, body.setup_token, email_address=body.email, password=body.password,
            display_name=body.display_name, timezone=body.timezone, ip=_ip(request), user_agent=_ua(request),
            field="setup_token")
        out = SignInResponse(user_id=first.user_id, **_tokens(session, first.user_id, first.session_token))  # type: ignore[arg-type]
        return JSONResponse(out.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)
    accounts.sign_up(session, email_address=body.email, password=body.password,
                     display_name=body.display_name, timezone=body.timezone, ip=_ip(request))
    if setup.mail_waits_for_admin():
        return Message(message="the confirmation mail waits in this Quillcast's outbox (no mail server is "
                               "set up): ask your Quillcast administrator to open Admin → Outbox and send "
                               "you the link")
    return Message(message="check your inbox: we sent a link to confirm your e-mail address")


@router.post("/verify", response_model=Message)
def verify(body: TokenIn, session: SessionDep, request: Request) -> Message:
    """Follow a verification or e-mail change link (single-use, 24 h)."""
    accounts.verify_email(session, token=body.token, ip=_ip(request))
    return Message(message="your e-mail address is confirmed")


@router.post("/resend-verification", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def resend_verification(body: EmailIn, session: SessionDep, request: Request) -> Message:
    """Mail a new verification link if the account exists and is unverified."""
    accounts.resend_verification(session, email_address=body.email, ip=_ip(request))
    return Message(message="if that address has an unconfirmed account, a new link is on its way")


# --- sign in and out ---

@router.post("/signin", response_model=SignInResponse)
def signin(body: SignInIn, session: SessionDep, request: Request) -> SignInResponse:
    """Step 1: e-mail and password. With 2FA on, answer a challenge for /signin/two-factor."""
    result = authentication.sign_in(session, email_address=body.email, password=body.password,
                                    ip=_ip(request), user_agent=_ua(request))
    if result.needs_two_factor:
        return SignInResponse(two_factor_required=True, challenge=result.challenge)
    assert result.user_id and result.session_token
    return SignInResponse(user_id=result.user_id, **_tokens(session, result.user_id, result.session_token))  # type: ignore[arg-type]


@router.post("/signin/two-factor", response_model=SignInResponse)
def signin_two_factor(body: TwoFactorIn, session: SessionDep, request: Request) -> SignInResponse:
    """Step 2: a code from the authenticator app, or an unused recovery code."""
    result = authentication.complete_two_factor(session, challenge=body.challenge, code=body.code,
                                                ip=_ip(request), user_agent=_ua(request))
    assert result.user_id and result.session_token
    return SignInResponse(user_id=result.user_id, **_tokens(session, result.user_id, result.session_token))  # type: ignore[arg-type]


@router.post("/signout", status_code=status.HTTP_204_NO_CONTENT)
def signout(
    session: SessionDep, request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    x_session_token: SessionTokenHeader = None,
) -> Response:
    """End the session given in X-Session-Token, or what the bearer access token lives by (its session
    or refresh token family); the access tokens, refresh tokens and session of that sign-in all end."""
    authentication.sign_out(session, x_session_token, ip=_ip(request))
    if credentials is not None:
        authentication.sign_out_access_token(session, credentials.credentials, ip=_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- passwords ---

@router.post("/forgot", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def forgot(body: EmailIn, session: SessionDep, request: Request) -> Message:
    """Mail a password reset link (single-use, 30 min); same answer for unknown addresses."""
    accounts.request_password_reset(session, email_address=body.email, ip=_ip(request))
    return Message(message="if that address has an account, a reset link is on its way")


@router.post("/reset", response_model=Message)
def reset(body: ResetIn, session: SessionDep, request: Request) -> Message:
    """Choose a new password from a reset link; every session ends; sign in again (with 2FA)."""
    accounts.reset_password(session, token=body.token, new_password=body.password, ip=_ip(request))
    return Message(message="your password is changed: sign in with it")


@router.post("/change-password", response_model=NewSessionOut)
def change_password(body: ChangePasswordIn, caller: CallerDep, session: SessionDep,
                    request: Request) -> NewSessionOut:
    """Needs the current password; ends every session and returns new tokens for this client."""
    token = accounts.change_password(session, user_id=caller.user_id, current_password=body.current_password,
                                     new_password=body.new_password, ip=_ip(request), user_agent=_ua(request))
    return NewSessionOut(**_tokens(session, caller.user_id, token))  # type: ignore[arg-type]


@router.post("/change-email", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def change_email(body: ChangeEmailIn, caller: CallerDep, session: SessionDep, request: Request) -> Message:
    """Needs the password; the new address gets a link and is used once the link is followed."""
    accounts.change_email(session, user_id=caller.user_id, password=body.password, new_email=body.new_email,
                          ip=_ip(request))
    return Message(message="check the new address's inbox: the change happens when you follow the link")


# --- me ---

@router.get("/me", response_model=UserPublic)
def me(caller: CallerDep, session: SessionDep) -> UserPublic:
    """The signed-in account."""
    return _public(accounts.get_user(session, caller.user_id))


@router.patch("/me", response_model=UserPublic)
def update_me(body: ProfileIn, caller: CallerDep, session: SessionDep) -> UserPublic:
    """Change display name and time zone."""
    return _public(accounts.update_profile(session, user_id=caller.user_id, display_name=body.display_name,
                                           timezone=body.timezone))


# --- two-factor ---

@router.post("/2fa/enrol", response_model=EnrolmentOut)
def two_factor_enrol(body: PasswordIn, caller: CallerDep, session: SessionDep,
                     request: Request) -> EnrolmentOut:
    """Start 2FA enrolment (needs the password): a QR code (SVG) and the manual key."""
    e = totp.begin_enrolment(session, caller.user_id, body.password, ip=_ip(request))
    return EnrolmentOut(secret=e.secret, uri=e.uri, qr_svg=e.qr_svg)


@router.post("/2fa/confirm", response_model=TwoFactorEnabledOut)
def two_factor_confirm(body: CodeIn, caller: CallerDep, session: SessionDep,
                       request: Request) -> TwoFactorEnabledOut:
    """Turn 2FA on with a first code; returns 10 recovery codes (shown once) and new tokens."""
    codes, token = totp.confirm_enrolment(session, caller.user_id, body.code, ip=_ip(request),
                                          user_agent=_ua(request))
    return TwoFactorEnabledOut(recovery_codes=codes, **_tokens(session, caller.user_id, token))  # type: ignore[arg-type]


@router.post("/2fa/disable", response_model=NewAccessTokenOut)
def two_factor_disable(body: PasswordIn, caller: CallerDep, session: SessionDep,
                       request: Request) -> NewAccessTokenOut:
    """Turn 2FA off (needs the password); an e-mail tells the owner. Every access token ends; the
    answer carries a new one for this session or refresh family."""
    totp.disable(session, caller.user_id, body.password, ip=_ip(request))
    out = _fresh_access(caller)
    out.message = "two-factor authentication is off"
    return out


@router.post("/2fa/recovery-codes", response_model=TwoFactorEnabledOut)
def two_factor_recovery_codes(body: PasswordIn, caller: CallerDep, session: SessionDep,
                              request: Request) -> TwoFactorEnabledOut:
    """New recovery codes (needs the password; shown once, the old ones stop working). Every session
    and token ends, since whoever used a leaked code may be signed in; the answer carries new ones."""
    codes, token = totp.regenerate_recovery_codes(session, caller.user_id, body.password, ip=_ip(request),
                                                  user_agent=_ua(request))
    return TwoFactorEnabledOut(recovery_codes=codes, **_tokens(session, caller.user_id, token))  # type: ignore[arg-type]


# --- sessions ---

@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(caller: CallerDep) -> list[SessionOut]:
    """The caller's live sessions, most recently used first."""
    def current(s: sessions.SessionInfo) -> bool:
        return s.id == caller.session_id or bool(s.family_id) and s.family_id == caller.family_id

    return [SessionOut(id=s.id, device=s.device, ip=s.ip, created_at=s.created_at,
                       last_seen_at=s.last_seen_at, current=current(s))
            for s in sessions.list_for_user(caller.user_id)]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(session_id: str, caller: CallerDep, session: SessionDep, request: Request) -> Response:
    """End one session (effective immediately)."""
    authentication.revoke_session(session, caller.user_id, session_id, ip=_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sessions/revoke-all", response_model=Message)
def revoke_all_sessions(caller: CallerDep, session: SessionDep, request: Request) -> Message:
    """Sign out everywhere, this session included."""
    ended = authentication.sign_out_everywhere(session, caller.user_id, ip=_ip(request))
    return Message(message=f"{ended} session(s) ended")
