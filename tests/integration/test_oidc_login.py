"""Social login end to end: a real OpenID Connect provider (oidc-provider-mock, served by werkzeug on
127.0.0.1) -> Authlib with state, nonce and PKCE -> a local user and an API session."""

import secrets
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from oidc_provider_mock import app as provider_app
from sqlmodel import func, select
from werkzeug.serving import make_server

from app.api import oidc
from app.api.main import create_api
from app.core.config import get_settings
from models import User
from tests.factories import make_user
from tests.support import free_port


@pytest.fixture(scope="module")
def provider():
    port = free_port()
    server = make_server("127.0.0.1", port, provider_app())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture()
def client(app_env, provider, monkeypatch):
    for k, v in {"OIDC_CUSTOM_NAME": "mock", "OIDC_CUSTOM_ISSUER": provider,
                 "OIDC_CUSTOM_CLIENT_ID": "quillcast", "OIDC_CUSTOM_CLIENT_SECRET": "s3cret"}.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    oidc._oauth.cache_clear()
    with TestClient(create_api()) as c:
        yield c
    monkeypatch.undo()
    get_settings.cache_clear()
    oidc._oauth.cache_clear()


def set_provider_user(provider, sub, **claims):
    httpx.put(f"{provider}/users/{sub}", json=claims).raise_for_status()


def start_login(client):
    res = client.get("/api/auth/oidc/mock/login", follow_redirects=False)
    assert res.status_code == 302
    return res.headers["location"]


def consent(authorize_url, sub):
    """What the person does at the provider: picks who they are; the provider redirects back with a code."""
    res = httpx.post(authorize_url, data={"sub": sub})
    assert res.status_code == 302, res.text
    return res.headers["location"]


def back_to_us(client, location, **kw):
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}", **kw)


def test_login_redirect_uses_state_nonce_and_pkce(client, provider):
    url = start_login(client)
    assert url.startswith(f"{provider}/oauth2/authorize")
    q = parse_qs(urlsplit(url).query)
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) >= 43
    assert q["state"][0] and q["nonce"][0] and "code_verifier" not in q
    assert q["redirect_uri"] == ["http://testserver/api/auth/oidc/mock/callback"]
    assert "openid" in q["scope"][0].split()


def test_new_person_signs_in_and_gets_a_local_user_and_session(client, provider, session):
    email = f"oidc-{secrets.token_hex(3)}@example.test"
    sub = f"sub-{secrets.token_hex(3)}"
    set_provider_user(provider, sub, email=email, email_verified=True, name="Grace Hopper")
    res = back_to_us(client, consent(start_login(client), sub))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["email"] == email and body["created"] is True
    user = session.exec(select(User).where(func.lower(User.email) == email)).one()
    assert user.display_name == "Grace Hopper" and user.email_verified_at is not None
    # The session works: the access token opens the API as that user.
    me = client.get("/api/workspaces", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]}).status_code == 200


def test_existing_account_is_linked_by_verified_email(client, provider, session):
    existing = make_user(session, email=f"Linked-{secrets.token_hex(3)}@Example.test")
    sub = f"sub-{secrets.token_hex(3)}"
    set_provider_user(provider, sub, email=existing.email.lower(), email_verified=True)
    body = back_to_us(client, consent(start_login(client), sub)).json()
    assert body["user_id"] == str(existing.id) and body["created"] is False


def test_unverified_email_is_not_linked(client, provider, session):
    victim = make_user(session)
    sub = f"sub-{secrets.token_hex(3)}"
    set_provider_user(provider, sub, email=victim.email, email_verified=False)
    res = back_to_us(client, consent(start_login(client), sub))
    assert res.status_code == 401 and "not verified" in res.json()["message"]


def test_forged_or_replayed_state_is_refused(client, provider):
    sub = f"sub-{secrets.token_hex(3)}"
    set_provider_user(provider, sub, email=f"{sub}@example.test", email_verified=True)
    location = consent(start_login(client), sub)
    forged = location.replace("state=", "state=x")
    assert back_to_us(client, forged).status_code == 401
    # A fresh browser (no state cookie) cannot finish someone else's sign-in.
    with TestClient(client.app) as stranger:
        assert back_to_us(stranger, location).status_code == 401
    # The real one works once; replaying the same callback does not.
    location = consent(start_login(client), sub)
    assert back_to_us(client, location).status_code == 200
    assert back_to_us(client, location).status_code == 401


def test_configured_providers_are_listed(client):
    assert client.get("/api/auth/oidc/providers").json() == ["mock"]


