"""Notice e-mail choices: the signed-in account's switches, and one-click unsubscribe (RFC 8058) from a
notice e-mail, where the link itself is the proof (no sign-in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from app.api.deps import CurrentUser, SessionDep
from app.core import db
from app.core.config import get_settings
from app.services.messaging import notifications

router = APIRouter(tags=["notifications"])
Token = Annotated[str, Query(max_length=500, description="the token from the e-mail's unsubscribe link")]


class UnsubscribeResult(BaseModel):
    kind: str
    label: str
    enabled: bool


class NotificationOut(UnsubscribeResult):
    hint: str


class NotificationIn(BaseModel):
    enabled: bool


def _listing(prefs: dict[str, bool]) -> list[NotificationOut]:
    return [NotificationOut(kind=k.name, label=k.label, hint=k.hint, enabled=prefs[k.name])
            for k in notifications.KINDS.values()]


@router.get("/auth/me/notifications", response_model=list[NotificationOut])
def my_notifications(session: SessionDep, user: CurrentUser) -> list[NotificationOut]:
    """Which notice e-mails the signed-in account gets (security e-mails always come)."""
    return _listing(notifications.preferences(session, user.id))


@router.put("/auth/me/notifications/{kind}", response_model=list[NotificationOut])
def set_my_notification(
    session: SessionDep, user: CurrentUser, body: NotificationIn,
    kind: Annotated[str, Path(max_length=64, description=f"one of: {', '.join(notifications.KINDS)}")],
) -> list[NotificationOut]:
    """Turn one kind of notice e-mail on or off."""
    return _listing(notifications.set_preference(session, user.id, kind, body.enabled))


@router.post("/unsubscribe", response_model=UnsubscribeResult)
def unsubscribe(session: SessionDep, token: Token) -> UnsubscribeResult:
    """Turn off the notice the link names; already off answers the same (mail clients may retry)."""
    user_id, _kind = notifications.read_token(token)
    # The signed link names one person: act as them, so RLS lets this touch their row only.
    db.set_claims(session, db.user_claims(user_id))
    choice = notifications.unsubscribe(session, token)
    return UnsubscribeResult(kind=choice.kind, label=choice.label, enabled=choice.enabled)


@router.get("/unsubscribe", status_code=303, response_class=RedirectResponse)
def unsubscribe_page(token: Token) -> RedirectResponse:
    """A mail client without one-click support opens the header's URL in a browser: send it to the
    unsubscribe page. The GET itself changes nothing: a link scanner that fetches it unsubscribes nobody."""
    notifications.read_token(token)
    base = get_settings().url.rstrip("/")
    return RedirectResponse(f"{base}{notifications.PAGE_PATH}?token={token}", status_code=303)
