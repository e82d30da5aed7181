"""Channel credentials at rest: encrypted, readable with any configured key, rotated to the newest."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.core import crypto
from app.core.config import get_settings
from app.services.channels import channel_credentials
from tests.factories import make_channel, make_workspace


@pytest.fixture()
def keys(monkeypatch, app_env):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use(*ks: str) -> None:
        monkeypatch.setenv("ENCRYPTION_KEYS", ",".join(ks))
        get_settings.cache_clear()
        crypto.reset_keys()

    yield old, new, use
    monkeypatch.delenv("ENCRYPTION_KEYS")
    get_settings.cache_clear()
    crypto.reset_keys()


def test_rotation_re_encrypts_with_the_new_key_so_the_old_one_can_go(session, keys):
    old, new, use = keys
    use(old)
    ch = make_channel(session, make_workspace(session), network="webhook", account="hooks.example")
    ch.credentials = channel_credentials.encrypt_credentials({"url": "https://h.example/x", "secret": "s" * 20})
    session.add(ch)
    session.commit()
    assert "s" * 20 not in ch.credentials

    stray = make_channel(session, make_workspace(session), network="webhook", account="lost.example")
    use(Fernet.generate_key().decode())  # a key nobody kept
    stray.credentials = channel_credentials.encrypt_credentials({"secret": "y" * 20})
    session.add(stray)
    session.commit()

    use(new, old)  # the new key first: it encrypts, both decrypt
    result = channel_credentials.rotate_credentials(session)
    assert result.rotated >= 1 and ch.id not in result.unreadable
    assert stray.id in result.unreadable  # reported, not a crash halfway through
    use(new)  # the old key removed
    session.refresh(ch)
    assert channel_credentials.credentials_of(ch)["secret"] == "s" * 20


def test_credentials_made_with_a_removed_key_fail_loudly(session, keys):
    old, new, use = keys
    use(old)
    ch = make_channel(session, make_workspace(session), network="webhook", account="h2.example")
    ch.credentials = channel_credentials.encrypt_credentials({"secret": "x" * 20})
    use(new)
    with pytest.raises(crypto.DecryptionFailed):
        channel_credentials.credentials_of(ch)