def test_unknown_provider_is_404(client):
    res = client.get("/api/auth/oidc/myspace/login", follow_redirects=False)
    assert res.status_code == 404 and res.json()["problems"][0]["field"] == "provider"


def test_google_and_github_presets_are_offered_when_configured(app_env):
    from app.core.config import Settings

    s = Settings(_env_file=None, oidc_google_client_id="g", oidc_google_client_secret="gs",
                 oidc_github_client_id="h", oidc_github_client_secret="hs")
    found = oidc.providers(s)
    assert found["google"]["server_metadata_url"] == "https://accounts.google.com/.well-known/openid-configuration"
    assert found["github"]["authorize_url"] == "https://github.com/login/oauth/authorize"
    assert all(p["client_kwargs"]["code_challenge_method"] == "S256" for p in found.values())
    assert oidc.providers(Settings(_env_file=None)) == {}


@pytest.fixture()
def github_client(app_env, monkeypatch):
    monkeypatch.setenv("OIDC_GITHUB_CLIENT_ID", "gh-client")
    monkeypatch.setenv("OIDC_GITHUB_CLIENT_SECRET", "gh-secret")
    get_settings.cache_clear()
    oidc._oauth.cache_clear()
    with TestClient(create_api()) as c:
        yield c
    monkeypatch.undo()
    get_settings.cache_clear()
    oidc._oauth.cache_clear()


def test_github_preset_uses_the_verified_primary_address(github_client, session, monkeypatch):
    """GitHub cannot be reached here: its OAuth endpoints are answered in the shapes of GitHub's
    documentation (token exchange, GET /user, GET /user/emails) by the HTTP transport of the client authlib
    uses. That client is httpx2 when it is installed (the mcp SDK brings it), else httpx; respx mocks only
    httpx, so the answers are given at the transport of whichever authlib took."""
    from authlib.integrations.httpx_client._compat import httpx2 as web

    email = f"octo-{secrets.token_hex(3)}@example.test"
    url = github_client.get("/api/auth/oidc/github/login", follow_redirects=False).headers["location"]
    q = parse_qs(urlsplit(url).query)
    assert url.startswith("https://github.com/login/oauth/authorize")
    assert q["code_challenge_method"] == ["S256"]
    answers = {
        ("POST", "https://github.com/login/oauth/access_token"):
            {"access_token": "gho_x", "token_type": "bearer", "scope": "read:user,user:email"},
        ("GET", "https://api.github.com/user"): {"id": 583231, "login": "octocat", "name": "The Octocat"},
        ("GET", "https://api.github.com/user/emails"): [
            {"email": "old@example.test", "primary": False, "verified": True, "visibility": None},
            {"email": email, "primary": True, "verified": True, "visibility": "public"},
        ],
    }
    calls: dict[tuple[str, str], bytes] = {}

    async def github(self, request):  # noqa: ANN001, ARG001 - the transport's own signature
        key = (request.method, str(request.url).split("?", 1)[0])
        assert key in answers, f"unexpected request to GitHub: {key}"
        calls[key] = await request.aread()
        return web.Response(200, json=answers[key], request=request)

    monkeypatch.setattr(web.AsyncHTTPTransport, "handle_async_request", github)
    res = github_client.get(f"/api/auth/oidc/github/callback?code=abc&state={q['state'][0]}")
    assert res.status_code == 200, res.text
    assert res.json()["email"] == email
    assert set(calls) == set(answers)
    sent = parse_qs(calls[("POST", "https://github.com/login/oauth/access_token")].decode())
    assert sent["code_verifier"][0] and sent["code"] == ["abc"]  # PKCE: the verifier goes with the code


def test_a_browser_is_signed_in_with_a_session_cookie_and_sent_to_the_app(client, provider, session):
    """A person (Accept: text/html) gets a server-side session like a password sign-in, not JSON."""
    from app.services.identity import sessions

    email = f"oidc-{secrets.token_hex(3)}@example.test"
    sub = f"sub-{secrets.token_hex(3)}"
    set_provider_user(provider, sub, email=email, email_verified=True)
    location = consent(start_login(client), sub)
    res = back_to_us(client, location, headers={"Accept": "text/html,application/xhtml+xml"},
                     follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/"
    token = res.cookies.get(sessions.COOKIE_NAME)
    info = sessions.resolve(token)
    user = session.exec(select(User).where(func.lower(User.email) == email)).one()
    assert info is not None and info.user_id == user.id
    assert "samesite=strict" in res.headers["set-cookie"].lower()
