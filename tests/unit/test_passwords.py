"""Password rules and hashing (OWASP ASVS 2.1 / 2.4): no database needed."""

import pytest
from argon2 import PasswordHasher

from app.services.errors import ValidationFailed
from app.services.identity import passwords


def test_hash_is_argon2id_with_at_least_owasp_parameters():
    h = passwords.hash_password("a long enough passphrase")
    assert h.startswith("$argon2id$v=19$")
    params = dict(p.split("=") for p in h.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) == 1


def test_verify_accepts_the_right_password_only():
    h = passwords.hash_password("a long enough passphrase")
    assert passwords.verify("a long enough passphrase", h) == (True, None)
    assert passwords.verify("a long enough passphrasE", h)[0] is False


def test_verify_rehashes_a_hash_made_with_weaker_parameters():
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("a long enough passphrase")
    ok, new_hash = passwords.verify("a long enough passphrase", old)
    assert ok and new_hash and "m=19456,t=2,p=1" in new_hash


def test_unknown_account_still_spends_a_hash_and_fails():
    assert passwords.verify("whatever it is!", None) == (False, None)
    assert passwords.verify("x" * 20_000, "$argon2id$garbage") == (False, None)


@pytest.mark.parametrize(("password", "message"), [
    ("", "password: use at least 10 characters"),
    ("short", "password: use at least 10 characters"),
    ("x" * 10 * 1024, "password: use at most 1024 characters"),
    ("1234567890", "password: this is one of the 10,000 most common passwords"),
    ("Qwertyuiop", "password: this is one of the 10,000 most common passwords"),
])
def test_bad_new_passwords_get_a_clear_message(password, message):
    with pytest.raises(ValidationFailed) as err:
        passwords.validate_new_password(password)
    assert err.value.field == "password" and err.value.message.startswith(message)


def test_good_passwords_need_no_composition_rules():
    for pw in ("all lower case words here", "٣٤٥٦٧٨٩٠١٢ كلمة سر", "🦄🦄🦄🦄🦄🦄🦄🦄🦄🦄", "x" * 1024):
        passwords.validate_new_password(pw)


def test_the_shipped_list_holds_ten_thousand_common_passwords():
    common = passwords.common_passwords()
    assert 9_900 <= len(common) <= 10_000  # a few entries differ only by case
    assert {"123456", "password", "iloveyou", "qwertyuiop"} <= common
