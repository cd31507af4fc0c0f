"""Bulk import of partners from CSV: the admin upload and ``flask partners import``."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from partner_portal import messages
from partner_portal.extensions import db
from partner_portal.models import AccessGrant, Partner

from .helpers import (
    add_page,
    add_partner,
    audit_events,
    field_errors,
    flashes,
    form_data,
    get_partner,
    soup,
)

GOOD = (
    "email,name,company,pages\n"
    "alice@acme.example,Alice Martin,Acme,payments-api;eu-region\n"
    "Bob@Globex.example,Bob Okafor,Globex,\n"
    "\n"
    'carol@initech.example,"Jensen, Carol",,eu-region\n'
)
BAD = (
    "email,name,company,pages\n"
    "alice@acme.example,Alice Martin,Acme,payments-api\n"
    "not-an-email,Bob,Globex,\n"
    "dave@acme.example,,Acme,\n"
    "erin@acme.example,Erin,Acme,no-such-page\n"
    "ALICE@acme.example,Alice again,Acme,\n"
    "taken@acme.example,Taken,Acme,\n"
    "frank@acme.example,Frank\n"
)


@pytest.fixture
def pages(app):
    add_page(app, "payments-api")
    add_page(app, "eu-region")
    add_partner(app, "taken@acme.example")


def upload(client, content: bytes, filename: str = "partners.csv"):
    data = form_data(client.get("/admin/partners/import"), "/admin/partners/import")
    data["file"] = (io.BytesIO(content), filename)
    return client.post("/admin/partners/import", data=data, content_type="multipart/form-data")


def partner_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Partner))


def test_a_good_file_imports_every_partner_with_their_pages(app, client, admin, pages):
    response = upload(client, GOOD.encode())
    assert response.status_code == 303
    assert response.location == "/admin/partners"
    assert flashes(client.get("/admin/partners")) == [messages.IMPORT_DONE.format(count=3)]
    assert partner_count(app) == 4
    carol = get_partner(app, "carol@initech.example")
    assert (carol.name, carol.company, carol.is_active) == ("Jensen, Carol", None, True)
    assert get_partner(app, "bob@globex.example").company == "Globex"
    with app.app_context():
        alice = db.session.scalar(select(Partner).where(Partner.email == "alice@acme.example"))
        assert sorted(grant.page.slug for grant in alice.grants) == ["eu-region", "payments-api"]
    created = audit_events(app, "admin.partner.created")
    assert [e.details["line"] for e in created] == [2, 3, 5]
    assert {e.admin_id for e in created} == {admin}
    (summary,) = audit_events(app, "admin.partners.imported")
    assert summary.details == {"count": 3}


def test_a_file_with_bad_lines_writes_nothing_and_names_each_line(app, client, admin, pages):
    response = upload(client, BAD.encode())
    assert response.status_code == 400
    assert flashes(response) == [messages.IMPORT_FAILED]
    problems = [li.get_text(strip=True) for li in soup(response).select(".import-errors li")]
    assert problems == [
        f"Line 3: {messages.INVALID_EMAIL}",
        "Line 4: Name is required.",
        "Line 5: no status page has the slug no-such-page.",
        "Line 6: alice@acme.example is already on line 2.",
        "Line 7: a partner with the email taken@acme.example already exists.",
        "Line 8: expected 4 values, found 2.",
    ]
    assert partner_count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccessGrant)) == 0
    assert audit_events(app, "admin.partner.created") == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "Line 1: the file is empty."),
        (b"mail,fullname\nx@y.example,X\n", "Line 1: the first line must name the columns"),
        (b"email,name\n", "Line 1: the file has a header but no partners."),
        (
            b"email,name\nok@acme.example,Ok\nbad\xff@acme.example,B\n",
            "Line 3: the file is not UTF-8",
        ),
        (b'email,name\n"unterminated,X\n', "Line"),
    ],
)
def test_files_that_are_not_usable_csv_are_explained(app, client, admin, pages, content, expected):
    response = upload(client, content)
    assert response.status_code == 400
    problems = [li.get_text(strip=True) for li in soup(response).select(".import-errors li")]
    assert len(problems) == 1
    assert problems[0].startswith(expected)
    assert partner_count(app) == 1


def test_uploading_without_a_file_is_a_field_error(app, client, admin):
    data = form_data(client.get("/admin/partners/import"), "/admin/partners/import")
    response = client.post("/admin/partners/import", data=data)
    assert response.status_code == 400
    assert field_errors(response) == [messages.IMPORT_NO_FILE]


def test_a_file_over_the_upload_limit_is_refused_cleanly(app, client, admin):
    response = upload(client, b"email,name\n" + b"x" * 70_000)
    assert response.status_code == 413
    assert partner_count(app) == 0


# -- the command line ----------------------------------------------------------


def test_cli_import_of_a_good_file_shows_progress(app, runner, pages, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["partners", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Importing" in result.output
    assert "Imported 3 partner(s)." in result.output
    assert partner_count(app) == 4
    created = audit_events(app, "admin.partner.created")
    assert len(created) == 3
    assert {e.admin_id for e in created} == {None}
    assert {e.user_agent for e in created} == {"flask cli"}


def test_cli_import_of_a_bad_file_lists_the_lines_and_writes_nothing(app, runner, pages, tmp_path):
    path = tmp_path / "partners.csv"
    path.write_bytes(BAD.encode())
    result = runner.invoke(args=["partners", "import", str(path)])
    assert result.exit_code == 1
    assert f"Line 3: {messages.INVALID_EMAIL}" in result.output
    assert "Line 8: expected 4 values, found 2." in result.output
    assert "Nothing was imported: 6 line(s) to fix." in result.output
    assert partner_count(app) == 1
