"""/api/auth/2fa: turn two-factor sign-in on and off, and renew the recovery codes (the caller's own)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.auth_common import (
    Caller,
    CallerDep,
    Message,
    NewSessionOut,
    client_ip,
    session_tokens,
    user_agent,
)
from app.api.deps import ServiceSessionDep
from app.core.security import ACCESS_TOKEN_TTL
from app.services.identity import tokens, totp

router = APIRouter(prefix="/auth", tags=["auth"])


class PasswordIn(BaseModel):
    password: str = Field(max_length=10_000)


class CodeIn(BaseModel):
    code: str = Field(max_length=64)


class EnrolmentOut(BaseModel):
    secret: str
    uri: str
    qr_svg: str


class TwoFactorEnabledOut(NewSessionOut):
    recovery_codes: list[str]


class NewAccessTokenOut(Message):
    """Every earlier access token has ended; this one continues the caller's session or family."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


def _fresh_access(caller: Caller) -> NewAccessTokenOut:
    access = tokens.access_token(caller.user_id, session_id=caller.session_id, family_id=caller.family_id)
    return NewAccessTokenOut(message="", access_token=access,
                             expires_in=int(ACCESS_TOKEN_TTL.total_seconds()))


@router.post("/2fa/enrol", response_model=EnrolmentOut)
def two_factor_enrol(body: PasswordIn, caller: CallerDep, session: ServiceSessionDep,
                     request: Request) -> EnrolmentOut:
    """Start 2FA enrolment (needs the password): a QR code (SVG) and the manual key."""
    e = totp.begin_enrolment(session, caller.user_id, body.password, ip=client_ip(request))
    return EnrolmentOut(secret=e.secret, uri=e.uri, qr_svg=e.qr_svg)


@router.post("/2fa/confirm", response_model=TwoFactorEnabledOut)
def two_factor_confirm(body: CodeIn, caller: CallerDep, session: ServiceSessionDep,
                       request: Request) -> TwoFactorEnabledOut:
    """Turn 2FA on with a first code; returns 10 recovery codes (shown once) and new tokens."""
    codes, token = totp.confirm_enrolment(session, caller.user_id, body.code, ip=client_ip(request),
                                          user_agent=user_agent(request))
    return TwoFactorEnabledOut(recovery_codes=codes, **session_tokens(session, caller.user_id, token))  # type: ignore[arg-type]


@router.post("/2fa/disable", response_model=NewAccessTokenOut)
def two_factor_disable(body: PasswordIn, caller: CallerDep, session: ServiceSessionDep,
                       request: Request) -> NewAccessTokenOut:
    """Turn 2FA off (needs the password); an e-mail tells the owner. Every access token ends; the
    answer carries a new one for this session or refresh family."""
    totp.disable(session, caller.user_id, body.password, ip=client_ip(request))
    out = _fresh_access(caller)
    out.message = "two-factor authentication is off"
    return out


@router.post("/2fa/recovery-codes", response_model=TwoFactorEnabledOut)
def two_factor_recovery_codes(body: PasswordIn, caller: CallerDep, session: ServiceSessionDep,
                              request: Request) -> TwoFactorEnabledOut:
    """New recovery codes (needs the password; shown once, the old ones stop working). Every session
    and token ends, since whoever used a leaked code may be signed in; the answer carries new ones."""
    codes, token = totp.regenerate_recovery_codes(session, caller.user_id, body.password,
                                                  ip=client_ip(request), user_agent=user_agent(request))
    return TwoFactorEnabledOut(recovery_codes=codes, **session_tokens(session, caller.user_id, token))  # type: ignore[arg-type]
