"""Server-side sessions and rate limits in a real Redis."""

from __future__ import annotations

import base64
import time
import uuid

import pytest
import time_machine

from app.core import ratelimit
from app.core.redis import get_redis
from app.services.errors import RateLimited
from app.services.identity import sessions


def test_token_is_128_random_bits_and_redis_keeps_only_its_hash(app_env):
    user_id = uuid.uuid4()
    token = sessions.create(user_id, "203.0.113.9", "curl/8.0")
    assert len(base64.urlsafe_b64decode(token + "==")) == 16
    keys = get_redis().keys("*")
    assert keys and not any(token in k for k in keys)
    assert any(sessions.session_id_of(token) in k for k in keys)
    info = sessions.resolve(token)
    assert info and info.user_id == user_id and info.ip == "203.0.113.9" and info.device == "curl"


def test_unknown_or_tampered_tokens_resolve_to_nothing(app_env):
    token = sessions.create(uuid.uuid4(), None, None)
    for bad in ("", None, token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 10_000):
        assert sessions.resolve(bad) is None


def test_idle_timeout_ends_a_session(app_env):
    token = sessions.create(uuid.uuid4(), None, None)
    with time_machine.travel(time.time() + 29 * 60, tick=False):
        assert sessions.resolve(token) is not None  # used: the idle clock restarts
    with time_machine.travel(time.time() + 29 * 60 + 31 * 60, tick=False):
        assert sessions.resolve(token) is None


def test_absolute_timeout_ends_even_an_active_session(app_env):
    token = sessions.create(uuid.uuid4(), None, None)
    start = time.time()
    for minutes in range(20, 12 * 60, 20):  # used every 20 minutes for 12 hours
        with time_machine.travel(start + minutes * 60, tick=False):
            assert sessions.resolve(token) is not None
    with time_machine.travel(start + 12 * 3600 + 60, tick=False):
        assert sessions.resolve(token) is None


def test_list_revoke_one_and_sign_out_everywhere_take_effect_immediately(app_env):
    user_id = uuid.uuid4()
    a = sessions.create(user_id, "198.51.100.1", "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 Safari/537.36")
    b = sessions.create(user_id, "198.51.100.2", "Mozilla/5.0 (iPhone) Safari/605.1")
    c = sessions.create(user_id, "198.51.100.3", None)
    other = sessions.create(uuid.uuid4(), None, None)
    listed = sessions.list_for_user(user_id)
    assert {s.device for s in listed} == {"Chrome on Windows", "Safari on iOS", "Unknown device"}
    assert not sessions.revoke(uuid.uuid4(), sessions.session_id_of(a))  # not theirs
    assert sessions.revoke(user_id, sessions.session_id_of(a))
    assert sessions.resolve(a) is None and len(sessions.list_for_user(user_id)) == 2
    assert sessions.revoke_all(user_id) == 2
    assert sessions.resolve(b) is None and sessions.resolve(c) is None
    assert sessions.resolve(other) is not None


def test_rate_limit_raises_with_retry_after_and_keeps_keys_apart(app_env):
    key = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex}"
    for _ in range(3):
        ratelimit.hit("test-scope", key, "3/minute")
    with pytest.raises(RateLimited) as err:
        ratelimit.hit("test-scope", key, "3/minute")
    assert 1 <= err.value.retry_after <= 60 and err.value.status_code == 429
    ratelimit.hit("test-scope", key + "-other", "3/minute")  # another key has its own budget
    ratelimit.hit("other-scope", key, "3/minute")  # and so has another scope
    assert not any(key in k for k in get_redis().keys("*"))  # keys are hashed: no e-mails in key names
    ratelimit.clear("test-scope", key, "3/minute")
    ratelimit.hit("test-scope", key, "3/minute")
