"""`Idempotency-Key` on creating requests: the same key and body get the same answer, never a duplicate.

Answers are kept in Redis for 24 hours, per caller and route. A key reused with a different body is
refused (422); a second request while the first is still running gets 409 and should retry.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.core.redis import get_redis
from app.services.errors import Conflict, ValidationFailed

TTL_SECONDS = 24 * 3600
IN_PROGRESS_SECONDS = 60
MAX_KEY_LENGTH = 255


def run_once(
    key: str | None, *, user_id: uuid.UUID, scope: str, body: Any, status_code: int, create: Callable[[], Any]
) -> JSONResponse:
    """Run `create` (which must commit) once per (user, scope, key); replay its answer afterwards."""
    if key is None:
        return JSONResponse(jsonable_encoder(create()), status_code=status_code)
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters (a UUID is ideal)",
            field="Idempotency-Key",
        )
    fingerprint = hashlib.sha256(json.dumps(jsonable_encoder(body), sort_keys=True).encode()).hexdigest()
    slot = f"idem:{user_id}:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
    r = get_redis()
    if not r.set(slot, json.dumps({"fingerprint": fingerprint}), nx=True, ex=IN_PROGRESS_SECONDS):
        stored = json.loads(r.get(slot) or "{}")
        if stored.get("fingerprint") != fingerprint:
            raise ValidationFailed(
                "this Idempotency-Key was already used with a different request body: use a "
                "new key for a new request",
                field="Idempotency-Key",
            )
        if "response" not in stored:
            raise Conflict(
                "a request with this Idempotency-Key is still running: retry in a moment",
                field="Idempotency-Key",
            )
        return JSONResponse(
            stored["response"], status_code=stored["status_code"], headers={"Idempotent-Replayed": "true"}
        )
    try:
        content = jsonable_encoder(create())
    except BaseException:
        r.delete(slot)  # a failed request may be tried again with the same key
        raise
    r.set(
        slot,
        json.dumps({"fingerprint": fingerprint, "status_code": status_code, "response": content}),
        ex=TTL_SECONDS,
    )
    return JSONResponse(content, status_code=status_code)
