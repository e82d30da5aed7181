"""LinkedIn Posts API (POST /rest/posts) for a member or an organization page.

Every call names the API version (`LinkedIn-Version: YYYYMM`, setting LINKEDIN_API_VERSION) and the
Rest.li protocol 2.0.0. LinkedIn supports a version for one year: `version_alert` warns from 60 days
before its sunset so an operator moves the setting before posts start failing (LinkedIn then answers
426). LinkedIn has no idempotency key: `lookup` cannot tell.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx

from app.connectors import catalogue
from app.connectors.base import (
    AuthError,
    Limits,
    LookupResult,
    MediaItem,
    Metrics,
    PermanentError,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    VerifiedAccount,
)
from app.connectors.checks import media_problems, refuse, text_problems
from app.connectors.http import body_message, json_or_empty, new_client, raise_for_status, send
from app.core.config import get_settings

NETWORK = "linkedin"
LABEL = catalogue.label(NETWORK)
API = "https://api.linkedin.com"
SUNSET_WARNING_DAYS = 60
LIMITS = catalogue.NETWORKS[NETWORK].limits
# "little text" format: these characters are markup and must be backslash-escaped in commentary,
# or LinkedIn silently cuts the post at the first one.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_commentary(text: str) -> str:
    return _RESERVED.sub(r"\\\1", text)


def sunset_of(version: str) -> date:
    """A version YYYYMM is supported for one year: it sunsets on the first day of the same month next year."""
    if not re.fullmatch(r"\d{6}", version):
        raise ValueError(f"LinkedIn API versions look like 202609 (YYYYMM), not {version!r}")
    year, month = int(version[:4]), int(version[4:])
    if not 1 <= month <= 12:
        raise ValueError(f"LinkedIn API version {version!r} has no month {month}")
    return date(year + 1, month, 1)


def version_alert(version: str, today: date | None = None) -> str | None:
    """A warning when `version` sunsets within 60 days (or already has), else None."""
    today = today or datetime.now(UTC).date()
    sunset = sunset_of(version)
    days = (sunset - today).days
    if days < 0:
        return (
            f"LinkedIn API version {version} was sunset on {sunset.isoformat()}: LinkedIn refuses posts "
            "made with it. Set LINKEDIN_API_VERSION to a current version (YYYYMM) and restart."
        )
    if days <= SUNSET_WARNING_DAYS:
        return (
            f"LinkedIn API version {version} sunsets on {sunset.isoformat()} (in {days} days): set "
            "LINKEDIN_API_VERSION to a newer version (YYYYMM) before then, or LinkedIn posts will fail."
        )
    return None


_message = body_message("message")


class LinkedInConnector:
    """Credentials: {access_token, author_urn?} (author defaults to the member behind the token)."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
        version: str | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        self.version = version or get_settings().linkedin_api_version
        self._client = client or new_client(API)

    def _headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        if not token:
            raise AuthError("LinkedIn needs an access token; re-connect the channel")
        return {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        r = send(
            NETWORK, self._client, method, url, headers={**self._headers(), **kw.pop("headers", {})}, **kw
        )
        if r.status_code == 426:
            raise PermanentError(
                f"LinkedIn no longer accepts API version {self.version}: set "
                "LINKEDIN_API_VERSION to a current version (YYYYMM)",
                http_status=426,
                raw=json_or_empty(r),
            )
        raise_for_status(LABEL, r, message_of=_message)
        return r

    def alerts(self) -> list[str]:
        alert = version_alert(self.version)
        return [alert] if alert else []

    def limits(self) -> Limits:
        return LIMITS

    def verify(self) -> VerifiedAccount:
        me = self._send("GET", f"{API}/v2/userinfo").json()
        author = self.credentials.get("author_urn") or f"urn:li:person:{me['sub']}"
        self.credentials["author_urn"] = author
        return VerifiedAccount(
            account=me.get("name") or author,
            credentials=dict(self.credentials),
            settings={"author_urn": author, "api_version": self.version},
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        return None  # 60-day member tokens; refresh tokens are for approved partners only

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, LIMITS, request) + media_problems(NETWORK, LIMITS, request.media)

    def _upload(self, author: str, item: MediaItem) -> str:
        init = self._send(
            "POST",
            f"{API}/rest/images",
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": author}},
        ).json()["value"]
        r = send(
            NETWORK,
            self._client,
            "PUT",
            init["uploadUrl"],
            content=item.read(),
            headers={"Authorization": self._headers()["Authorization"]},
        )
        raise_for_status(LABEL, r, message_of=_message)
        return str(init["image"])

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        author = self.credentials.get("author_urn")
        if not author:
            raise AuthError("LinkedIn channel has no author; re-connect the channel")
        body: dict[str, Any] = {
            "author": author,
            "commentary": escape_commentary(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [{"id": self._upload(author, m), "altText": m.alt_text} for m in request.media]
        if len(images) == 1:
            body["content"] = {"media": images[0]}
        elif images:
            body["content"] = {"multiImage": {"images": images}}
        r = self._send("POST", f"{API}/rest/posts", json=body)
        urn = r.headers.get("x-restli-id") or r.headers.get("x-linkedin-id")
        if not urn:
            raise PermanentError("LinkedIn accepted the post but did not say its id (no x-restli-id header)")
        return PublishResult(
            remote_id=urn,
            url=f"https://www.linkedin.com/feed/update/{quote(urn, safe=':')}/",
            raw={"urn": urn, "api_version": self.version},
        )

    def lookup(self, idempotency_key: str) -> LookupResult:
        return LookupResult(Presence.UNKNOWN)

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """Reading a member's likes and comments (GET /rest/socialActions/{urn}) needs r_member_social,
        which LinkedIn grants to select developers only; this app asks for w_member_social alone."""
        return None
