"""/api/auth over HTTP (FastAPI TestClient, in-process) with real PostgreSQL and Redis.

Answers are the API's one error shape {code, message, problems[{field, message, code}]}.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.core.security import create_access_token
from tests.accounts_support import PASSWORD, ip, latest_mail, new_email, token_in


@pytest.fixture()
def client(app_env):
    from app.api.main import create_api

    with TestClient(create_api(), client=(ip(), 50000)) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _signed_up(client, session) -> str:
    address = new_email()
    r = client.post("/api/auth/signup", json={"email": address, "password": PASSWORD, "display_name": "Ada"})
    assert r.status_code == 202, r.text
    token = token_in(latest_mail(session, address, "verification").text_body)
    assert client.post("/api/auth/verify", json={"token": token}).status_code == 200
    return address


def _sign_in(client, address: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/auth/signin", json={"email": address, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def test_sign_up_verify_sign_in_and_me(client, session):
    address = _signed_up(client, session)
    body = _sign_in(client, address)
    assert body["two_factor_required"] is False and body["session_token"] and body["access_token"]
    assert body["expires_in"] == 15 * 60 and body["token_type"] == "bearer"
    me = client.get("/api/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == address and me.json()["email_verified"] is True
    assert "password_hash" not in me.json() and "totp_secret" not in me.json()


def test_errors_name_the_field_and_never_500(client):
    r = client.post("/api/auth/signup", json={"email": "nope", "password": PASSWORD})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "email"
    r = client.post("/api/auth/signup", json={"email": new_email(), "password": "p" * 5000})
    assert r.status_code == 422 and r.json()["message"] == "password: use at most 1024 characters"
    r = client.post("/api/auth/signup", json={"email": new_email(), "password": "x" * 10_241})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "password"  # over the body limit
    r = client.post("/api/auth/verify", json={"token": "' OR 1=1 --"})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "token"
    r = client.post("/api/auth/signin", json={"email": new_email(), "password": PASSWORD})
    assert r.status_code == 401 and r.json()["message"] == "the e-mail address or password is wrong"


def test_unknown_and_known_emails_get_the_same_answers(client, session):
    address = _signed_up(client, session)
    for path in ("/api/auth/forgot", "/api/auth/resend-verification"):
        a = client.post(path, json={"email": address})
        b = client.post(path, json={"email": new_email()})
        assert (a.status_code, a.json()) == (b.status_code, b.json())
    a = client.post("/api/auth/signup", json={"email": address, "password": PASSWORD})
    b = client.post("/api/auth/signup", json={"email": new_email(), "password": PASSWORD})
    assert (a.status_code, a.json()) == (b.status_code, b.json())


@pytest.mark.parametrize("forge", ["alg_none", "wrong_key", "expired"])
def test_tampered_access_tokens_are_refused(client, session, forge):
    address = _signed_up(client, session)
    good = jwt.decode(_sign_in(client, address)["access_token"], options={"verify_signature": False})
    if forge == "alg_none":
        token = jwt.encode(good, key=None, algorithm="none")
    elif forge == "wrong_key":
        token = jwt.encode(good, "another key that is long enough to be a key", algorithm="HS256")
    else:
        token = create_access_token(uuid.UUID(good["sub"]), ttl=timedelta(seconds=-1), sid=good["sid"])
    r = client.get("/api/auth/me", headers=_bearer(token))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"


def test_two_factor_sign_in_is_two_steps(client, session):
    address = _signed_up(client, session)
    tokens = _sign_in(client, address)
    h = _bearer(tokens["access_token"])
    enrol = client.post("/api/auth/2fa/enrol", json={"password": PASSWORD}, headers=h)
    assert enrol.status_code == 200 and "<svg" in enrol.json()["qr_svg"]
    import pyotp

    code = pyotp.TOTP(enrol.json()["secret"]).now()
    on = client.post("/api/auth/2fa/confirm", json={"code": code}, headers=_bearer(tokens["access_token"]))
    assert on.status_code == 200 and len(on.json()["recovery_codes"]) == 10
    # A privilege change: the old session (and the access token bound to it) ended.
    assert client.get("/api/auth/me", headers=_bearer(tokens["access_token"])).status_code == 401
    assert client.get("/api/auth/me", headers=_bearer(on.json()["access_token"])).status_code == 200

    step1 = _sign_in(client, address)
    assert step1["two_factor_required"] and step1["access_token"] is None and step1["session_token"] is None
    reused = client.post("/api/auth/signin/two-factor", json={"challenge": step1["challenge"], "code": code})
    assert reused.status_code == 422 and reused.json()["problems"][0]["field"] == "code"
    recovery = on.json()["recovery_codes"][0]
    ok = client.post("/api/auth/signin/two-factor", json={"challenge": step1["challenge"], "code": recovery})
    assert ok.status_code == 200 and ok.json()["access_token"]


def test_sessions_list_revoke_and_sign_out_everywhere_are_immediate(client, session):
    address = _signed_up(client, session)
    first, second = _sign_in(client, address), _sign_in(client, address)
    listed = client.get("/api/auth/sessions", headers=_bearer(second["access_token"])).json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    r = client.delete(f"/api/auth/sessions/{other['id']}", headers=_bearer(second["access_token"]))
    assert r.status_code == 204
    assert client.get("/api/auth/me", headers=_bearer(first["access_token"])).status_code == 401
    r = client.post("/api/auth/sessions/revoke-all", headers=_bearer(second["access_token"]))
    assert r.status_code == 200
    assert client.get("/api/auth/me", headers=_bearer(second["access_token"])).status_code == 401


def test_sign_out_ends_the_session(client, session):
    address = _signed_up(client, session)
    tokens = _sign_in(client, address)
    r = client.post("/api/auth/signout", headers={"X-Session-Token": tokens["session_token"]})
    assert r.status_code == 204
    assert client.get("/api/auth/me", headers=_bearer(tokens["access_token"])).status_code == 401


def test_change_password_and_profile(client, session):
    address = _signed_up(client, session)
    tokens = _sign_in(client, address)
    h = _bearer(tokens["access_token"])
    profile = {"display_name": "<b>Zoë</b> 🦄", "timezone": "Europe/Paris"}
    r = client.patch("/api/auth/me", json=profile, headers=h)
    assert r.status_code == 200 and r.json()["display_name"] == "<b>Zoë</b> 🦄"
    r = client.post("/api/auth/change-password", json={"current_password": "nope nope nope",
                                                       "new_password": "a new long passphrase"}, headers=h)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "current_password"
    r = client.post("/api/auth/change-password", json={"current_password": PASSWORD,
                                                       "new_password": "a new long passphrase"}, headers=h)
    assert r.status_code == 200
    assert client.get("/api/auth/me", headers=h).status_code == 401
    assert client.get("/api/auth/me", headers=_bearer(r.json()["access_token"])).status_code == 200


def test_sign_in_flood_from_one_ip_gets_429_with_retry_after(client, session):
    limit = int(get_settings().rate_signin_ip.split("/")[0])
    codes = [
        client.post("/api/auth/signin", json={"email": new_email(), "password": "wrong password"}).status_code
        for _ in range(limit + 1)
    ]
    assert codes[:limit] == [401] * limit and codes[-1] == 429
    r = client.post("/api/auth/signin", json={"email": new_email(), "password": "wrong password"})
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 300
    assert r.json()["code"] == "rate_limited"


def test_openapi_documents_the_auth_routes(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/auth/signup", "/api/auth/signin", "/api/auth/signin/two-factor", "/api/auth/2fa/enrol",
            "/api/auth/sessions"} <= set(paths)
