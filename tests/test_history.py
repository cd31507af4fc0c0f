"""The 90-day history bar: each day's worst status and minutes affected; time-weighted uptime."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from partner_portal import partners, status
from partner_portal.extensions import db
from partner_portal.models import ComponentStatus, ComponentStatusEvent

from .helpers import add_page, add_partner, grant, sign_in, soup

OK = ComponentStatus.OPERATIONAL


def history_of(page, component, now):  # noqa: ANN001, ANN201
    """Return one component's history as its status page loads it."""
    ref = status.PageRef(id=page.id, slug=page.slug, name=page.name, description=page.description)
    return status.build_page_view(status.Scope(ref), now).histories[component.id]


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
    # Two hours of partial outage (weight 0.3) over the 90 days the component existed.
    observed_minutes = 89 * 24 * 60 + 9 * 60 + 30
    assert history.uptime == pytest.approx(100 * (1 - 0.3 * 120 / observed_minutes))
    assert history.minutes[-11] == 120
    assert history.minutes[-2] == 14 * 60 + 30  # degraded since 09:30 yesterday
    assert history.minutes[-1] == 9 * 60 + 30
    assert history.summary == (
        "Last 90 days: 99.97 % uptime; 87 days operational, 2 days degraded performance, "
        "1 day partial outage."
    )


def test_a_new_component_has_no_data_before_it_existed(app, clock):
    with app.app_context():
        page = partners.add_page("api", name="API")
        component = partners.add_component(page, "Gateway", OK)
        db.session.commit()
        history = history_of(page, component, clock.at)
    assert [day.status for day in history.days] == [None] * 89 + [OK]
    assert history.uptime is None  # not a minute of it yet


def test_unchanged_status_records_nothing(app):
    with app.app_context():
        page = partners.add_page("api", name="API")
        component = partners.add_component(page, "Gateway", OK)
        assert partners.set_component_status(component, OK) is False
        db.session.commit()
        events = db.session.scalars(select(ComponentStatusEvent)).all()
    assert len(events) == 1


def test_the_status_page_draws_the_bar_with_words_for_everyone(app, client, smtp, clock):
    add_partner(app, "alice@acme.example")
    start = clock.at
    clock.advance(days=-100)
    add_page(app, "api", "API", [("Gateway", OK)])
    with app.app_context():
        component = partners.get_page("api").components[0]
        clock.set(start - timedelta(minutes=42))
        partners.set_component_status(component, ComponentStatus.MAJOR_OUTAGE)
        db.session.commit()
    clock.set(start)
    grant(app, "alice@acme.example", "api")
    sign_in(client, smtp, "alice@acme.example")
    page = soup(client.get("/partner/status/api"))
    bar = page.select_one(".component .history")
    assert bar["role"] == "group"
    assert bar["aria-labelledby"] == page.select_one(".component-name")["id"]
    days = bar.select(".day")
    assert len(days) == 90
    assert "status-major_outage" in days[-1]["class"]
    assert days[-1]["role"] == "img"
    assert days[-1]["title"] == "21 Nov 2026: major outage, 42 minutes affected"
    assert days[0]["title"] == "24 Aug 2026: operational, 0 minutes affected"
    uptime = page.select_one(".uptime").get_text(" ", strip=True)
    assert uptime.startswith("99.97 % uptime")  # 42 minutes down in 90 days


def test_the_bar_matches_a_minute_by_minute_reading_of_the_events(clock):
    """The history walks the events once; check it against the plain definitions, minute by
    minute: a day shows the worst status it began with or took, and the minutes spent not
    operational; uptime counts major outage minutes fully and partial outage ones at 0.3."""
    from random import Random

    from partner_portal.status import StatusChange

    now = clock.at  # 09:30 UTC, on a minute
    today = now.date()
    first_day = today - timedelta(days=status.HISTORY_DAYS - 1)
    window_start = datetime.combine(first_day, time.min, tzinfo=UTC)
    total = int((now - window_start).total_seconds() // 60)
    statuses = list(ComponentStatus)
    rng = Random(7)  # noqa: S311 - repeatable cases, not secrets
    for _ in range(12):
        minutes = sorted(rng.sample(range(total + 1), rng.randrange(0, 12)))
        started_with = rng.choice([None, *statuses])
        events, previous = [], started_with
        for minute in minutes:
            new = rng.choice([s for s in statuses if s != previous])
            events.append(StatusChange(new, previous, window_start + timedelta(minutes=minute)))
            previous = new
        current = previous or OK

        history = status.history(current, events, now)

        # Reference: the status in force during each minute of the window.
        in_force = events[0].previous_status if events else current
        affected = [0] * status.HISTORY_DAYS
        worst_of = [None] * status.HISTORY_DAYS
        observed = down = 0.0
        index = 0
        for minute in range(total + 1):
            day = minute // (24 * 60)
            while index < len(events) and events[index].started_at <= window_start + timedelta(
                minutes=minute
            ):
                in_force = events[index].status
                index += 1
                worst_of[day] = max(
                    [s for s in (worst_of[day], in_force) if s], key=lambda s: s.severity
                )
            if in_force is not None:
                worst_of[day] = max(
                    [s for s in (worst_of[day], in_force) if s], key=lambda s: s.severity
                )
            if minute == total or in_force is None:
                continue  # the minute starting now has not happened yet
            observed += 1
            affected[day] += in_force is not OK
            down += {ComponentStatus.MAJOR_OUTAGE: 1, ComponentStatus.PARTIAL_OUTAGE: 0.3}.get(
                in_force, 0
            )
        assert list(history.statuses) == worst_of
        assert list(history.minutes) == affected
        if observed:
            assert history.uptime == pytest.approx(100 * (1 - down / observed))
        else:
            assert history.uptime is None
