"""The per-network circuit breaker, with its state in the real Redis every worker shares."""

import pytest

from app.core import breaker
from app.core.config import get_settings


@pytest.fixture()
def small_breaker(app_env, monkeypatch):
    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", "3")
    monkeypatch.setenv("BREAKER_OPEN_SECONDS", "30")
    get_settings.cache_clear()
    breaker.reset("x")
    yield
    breaker.reset("x")
    monkeypatch.undo()
    get_settings.cache_clear()


def test_opens_at_the_threshold_and_says_for_how_long(small_breaker):
    assert [breaker.record_failure("x") for _ in range(3)] == [False, False, True]
    wait = breaker.open_for("x")
    assert wait is not None and 25 < wait <= 30
    assert breaker.open_for("bluesky") is None  # one network's outage does not stop the others


def test_success_resets_the_count(small_breaker):
    breaker.record_failure("x")
    breaker.record_failure("x")
    breaker.record_success("x")
    assert breaker.record_failure("x") is False
    assert breaker.open_for("x") is None


def test_half_open_after_the_pause_one_failure_opens_it_again(small_breaker):
    for _ in range(3):
        breaker.record_failure("x")
    breaker.get_redis().delete("breaker:x:open")  # the pause is over
    assert breaker.open_for("x") is None  # one trial call may go through
    assert breaker.record_failure("x") is True  # and its failure opens the breaker at once
