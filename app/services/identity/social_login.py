"""Social login: turn what an identity provider vouches for into a local user.

The provider's protocol (OpenID Connect with PKCE and state, through Authlib) is handled in
app/api/oidc.py; this module only decides who the person is: the local user with the same e-mail,
linked only when the provider says the address is verified, or a new user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, func, select

from app.core import db
from app.services import audit
from app.services.errors import NotAuthenticated, PermissionDenied
from app.services.identity.accounts import normalize_email
from models import User

GOOGLE_METADATA = "https://accounts.google.com/.well-known/openid-configuration"
GITHUB = {
    "authorize_url": "https://github.com/login/oauth/authorize",
    "access_token_url": "https://github.com/login/oauth/access_token",  # noqa: S105 - a URL
    "api_base_url": "https://api.github.com/",
}


@dataclass(frozen=True)
class Identity:
    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str = ""


def identity_from_claims(provider: str, claims: dict[str, Any]) -> Identity:
    """OpenID Connect claims (ID token or userinfo) as an Identity."""
    verified = claims.get("email_verified")
    return Identity(provider=provider, subject=str(claims.get("sub", "")),
                    email=str(claims.get("email") or ""),
                    email_verified=verified is True or verified == "true", name=str(claims.get("name") or ""))


def identity_from_github(user: dict[str, Any], emails: list[dict[str, Any]]) -> Identity:
    """GitHub is OAuth 2 without OpenID Connect: the verified primary address comes from /user/emails."""
    primary = next((e for e in emails if e.get("primary") and e.get("verified")), None)
    return Identity(provider="github", subject=str(user.get("id", "")),
                    email=str(primary["email"]) if primary else "", email_verified=primary is not None,
                    name=str(user.get("name") or user.get("login") or ""))


def sign_in(session: Session, identity: Identity, ip: str | None = None) -> tuple[User, bool]:
    """The local user for `identity` and whether it was created now."""
    if not identity.email:
        raise NotAuthenticated(f"{identity.provider} did not tell us your e-mail address: allow Quillcast "
                               "to read it, or sign in another way")
    if not identity.email_verified:
        # An unverified address could be anyone's: linking it would hand over that person's account.
        raise NotAuthenticated(f"{identity.provider} has not verified your e-mail address: verify it there "
                               "first, or sign in another way")
    email = normalize_email(identity.email)
    with db.as_service(session):  # nobody is signed in yet
        user = session.exec(select(User).where(func.lower(User.email) == email.lower())).first()
        created = user is None
        if user is None:
            user = User(email=email, display_name=(identity.name or email.split("@")[0])[:120],
                        email_verified_at=datetime.now(UTC))
            session.add(user)
            session.flush()
        elif not user.is_active:
            raise PermissionDenied("this account is disabled; ask an administrator")
        elif user.email_verified_at is None:
            user.email_verified_at = datetime.now(UTC)  # the provider just proved the address
            session.add(user)
        audit.record(session, "user.signed_in", actor_id=user.id, subject_type="user", subject_id=user.id,
                     ip=ip, via=f"oidc:{identity.provider}", created=created)
        session.flush()
    db.set_claims(session, db.user_claims(user.id))
    return user, created
