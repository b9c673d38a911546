"""argon2id hashing and the password policy."""

from __future__ import annotations

import pytest

from penworks.auth import Passwords, WeakPassword, check_policy
from tests.unit.auth.support import FAST, GOOD_PASSWORD


def test_a_hash_verifies_its_password_only() -> None:
    stored = FAST.hash(GOOD_PASSWORD)
    assert stored.startswith("$argon2id$")
    assert GOOD_PASSWORD not in stored
    assert FAST.verify(stored, GOOD_PASSWORD)
    assert not FAST.verify(stored, GOOD_PASSWORD + "x")


def test_two_hashes_of_one_password_differ() -> None:
    assert FAST.hash(GOOD_PASSWORD) != FAST.hash(GOOD_PASSWORD)  # salted


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$broken"])
def test_a_missing_or_damaged_hash_never_matches(stored: str | None) -> None:
    assert not FAST.verify(stored, GOOD_PASSWORD)


def test_a_hash_made_with_other_parameters_needs_rehashing() -> None:
    stronger = Passwords(time_cost=2, memory_kib=16, lanes=1)
    old = FAST.hash(GOOD_PASSWORD)
    assert stronger.needs_rehash(old)
    assert stronger.verify(old, GOOD_PASSWORD)  # old hashes still verify
    assert not stronger.needs_rehash(stronger.hash(GOOD_PASSWORD))
    assert stronger.needs_rehash("garbage")


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Short-1", "at least 12 characters"),
        ("x" * 257, "at most 256"),
        ("Alice-Rocks-2025", "username"),
        ("MyPassword-2025!", "common password"),
        ("abababababab1", "different characters"),
        ("lowercaseonly", "mix kinds"),
        ("123456789012", "common password"),
        ("24681357902", "at least 12"),
        ("246813579024", "mix kinds"),
    ],
)
def test_the_policy_names_the_rule_a_password_breaks(password: str, rule: str) -> None:
    with pytest.raises(WeakPassword, match=rule):
        check_policy(password, "alice")


@pytest.mark.parametrize(
    "password",
    [
        GOOD_PASSWORD,
        "correct horse battery",  # a passphrase: letters and spaces
        "onlylowercaseletters",  # 16 or more of one kind
        "温度控制器的密码很长123",  # other scripts count as letters
    ],
)
def test_reasonable_passwords_pass(password: str) -> None:
    check_policy(password, "alice")
