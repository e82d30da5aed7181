"""An access token ends when its session or refresh family ends, on the very next request (over HTTP,
FastAPI TestClient, real PostgreSQL and Redis).

Seven events end tokens: sign-out (also with only the bearer token), refresh-token reuse, /revoke,
"sign out everywhere", a password change, and 2FA changes (on, off, new recovery codes). Each test
checks the old access token against both kinds of route (a workspace route and an account route) and
that tokens of other sign-ins survive where they should.
"""

from __future__ import annotations

import uuid

import jwt
import pyotp
import pytest
from fastapi.testclient import TestClient

from app.core.security import create_access_token
from tests.accounts_support import PASSWORD, ip, latest_mail, new_email, token_in

NEW_PASSWORD = "a brand new passphrase"  # noqa: S105


@pytest.fixture()
def client(app_env):
    from app.api.main import create_api

    with TestClient(create_api(), client=(ip(), 50000)) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _signed_up(client, session) -> str:
    address = new_email()
    assert client.post("/api/auth/signup", json={"email": address, "password": PASSWORD}).status_code == 202
    token = token_in(latest_mail(session, address, "verification").text_body)
    assert client.post("/api/auth/verify", json={"token": token}).status_code == 200
    return address


def _sign_in(client, address: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/auth/signin", json={"email": address, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def _refresh(client, refresh_token: str) -> dict:
    r = client.post("/api/auth/refresh", json={"refresh_token": refresh_token})
    assert r.status_code == 200, r.text
    return r.json()


def works(client, access_token: str) -> bool:
    """Whether the token opens both a workspace route and an account route (and never just one)."""
    a = client.get("/api/workspaces", headers=_bearer(access_token)).status_code
    b = client.get("/api/auth/me", headers=_bearer(access_token)).status_code
    assert {a, b} <= {200, 401} and a == b, (a, b)
    return a == 200


def _ended(client, access_token: str) -> None:
    r = client.get("/api/workspaces", headers=_bearer(access_token))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json()["code"] == "not_authenticated" and "sign in again" in r.json()["message"]
    assert not works(client, access_token)


def _enable_2fa(client, access_token: str) -> tuple[dict, pyotp.TOTP]:
    enrol = client.post("/api/auth/2fa/enrol", json={"password": PASSWORD}, headers=_bearer(access_token))
    assert enrol.status_code == 200, enrol.text
    totp = pyotp.TOTP(enrol.json()["secret"])
    on = client.post("/api/auth/2fa/confirm", json={"code": totp.now()}, headers=_bearer(access_token))
    assert on.status_code == 200, on.text
    return on.json(), totp


def test_sign_in_returns_a_session_bound_access_token_and_a_refresh_token(client, session):
    body = _sign_in(client, _signed_up(client, session))
    assert body["refresh_token"].startswith("qcr_") and body["expires_in"] == 900
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sid"] and "fam" not in claims
    refreshed = _refresh(client, body["refresh_token"])
    claims = jwt.decode(refreshed["access_token"], options={"verify_signature": False})
    assert claims["fam"] and "sid" not in claims
    assert works(client, body["access_token"]) and works(client, refreshed["access_token"])


def test_a_token_bound_to_nothing_is_refused(client, session):
    address = _signed_up(client, session)
    user_id = _sign_in(client, address)["user_id"]
    r = client.get("/api/workspaces", headers=_bearer(create_access_token(uuid.UUID(user_id))))
    assert r.status_code == 401


def test_bearer_only_sign_out_ends_that_sign_in_and_nothing_else(client, session):
    address = _signed_up(client, session)
    mine, other = _sign_in(client, address), _sign_in(client, address)
    r = client.post("/api/auth/signout", headers=_bearer(mine["access_token"]))
    assert r.status_code == 204
    _ended(client, mine["access_token"])
    # The refresh token handed out with that sign-in ended with it; the other sign-in lives on.
    assert client.post("/api/auth/refresh", json={"refresh_token": mine["refresh_token"]}).status_code == 401
    assert works(client, other["access_token"])
    sessions = client.get("/api/auth/sessions", headers=_bearer(other["access_token"])).json()
    assert [s["current"] for s in sessions] == [True]
    # Signing out twice is not an error.
    assert client.post("/api/auth/signout", headers=_bearer(mine["access_token"])).status_code == 204


def test_sign_out_with_a_refreshed_token_ends_its_family_and_its_session(client, session):
    address = _signed_up(client, session)
    mine, other = _sign_in(client, address), _sign_in(client, address)
    refreshed = _refresh(client, mine["refresh_token"])
    assert client.post("/api/auth/signout", headers=_bearer(refreshed["access_token"])).status_code == 204
    _ended(client, refreshed["access_token"])
    _ended(client, mine["access_token"])  # the session the family was handed out with
    assert client.post("/api/auth/refresh", json={"refresh_token": refreshed["refresh_token"]}).status_code == 401
    assert works(client, other["access_token"])


def test_sign_out_with_the_session_token_ends_its_refresh_family_too(client, session):
    address = _signed_up(client, session)
    mine = _sign_in(client, address)
    refreshed = _refresh(client, mine["refresh_token"])
    r = client.post("/api/auth/signout", headers={"X-Session-Token": mine["session_token"]})
    assert r.status_code == 204
    _ended(client, mine["access_token"])
    _ended(client, refreshed["access_token"])


def test_ending_one_session_from_the_list_ends_its_tokens(client, session):
    address = _signed_up(client, session)
    mine, other = _sign_in(client, address), _sign_in(client, address)
    refreshed = _refresh(client, other["refresh_token"])
    listed = client.get("/api/auth/sessions", headers=_bearer(mine["access_token"])).json()
    theirs = next(s for s in listed if not s["current"])
    r = client.delete(f"/api/auth/sessions/{theirs['id']}", headers=_bearer(mine["access_token"]))
    assert r.status_code == 204
    _ended(client, other["access_token"])
    _ended(client, refreshed["access_token"])
    assert works(client, mine["access_token"])


def test_refresh_token_reuse_ends_every_access_token_of_the_family(client, session):
    address = _signed_up(client, session)
    victim, bystander = _sign_in(client, address), _sign_in(client, address)
    stolen = victim["refresh_token"]
    thief = _refresh(client, stolen)  # the thief refreshes first ...
    reused = client.post("/api/auth/refresh", json={"refresh_token": stolen})  # ... then the owner does
    assert reused.status_code == 401 and "already used" in reused.json()["message"]
    _ended(client, thief["access_token"])
    _ended(client, victim["access_token"])
    assert works(client, bystander["access_token"])  # another family of the same user


def test_revoke_ends_the_api_clients_access_tokens(client, session):
    address = _signed_up(client, session)
    mine, other = _sign_in(client, address), _sign_in(client, address)
    refreshed = _refresh(client, mine["refresh_token"])
    r = client.post("/api/auth/revoke", json={"refresh_token": refreshed["refresh_token"]})
    assert r.status_code == 204
    _ended(client, refreshed["access_token"])
    _ended(client, mine["access_token"])
    assert works(client, other["access_token"])


def test_sign_out_everywhere_ends_every_token(client, session):
    address = _signed_up(client, session)
    a, b = _sign_in(client, address), _sign_in(client, address)
    refreshed = _refresh(client, b["refresh_token"])
    r = client.post("/api/auth/sessions/revoke-all", headers=_bearer(a["access_token"]))
    assert r.status_code == 200
    for token in (a["access_token"], b["access_token"], refreshed["access_token"]):
        _ended(client, token)
    assert client.post("/api/auth/refresh", json={"refresh_token": refreshed["refresh_token"]}).status_code == 401
    assert works(client, _sign_in(client, address)["access_token"])  # signing in again works


def test_a_password_change_ends_every_token_but_the_new_ones(client, session):
    address = _signed_up(client, session)
    a, b = _sign_in(client, address), _sign_in(client, address)
    refreshed = _refresh(client, b["refresh_token"])
    r = client.post("/api/auth/change-password", headers=_bearer(refreshed["access_token"]),
                    json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    fresh = r.json()
    for token in (a["access_token"], b["access_token"], refreshed["access_token"]):
        _ended(client, token)
    assert client.post("/api/auth/refresh", json={"refresh_token": refreshed["refresh_token"]}).status_code == 401
    assert works(client, fresh["access_token"])
    assert works(client, _refresh(client, fresh["refresh_token"])["access_token"])


def test_turning_two_factor_on_ends_every_token_but_the_new_ones(client, session):
    address = _signed_up(client, session)
    a, b = _sign_in(client, address), _sign_in(client, address)
    refreshed = _refresh(client, b["refresh_token"])
    on, _totp = _enable_2fa(client, a["access_token"])
    for token in (a["access_token"], b["access_token"], refreshed["access_token"]):
        _ended(client, token)
    assert client.post("/api/auth/refresh", json={"refresh_token": refreshed["refresh_token"]}).status_code == 401
    assert works(client, on["access_token"])


def test_turning_two_factor_off_ends_every_access_token(client, session):
    address = _signed_up(client, session)
    on, _totp = _enable_2fa(client, _sign_in(client, address)["access_token"])
    refreshed = _refresh(client, on["refresh_token"])
    r = client.post("/api/auth/2fa/disable", json={"password": PASSWORD}, headers=_bearer(on["access_token"]))
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "two-factor authentication is off"
    _ended(client, on["access_token"])
    _ended(client, refreshed["access_token"])
    assert works(client, r.json()["access_token"])  # this session goes on with the new token
    # Sessions and refresh tokens stay (they were won with both factors): a refresh gives a working token.
    assert works(client, _refresh(client, refreshed["refresh_token"])["access_token"])


def test_new_recovery_codes_end_every_token_and_the_old_codes(client, session):
    address = _signed_up(client, session)
    on, _totp = _enable_2fa(client, _sign_in(client, address)["access_token"])
    refreshed = _refresh(client, on["refresh_token"])
    r = client.post("/api/auth/2fa/recovery-codes", json={"password": PASSWORD},
                    headers=_bearer(refreshed["access_token"]))
    assert r.status_code == 200, r.text
    renewed = r.json()
    assert len(renewed["recovery_codes"]) == 10 and set(renewed["recovery_codes"]).isdisjoint(on["recovery_codes"])
    _ended(client, on["access_token"])
    _ended(client, refreshed["access_token"])
    assert works(client, renewed["access_token"])
    step1 = _sign_in(client, address)
    old = client.post("/api/auth/signin/two-factor",
                      json={"challenge": step1["challenge"], "code": on["recovery_codes"][0]})
    assert old.status_code == 422
    new = client.post("/api/auth/signin/two-factor",
                      json={"challenge": step1["challenge"], "code": renewed["recovery_codes"][0]})
    assert new.status_code == 200 and new.json()["refresh_token"] and works(client, new.json()["access_token"])


def test_recovery_codes_need_the_password(client, session):
    address = _signed_up(client, session)
    on, _totp = _enable_2fa(client, _sign_in(client, address)["access_token"])
    r = client.post("/api/auth/2fa/recovery-codes", json={"password": "not my password"},
                    headers=_bearer(on["access_token"]))
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "password"
    assert works(client, on["access_token"])
