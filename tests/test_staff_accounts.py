"""Staff accounts in the console and on the command line: roles, deactivation, the last owner."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from partner_portal import actors, messages
from partner_portal.admin.staff import accounts
from partner_portal.extensions import db
from partner_portal.models import Admin, MagicLinkToken, Role, StaffSession
from partner_portal.security import tokens
from partner_portal.security.purposes import Purpose

from .helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    add_admin,
    add_staff,
    admin_sign_in,
    audit_events,
    flashes,
    form_data,
    soup,
    submit,
)

EDITOR = "editor@portal.example"


def role_of(app, email: str) -> tuple[Role, bool]:
    with app.app_context():
        admin = db.session.scalar(select(Admin).where(Admin.email == email))
        return admin.role, admin.is_active


def staff_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Admin.id).where(Admin.email == email))


@pytest.fixture
def owner(app, client, clock):
    """An owner signed in on ``client`` (just now: no step-up needed) and an editor."""
    add_admin(app)
    add_staff(app, EDITOR, "editor")
    admin_sign_in(client)
    return client


def test_the_staff_page_lists_accounts_with_role_state_and_second_factor(app, owner):
    page = soup(owner.get("/admin/staff"))
    rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")][:3]
        for row in page.select("table.staff tbody tr")
    }
    assert rows[f"{ADMIN_EMAIL} (you)"] == ["Owner", "Active", "None"]
    assert rows[EDITOR] == ["Editor", "Active", "None"]


def test_an_owner_changes_a_role_and_it_applies_from_the_next_request(app, owner, clock):
    editor = app.test_client()
    admin_sign_in(editor, EDITOR)
    assert editor.get("/admin/partners/new").status_code == 200
    target = staff_id(app, EDITOR)
    response = submit(
        owner, f"/admin/staff/{target}/role", f"/admin/staff/{target}/role", {"role": "viewer"}
    )
    assert response.status_code == 303
    assert role_of(app, EDITOR) == (Role.VIEWER, True)
    assert editor.get("/admin/partners/new").status_code == 403
    (event,) = audit_events(app, "admin.staff.role_changed")
    assert event.admin_id == staff_id(app, ADMIN_EMAIL)  # who did it
    assert event.email == EDITOR
    assert event.details == {"account_id": target, "from": "editor", "to": "viewer"}


def test_deactivation_bites_on_the_next_request_and_kills_links(app, owner, clock):
    editor = app.test_client()
    admin_sign_in(editor, EDITOR)
    assert editor.get("/admin/").status_code == 200
    target = staff_id(app, EDITOR)
    with app.app_context():
        tokens.mint_token(
            email=EDITOR,
            purpose=Purpose.PASSWORD_RESET,
            lifetime=Purpose.PASSWORD_RESET.default_lifetime,
            admin_id=target,
        )
        db.session.commit()
    page = owner.get(f"/admin/staff/{target}/deactivate")
    response = owner.post(
        f"/admin/staff/{target}/deactivate",
        data=form_data(page, f"/admin/staff/{target}/deactivate"),
    )
    assert response.status_code == 303
    assert messages.STAFF_DEACTIVATED.format(email=EDITOR, sessions=1, links=1) in flashes(
        owner.get("/admin/staff")
    )
    landed = editor.get("/admin/")
    assert landed.location.startswith("/admin/login")
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(StaffSession)
                .where(StaffSession.admin_id == target)
            )
            == 0
        )
        assert db.session.scalar(select(MagicLinkToken.revoked_at)) is not None
    # And the password no longer signs in.
    assert admin_sign_in(app.test_client(), EDITOR).status_code == 400
    (event,) = audit_events(app, "admin.staff.deactivated")
    assert event.admin_id == staff_id(app, ADMIN_EMAIL)


def test_a_deactivated_session_ends_even_if_its_row_survived(app, owner, clock):
    """The identity check alone (without the row deletion) is enough on the next request."""
    editor = app.test_client()
    admin_sign_in(editor, EDITOR)
    with app.app_context():
        db.session.scalar(select(Admin).where(Admin.email == EDITOR)).is_active = False
        db.session.commit()
    assert editor.get("/admin/").location.startswith("/admin/login")


def test_reactivation(app, owner):
    target = staff_id(app, EDITOR)
    with app.app_context():
        accounts.deactivate_admin(actors.CLI, db.session.get(Admin, target))
    response = submit(owner, "/admin/staff", f"/admin/staff/{target}/reactivate")
    assert response.status_code == 303
    assert role_of(app, EDITOR) == (Role.EDITOR, True)
    assert admin_sign_in(app.test_client(), EDITOR).status_code == 303


def test_the_last_active_owner_can_be_neither_demoted_nor_deactivated(app, owner):
    me = staff_id(app, ADMIN_EMAIL)
    demoted = submit(
        owner, f"/admin/staff/{me}/role", f"/admin/staff/{me}/role", {"role": "editor"}
    )
    assert demoted.status_code == 303
    assert messages.LAST_OWNER in flashes(owner.get("/admin/staff"))
    page = owner.get(f"/admin/staff/{me}/deactivate")
    owner.post(
        f"/admin/staff/{me}/deactivate", data=form_data(page, f"/admin/staff/{me}/deactivate")
    )
    assert role_of(app, ADMIN_EMAIL) == (Role.OWNER, True)
    assert audit_events(app, "admin.staff.role_changed") == []
    assert audit_events(app, "admin.staff.deactivated") == []
    # With a second owner, either may go.
    target = staff_id(app, EDITOR)
    submit(owner, f"/admin/staff/{target}/role", f"/admin/staff/{target}/role", {"role": "owner"})
    submit(owner, f"/admin/staff/{me}/role", f"/admin/staff/{me}/role", {"role": "viewer"})
    assert role_of(app, ADMIN_EMAIL) == (Role.VIEWER, True)


def test_owners_demoting_each_other_at_once_leave_one_owner(app, clock):
    """Eight owners each demote themselves (or deactivate) at the same moment: one stays."""
    emails = [f"owner{n}@portal.example" for n in range(8)]
    for email in emails:
        add_staff(app, email, "owner")
    barrier = threading.Barrier(len(emails))
    outcomes: list[str] = []

    def step_down(number: int, email: str) -> None:
        with app.app_context():
            admin = db.session.scalar(select(Admin).where(Admin.email == email))
            barrier.wait()
            try:
                if number % 2:
                    accounts.deactivate_admin(actors.CLI, admin)
                else:
                    accounts.set_role(actors.CLI, admin, Role.EDITOR)
                outcomes.append("done")
            except accounts.LastOwner:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=step_down, args=pair) for pair in enumerate(emails)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done"] * 7 + ["refused"]
    with app.app_context():
        owners = db.session.scalar(
            select(func.count())
            .select_from(Admin)
            .where(Admin.role == Role.OWNER, Admin.is_active.is_(True))
        )
    assert owners == 1


# -- the command line -----------------------------------------------------------------


def test_cli_create_takes_a_role_and_defaults_to_owner(app, runner):
    result = runner.invoke(args=["admin", "create", "a@portal.example"], input=ADMIN_PASSWORD)
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["admin", "create", "b@portal.example", "--role", "communicator"], input=ADMIN_PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert role_of(app, "a@portal.example") == (Role.OWNER, True)
    assert role_of(app, "b@portal.example") == (Role.COMMUNICATOR, True)
    refused = runner.invoke(
        args=["admin", "create", "c@portal.example", "--role", "god"], input=ADMIN_PASSWORD
    )
    assert refused.exit_code == 2
    created = audit_events(app, "admin.created")
    assert [e.details["via"] for e in created] == ["cli", "cli"]


def test_cli_list_set_role_and_deactivate(app, runner):
    add_admin(app)
    add_staff(app, EDITOR, "editor")
    listed = runner.invoke(args=["admin", "list"])
    assert listed.exit_code == 0
    assert f"{ADMIN_EMAIL}\towner\tactive\tno second factor" in listed.output
    assert f"{EDITOR}\teditor\tactive" in listed.output

    assert runner.invoke(args=["admin", "set-role", EDITOR, "viewer"]).exit_code == 0
    assert role_of(app, EDITOR) == (Role.VIEWER, True)
    last = runner.invoke(args=["admin", "set-role", ADMIN_EMAIL, "viewer"])
    assert last.exit_code == 1
    assert messages.LAST_OWNER.split(",")[0] in last.output or "owner" in last.output

    assert runner.invoke(args=["admin", "deactivate", EDITOR]).exit_code == 0
    assert role_of(app, EDITOR) == (Role.VIEWER, False)
    assert runner.invoke(args=["admin", "deactivate", ADMIN_EMAIL]).exit_code == 1
    unknown = runner.invoke(args=["admin", "deactivate", "nobody@portal.example"])
    assert unknown.exit_code == 1
    assert "No staff account" in unknown.output

    changed = audit_events(app, "admin.staff.role_changed")
    assert changed[0].admin_id is None
    assert changed[0].details["via"] == "cli"
    assert audit_events(app, "admin.staff.deactivated")[0].details["via"] == "cli"
