"""Social login through OpenID Connect (Authlib): /api/auth/oidc/{provider}/login -> provider -> callback.

State (CSRF for the redirect), nonce (replay of ID tokens) and PKCE (S256, interception of the code)
are kept in a short-lived signed cookie between the two legs. The callback ends with a local user and an
API session (access + refresh token). Providers: `google` and `github` presets, and one custom OpenID
Connect provider, each offered when its client id is set.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from app.api.auth_tokens import TokenPairOut, pair_out
from app.api.deps import ServiceSessionDep
from app.core.config import Settings, get_settings
from app.services.errors import NotAuthenticated, NotFound
from app.services.identity import sessions, social_login, tokens

router = APIRouter(prefix="/auth/oidc", tags=["auth"])
# Authlib logs the PKCE verifier at DEBUG; secrets never reach a log line.
logging.getLogger("authlib").setLevel(logging.INFO)
STATE_COOKIE = "qc_oidc"


class OidcSignIn(TokenPairOut):
    user_id: str
    email: str
    created: bool


def providers(settings: Settings) -> dict[str, dict[str, Any]]:
    """Authlib registrations of the configured providers, by the name used in the URL."""
    pkce = {"code_challenge_method": "S256"}
    found: dict[str, dict[str, Any]] = {}
    if settings.oidc_google_client_id:
        found["google"] = {
            "client_id": settings.oidc_google_client_id, "client_secret": settings.oidc_google_client_secret,
            "server_metadata_url": social_login.GOOGLE_METADATA,
            "client_kwargs": {"scope": "openid email profile", **pkce},
        }
    if settings.oidc_github_client_id:
        found["github"] = {
            "client_id": settings.oidc_github_client_id, "client_secret": settings.oidc_github_client_secret,
            **social_login.GITHUB, "client_kwargs": {"scope": "read:user user:email", **pkce},
        }
    if settings.oidc_custom_name and settings.oidc_custom_issuer and settings.oidc_custom_client_id:
        issuer = settings.oidc_custom_issuer.rstrip("/")
        found[settings.oidc_custom_name] = {
            "client_id": settings.oidc_custom_client_id, "client_secret": settings.oidc_custom_client_secret,
            "server_metadata_url": f"{issuer}/.well-known/openid-configuration",
            "client_kwargs": {"scope": "openid email profile", **pkce},
        }
    return found


@lru_cache(maxsize=4)
def _oauth(configured: str) -> OAuth:
    """One registry per configuration (it caches each provider's discovery document)."""
    oauth = OAuth()
    for name, config in json.loads(configured).items():
        oauth.register(name, **config)
    return oauth


def _client(provider: str) -> Any:
    configured = providers(get_settings())
    if provider not in configured:
        raise NotFound(f"provider: {provider[:40]!r} is not configured for sign-in", field="provider")
    return _oauth(json.dumps(configured, sort_keys=True)).create_client(provider)


def install(api: FastAPI) -> None:
    settings = get_settings()
    # Holds state, nonce and PKCE verifier for the 10 minutes a sign-in may take; signed, not readable
    # by scripts, sent back only on top-level navigation from the provider (SameSite=Lax).
    api.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie=STATE_COOKIE,
                       max_age=600, same_site="lax", path="/api/auth/oidc",
                       https_only=bool(settings.public_url and settings.public_url.startswith("https://")))


@router.get("/providers", response_model=list[str])
def configured_providers() -> list[str]:
    """The providers a sign-in page may offer buttons for."""
    return sorted(providers(get_settings()))


@router.get("/{provider}/login", status_code=302)
async def login(provider: str, request: Request) -> RedirectResponse:
    """Start signing in with `provider`: redirects to it."""
    client = _client(provider)
    redirect_uri = request.url_for("oidc_callback", provider=provider)
    response: RedirectResponse = await client.authorize_redirect(request, str(redirect_uri))
    return response


@router.get("/{provider}/callback", response_model=OidcSignIn, name="oidc_callback",
            responses={303: {"description": "a browser is signed in (session cookie) and sent to the app"}})
async def callback(provider: str, request: Request, session: ServiceSessionDep) -> Any:
    """Where the provider sends the browser back: the code is exchanged, the person signed in."""
    client = _client(provider)
    try:
        token = await client.authorize_access_token(request)
        if provider == "github":
            user = (await client.get("user", token=token)).json()
            emails = (await client.get("user/emails", token=token)).json()
            identity = social_login.identity_from_github(user, emails)
        else:
            claims = token.get("userinfo") or await client.userinfo(token=token)
            identity = social_login.identity_from_claims(provider, dict(claims))
    except OAuthError as exc:
        # Wrong or replayed state, a denied consent, a bad code or ID token: start again.
        raise NotAuthenticated(
            f"sign-in with {provider} did not complete ({exc.error}): start again") from exc
    ip = request.client.host if request.client else None
    user, created = await run_in_threadpool(social_login.sign_in, session, identity, ip)
    if "text/html" in request.headers.get("accept", ""):
        # A person in a browser: a server-side session like a password sign-in, then into the app.
        token = await run_in_threadpool(sessions.create, user.id, ip, request.headers.get("user-agent"))
        settings = get_settings()
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(sessions.COOKIE_NAME, token, max_age=settings.session_absolute_hours * 3600,
                            path="/", samesite="strict", secure=settings.environment == "production")
        return response
    pair = await run_in_threadpool(tokens.issue, session, user.id)
    return OidcSignIn(**pair_out(pair).model_dump(), user_id=str(user.id), email=user.email, created=created)
