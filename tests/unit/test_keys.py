"""No public secret: generated keys in DATA_DIR/secrets.env, placeholders refused, the old default key
neither signs nor decrypts anything in normal use."""

import re
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from app.cli import exposure_line, local_url, web_argv
from app.core import crypto, keys, rekey, security
from app.core.config import LEGACY_DEFAULT_SECRET_KEY, Settings

ROOT = Path(__file__).resolve().parents[2]


def _unset(data_dir: Path, **kw) -> Settings:
    """Settings as a fresh `make run` sees them: SECRET_KEY and ENCRYPTION_KEYS unset."""
    return Settings(_env_file=None, environment="development", secret_key="", encryption_keys=None,
                    data_dir=data_dir, **kw)


def test_unset_keys_are_generated_once_into_a_private_file_and_reused(tmp_path):
    first = _unset(tmp_path)
    path = tmp_path / "secrets.env"
    assert first.key_file_used == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32 and first.secret_key not in Path(ROOT / "app/core/config.py").read_text()
    (key,) = first.encryption_key_list
    Fernet(key)  # a real Fernet key, not one derived from a public value
    assert key != keys.derived_fernet_key(LEGACY_DEFAULT_SECRET_KEY)
    again = _unset(tmp_path)
    assert (again.secret_key, again.encryption_key_list) == (first.secret_key, first.encryption_key_list)
    assert _unset(tmp_path / "other").secret_key != first.secret_key  # random per instance


def test_processes_starting_together_agree_on_one_key(tmp_path):
    code = ("import sys; from pathlib import Path; from app.core import keys; "
            "print(keys.load_or_create(Path(sys.argv[1]))['SECRET_KEY'])")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) for _ in range(8)]
    seen = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(seen) == 1 and seen != {""}
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.env"]  # no temporary file left behind


def test_loose_permissions_are_tightened(tmp_path):
    _unset(tmp_path)
    (tmp_path / "secrets.env").chmod(0o644)
    _unset(tmp_path)
    assert stat.S_IMODE((tmp_path / "secrets.env").stat().st_mode) == 0o600


@pytest.mark.parametrize("placeholder", [LEGACY_DEFAULT_SECRET_KEY, "changethis", " secret "])
@pytest.mark.parametrize("environment", ["development", "test"])
def test_a_published_placeholder_is_refused_outside_production_too(tmp_path, placeholder, environment):
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, environment=environment, secret_key=placeholder, data_dir=tmp_path)
    assert "SECRET_KEY" in str(err.value) and "secrets.env" in str(err.value)
    assert not (tmp_path / "secrets.env").exists()


def test_production_never_generates_keys(tmp_path):
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, environment="production", secret_key="", database_url="postgresql://h/d",
                 redis_url="redis://h", data_dir=tmp_path)
    assert "SECRET_KEY is missing" in str(err.value)
    assert not (tmp_path / "secrets.env").exists()


def test_a_set_secret_key_keeps_its_derived_encryption_key_and_writes_no_file(tmp_path):
    s = Settings(_env_file=None, secret_key="s" * 40, encryption_keys=None, data_dir=tmp_path)
    assert s.encryption_key_list == [keys.derived_fernet_key("s" * 40)] and s.key_file_used is None
    assert not (tmp_path / "secrets.env").exists()


def test_encryption_keys_set_win_over_the_file_newest_first(tmp_path):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    s = Settings(_env_file=None, secret_key="", encryption_keys=f" {new} , {old} ", data_dir=tmp_path)
    assert s.encryption_key_list == [new, old]
    assert s.secret_key == keys.load_or_create(tmp_path)["SECRET_KEY"]


def test_a_bad_encryption_key_names_the_setting(tmp_path):
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, secret_key="s" * 40, encryption_keys="not-a-key", data_dir=tmp_path)
    assert "ENCRYPTION_KEYS" in str(err.value) and "Fernet.generate_key" in str(err.value)


def test_an_unwritable_data_dir_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValidationError) as err:
        _unset(tmp_path / "file" / "data")
    assert "key file" in str(err.value) and "SECRET_KEY" in str(err.value)


def test_a_key_file_without_keys_is_refused(tmp_path):
    (tmp_path / "secrets.env").write_text("# emptied by mistake\n")
    with pytest.raises(ValidationError) as err:
        _unset(tmp_path)
    assert "lacks SECRET_KEY" in str(err.value)


def test_tokens_signed_with_the_old_default_are_refused():
    now = datetime.now(UTC)
    forged = jwt.encode({"sub": "00000000-0000-0000-0000-000000000001", "iat": now, "exp": now + timedelta(minutes=5),
                         "iss": security.ISSUER, "aud": security.AUDIENCE, "typ": "access"},
                        LEGACY_DEFAULT_SECRET_KEY, algorithm=security.ALGORITHM)
    with pytest.raises(security.InvalidToken):
        security.decode_access_token(forged)


def test_the_old_default_key_only_opens_values_for_re_encryption():
    legacy = Fernet(keys.derived_fernet_key(LEGACY_DEFAULT_SECRET_KEY)).encrypt(b"app-password").decode()
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(legacy)
    assert not crypto.readable(legacy)
    assert crypto.legacy_decrypt(legacy) == "app-password"
    assert crypto.legacy_decrypt(crypto.encrypt("x")) is None


def test_every_encrypted_column_is_re_encrypted():
    """Models mark encrypted columns "Fernet-encrypted"; app.core.rekey must cover each one."""
    marked = set()
    for path in (ROOT / "models").glob("*.py"):
        for model in re.split(r"^class ", path.read_text(), flags=re.M):
            table = re.search(r'__tablename__\s*=\s*"(\w+)"', model)
            for field in re.findall(r"^\s+(\w+):.*#.*Fernet-encrypted", model, re.M):
                assert table, path
                marked.add((table.group(1), field))
    assert marked and marked == set(rekey.ENCRYPTED_COLUMNS)


def test_web_listens_on_loopback_unless_told_otherwise():
    s = Settings(_env_file=None)
    assert s.web_host == "127.0.0.1"
    argv = web_argv(3000, s.web_host)
    assert argv[argv.index("--backend-host") + 1] == "127.0.0.1"
    assert "WEB_HOST=0.0.0.0" in exposure_line("127.0.0.1")
    assert "reachable from the network" in exposure_line("0.0.0.0")
    assert local_url("0.0.0.0", 3000) == "http://127.0.0.1:3000"
    assert local_url("::1", 3000) == "http://[::1]:3000"
