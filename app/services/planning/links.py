"""Quillcast's own short links (`/l/<code>`) with UTM parameters, and their click counts."""

from __future__ import annotations

import re
import secrets
import string
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.services import usage
from app.services.errors import NotFound, ValidationFailed
from app.services.tenancy import permissions
from models import Link, LinkClick

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_URL = 2048
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 7  # 62^7 ≈ 3.5e12: guessing a live code is hopeless
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def with_utm(url: str, utm: dict[str, str] | None) -> str:
    """The URL with UTM parameters set (existing ones replaced, other query parameters kept)."""
    url = url.strip()
    if not url:
        raise ValidationFailed("link: enter a URL starting with https://", field="url")
    if len(url) > MAX_URL:
        raise ValidationFailed(f"link: URLs can be at most {MAX_URL} characters", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise ValidationFailed("link: only http:// and https:// URLs can be shortened", field="url")
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in (utm or {})]
    for key, value in (utm or {}).items():
        if key not in UTM_FIELDS:
            raise ValidationFailed(f"{key}: use one of {', '.join(UTM_FIELDS)}", field=key)
        value = value.strip()
        if len(value) > 200:
            raise ValidationFailed(f"{key}: use at most 200 characters", field=key)
        if value:
            params.append((key, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), parts.fragment))


def shorten(
    session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, url: str,
    utm: dict[str, str] | None = None,
) -> Link:
    permissions.require(session, actor_id, workspace_id, "post:create")
    destination = with_utm(url, utm)
    existing = session.exec(
        select(Link).where(Link.workspace_id == workspace_id, Link.destination == destination)
    ).first()
    if existing:  # the same destination keeps one code, so its clicks add up
        return existing
    link = Link(workspace_id=workspace_id, code=_new_code(session), destination=destination,
                created_by_id=actor_id)
    session.add(link)
    session.flush()
    usage.record("short_link")
    return link


def shorten_text(
    session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, text: str, base_url: str,
    utm: dict[str, str] | None = None,
) -> str:
    """Every http(s) URL in `text` replaced by its short link under `base_url`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0).startswith(f"{base_url.rstrip('/')}/l/"):
            return match.group(0)
        link = shorten(session, actor_id, workspace_id, match.group(0), utm)
        return short_url(base_url, link.code)

    return URL_IN_TEXT.sub(replace, text)


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/l/{code}"


def follow(session: Session, code: str, referrer: str | None = None) -> str:
    """The destination of a short link, counting the click. Public: no sign-in."""
    if len(code) != CODE_LENGTH or not code.isalnum():
        raise NotFound("this short link does not exist", field="code")
    link = session.exec(select(Link).where(Link.code == code)).first()
    if link is None:
        raise NotFound("this short link does not exist", field="code")
    session.exec(update(Link).where(col(Link.id) == link.id).values(clicks=Link.clicks + 1))  # type: ignore[call-overload]
    host = urlsplit(referrer).hostname if referrer else None
    session.add(LinkClick(workspace_id=link.workspace_id, link_id=link.id, referrer_host=(host or None)))
    return link.destination


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(Link.id).where(Link.code == code)).first() is None:
            return code
