"""Staff passwords (NIST SP 800-63B, ASVS 5.0 6.2): length, the common-password list, context.

At least 12 characters; none of SecLists' 100,000 most common passwords,
compared without regard to case; not the account's own address, nor the
portal's name; no composition rules.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from partner_portal import messages
from partner_portal.security import passwords
from partner_portal.security.passwords import COMMON_PASSWORDS, COMMON_PASSWORDS_FILE, WeakPassword

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_list_is_the_whole_list_lower_cased_and_sorted():
    lines = COMMON_PASSWORDS_FILE.read_bytes().split(b"\n")
    assert lines[-1] == b""
    entries = lines[:-1]
    # 100,000 passwords, 96,518 once case is folded and duplicates go.
    assert len(entries) == 96_518
    assert entries == sorted(set(entries))
    assert all(entry == entry.decode().lower().encode() for entry in entries)


@pytest.mark.parametrize(
    "password",
    ["passwordpassword", "PasswordPassword", "111111111111", "123123QWEQWE", "1234567890qwerty"],
)
def test_common_passwords_are_refused_whatever_their_case(app, password):
    assert password.lower().encode() in COMMON_PASSWORDS_FILE.read_bytes().split(b"\n")
    with app.app_context(), pytest.raises(WeakPassword, match="most common"):
        passwords.check_strength(password)


def test_every_entry_is_found_and_nothing_else(app):
    entries = COMMON_PASSWORDS_FILE.read_text().splitlines()
    assert all(entry in COMMON_PASSWORDS for entry in entries[::97])
    assert entries[0] in COMMON_PASSWORDS
    assert entries[-1] in COMMON_PASSWORDS
    for other in [
        "",
        "zzzzzzzzzzzzzzzzzzzzzzzzzz",
        "correct horse battery staple",
        "\x00",
        "ü" * 13,
    ]:
        assert other not in COMMON_PASSWORDS


@pytest.mark.parametrize(
    ("password", "sentence"),
    [
        ("eleven char", messages.PASSWORD_TOO_SHORT),
        ("x" * 1025, messages.PASSWORD_TOO_LONG),
        ("Ops@Portal.Example", messages.PASSWORD_IS_EMAIL),
        ("partner portal", messages.PASSWORD_IS_APP_NAME),
        ("PartnerPortal2026!", messages.PASSWORD_IS_APP_NAME),
    ],
)
def test_short_long_own_address_and_app_name_are_refused(app, password, sentence):
    with app.app_context(), pytest.raises(WeakPassword) as refused:
        passwords.check_strength(password, email="ops@portal.example")
    assert str(refused.value) == sentence


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "aaaaaaaaaaaa-no-rules-here", "a partner portal for us all"],
)
def test_no_composition_rules(app, password):
    with app.app_context():
        passwords.check_strength(password, email="ops@portal.example")


def test_flask_admin_create_refuses_a_common_password(app, runner):
    result = runner.invoke(
        args=["admin", "create", "ops@portal.example"], input="passwordpassword\n"
    )
    assert result.exit_code == 1
    assert messages.PASSWORD_TOO_COMMON in result.output


def test_a_check_takes_microseconds_and_loading_costs_nothing():
    started = time.perf_counter()
    for _ in range(1000):
        "some password nobody uses" in COMMON_PASSWORDS  # noqa: B015
    assert (time.perf_counter() - started) / 1000 < 0.001


def test_a_web_worker_does_not_pay_for_the_list_in_its_heap():
    """Importing the app and checking a password adds well under 1 MB of resident memory.

    A ``set`` of the list would cost about 10 MB in every worker; the list is
    memory-mapped and bisected instead (its pages are the OS's, shared).
    """
    script = (
        "import resource, sys\n"
        "from partner_portal.security.passwords import COMMON_PASSWORDS\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "assert 'passwordpassword' in COMMON_PASSWORDS\n"
        "assert 'a long and unusual phrase' not in COMMON_PASSWORDS\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(after - before)\n"
    )
    grown_kib = int(
        subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    assert grown_kib < 1024, grown_kib
    assert resource  # the same measure the script takes
