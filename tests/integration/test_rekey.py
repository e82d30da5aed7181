"""Data a `make run` of an older version encrypted under the key derived from the old default SECRET_KEY:
still readable after upgrading, re-encrypted by `quillcast migrate`, and no plaintext on the way."""

import json
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from app.core import crypto, keys, rekey
from app.core.config import LEGACY_DEFAULT_SECRET_KEY
from app.services.channels import channel_credentials
from models import Channel, User, Webhook
from tests.factories import make_channel, make_user, make_workspace

ROOT = Path(__file__).resolve().parents[2]
LEGACY = Fernet(keys.derived_fernet_key(LEGACY_DEFAULT_SECRET_KEY))


def _legacy(plain: str) -> str:
    return LEGACY.encrypt(plain.encode()).decode()


def _old_rows(session):
    """A channel, a two-factor secret and a webhook secret as the old default key stored them."""
    ws = make_workspace(session)
    ch = make_channel(session, ws, network="webhook", account="legacy.example",
                      credentials=_legacy(json.dumps({"secret": "legacy-app-password-123"})))
    user = make_user(session, totp_secret=_legacy("JBSWY3DPEHPK3PXPLEGACY"))
    hook = Webhook(workspace_id=ws.id, url="https://hooks.example/x", secret=_legacy("legacy-webhook-secret"))
    current = make_channel(session, ws, network="webhook", account="current.example",
                           credentials=crypto.encrypt(json.dumps({"secret": "current-secret-4567"})))
    session.add(hook)
    session.commit()
    return ch, user, hook, current


def _reload(session, *rows):
    session.expire_all()
    return [session.get(type(r), r.id) for r in rows]


def test_values_of_the_old_default_key_are_re_encrypted_once(session):
    ch, user, hook, current = _old_rows(session)
    before = current.credentials

    result = rekey.reencrypt_legacy(batch_size=2)  # batches: every row is still reached

    assert result.reencrypted["channels.credentials"] >= 1
    assert result.reencrypted["users.totp_secret"] >= 1 and result.reencrypted["webhooks.secret"] >= 1
    ch, user, hook, current = _reload(session, ch, user, hook, current)
    assert channel_credentials.credentials_of(ch) == {"secret": "legacy-app-password-123"}
    assert crypto.decrypt(user.totp_secret) == "JBSWY3DPEHPK3PXPLEGACY"
    assert crypto.decrypt(hook.secret) == "legacy-webhook-secret"
    for value in (ch.credentials, user.totp_secret, hook.secret):
        assert crypto.legacy_decrypt(value) is None  # the public key opens none of them any more
    assert current.credentials == before  # already under the current key: untouched

    again = rekey.reencrypt_legacy()
    assert again.total == 0  # idempotent


def test_a_value_no_key_opens_is_counted_not_fatal(session):
    ws = make_workspace(session)
    lost = make_channel(session, ws, network="webhook", account="lost.example",
                        credentials=Fernet(Fernet.generate_key()).encrypt(b"{}").decode())
    result = rekey.reencrypt_legacy()
    assert result.unreadable["channels.credentials"] >= 1
    assert _reload(session, lost)[0].credentials == lost.credentials


def test_migrate_re_encrypts_and_logs_counts_without_plaintext(app_env, session):
    ch, user, hook, _ = _old_rows(session)
    res = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=app_env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "re-encrypted" in res.stderr and "old default key" in res.stderr
    assert "channels.credentials" in res.stderr and "users.totp_secret" in res.stderr
    output = res.stdout + res.stderr
    for plain in ("legacy-app-password-123", "JBSWY3DPEHPK3PXPLEGACY", "legacy-webhook-secret"):
        assert plain not in output
    ch, user, hook = _reload(session, ch, user, hook)
    assert isinstance(ch, Channel) and isinstance(user, User)
    assert crypto.decrypt(user.totp_secret) == "JBSWY3DPEHPK3PXPLEGACY"
    assert crypto.decrypt(hook.secret) == "legacy-webhook-secret"
    second = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=app_env,
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and "re-encrypted" not in second.stderr
