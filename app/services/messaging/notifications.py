"""Which notice e-mails a person wants, and the one-click unsubscribe links in those mails.

Notices are the mails about posts (a post failed, an approval asked for or decided). Security mails
(verification, reset, new sign-in, two-factor changed, invitation) are not notices: they always go out
and carry no unsubscribe link.

Choices live in `users.notification_prefs` ({kind: bool}; a kind not named there is on). Senders ask
`wants(session, user, kind)` before queueing a notice. Every notice mail carries a link to stop that
kind of mail, signed for one person and one kind with itsdangerous: it needs no sign-in, keeps working
(RFC 8058 asks that the one-click link still work after days), and one person's link cannot change
another's choices. It is not single-use: turning a notice off twice is the same as once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, update
from sqlmodel import Session, col

from app.core.config import get_settings
from app.services.errors import NotFound, ValidationFailed
from models import User


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # the switch on the Account page, and what the unsubscribe page says was turned off
    hint: str


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("post_failed", "A post of mine could not be published",
         "The network's reason and a link to fix the post."),
    Kind("approval_requested", "A post waits for my approval",
         "When someone submits a post in a workspace where you may approve."),
    Kind("approval_result", "My post was approved or needs changes",
         "The reviewer's decision on a post you submitted, with their comment."),
)}

# Notice e-mail templates (app/emails) and the kind each belongs to. Any other template is a security
# or account mail: always sent, never unsubscribable.
TEMPLATE_KINDS: dict[str, str] = {
    "post_failed": "post_failed",
    "approval_requested": "approval_requested",
    "approval_requested_many": "approval_requested",
    "post_approved": "approval_result",
    "changes_requested": "approval_result",
}

# Page paths (the same as app.pages.routes / app.api; services do not import those).
PAGE_PATH = "/unsubscribe"
ONE_CLICK_PATH = "/api/unsubscribe"
_SALT = "quillcast.unsubscribe.v1"

_BAD_LINK = ("token: this unsubscribe link is not valid (it was changed or cut short). Open the link from "
             "the e-mail again, or choose your e-mails on your Account page under Notifications")
_NO_ACCOUNT = ("token: this unsubscribe link belongs to no account here. Sign in and choose your e-mails "
               "on your Account page under Notifications")


@dataclass(frozen=True)
class Choice:
    """One kind's state for one person, as the unsubscribe page and the API show it."""
    kind: str
    label: str
    enabled: bool
    email: str


def kind_of_template(template: str) -> str | None:
    return TEMPLATE_KINDS.get(template)


def _check_kind(kind: str) -> Kind:
    found = KINDS.get(kind)
    if found is None:
        raise ValidationFailed(f"kind: unknown notification {kind!r}; choose one of {', '.join(KINDS)}",
                               field="kind")
    return found


def wants(session: Session, user: User, kind: str) -> bool:
    """Whether `user` wants notice mails of `kind` (a sender asks before queueing one)."""
    _check_kind(kind)
    return bool((user.notification_prefs or {}).get(kind, True))


def preferences(session: Session, user_id: uuid.UUID) -> dict[str, bool]:
    """Every kind, on or off, for the Account page."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return {kind: wants(session, user, kind) for kind in KINDS}


def set_preference(session: Session, user_id: uuid.UUID, kind: str, enabled: bool) -> dict[str, bool]:
    """Turn one kind on or off; returns every kind's state."""
    _check_kind(kind)
    # One atomic JSON merge: two switches flipped at once (two tabs, a mail link) both stick.
    result = session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(notification_prefs=col(User.notification_prefs).op("||")(
            func.jsonb_build_object(kind, enabled)))
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("user not found")
    session.flush()
    user = session.get(User, user_id)
    assert user is not None
    session.refresh(user)
    return {k: wants(session, user, k) for k in KINDS}


# --- unsubscribe links ---------------------------------------------------------------------------------
def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=_SALT)


def unsubscribe_token(user_id: uuid.UUID, kind: str) -> str:
    _check_kind(kind)
    return str(_serializer().dumps([user_id.hex, kind]))


def read_token(token: str) -> tuple[uuid.UUID, str]:
    """(user id, kind) of a link made by `unsubscribe_token`; a clear error for anything else."""
    if not token or len(token) > 500:
        raise ValidationFailed(_BAD_LINK, field="token")
    try:
        data = _serializer().loads(token)
        user_hex, kind = data
        user_id = uuid.UUID(hex=str(user_hex))
    except (BadData, ValueError, TypeError) as exc:
        raise ValidationFailed(_BAD_LINK, field="token") from exc
    if kind not in KINDS:
        raise ValidationFailed(_BAD_LINK, field="token")
    return user_id, str(kind)


def unsubscribe_urls(user_id: uuid.UUID, kind: str) -> tuple[str, str]:
    """(page URL for the mail's footer, one-click URL for the List-Unsubscribe header)."""
    base = get_settings().url.rstrip("/")
    token = unsubscribe_token(user_id, kind)
    return f"{base}{PAGE_PATH}?token={token}", f"{base}{ONE_CLICK_PATH}?token={token}"


def _apply(session: Session, token: str, enabled: bool) -> Choice:
    user_id, kind = read_token(token)
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailed(_NO_ACCOUNT, field="token")
    prefs = set_preference(session, user_id, kind, enabled)
    return Choice(kind=kind, label=KINDS[kind].label, enabled=prefs[kind], email=user.email)


def link_choice(session: Session, token: str) -> Choice:
    """What the link names and whether it is on now, changing nothing: the page asks before it acts,
    because mail scanners open links (and some run their scripts)."""
    user_id, kind = read_token(token)
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailed(_NO_ACCOUNT, field="token")
    return Choice(kind=kind, label=KINDS[kind].label, enabled=wants(session, user, kind), email=user.email)


def unsubscribe(session: Session, token: str) -> Choice:
    """Turn off the kind the link names (idempotent: already off stays off)."""
    return _apply(session, token, False)


def resubscribe(session: Session, token: str) -> Choice:
    """The unsubscribe page's "turn them back on"."""
    return _apply(session, token, True)
