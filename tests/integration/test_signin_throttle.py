"""Failed sign-ins slow guessing down, yet an attacker elsewhere cannot keep the owner out for more than a
minute (real Redis and PostgreSQL; time moved with time-machine, no sleeping).

The API takes the caller's address from the connection (X-Forwarded-For is not trusted), so the
many-addresses attack goes through the service with different `ip=` arguments; one address's answer is
also checked over HTTP.
"""

from __future__ import annotations

import time

import pytest
import time_machine
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.services.errors import NotAuthenticated, RateLimited, ValidationFailed
from app.services.identity import accounts, authentication
from tests.accounts_support import PASSWORD, ip, signed_up_user

WRONG = "a wrong guess!"


def _budget(limit: str) -> int:
    return int(limit.split("/")[0])


def _fail(session, email: str, address: str) -> None:
    with pytest.raises(NotAuthenticated):
        authentication.sign_in(session, email_address=email, password=WRONG, ip=address)


def _sign_in(session, email: str, address: str) -> authentication.SignInResult:
    result = authentication.sign_in(session, email_address=email, password=PASSWORD, ip=address)
    assert result.session_token
    return result


def test_a_botnet_cannot_keep_the_owner_out_at_home_and_elsewhere_for_more_than_a_minute(session):
    owner = signed_up_user(session)
    home = ip()
    _sign_in(session, owner.email, home)  # the owner's own address, known from now on
    start = time.time()
    with time_machine.travel(start, tick=False) as clock:
        refusals = []
        for _ in range(60):  # sixty guesses, each from a new address
            try:
                authentication.sign_in(session, email_address=owner.email, password=WRONG, ip=ip())
            except NotAuthenticated:
                pass
            except RateLimited as exc:
                refusals.append(exc.retry_after)
        # Guessing is slowed down: only the per-account budget's worth of guesses got an answer ...
        assert len(refusals) == 60 - _budget(get_settings().rate_signin_account)
        # ... and every refusal names a wait of at most a minute.
        assert refusals and max(refusals) <= 60
        # The owner at home is not held up at all, in the middle of the attack.
        _sign_in(session, owner.email, home)
        # From a new address the owner waits, but never more than 60 seconds after the attack stops.
        hotel = ip()
        with pytest.raises(RateLimited) as err:
            authentication.sign_in(session, email_address=owner.email, password=PASSWORD, ip=hotel)
        assert 1 <= err.value.retry_after <= 60
        assert "try again in" in err.value.message and f"{err.value.retry_after} seconds" in err.value.message
        clock.shift(60)
        _sign_in(session, owner.email, hotel)


def test_guessing_from_one_address_is_throttled_for_that_address_only(session):
    owner = signed_up_user(session)
    home = ip()
    _sign_in(session, owner.email, home)
    pair_budget = _budget(get_settings().rate_signin_pair)
    start = time.time()
    with time_machine.travel(start, tick=False) as clock:
        # Even from an address the account knows (a shared network), guessing stops at the pair budget.
        for _ in range(pair_budget):
            _fail(session, owner.email, home)
            clock.shift(1)
        with pytest.raises(RateLimited) as err:
            authentication.sign_in(session, email_address=owner.email, password=PASSWORD, ip=home)
        assert 60 < err.value.retry_after <= 15 * 60
        assert "from this network" in err.value.message
        # Another known address of the owner is not held up.
        office = ip()
        clock.shift(-pair_budget)
        _sign_in(session, owner.email, office)
        # The pair budget's window passes: the address may try again.
        clock.shift(15 * 60 + pair_budget)
        _sign_in(session, owner.email, home)


def test_a_successful_sign_in_resets_the_addresses_count(session):
    owner = signed_up_user(session)
    home = ip()
    pair_budget = _budget(get_settings().rate_signin_pair)
    start = time.time()
    with time_machine.travel(start, tick=False) as clock:
        _sign_in(session, owner.email, home)
        for _round in range(2):  # typos, then the right password, again and again: never blocked
            for _ in range(pair_budget - 1):
                _fail(session, owner.email, home)
            clock.shift(1)
            _sign_in(session, owner.email, home)


def test_an_unknown_account_is_throttled_like_a_real_one(session):
    """No refusal tells whether an address has an account."""
    owner = signed_up_user(session)
    nobody = f"nobody-{owner.email}"
    answers = {}
    for email in (owner.email, nobody):
        for _ in range(_budget(get_settings().rate_signin_account)):
            _fail(session, email, ip())
        with pytest.raises(RateLimited) as err:
            authentication.sign_in(session, email_address=email, password=WRONG, ip=ip())
        answers[email] = err.value.message.split(": try again")[0]
    assert answers[owner.email] == answers[nobody]


def test_password_re_entry_counts_against_the_same_budget(session):
    owner = signed_up_user(session)
    home = ip()
    _sign_in(session, owner.email, home)
    for _ in range(_budget(get_settings().rate_signin_pair)):
        with pytest.raises(ValidationFailed):
            accounts.change_password(session, user_id=owner.id, current_password=WRONG,
                                     new_password="another long passphrase", ip=home)
    with pytest.raises(RateLimited) as err:
        accounts.change_password(session, user_id=owner.id, current_password=PASSWORD,
                                 new_password="another long passphrase", ip=home)
    assert err.value.problems[0].field == "current_password"


def test_over_http_the_answer_is_429_with_retry_after_and_the_owner_gets_in(app_env, session):
    from app.api.main import create_api

    owner = signed_up_user(session)
    attacker, home = ip(), ip()
    with TestClient(create_api(), client=(home, 50000)) as at_home:
        assert at_home.post("/api/auth/signin", json={"email": owner.email, "password": PASSWORD}).status_code == 200
    with TestClient(create_api(), client=(attacker, 50000)) as c:
        codes = [c.post("/api/auth/signin", json={"email": owner.email, "password": WRONG}).status_code
                 for _ in range(_budget(get_settings().rate_signin_account) + 1)]
        assert codes[-1] == 429 and set(codes[:-1]) == {401}
        r = c.post("/api/auth/signin", json={"email": owner.email, "password": PASSWORD})
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert f"try again in {r.headers['Retry-After']} seconds" in r.json()["message"]
    with TestClient(create_api(), client=(home, 50000)) as at_home:
        r = at_home.post("/api/auth/signin", json={"email": owner.email, "password": PASSWORD})
        assert r.status_code == 200 and r.json()["access_token"]
