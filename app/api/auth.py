"""/api/auth: sign up, verify, sign in (two steps with 2FA), sign out and forgotten passwords: what a
person does before they are signed in, as the system (ServiceSessionDep).

Thin: every route calls app.services.identity (accounts, authentication, setup). Sync routes on purpose:
FastAPI runs them in a thread pool, so argon2 hashing never blocks the event loop. The signed-in account's
routes are in account.py, two-factor in two_factor.py, the session list in sessions.py, API tokens in
auth_tokens.py.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from app.api.auth_common import Message, bearer, client_ip, session_tokens, user_agent
from app.api.deps import ServiceSessionDep
from app.services import zones
from app.services.errors import ErrorBody
from app.services.identity import accounts, authentication, passwords, setup

router = APIRouter(prefix="/auth", tags=["auth"])
SessionTokenHeader = Annotated[str | None, Header(alias="X-Session-Token", include_in_schema=True)]


class SignUpIn(BaseModel):
    email: str = Field(max_length=accounts.EMAIL_MAX)
    password: str = Field(max_length=passwords.MAX_LENGTH)
    display_name: str = Field(default="", max_length=accounts.DISPLAY_NAME_MAX)
    timezone: str = Field(default="UTC", max_length=zones.ZONE_MAX)
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


# --- sign up and verify ---

_SIGNUP_ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {"model": SignInResponse,
          "description": "with a valid `setup_token`: the first administrator, verified and signed in"},
    403: {"model": ErrorBody, "description": "`setup_token` is missing or wrong"},
    409: {"model": ErrorBody, "description": "`setup_token` given, but the instance is already set up"},
}


@router.post("/signup", response_model=Message, status_code=status.HTTP_202_ACCEPTED,
             responses=_SIGNUP_ANSWERS)
def signup(body: SignUpIn, session: ServiceSessionDep, request: Request) -> Message | JSONResponse:
    """Create an account; a verification link is mailed (same answer for a taken address).

    On a fresh instance, `setup_token` makes the first instance administrator instead: verified, signed
    in, and answered like sign-in (201)."""
    if body.setup_token is not None:
        first = setup.create_first_admin(
            session, body.setup_token, email_address=body.email, password=body.password,
            display_name=body.display_name, timezone=body.timezone, ip=client_ip(request),
            user_agent=user_agent(request), field="setup_token")
        issued = session_tokens(session, first.user_id, first.session_token)
        out = SignInResponse(user_id=first.user_id, **issued)  # type: ignore[arg-type]
        return JSONResponse(out.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)
    accounts.sign_up(session, email_address=body.email, password=body.password,
                     display_name=body.display_name, timezone=body.timezone, ip=client_ip(request))
    if setup.mail_waits_for_admin():
        return Message(message="the confirmation mail waits in this Quillcast's outbox (no mail server is "
                               "set up): ask your Quillcast administrator to open Admin → Outbox and send "
                               "you the link")
    return Message(message="check your inbox: we sent a link to confirm your e-mail address")


@router.post("/verify", response_model=Message)
def verify(body: TokenIn, session: ServiceSessionDep, request: Request) -> Message:
    """Follow a verification or e-mail change link (single-use, 24 h)."""
    accounts.verify_email(session, token=body.token, ip=client_ip(request))
    return Message(message="your e-mail address is confirmed")


@router.post("/resend-verification", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def resend_verification(body: EmailIn, session: ServiceSessionDep, request: Request) -> Message:
    """Mail a new verification link if the account exists and is unverified."""
    accounts.resend_verification(session, email_address=body.email, ip=client_ip(request))
    return Message(message="if that address has an unconfirmed account, a new link is on its way")


# --- sign in and out ---

@router.post("/signin", response_model=SignInResponse)
def signin(body: SignInIn, session: ServiceSessionDep, request: Request) -> SignInResponse:
    """Step 1: e-mail and password. With 2FA on, answer a challenge for /signin/two-factor."""
    result = authentication.sign_in(session, email_address=body.email, password=body.password,
                              ip=client_ip(request), user_agent=user_agent(request))
    if result.needs_two_factor:
        return SignInResponse(two_factor_required=True, challenge=result.challenge)
    assert result.user_id and result.session_token
    issued = session_tokens(session, result.user_id, result.session_token)
    return SignInResponse(user_id=result.user_id, **issued)  # type: ignore[arg-type]


@router.post("/signin/two-factor", response_model=SignInResponse)
def signin_two_factor(body: TwoFactorIn, session: ServiceSessionDep, request: Request) -> SignInResponse:
    """Step 2: a code from the authenticator app, or an unused recovery code."""
    result = authentication.complete_two_factor(session, challenge=body.challenge, code=body.code,
                                          ip=client_ip(request), user_agent=user_agent(request))
    assert result.user_id and result.session_token
    issued = session_tokens(session, result.user_id, result.session_token)
    return SignInResponse(user_id=result.user_id, **issued)  # type: ignore[arg-type]


@router.post("/signout", status_code=status.HTTP_204_NO_CONTENT)
def signout(
    session: ServiceSessionDep, request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    x_session_token: SessionTokenHeader = None,
) -> Response:
    """End the session given in X-Session-Token, or what the bearer access token lives by (its session
    or refresh token family); the access tokens, refresh tokens and session of that sign-in all end."""
    authentication.sign_out(session, x_session_token, ip=client_ip(request))
    if credentials is not None:
        authentication.sign_out_access_token(session, credentials.credentials, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- passwords ---

@router.post("/forgot", response_model=Message, status_code=status.HTTP_202_ACCEPTED)
def forgot(body: EmailIn, session: ServiceSessionDep, request: Request) -> Message:
    """Mail a password reset link (single-use, 30 min); same answer for unknown addresses."""
    accounts.request_password_reset(session, email_address=body.email, ip=client_ip(request))
    return Message(message="if that address has an account, a reset link is on its way")


@router.post("/reset", response_model=Message)
def reset(body: ResetIn, session: ServiceSessionDep, request: Request) -> Message:
    """Choose a new password from a reset link; every session ends; sign in again (with 2FA)."""
    accounts.reset_password(session, token=body.token, new_password=body.password, ip=client_ip(request))
    return Message(message="your password is changed: sign in with it")
