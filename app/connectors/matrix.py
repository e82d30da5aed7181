"""Matrix rooms over the client-server API (a channel is one room).

Exactly once: each message is sent with PUT .../send/m.room.message/{txnId} where the transaction id
is derived from the target's idempotency key; the homeserver answers a repeat (same access token) with
the first event instead of a second message. Every event also carries the key in its content, so
`lookup` can find an earlier attempt in the room's recent history even after a token change.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import httpx

from app.connectors import catalogue
from app.connectors.base import (
    AuthError,
    ConnectorError,
    Limits,
    LookupResult,
    MediaItem,
    Metrics,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    VerifiedAccount,
)
from app.connectors.checks import follow_up, media_problems, refuse, text_problems
from app.connectors.http import (
    auth_error_when,
    body_message,
    json_or_empty,
    new_client,
    raise_for_status,
    send,
)

NETWORK = "matrix"
LABEL = catalogue.label(NETWORK)
KEY_FIELD = "org.quillcast.idempotency_key"
LOOKUP_SCAN_EVENTS = 500
LIMITS = catalogue.NETWORKS[NETWORK].limits


_message = body_message("errcode", "error")
_is_auth = auth_error_when("errcode", "M_UNKNOWN_TOKEN")


def _check(response: httpx.Response) -> dict[str, Any]:
    raise_for_status(
        LABEL, response, message_of=_message, retry_after_of=_retry_after, is_auth_error=_is_auth
    )
    body = json_or_empty(response)
    return body if isinstance(body, dict) else {}


def _retry_after(body: dict[str, Any]) -> float | None:
    return float(body["retry_after_ms"]) / 1000 if body.get("retry_after_ms") else None


def txn_id(idempotency_key: str, part: str) -> str:
    return quote(f"qc-{idempotency_key}-{part}", safe="")


class MatrixConnector:
    """Credentials: {homeserver, access_token} (or {homeserver, user, password} to log in).
    Settings / account: the room id or alias to post to."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
        room: str | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        settings = settings or {}
        self.homeserver = (self.credentials.get("homeserver") or settings.get("endpoint") or "").rstrip("/")
        if not self.homeserver:
            raise AuthError("Matrix needs the homeserver URL; re-connect the channel")
        self.room = room or settings.get("room_id") or self.credentials.get("room") or ""
        self._client = client or new_client(self.homeserver, user_endpoint=True)
        self._changed = False

    def _auth(self) -> dict[str, str]:
        if not self.credentials.get("access_token"):
            self._login()
        return {"Authorization": f"Bearer {self.credentials['access_token']}"}

    def _login(self) -> None:
        user, password = self.credentials.get("user"), self.credentials.get("password")
        if not user or not password:
            raise AuthError("Matrix needs an access token or a user and password; re-connect the channel")
        r = send(
            NETWORK,
            self._client,
            "POST",
            f"{self.homeserver}/_matrix/client/v3/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user},
                "password": password,
                "initial_device_display_name": "Quillcast",
            },
        )
        body = _check(r)
        self.credentials.update(
            access_token=body["access_token"], user_id=body["user_id"], device_id=body.get("device_id")
        )
        self.credentials.pop("password", None)  # the token replaces it; keep no password at rest
        self._changed = True

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        headers = {**self._auth(), **kw.pop("headers", {})}
        return _check(send(NETWORK, self._client, method, f"{self.homeserver}{path}", headers=headers, **kw))

    def limits(self) -> Limits:
        return LIMITS

    def verify(self) -> VerifiedAccount:
        who = self._call("GET", "/_matrix/client/v3/account/whoami")
        self.credentials["user_id"] = who["user_id"]
        if not self.room:
            raise ConnectorError("Matrix needs a room id or alias to post to (e.g. !abc:example.org)")
        # Joining is a no-op when already a member, resolves an alias, and fails clearly when not allowed.
        joined = self._call("POST", f"/_matrix/client/v3/join/{quote(self.room, safe='')}", json={})
        self.room = joined["room_id"]
        limits: dict[str, Any] = {}
        try:  # the homeserver's own upload limit (m.upload.size), when it says
            size = self._call("GET", "/_matrix/client/v1/media/config").get("m.upload.size")
            if isinstance(size, int) and size > 0:
                limits["max_image_bytes"] = size
        except ConnectorError:
            pass
        return VerifiedAccount(
            account=self.room,
            credentials=dict(self.credentials),
            settings={
                "endpoint": self.homeserver,
                "room_id": self.room,
                "user_id": who["user_id"],
                "limits": limits,
            },
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        changed, self._changed = self._changed, False
        return dict(self.credentials) if changed else None

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, LIMITS, request) + media_problems(NETWORK, LIMITS, request.media)

    def _send(self, key: str, part: str, content: dict[str, Any]) -> str:
        content = {**content, KEY_FIELD: f"{key}:{part}"}
        path = f"/_matrix/client/v3/rooms/{quote(self.room, safe='')}/send/m.room.message/{txn_id(key, part)}"
        return str(self._call("PUT", path, json=content)["event_id"])

    def _upload(self, item: MediaItem, content_type: str) -> str:
        name = item.filename
        body = self._call(
            "POST",
            "/_matrix/media/v3/upload",
            params={"filename": name},
            content=item.read(),
            headers={"Content-Type": content_type},
        )
        return str(body["content_uri"])

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        key = request.idempotency_key
        events: list[str] = []
        root = self._send(key, "text", {"msgtype": "m.text", "body": request.text}) if request.text else None
        if root:
            events.append(root)
        for i, item in enumerate(request.media):
            info: dict[str, Any] = {"mimetype": item.content_type, "size": item.size_bytes}
            if item.width and item.height:
                info.update(w=item.width, h=item.height)
            content = {
                "msgtype": "m.image",
                "body": item.alt_text or item.filename,
                "filename": item.filename,
                "url": self._upload(item, item.content_type),
                "info": info,
            }
            if root:
                content["m.relates_to"] = {
                    "rel_type": "m.thread",
                    "event_id": root,
                    "is_falling_back": True,
                    "m.in_reply_to": {"event_id": events[-1]},
                }
            event = self._send(key, f"img{i}", content)
            events.append(event)
            root = root or event
        for i, part in enumerate((*request.thread, *follow_up(request)), start=1):
            assert root is not None
            events.append(
                self._send(
                    key,
                    f"part{i}",
                    {
                        "msgtype": "m.text",
                        "body": part,
                        "m.relates_to": {
                            "rel_type": "m.thread",
                            "event_id": root,
                            "is_falling_back": True,
                            "m.in_reply_to": {"event_id": events[-1]},
                        },
                    },
                )
            )
        assert root is not None
        return PublishResult(
            remote_id=root, url=self._url(root), raw={"room_id": self.room, "events": events}
        )

    def _url(self, event_id: str) -> str:
        return f"https://matrix.to/#/{quote(self.room, safe='!:')}/{quote(event_id, safe='$:')}"

    def lookup(self, idempotency_key: str) -> LookupResult:
        """Scan the room's recent messages from our user for the key; ABSENT only when the scan reached
        the room's start or messages older than a day, else UNKNOWN."""
        try:
            user = (
                self.credentials.get("user_id")
                or self._call("GET", "/_matrix/client/v3/account/whoami")["user_id"]
            )
            filter_ = json.dumps({"types": ["m.room.message"], "senders": [user]})
            token: str | None = None
            scanned = 0
            day_ago_ms = (time.time() - 86_400) * 1000
            found: dict[str, Any] | None = None  # a later part of the post; its first part is the answer
            while scanned < LOOKUP_SCAN_EVENTS:
                params: dict[str, Any] = {"dir": "b", "limit": 100, "filter": filter_}
                if token:
                    params["from"] = token
                page = self._call(
                    "GET", f"/_matrix/client/v3/rooms/{quote(self.room, safe='')}/messages", params=params
                )
                for event in page.get("chunk", []):
                    scanned += 1
                    marker = (event.get("content") or {}).get(KEY_FIELD, "")
                    if marker.startswith(f"{idempotency_key}:"):
                        found = event
                        if marker.endswith((":text", ":img0")):
                            return self._exists(event)
                    elif event.get("origin_server_ts", day_ago_ms) < day_ago_ms:
                        return self._exists(found) if found else LookupResult(Presence.ABSENT)
                token = page.get("end")
                if not token or not page.get("chunk"):
                    return self._exists(found) if found else LookupResult(Presence.ABSENT)
            if found:
                return self._exists(found)
            return LookupResult(Presence.UNKNOWN)
        except ConnectorError:
            return LookupResult(Presence.UNKNOWN)

    def _exists(self, event: dict[str, Any]) -> LookupResult:
        return LookupResult(Presence.EXISTS, remote_id=event["event_id"], url=self._url(event["event_id"]))

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """Matrix has no counters for a message."""
        return None
