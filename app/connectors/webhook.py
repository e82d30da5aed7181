"""A generic outgoing webhook: Quillcast POSTs each post as signed JSON to a URL the user owns.

Signature: header `X-Quillcast-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` with
`X-Quillcast-Timestamp: <unix seconds>`; receivers recompute it with `verify_signature` (constant
time) and refuse timestamps older than five minutes, so a captured request cannot be replayed later.
`Idempotency-Key` carries the target's key so the receiver can drop repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from app.connectors import catalogue
from app.connectors.base import (
    AuthError,
    Limits,
    LookupResult,
    Metrics,
    Presence,
    Problem,
    PublishRequest,
    PublishResult,
    VerifiedAccount,
)
from app.connectors.checks import media_problems, refuse, text_problems
from app.connectors.http import json_or_empty, new_client, raise_for_status, send

NETWORK = "webhook"
SIGNATURE_HEADER = "X-Quillcast-Signature"
TIMESTAMP_HEADER = "X-Quillcast-Timestamp"
TOLERANCE_SECONDS = 300
LIMITS = catalogue.NETWORKS[NETWORK].limits


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def verify_signature(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """For receivers (and tests): the signature matches and the timestamp is fresh."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered[TIMESTAMP_HEADER.lower()])
        given = lowered[SIGNATURE_HEADER.lower()]
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(given, sign(secret, timestamp, body))


class WebhookConnector:
    """Credentials: {url, secret}."""

    network = NETWORK

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        self.url = str(self.credentials.get("url") or "")
        self.secret = str(self.credentials.get("secret") or "")
        if not self.url.startswith(("https://", "http://")) or len(self.secret) < 16:
            raise AuthError("The webhook needs an http(s) URL and a secret of at least 16 characters")
        self._client = client or new_client(user_endpoint=True)

    def _post(self, payload: dict[str, Any], idempotency_key: str) -> httpx.Response:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(self.secret, ts, body),
            "Idempotency-Key": idempotency_key,
        }
        r = send(NETWORK, self._client, "POST", self.url, content=body, headers=headers)
        raise_for_status(catalogue.subject(NETWORK), r,
                         is_auth_error=lambda resp, _b: resp.status_code in (401, 403))
        return r

    def limits(self) -> Limits:
        return LIMITS

    def verify(self) -> VerifiedAccount:
        self._post({"type": "ping", "sent_at": int(time.time())}, "ping")
        return VerifiedAccount(
            account=self.url.split("://", 1)[1].split("/", 1)[0],
            credentials=dict(self.credentials),
            settings={"endpoint": self.url},
        )

    def refresh_credentials(self) -> dict[str, Any] | None:
        return None

    def validate(self, request: PublishRequest) -> list[Problem]:
        return text_problems(NETWORK, LIMITS, request) + media_problems(NETWORK, LIMITS, request.media)

    def publish(self, request: PublishRequest) -> PublishResult:
        refuse(self.validate(request))
        payload = {
            "type": "post.publish",
            "idempotency_key": request.idempotency_key,
            "text": request.text,
            "thread": list(request.thread),
            "first_comment": request.first_comment,
            "media": [
                {
                    "filename": m.filename,
                    "content_type": m.content_type,
                    "alt_text": m.alt_text,
                    "width": m.width,
                    "height": m.height,
                    "data_base64": base64.b64encode(m.read()).decode(),
                }
                for m in request.media
            ],
        }
        body = json_or_empty(self._post(payload, request.idempotency_key))
        body = body if isinstance(body, dict) else {}
        return PublishResult(
            remote_id=str(body.get("id") or request.idempotency_key), url=body.get("url"), raw=body
        )

    def lookup(self, idempotency_key: str) -> LookupResult:
        """The receiver holds the Idempotency-Key; we cannot ask it, so publishing again is the safe way."""
        return LookupResult(Presence.UNKNOWN)

    def fetch_metrics(self, remote_id: str, remote_url: str | None = None) -> Metrics | None:
        """A webhook receiver tells nobody how the post did."""
        return None
