"""HTTP security of the API: headers on every answer, CORS allowlist, CSRF on cookie writes, rate limits."""

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_api
from app.core.config import get_settings


@pytest.fixture()
def make_client(app_env, monkeypatch):
    clients = []

    def make(base_url="http://testserver", **env):
        for k, v in env.items():
            monkeypatch.setenv(k, str(v))
        get_settings.cache_clear()
        c = TestClient(create_api(), base_url=base_url)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("path, status", [("/api/health", 200), ("/api/workspaces", 401), ("/api/nope", 404)])
def test_security_headers_on_every_answer(make_client, path, status):
    res = make_client().get(path)
    assert res.status_code == status
    h = res.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "default-src 'none'" in h["content-security-policy"]
    assert "strict-transport-security" not in h  # plain http: HSTS would be ignored, and wrong


def test_hsts_only_over_https(make_client):
    assert "max-age=" in make_client(base_url="https://testserver").get("/api/health").headers[
        "strict-transport-security"]
    behind_proxy = make_client().get("/api/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" in behind_proxy.headers


def test_docs_page_gets_a_csp_that_lets_swagger_run_but_not_frame(make_client):
    res = make_client().get("/api/docs")
    assert res.status_code == 200
    csp = res.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_cors_allows_only_listed_origins(make_client):
    client = make_client(CORS_ORIGINS="https://app.example.com")
    ok = client.options("/api/workspaces", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    evil = client.options("/api/workspaces", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in evil.headers
    simple = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize("headers, refused", [
    ({"Cookie": "session=abc", "Origin": "https://evil.example"}, True),
    ({"Cookie": "session=abc"}, True),  # no Origin nor Referer: cannot tell where it came from
    ({"Cookie": "session=abc", "Origin": "null"}, True),
    ({"Cookie": "session=abc", "Referer": "https://evil.example/page"}, True),
    ({"Cookie": "session=abc", "Origin": "http://testserver"}, False),
    ({"Cookie": "session=abc", "Referer": "http://testserver/settings"}, False),
    # A header credential is not sent by the browser on its own: no CSRF risk, no Origin needed.
    ({"Cookie": "session=abc", "Authorization": "Bearer x", "Origin": "https://evil.example"}, False),
    ({"Origin": "https://evil.example"}, False),  # no cookie: nothing to ride on
])
def test_csrf_refuses_cross_site_cookie_writes(make_client, headers, refused):
    res = make_client().post("/api/workspaces", json={"name": "x"}, headers=headers)
    if refused:
        assert res.status_code == 403 and res.json()["code"] == "csrf_failed"
    else:
        assert res.status_code == 401  # got past the CSRF check to authentication


def test_csrf_allows_an_allowlisted_origin(make_client):
    client = make_client(CORS_ORIGINS="https://app.example.com")
    res = client.post("/api/workspaces", json={"name": "x"},
                      headers={"Cookie": "s=1", "Origin": "https://app.example.com"})
    assert res.status_code == 401


def test_rate_limit_answers_429_with_retry_after(make_client):
    client = make_client(API_RATE_LIMIT_PER_MINUTE=3)
    headers = {"Authorization": "Bearer rate-limit-test-token"}
    codes = [client.get("/api/workspaces", headers=headers).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    res = client.get("/api/workspaces", headers=headers)
    assert res.status_code == 429 and res.json()["code"] == "rate_limited"
    assert 1 <= int(res.headers["retry-after"]) <= 61
    assert res.headers["x-content-type-options"] == "nosniff"
    # Another caller has their own budget; health checks are never limited.
    assert client.get("/api/workspaces", headers={"Authorization": "Bearer other"}).status_code == 401
    assert all(client.get("/api/health").status_code == 200 for _ in range(5))


def test_csrf_check_is_for_the_api_only(make_client):
    """Reflex's own endpoints (uploads, state) are guarded by Reflex; the API check must not break them."""
    res = make_client().post("/_upload", headers={"Cookie": "s=1", "Origin": "https://evil.example"})
    assert res.status_code == 404  # reached routing, not refused as csrf_failed


# --- the whole port: Reflex's layers, the UI's websocket and the API together -----------------------------
FOREIGN = "https://evil.example"
OWN_UI = "http://localhost:3000"  # the UI's own address (dev mode serves it apart from the backend)


@pytest.fixture(scope="module")
def port(app_env):
    """The ASGI app `quillcast web` serves on its one port (Reflex's own CORS layers included)."""
    import app.app as ui

    # Without its lifespan: in a whole run the browser tests' in-process backend has already run it on
    # another event loop, and these tests need only the request layers.
    yield TestClient(ui.app())


def _cors(res) -> dict:
    return {k: v for k, v in res.headers.items() if k.startswith("access-control-")}


@pytest.mark.parametrize("path", ["/api/health", "/api/workspaces", "/ping", "/signin"])
def test_a_foreign_origin_gets_no_cors_header_anywhere_on_the_port(port, path):
    res = port.get(path, headers={"Origin": FOREIGN, "Cookie": "session=abc"})
    assert _cors(res) == {}
    preflight = port.options(path, headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
    assert _cors(preflight) == {}


@pytest.mark.parametrize("path", ["/api/health", "/ping"])
def test_the_uis_own_origin_gets_cors_with_credentials(port, path):
    res = port.get(path, headers={"Origin": OWN_UI, "Cookie": "session=abc"})
    assert res.headers["access-control-allow-origin"] == OWN_UI
    assert res.headers["access-control-allow-credentials"] == "true"


def _open_socket(port, origin: str) -> str:
    with port.websocket_connect("/_event/?EIO=4&transport=websocket",
                                headers={"Origin": origin, "Upgrade": "websocket"}) as ws:
        return ws.receive_text()


def test_the_ui_websocket_opens_from_this_site_and_allowed_origins_only(port, monkeypatch):
    from starlette.websockets import WebSocketDisconnect

    assert _open_socket(port, "http://testserver").startswith('0{"sid"')  # the page's own origin
    assert _open_socket(port, OWN_UI).startswith('0{"sid"')
    with pytest.raises(WebSocketDisconnect) as refused:
        _open_socket(port, FOREIGN)
    assert refused.value.code == 1008
    polling = port.get("/_event/?EIO=4&transport=polling", headers={"Origin": FOREIGN, "Cookie": "s=1"})
    assert polling.status_code == 403 and _cors(polling) == {}
    monkeypatch.setenv("CORS_ORIGINS", FOREIGN)  # listed: now it may
    get_settings.cache_clear()
    try:
        assert _open_socket(port, FOREIGN).startswith('0{"sid"')
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_ui_pages_carry_a_content_security_policy(port):
    csp = port.get("/signin").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].split() == ["'self'", "'unsafe-inline'", "'unsafe-eval'"]
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "ws://testserver" in directives["connect-src"]


def test_reflex_is_configured_from_the_same_origins(app_env):
    from reflex.config import get_config

    origins = list(get_config().cors_allowed_origins)
    assert "*" not in origins
    assert OWN_UI in origins and FOREIGN not in origins


def test_the_dev_frontend_reflex_learns_late_is_allowed(port, monkeypatch):
    """Dev mode (and the browser tests' harness) serve the UI on a port Reflex learns after start: its
    uploads' preflight and its socket must pass, though Reflex's own CORS list was built before."""
    from reflex.config import get_config

    monkeypatch.setattr(get_config(), "deploy_url", "http://localhost:45678")
    preflight = port.options("/_upload", headers={
        "Origin": "http://localhost:45678", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "reflex-client-token"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:45678"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "reflex-client-token" in preflight.headers["access-control-allow-headers"]
    assert _open_socket(port, "http://localhost:45678").startswith('0{"sid"')
