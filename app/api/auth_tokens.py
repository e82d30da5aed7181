"""API sessions: trade a refresh token for a new pair; revoke a family (sign-out of an API client)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.api.deps import ServiceSessionDep
from app.services.identity import tokens

router = APIRouter(prefix="/auth", tags=["auth"])


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPairOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


def pair_out(pair: tokens.TokenPair) -> TokenPairOut:
    return TokenPairOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                        token_type=pair.token_type, expires_in=pair.expires_in)


@router.post("/refresh", response_model=TokenPairOut)
def refresh(body: RefreshIn, session: ServiceSessionDep) -> TokenPairOut:
    """A new access token and a new refresh token; the old refresh token stops working."""
    return pair_out(tokens.rotate(session, body.refresh_token))


@router.post("/revoke", status_code=204)
def revoke(body: RefreshIn, session: ServiceSessionDep) -> Response:
    """Sign an API client out: its refresh token, every token rotated from it, their access tokens and
    the session it was handed out with stop working (at once, not when the access tokens expire)."""
    tokens.revoke(session, body.refresh_token)
    return Response(status_code=204)
