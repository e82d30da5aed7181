"""Bluesky over the AT Protocol (plain httpx against the account's PDS).

Exactly once: every post's record key (rkey) is a TID derived from the target's idempotency key, so
a repeat of the same target is refused by the PDS and `getRecord` on that rkey tells whether an
earlier attempt landed. Threads derive one rkey per part, so a resumed thread only adds what is missing.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from app.connectors import catalogue
from app.connectors.base import (
    AuthError,
    ConnectorError,
    Limits,
    LookupResult,
    Metrics,
    PermanentError,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    TransientError,
    VerifiedAccount,
)
from app.connectors.bluesky_records import find_facets, part_key, tid_for
from app.connectors.checks import follow_up, media_problems, refuse, text_problems
from app.connectors.http import (
    auth_error_when,
    body_message,
    json_or_empty,
    new_client,
    raise_for_status,
    send,
)
from app.connectors.text import graphemes

NETWORK = "bluesky"
LABEL = catalogue.label(NETWORK)
DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
LIMITS = catalogue.NETWORKS[NETWORK].limits

def _jwt_expiry(token: str) -> float | None:
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(data["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


_xrpc_message = body_message("error", "message")
_is_auth_error = auth_error_when(
    "error", "ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"
)


def _check(r: httpx.Response, *, session_errors: bool = True) -> None:
    """Bluesky's answer as our errors; `session_errors`: its expired/invalid-token errors mean AuthError."""
    raise_for_status(
        LABEL,
        r,
        message_of=_xrpc_message,
        reset_headers=("ratelimit-reset",),
        is_auth_error=_is_auth_error if session_errors else None,
    )


