"""The 90-day history bar: each day shows the worst status the component had that day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from partner_portal import partners, status
from partner_portal.extensions import db
from partner_portal.models import ComponentStatus, ComponentStatusEvent

from .helpers import add_page, add_partner, grant, sign_in, soup

OK = ComponentStatus.OPERATIONAL


def history_of(page, component, now):  # noqa: ANN001, ANN201
    """Return one component's history as its status page loads it."""
    ref = status.PageRef(id=page.id, slug=page.slug, name=page.name, description=page.description)
    return status.build_page_view(ref, now).histories[component.id]


def test_each_day_shows_its_worst_status(app, clock):
    with app.app_context():
        page = partners.add_page("api", name="API")
        start = clock.at
        clock.advance(days=-100)
        component = partners.add_component(page, "Gateway", OK)
        clock.set(start - timedelta(days=10, hours=-1))  # 10 days ago, 01:00 later than now
        partners.set_component_status(component, ComponentStatus.PARTIAL_OUTAGE)
        clock.advance(hours=2)
        partners.set_component_status(component, OK)
        clock.set(start - timedelta(days=1))
        partners.set_component_status(component, ComponentStatus.DEGRADED_PERFORMANCE)
        clock.set(start)
        db.session.commit()

        history = history_of(page, component, clock.at)

    days = history.days
    assert len(days) == 90
    assert days[-1].date == start.date()
    assert days[-1].status == ComponentStatus.DEGRADED_PERFORMANCE  # still degraded today
    assert days[-2].status == ComponentStatus.DEGRADED_PERFORMANCE
    assert days[-11].status == ComponentStatus.PARTIAL_OUTAGE
    assert {day.status for day in days[:-11]} == {OK}
    assert history.counts == {
        OK: 87,
        ComponentStatus.DEGRADED_PERFORMANCE: 2,
        ComponentStatus.PARTIAL_OUTAGE: 1,
    }
    assert history.summary == (
        "Last 90 days: 87 days operational, 2 days degraded performance, 1 day partial outage."
    )


def test_a_new_component_has_no_data_before_it_existed(app, clock):
    with app.app_context():
        page = partners.add_page("api", name="API")
        component = partners.add_component(page, "Gateway", OK)
        db.session.commit()
        history = history_of(page, component, clock.at)
    assert [day.status for day in history.days] == [None] * 89 + [OK]
    assert history.operational_percent == 100


def test_unchanged_status_records_nothing(app):
    with app.app_context():
        page = partners.add_page("api", name="API")
        component = partners.add_component(page, "Gateway", OK)
        assert partners.set_component_status(component, OK) is False
        db.session.commit()
        events = db.session.scalars(select(ComponentStatusEvent)).all()
    assert len(events) == 1


def test_the_status_page_draws_the_bar_with_words_for_everyone(app, client, smtp):
    add_partner(app, "alice@acme.example")
    add_page(app, "api", "API", [("Gateway", ComponentStatus.MAJOR_OUTAGE)])
    grant(app, "alice@acme.example", "api")
    sign_in(client, smtp, "alice@acme.example")
    page = soup(client.get("/partner/status/api"))
    bar = page.select_one(".component .history")
    assert bar["role"] == "img"
    assert bar["aria-label"] == "Last 90 days: 1 day major outage."
    days = bar.select(".day")
    assert len(days) == 90
    assert "status-major_outage" in days[-1]["class"]
    assert days[-1]["title"].endswith(": Major outage")


def test_the_bar_matches_a_day_by_day_reading_of_the_events(clock):
    """The history walks the events once; check it against the plain definition of a day.

    A day shows the worst of the status it began with and every status it took.
    """
    from random import Random

    from partner_portal.status import ComponentRow, StatusChange

    today = clock.at.date()
    first_day = today - timedelta(days=status.HISTORY_DAYS - 1)
    statuses = list(ComponentStatus)
    rng = Random(7)  # noqa: S311 - repeatable cases, not secrets
    # Events from the start of the first day up to now (what the query returns).
    window_minutes = (clock.at.date() - first_day).days * 24 * 60 + clock.at.hour * 60
    for _ in range(200):
        moments = sorted(
            clock.at - timedelta(minutes=rng.randrange(0, window_minutes))
            for _ in range(rng.randrange(0, 12))
        )
        started_with = rng.choice([None, *statuses])
        events, previous = [], started_with
        for moment in moments:
            new = rng.choice([s for s in statuses if s != previous])
            events.append(StatusChange(new, previous, moment))
            previous = new
        component = ComponentRow(1, "Gateway", previous or OK)

        history = status._history(component, events, first_day, today)

        expected = []
        for offset in range(status.HISTORY_DAYS):
            day = first_day + timedelta(days=offset)
            before = [e for e in events if e.started_at.date() < day]
            during = [e.status for e in events if e.started_at.date() == day]
            began = (
                before[-1].status
                if before
                else (events[0].previous_status if events else component.status)
            )
            seen = [s for s in [began, *during] if s is not None]
            expected.append(max(seen, key=lambda s: s.severity) if seen else None)
        assert list(history.statuses) == expected
