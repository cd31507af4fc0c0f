"""One rule decides who sees what; every surface follows it (cases in visibility_cases.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from partner_portal import incidents, maintenance, partners, status, statuspages, visibility
from partner_portal.actors import CLI, SYSTEM
from partner_portal.extensions import db
from partner_portal.models import Component, ComponentStatus

from .helpers import add_partner, sign_in, soup
from .visibility_cases import CASES, SUPPORTED_CASES, Case

OK = ComponentStatus.OPERATIONAL


def ids_of(case_names, component_ids: dict[str, int]) -> list[int]:
    return [component_ids[name] for name in case_names]


def rows_for(case: Case, page_id: int, component_ids: dict[str, int], now) -> list[tuple]:
    """The rows the visibility statement returns for this case: one per (live grant,
    named component), nothing for an inactive partner."""
    if not case.is_active:
        return []
    rows = []
    for number, grant in enumerate(case.grants, start=1):
        ends = now + grant.ends_in if grant.ends_in is not None else None
        if grant.revoked or (ends is not None and ends <= now):
            continue
        for component_id in ids_of(grant.components, component_ids) or [None]:
            rows.append((page_id, "page", "Page", "", 3, ends, number, component_id))
    return rows


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_rule_itself_on_every_case(case):
    component_ids = {"A": 1, "B": 2, "C": 3}
    now = datetime(2026, 11, 21, tzinfo=UTC)
    scopes = visibility.merge(rows_for(case, 7, component_ids, now))
    assert bool(scopes) == case.sees_page
    if scopes:
        (scope,) = scopes
        assert scope.version == 3
        assert scope.sees(ids_of(case.affected, component_ids)) == case.sees_item
        visible = [name for name, cid in component_ids.items() if scope.sees_component(cid)]
        assert tuple(visible) == case.sees_components


@pytest.fixture
def world(app, clock):
    """A page with components A, B, C; an open and a resolved incident and a scheduled
    window, each affecting the same components (set per case)."""

    def build(case: Case) -> dict[str, int]:
        with app.app_context():
            page = statuspages.add_page("page", name="Page")
            for name in ("A", "B", "C"):
                statuspages.add_component(page, name, OK)
            db.session.commit()
            components = statuspages.components_named(page, case.affected)
            opened = incidents.open_incident(
                CLI, page, title="Open item", impact="minor", components=components
            )
            past = incidents.open_incident(
                CLI, page, title="Past item", impact="minor", components=components
            )
            incidents.resolve_incident(CLI, past)
            maintenance.schedule(
                CLI,
                page,
                title="Window item",
                start=clock.at + timedelta(days=1),
                end=clock.at + timedelta(days=1, hours=1),
                components=components,
            )
            ids = dict(db.session.execute(select(Component.name, Component.id)).all())
            return {"page": page.id, "open": opened.id, **ids}

    return build


def grant_as_case(app, case: Case, now) -> None:
    with app.app_context():
        partner = partners.get_partner("alice@acme.example")
        page = statuspages.get_page("page")
        for grant in case.grants:
            until = now + grant.ends_in if grant.ends_in is not None else None
            partners.grant_access(SYSTEM, partner, page, until)
            if grant.revoked:
                partners.revoke_access(SYSTEM, partner, page)


@pytest.mark.parametrize("case", SUPPORTED_CASES, ids=lambda case: case.name)
def test_every_partner_surface_follows_the_case(app, smtp, clock, world, case):
    made = world(case)
    add_partner(app, "alice@acme.example")
    grant_as_case(app, case, clock.at)
    browser = app.test_client()
    sign_in(browser, smtp, "alice@acme.example")
    if not case.is_active:
        with app.app_context():
            partners.deactivate_partner(SYSTEM, partners.get_partner("alice@acme.example"))

    dashboard = browser.get("/partner/dashboard")
    me = browser.get("/api/partner/auth/me")
    page = browser.get("/partner/status/page")
    incident = browser.get(f"/partner/status/page/incidents/{made['open']}")
    history = browser.get("/partner/status/page/history")

    if not case.is_active:
        assert dashboard.status_code == 302
        assert me.status_code == 401
        assert page.status_code == incident.status_code == history.status_code == 302
        return
    listed = [a.get_text() for a in soup(dashboard).select(".page-card h2 a")]
    assert (listed == ["Page"]) == case.sees_page
    assert ([p["slug"] for p in me.get_json()["statusPages"]] == ["page"]) == case.sees_page
    if not case.sees_page:
        assert page.status_code == incident.status_code == history.status_code == 404
        return
    text = soup(page).get_text(" ", strip=True)
    shown = [h.get_text() for h in soup(page).select(".component-name")]
    assert tuple(shown) == case.sees_components
    assert ("Open item" in text) == case.sees_item
    assert ("Window item" in text) == case.sees_item
    assert incident.status_code == (200 if case.sees_item else 404)
    assert ("Past item" in soup(history).get_text()) == case.sees_item


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if "components" in case.needs],
    ids=lambda case: case.name,
)
def test_component_limited_audiences_on_every_read(app, clock, world, case):
    """Grants naming components arrive with issue 14; every read already filters by the
    Scope that visibility.merge builds from such grants, in SQL where pagination needs it."""
    made = world(case)
    component_ids = {name: made[name] for name in ("A", "B", "C")}
    with app.app_context():
        scopes = visibility.merge(rows_for(case, made["page"], component_ids, clock.at))
        assert bool(scopes) == case.sees_page
        if not scopes:
            return
        (scope,) = scopes
        view = status.build_page_view(scope, clock.at)
        assert tuple(c.name for c in view.components) == case.sees_components
        assert bool(view.open_incidents) == case.sees_item
        assert bool(view.upcoming) == case.sees_item
        assert (status.incident_view(scope, made["open"], clock.at) is not None) == case.sees_item
        history = status.history_page(scope, 1)
        assert bool(history.months) == case.sees_item
        (summary,) = status.summaries([scope], clock.at).values()
        assert summary.component_count == len(case.sees_components)
        assert summary.open_incidents == (1 if case.sees_item else 0)
        assert (summary.next_maintenance is not None) == case.sees_item
