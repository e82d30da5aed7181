"""Supabase Auth as a provider: access tokens of Supabase's documented shape (GoTrue's claims) are
accepted after verification; tampered ones are 401. Supabase itself cannot run here: the JWKS endpoint
is served with respx in the shape of `<project>/auth/v1/.well-known/jwks.json`."""

import json
import secrets
import time
import uuid

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.api.main import create_api
from app.core.config import get_settings
from app.services.identity import supabase_auth
from models import User

PROJECT = "https://abcdefgh.supabase.co"
ISSUER = f"{PROJECT}/auth/v1"
JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"


def claims(email, **over):
    now = int(time.time())
    c = {
        "aud": "authenticated", "exp": now + 3600, "iat": now, "iss": ISSUER, "sub": str(uuid.uuid4()),
        "email": email, "phone": "", "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {}, "role": "authenticated", "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}], "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


@pytest.fixture()
def supabase_env(app_env, monkeypatch):
    def configure(**env):
        monkeypatch.setenv("SUPABASE_URL", PROJECT)
        monkeypatch.setenv("SUPABASE_ANON_KEY", "anon-key")
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        get_settings.cache_clear()
        supabase_auth._jwks_cache.clear()

    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()
    supabase_auth._jwks_cache.clear()


@pytest.fixture()
def client(app_env):
    with TestClient(create_api()) as c:
        yield c


def email():
    return f"supa-{secrets.token_hex(3)}@example.test"