class BlueskyConnector:
    """Credentials: {identifier, app_password, service?} plus what the session adds (did, handle, jwts)."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        settings = settings or {}
        self.service = (
            self.credentials.get("service") or settings.get("endpoint") or DEFAULT_SERVICE
        ).rstrip("/")
        self.credentials["service"] = self.service
        self._client = client or new_client(self.service, user_endpoint=True)
        self._changed = False
        self._handles: dict[str, str | None] = {}

    # --- session ----------------------------------------------------------------------------
    def _create_session(self) -> None:
        identifier, password = self.credentials.get("identifier"), self.credentials.get("app_password")
        if not identifier or not password:
            raise AuthError("Bluesky needs a handle and an app password; re-connect the channel")
        r = send(
            NETWORK,
            self._client,
            "POST",
            f"{self.service}/xrpc/com.atproto.server.createSession",
            json={"identifier": identifier, "password": password},
        )
        _check(r)
        self._take_session(r.json())

    def _take_session(self, body: dict[str, Any]) -> None:
        self.credentials.update(
            access_jwt=body["accessJwt"],
            refresh_jwt=body["refreshJwt"],
            did=body["did"],
            handle=body.get("handle", self.credentials.get("handle")),
        )
        self._changed = True

    def _refresh_session(self) -> None:
        refresh = self.credentials.get("refresh_jwt")
        if refresh:
            r = send(
                NETWORK,
                self._client,
                "POST",
                f"{self.service}/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {refresh}"},
            )
            if r.is_success:
                self._take_session(r.json())
                return
            if r.status_code == 429 or r.status_code >= 500:
                _check(r, session_errors=False)
        # The refresh token expired or was revoked: the app password makes a new session.
        self._create_session()

    def _ensure_session(self) -> None:
        token = self.credentials.get("access_jwt")
        if not token:
            self._create_session()
            return
        exp = _jwt_expiry(token)
        if exp is not None and exp - time.time() < 60:
            self._refresh_session()

    def _xrpc(self, method: str, nsid: str, *, auth: bool = True, **kw: Any) -> dict[str, Any]:
        for attempt in (0, 1):
            headers = dict(kw.pop("headers", {}) or {})
            if auth:
                self._ensure_session()
                headers["Authorization"] = f"Bearer {self.credentials['access_jwt']}"
            r = send(NETWORK, self._client, method, f"{self.service}/xrpc/{nsid}", headers=headers, **kw)
            body = json_or_empty(r)
            if (
                auth
                and attempt == 0
                and isinstance(body, dict)
                and body.get("error") in ("ExpiredToken", "InvalidToken")
            ):
                self._refresh_session()
                kw["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            _check(r)
            return body if isinstance(body, dict) else {}
        raise AssertionError("unreachable")  # pragma: no cover

    # --- interface --------------------------------------------------------------------------
    def limits(self) -> Limits:
        return LIMITS

    def verify(self) -> VerifiedAccount:
        self._create_session()
        return VerifiedAccount(
            account=self.credentials["handle"],
            credentials=dict(self.credentials),
            settings={"endpoint": self.service, "did": self.credentials["did"]},
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        self._ensure_session()
        changed, self._changed = self._changed, False
        return dict(self.credentials) if changed else None

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, LIMITS, request, count=graphemes, unit="characters") + media_problems(
            NETWORK, LIMITS, request.media
        )

    def resolve_handle(self, handle: str) -> str | None:
        if handle not in self._handles:
            r = send(
                NETWORK,
                self._client,
                "GET",
                f"{self.service}/xrpc/com.atproto.identity.resolveHandle",
                params={"handle": handle},
            )
            self._handles[handle] = r.json().get("did") if r.is_success else None
        return self._handles[handle]

    def _upload_images(self, request: PublishRequest) -> dict[str, Any] | None:
        if not request.media:
            return None
        images = []
        for item in request.media:
            blob = self._xrpc(
                "POST",
                "com.atproto.repo.uploadBlob",
                content=item.read(),
                headers={"Content-Type": item.content_type},
            )["blob"]
            image: dict[str, Any] = {"alt": item.alt_text, "image": blob}
            if item.width and item.height:
                image["aspectRatio"] = {"width": item.width, "height": item.height}
            images.append(image)
        return {"$type": "app.bsky.embed.images", "images": images}

    def _get_record(self, rkey: str) -> dict[str, Any] | None:
        """The record at rkey, or None when the PDS says it does not exist."""
        self._ensure_session()
        r = send(
            NETWORK,
            self._client,
            "GET",
            f"{self.service}/xrpc/com.atproto.repo.getRecord",
            params={"repo": self.credentials["did"], "collection": POST_COLLECTION, "rkey": rkey},
        )
        body = json_or_empty(r)
        if r.status_code == 400 and isinstance(body, dict) and body.get("error") == "RecordNotFound":
            return None
        _check(r, session_errors=False)
        return body if isinstance(body, dict) else None

    def _create_once(self, rkey: str, record: dict[str, Any]) -> dict[str, Any]:
        """createRecord at a fixed rkey; when it fails, an earlier attempt may already have landed."""
        try:
            return self._xrpc(
                "POST",
                "com.atproto.repo.createRecord",
                json={
                    "repo": self.credentials["did"],
                    "collection": POST_COLLECTION,
                    "rkey": rkey,
                    "record": record,
                },
            )
        except AuthError:
            raise
        except (TransientError, PermanentError):
            existing = self._get_record(rkey)
            if existing is not None:
                return {"uri": existing["uri"], "cid": existing["cid"], "existed": True}
            raise

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        self._ensure_session()
        parts = [request.text, *request.thread, *follow_up(request)]
        root: dict[str, Any] | None = None
        parent: dict[str, Any] | None = None
        created: list[dict[str, Any]] = []
        for index, body in enumerate(parts):
            record: dict[str, Any] = {
                "$type": POST_COLLECTION,
                "text": body,
                "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
            facets = find_facets(body, self.resolve_handle)
            if facets:
                record["facets"] = facets
            if index == 0:
                embed = self._upload_images(request)
                if embed:
                    record["embed"] = embed
            if request.options.get("langs"):
                record["langs"] = list(request.options["langs"])
            if root and parent:
                record["reply"] = {
                    "root": {"uri": root["uri"], "cid": root["cid"]},
                    "parent": {"uri": parent["uri"], "cid": parent["cid"]},
                }
            out = self._create_once(tid_for(part_key(request.idempotency_key, index)), record)
            created.append(out)
            root = root or out
            parent = out
        assert root is not None
        rkey = tid_for(request.idempotency_key)
        return PublishResult(
            remote_id=root["uri"],
            url=self._web_url(rkey),
            raw={
                "uri": root["uri"],
                "cid": root["cid"],
                "thread": [c["uri"] for c in created],
                "already_existed": bool(root.get("existed")),
            },
        )

    def _web_url(self, rkey: str) -> str:
        who = self.credentials.get("handle") or self.credentials.get("did")
        return f"https://bsky.app/profile/{who}/post/{rkey}"

    def lookup(self, idempotency_key: str) -> LookupResult:
        """Whether the thread's first post exists (a thread cut short is completed by publishing again)."""
        rkey = tid_for(idempotency_key)
        try:
            record = self._get_record(rkey)
        except ConnectorError:
            return LookupResult(Presence.UNKNOWN)
        if record is None:
            return LookupResult(Presence.ABSENT)
        return LookupResult(Presence.EXISTS, remote_id=record["uri"], url=self._web_url(rkey))

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """Counts from app.bsky.feed.getPosts, which the PDS proxies to its AppView.

        A PDS without an AppView refuses the call (400 InvalidRequest "No service configured for
        app.bsky.feed.getPosts"): then there is nothing to count, not an error. A deleted post is
        simply missing from `posts`. Bluesky counts no views."""
        try:
            body = self._xrpc("GET", "app.bsky.feed.getPosts", params={"uris": remote_id})
        except PermanentError as exc:
            if isinstance(exc, AuthError):
                raise
            return None
        posts = [p for p in body.get("posts") or [] if isinstance(p, dict) and p.get("uri") == remote_id]
        if not posts:
            return None
        keys = ("likeCount", "repostCount", "replyCount", "quoteCount")
        counts = {k: int(posts[0].get(k) or 0) for k in keys}
        return Metrics(likes=counts["likeCount"], reposts=counts["repostCount"], replies=counts["replyCount"],
                       quotes=counts["quoteCount"], raw=counts)
