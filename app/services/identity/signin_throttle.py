"""Failed sign-ins slow guessing down without letting anyone lock the owner out.

Failures (not attempts) are counted in Redis, moving windows, in two budgets:

- per account and address (`RATE_SIGNIN_PAIR`, 10 failures / 15 minutes): one address guessing one
  account is stopped until its oldest failure is 15 minutes old. Only that address waits; a successful
  sign-in from it clears its count.
- per account, from addresses that never signed in to it (`RATE_SIGNIN_ACCOUNT`, 5 failures / minute):
  caps guessing from any number of addresses (a botnet) at 7,200 a day, and a window of one minute
  means no block it causes outlasts 60 seconds once the failures stop.

An address the account signed in from before (kept `KNOWN_DAYS`) is exempt from the per-account budget,
the "device cookie" pattern of OWASP applied to the address: an attacker's failures from elsewhere
never keep the owner out at home, not even for a second. (Per address and any account, sign-in
attempts are also limited by `RATE_SIGNIN_IP` against password spraying, in accounts.py.)

Budgets are keyed by the address typed, whether or not it has an account, so a refusal tells nothing
about which accounts exist; the answer is 429 with the wait in seconds (Retry-After).
"""

from __future__ import annotations

import hashlib

from app.core import ratelimit
from app.core.config import get_settings
from app.core.redis import get_redis

KNOWN_DAYS = 90
_KNOWN_KEY = "quillcast:signin-known:"
_PAIR = "signin-pair"
_ACCOUNT = "signin-account"
_PAIR_WAIT = "too many failed sign-ins to this account from this network: try again in {seconds} seconds"
_ACCOUNT_WAIT = ("too many failed sign-ins to this account from new networks: try again in {seconds} "
                 "seconds, or sign in from a network you used before")


def _pair(account: str, ip: str | None) -> str:
    return f"{account.strip().lower()}|{ip or ''}"


def _known_key(account: str, ip: str | None) -> str:
    return _KNOWN_KEY + hashlib.sha256(_pair(account, ip).encode()).hexdigest()[:40]


def is_known(account: str, ip: str | None) -> bool:
    """Whether the account signed in successfully from this address within KNOWN_DAYS."""
    return bool(ip) and bool(get_redis().exists(_known_key(account, ip)))


def check(account: str, ip: str | None, *, field: str | None = None) -> None:
    """Before checking a password: raise RateLimited (with the wait) when a budget is used up."""
    s = get_settings()
    ratelimit.check(_PAIR, _pair(account, ip), s.rate_signin_pair, message=_PAIR_WAIT, field=field)
    if not is_known(account, ip):
        ratelimit.check(_ACCOUNT, account, s.rate_signin_account, message=_ACCOUNT_WAIT, field=field)


def failed(account: str, ip: str | None) -> None:
    """A wrong password for `account` from `ip`."""
    s = get_settings()
    ratelimit.record(_PAIR, _pair(account, ip), s.rate_signin_pair)
    if not is_known(account, ip):
        ratelimit.record(_ACCOUNT, account, s.rate_signin_account)


def succeeded(account: str, ip: str | None, *, signed_in: bool = True) -> None:
    """The password was right: the address's failures are forgotten, and once the whole sign-in
    succeeded (`signed_in`, after any second factor) the address is known to the account."""
    ratelimit.clear(_PAIR, _pair(account, ip), get_settings().rate_signin_pair)
    if signed_in and ip:
        get_redis().set(_known_key(account, ip), "1", ex=KNOWN_DAYS * 86400)