def test_hs256_token_signs_in_and_maps_to_a_local_user(supabase_env, client, session):
    supabase_env(SUPABASE_JWT_SECRET=JWT_SECRET)
    address = email()
    token = jwt.encode(claims(address), JWT_SECRET, algorithm="HS256")
    res = client.get("/api/workspaces", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200, res.text
    assert res.json() == []
    user = session.exec(select(User).where(func.lower(User.email) == address)).one()
    assert user.email_verified_at is not None
    # The same person again maps to the same local user (no duplicate).
    again = jwt.encode(claims(address.upper()), JWT_SECRET, algorithm="HS256")
    assert client.get("/api/workspaces", headers={"Authorization": f"Bearer {again}"}).status_code == 200
    same = select(func.count()).select_from(User).where(func.lower(User.email) == address)
    assert session.exec(same).one() == 1


def _none_alg(payload):
    header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode()
    body = jwt.utils.base64url_encode(json.dumps(payload).encode()).decode()
    return f"{header}.{body}."


@pytest.mark.parametrize("make_token", [
    pytest.param(lambda a: _none_alg(claims(a)), id="alg-none"),
    pytest.param(lambda a: jwt.encode(claims(a), "x" * 40, algorithm="HS256"), id="wrong-key"),
    pytest.param(lambda a: jwt.encode(claims(a, exp=int(time.time()) - 60, iat=int(time.time()) - 3660),
                                      JWT_SECRET, algorithm="HS256"), id="expired"),
    pytest.param(lambda a: jwt.encode(claims(a, aud="anon"), JWT_SECRET, algorithm="HS256"),
                 id="wrong-audience"),
    pytest.param(lambda a: jwt.encode(claims(a, iss="https://evil.supabase.co/auth/v1"), JWT_SECRET,
                                      algorithm="HS256"), id="wrong-issuer"),
    pytest.param(lambda a: jwt.encode(claims(a, role="anon"), JWT_SECRET, algorithm="HS256"), id="anon-role"),
    pytest.param(lambda a: jwt.encode(claims(a, exp=None), JWT_SECRET, algorithm="HS256"), id="no-exp"),
    pytest.param(lambda a: jwt.encode(claims(a, sub=None), JWT_SECRET, algorithm="HS256"), id="no-sub"),
    pytest.param(lambda a: jwt.encode(claims(a), JWT_SECRET, algorithm="HS512"), id="other-alg"),
    pytest.param(lambda a: jwt.encode(claims(a), JWT_SECRET, algorithm="HS256")[:-4] + "AAAA",
                 id="bad-signature"),
])
def test_tampered_supabase_tokens_are_401(supabase_env, client, session, make_token):
    supabase_env(SUPABASE_JWT_SECRET=JWT_SECRET)
    address = email()
    res = client.get("/api/workspaces", headers={"Authorization": f"Bearer {make_token(address)}"})
    assert res.status_code == 401
    assert res.json()["code"] == "not_authenticated"
    assert session.exec(select(User).where(func.lower(User.email) == address)).first() is None


def test_supabase_tokens_are_refused_when_supabase_is_not_configured(app_env, client):
    token = jwt.encode(claims(email()), JWT_SECRET, algorithm="HS256")
    assert client.get("/api/workspaces", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@respx.mock
def test_es256_token_verified_with_the_projects_jwks(supabase_env, client):
    supabase_env()  # no JWT secret: asymmetric keys only
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "key-1", "alg": "ES256", "use": "sig", "key_ops": ["verify"]})
    route = respx.get(f"{ISSUER}/.well-known/jwks.json").mock(
        return_value=httpx.Response(200, json={"keys": [jwk]}))
    good = jwt.encode(claims(email()), key, algorithm="ES256", headers={"kid": "key-1"})
    assert client.get("/api/workspaces", headers={"Authorization": f"Bearer {good}"}).status_code == 200

    stranger = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(claims(email()), stranger, algorithm="ES256", headers={"kid": "key-1"})
    assert client.get("/api/workspaces", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    unknown_kid = jwt.encode(claims(email()), key, algorithm="ES256", headers={"kid": "rotated-away"})
    res = client.get("/api/workspaces", headers={"Authorization": f"Bearer {unknown_kid}"})
    assert res.status_code == 401
    # HS256 with no secret configured must not fall back to anything.
    hs = jwt.encode(claims(email()), "guess", algorithm="HS256")
    assert client.get("/api/workspaces", headers={"Authorization": f"Bearer {hs}"}).status_code == 401
    assert route.called


def _gotrue_session(address, sub):
    """GoTrue's documented answer to POST /auth/v1/token?grant_type=password."""
    token = jwt.encode(claims(address, sub=sub), JWT_SECRET, algorithm="HS256")
    now = "2026-11-26T12:00:00Z"
    return {
        "access_token": token, "token_type": "bearer", "expires_in": 3600,
        "expires_at": int(time.time()) + 3600, "refresh_token": "r-" + secrets.token_hex(8),
        "user": {"id": sub, "aud": "authenticated", "role": "authenticated", "email": address,
                 "email_confirmed_at": now, "phone": "", "confirmed_at": now, "last_sign_in_at": now,
                 "app_metadata": {"provider": "email", "providers": ["email"]}, "user_metadata": {},
                 "identities": [], "created_at": now, "updated_at": now, "is_anonymous": False},
    }


def test_password_sign_in_goes_through_supabase_and_opens_a_quillcast_session(supabase_env, session):
    """With Supabase configured, Quillcast never checks the password itself: supabase-py asks GoTrue."""
    from app.services.identity import authentication, sessions

    supabase_env(SUPABASE_JWT_SECRET=JWT_SECRET)
    address, sub = email(), str(uuid.uuid4())
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(f"{ISSUER}/token", params={"grant_type": "password"})
        route.side_effect = lambda req: (
            httpx.Response(200, json=_gotrue_session(address, sub))
            if json.loads(req.content)["password"] == "right horse battery staple"
            else httpx.Response(400, json={"code": 400, "error_code": "invalid_credentials",
                                           "msg": "Invalid login credentials"}))
        with pytest.raises(Exception) as refused:
            authentication.sign_in(session, email_address=address, password="wrong", ip="192.0.2.9")
        assert refused.value.message == authentication.WRONG_CREDENTIALS  # the same answer as a local account
        result = authentication.sign_in(session, email_address=address, password="right horse battery staple",
                                  ip="192.0.2.9")
        assert route.call_count == 2
    session.commit()
    user = session.exec(select(User).where(func.lower(User.email) == address)).one()
    info = sessions.resolve(result.session_token)
    assert info is not None and info.user_id == user.id and user.password_hash is None
