"""In production a channel's server must be public: connecting cannot probe the internal network."""

from __future__ import annotations

import pytest

from app.core.config import get_settings
from app.services.channels import channels
from app.services.errors import ValidationFailed
from tests.factories import make_user, make_workspace


@pytest.fixture()
def strict(monkeypatch, app_env):
    monkeypatch.setenv("ALLOW_PRIVATE_ENDPOINTS", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("ALLOW_PRIVATE_ENDPOINTS")
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"url": "http://127.0.0.1:6379/x", "secret": "s" * 20}, "points to a private address (127.0.0.1)"),
        ({"url": "http://169.254.169.254/latest", "secret": "s" * 20}, "private address (169.254.169.254)"),
        ({"url": "http://[::1]:8080/", "secret": "s" * 20}, "private address (::1)"),
        ({"url": "https://10.1.2.3/hook", "secret": "s" * 20}, "private address (10.1.2.3)"),
        ({"url": "https://no-such-host.invalid/hook", "secret": "s" * 20}, "does not resolve"),
        ({"url": "ftp://example.org/hook", "secret": "s" * 20}, "must be an https:// address"),
    ],
)
def test_private_and_bogus_endpoints_are_refused_naming_the_field(session, strict, credentials, expected):
    owner = make_user(session)
    ws = make_workspace(session, owner)
    with pytest.raises(ValidationFailed) as err:
        channels.connect_channel(
            session, user_id=owner.id, workspace_id=ws.id, network="webhook", credentials=credentials
        )
    assert err.value.field == "credentials" and expected in err.value.message


def test_private_endpoints_are_allowed_outside_production_by_default(app_env):
    get_settings.cache_clear()
    assert get_settings().environment == "test" and get_settings().private_endpoints_allowed
