"""The one data-access story: the fast path (``run``) cannot read stale data or leave it behind."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from partner_portal.extensions import db, run, unit_of_work
from partner_portal.models import AuditEvent, Partner

from .helpers import add_partner


def test_run_refuses_a_write_to_a_table_the_orm_holds_objects_of(app):
    add_partner(app, "alice@acme.example")
    with app.app_context():
        with pytest.raises(TypeError, match="partners"):
            run(update(Partner).values(name="Changed"))
        # An append-only table is fine.
        run(update(AuditEvent).values(severity="info"))


def test_run_sees_changes_the_orm_has_not_flushed_yet(app):
    partner_id = add_partner(app, "alice@acme.example")
    with app.app_context():
        partner = db.session.get(Partner, partner_id)
        partner.name = "Alice Renamed"
        name = run(select(Partner.name).where(Partner.id == partner_id)).scalar_one()
        assert name == "Alice Renamed"
        db.session.rollback()


def test_a_unit_of_work_commits_once_and_rolls_back_everything_on_error(app):
    @unit_of_work
    def rename(partner_id: int, name: str, *, fail: bool = False) -> None:
        db.session.get(Partner, partner_id).name = name
        inner(partner_id)
        if fail:
            raise ValueError("refused")

    @unit_of_work
    def inner(partner_id: int) -> None:
        db.session.get(Partner, partner_id).company = "Inner"

    partner_id = add_partner(app, "alice@acme.example", company="Acme")
    with app.app_context(), pytest.raises(ValueError, match="refused"):
        rename(partner_id, "Nobody", fail=True)
    with app.app_context():
        partner = db.session.get(Partner, partner_id)
        # The inner unit joined the outer one: nothing of either was kept.
        assert (partner.name, partner.company) == ("Alice Martin", "Acme")
    with app.app_context():
        rename(partner_id, "Alice Renamed")
    with app.app_context():
        partner = db.session.get(Partner, partner_id)
        assert (partner.name, partner.company) == ("Alice Renamed", "Inner")
