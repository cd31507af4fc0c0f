"""Load realistic benchmark data fast: bulk executemany on SQLite, COPY on PostgreSQL.

The schema comes from the migrations (run before this); ids are given
explicitly so related rows can be written without reading anything back.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from random import Random

from sqlalchemy.engine import Engine

SCALES = {
    "small": {"partners": 1_000, "tokens": 1_000},
    "large": {"partners": 100_000, "tokens": 1_000_000},
}
PAGES = 200
GRANTED_PAGES = 50  # for the benchmark partner
GRANTS_PER_PARTNER = 3  # for everyone else
COMPONENTS_PER_PAGE = 6
BATCH = 50_000
COMPONENT_STATUSES = ["operational"] * 8 + [
    "degraded_performance",
    "partial_outage",
    "under_maintenance",
    "major_outage",
]


@dataclass(frozen=True)
class Loaded:
    """What the benchmark needs to know about the data it loaded."""

    partner_email: str
    status_slug: str
    login_emails: list[str]
    confirm_tokens: list[str]


def _sqlite_time(value: datetime) -> str:
    # Exactly what the portal's UTCDateTime stores on SQLite: naive UTC text.
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class Writer:
    """Bulk-insert rows into one engine, printing progress for big tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"

    def value(self, item: object) -> object:
        if isinstance(item, datetime):
            return _sqlite_time(item) if self.is_sqlite else item
        if isinstance(item, bool) and self.is_sqlite:
            return int(item)
        return item

    def insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]], total: int
    ) -> None:
        started = time.monotonic()
        written = 0
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            if self.is_sqlite:
                cursor.execute("PRAGMA synchronous=OFF")
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
                iterator = iter(rows)
                while chunk := [
                    tuple(self.value(item) for item in row) for row in islice(iterator, BATCH)
                ]:
                    cursor.executemany(sql, chunk)
                    written += len(chunk)
                    self._progress(table, written, total, started)
            else:
                copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
                        if written % BATCH == 0:
                            self._progress(table, written, total, started)
                if written % BATCH:
                    self._progress(table, written, total, started)
            connection.commit()
        finally:
            connection.close()
        print(f"  {table}: {written:,} rows in {time.monotonic() - started:.1f} s", flush=True)

    def _progress(self, table: str, written: int, total: int, started: float) -> None:
        if total >= 10 * BATCH:
            elapsed = time.monotonic() - started
            print(f"    {table}: {written:,}/{total:,} ({elapsed:.0f} s)", flush=True)

    def finish(self, tables: Sequence[str]) -> None:
        """Refresh planner statistics (and PostgreSQL's id sequences after explicit ids)."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            if self.is_sqlite:
                cursor.execute("ANALYZE")
            else:
                for table in tables:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )
                    cursor.execute(f"ANALYZE {table}")
            connection.commit()
        finally:
            connection.close()


def load(engine: Engine, scale: str, confirm_count: int, now: datetime) -> Loaded:
    """Fill an empty, migrated database with ``scale`` data; return what the bench needs."""
    size = SCALES[scale]
    partners, token_count = size["partners"], size["tokens"]
    random = Random(42)  # noqa: S311 - repeatable data, not secrets
    writer = Writer(engine)
    print(f"Loading the {scale} scale: {partners:,} partners, {token_count:,} links", flush=True)

    def partner_rows() -> Iterator[tuple]:
        for number in range(1, partners + 1):
            yield (
                number,
                f"partner{number:06d}@bench.example",
                f"Partner {number}",
                f"Company {number % 5000}",
                number % 100 != 99,  # one in a hundred deactivated
                now - timedelta(days=400) + timedelta(minutes=number),
                now - timedelta(days=random.randint(0, 60)),
            )

    writer.insert(
        "partners",
        ["id", "email", "name", "company", "is_active", "created_at", "last_login_at"],
        partner_rows(),
        partners,
    )
    writer.insert(
        "status_pages",
        ["id", "slug", "name", "description", "created_at"],
        (
            (
                page,
                f"page-{page:03d}",
                f"Service {page:03d}",
                "Availability of the service and its regions.",
                now - timedelta(days=300),
            )
            for page in range(1, PAGES + 1)
        ),
        PAGES,
    )
    components = [
        (
            (page - 1) * COMPONENTS_PER_PAGE + position + 1,
            page,
            f"Component {position}",
            random.choice(COMPONENT_STATUSES),
            position,
            now - timedelta(hours=position),
        )
        for page in range(1, PAGES + 1)
        for position in range(COMPONENTS_PER_PAGE)
    ]
    writer.insert(
        "components",
        ["id", "page_id", "name", "status", "position", "updated_at"],
        components,
        len(components),
    )
    events = _status_events(now, random, [(row[0], row[3]) for row in components])
    writer.insert(
        "component_status_events",
        ["id", "component_id", "status", "previous_status", "started_at"],
        events,
        len(events),
    )
    incidents, updates = _incidents(now)
    writer.insert(
        "incidents",
        ["id", "page_id", "title", "impact", "status", "started_at", "updated_at", "resolved_at"],
        incidents,
        len(incidents),
    )
    writer.insert(
        "incident_updates",
        ["id", "incident_id", "status", "message", "created_at"],
        updates,
        len(updates),
    )

    def grant_rows() -> Iterator[tuple]:
        number = 0
        for page in range(1, GRANTED_PAGES + 1):
            number += 1
            yield (number, 1, page, now - timedelta(days=30), None)
        for partner in range(2, partners + 1):
            for page in random.sample(range(1, PAGES + 1), GRANTS_PER_PARTNER):
                number += 1
                yield (number, partner, page, now - timedelta(days=30), None)

    writer.insert(
        "access_grants",
        ["id", "partner_id", "page_id", "granted_at", "expires_at"],
        grant_rows(),
        GRANTED_PAGES + (partners - 1) * GRANTS_PER_PARTNER,
    )

    # Background links: mostly used, some revoked, the rest expired unused.
    salt = secrets.token_hex(8)

    def token_rows() -> Iterator[tuple]:
        for number in range(1, token_count + 1):
            partner = random.randint(1, partners)
            created = now - timedelta(seconds=random.randint(60, 60 * 86400))
            kind = number % 20
            used = created + timedelta(minutes=2) if kind < 18 else None
            revoked = created + timedelta(minutes=1) if kind == 18 else None
            yield (
                number,
                hashlib.sha256(f"{salt}-{number}".encode()).hexdigest(),
                f"partner{partner:06d}@bench.example",
                partner,
                "login",
                "203.0.113.7",
                "Mozilla/5.0 (bench)",
                created,
                created + timedelta(minutes=15),
                used,
                revoked,
            )

    token_columns = [
        "id",
        "token_hash",
        "email",
        "partner_id",
        "purpose",
        "ip_address",
        "user_agent",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
    ]
    writer.insert("magic_link_tokens", token_columns, token_rows(), token_count)

    # One audit entry per background link, as the real flow writes.
    def audit_rows() -> Iterator[tuple]:
        for number in range(1, token_count + 1):
            partner = random.randint(1, partners)
            yield (
                number,
                now - timedelta(seconds=random.randint(60, 60 * 86400)),
                "partner.login.requested",
                "info",
                partner,
                f"partner{partner:06d}@bench.example",
                "203.0.113.7",
                "Mozilla/5.0 (bench)",
            )

    writer.insert(
        "audit_events",
        [
            "id",
            "created_at",
            "action",
            "severity",
            "partner_id",
            "email",
            "ip_address",
            "user_agent",
        ],
        audit_rows(),
        token_count,
    )

    # Sessions of other partners, a tenth of them signed in.
    session_count = partners // 10
    writer.insert(
        "partner_sessions",
        ["id", "session_id", "data", "expiry", "partner_id", "created_at", "last_seen_at"],
        (
            (
                number,
                secrets.token_urlsafe(32),
                b"\x80",
                now + timedelta(hours=random.randint(-24, 24)),
                number * 10,
                now - timedelta(hours=1),
                now - timedelta(minutes=5),
            )
            for number in range(1, session_count + 1)
        ),
        session_count,
    )

    # Links the benchmark spends: spread over the first thousand active partners.
    active = [number for number in range(1, min(partners, 1000) + 1) if number % 100 != 99]
    raws = [secrets.token_urlsafe(32) for _ in range(confirm_count)]
    writer.insert(
        "magic_link_tokens",
        token_columns,
        (
            (
                token_count + index + 1,
                hashlib.sha256(raw.encode()).hexdigest(),
                f"partner{active[index % len(active)]:06d}@bench.example",
                active[index % len(active)],
                "login",
                "203.0.113.7",
                "wrk",
                now,
                now + timedelta(days=1),
                None,
                None,
            )
            for index, raw in enumerate(raws)
        ),
        confirm_count,
    )
    writer.finish(
        [
            "partners",
            "status_pages",
            "components",
            "component_status_events",
            "incidents",
            "incident_updates",
            "access_grants",
            "magic_link_tokens",
            "audit_events",
            "partner_sessions",
        ]
    )
    return Loaded(
        partner_email="partner000001@bench.example",
        status_slug="page-001",
        login_emails=[f"partner{number:06d}@bench.example" for number in active],
        confirm_tokens=raws,
    )


def _status_events(now: datetime, random: Random, components: list[tuple[int, str]]) -> list[tuple]:
    """Give each component a history: created long ago, two bad spells in the last 90 days."""
    bad = [status for status in COMPONENT_STATUSES if status != "operational"]
    rows: list[tuple] = []
    for component_id, current in components:
        first, second = random.randint(20, 85) * 24, random.randint(2, 15) * 24
        steps = [
            (300 * 24, "operational"),
            (first, random.choice(bad)),
            (first - 3, "operational"),
            (second, random.choice(bad)),
            (second - 2, "operational"),
            (random.randint(1, 30), current),
        ]
        previous = None
        for hours_ago, status in steps:
            if status == previous:
                continue
            rows.append(
                (len(rows) + 1, component_id, status, previous, now - timedelta(hours=hours_ago))
            )
            previous = status
    return rows


def _incidents(now: datetime) -> tuple[list[tuple], list[tuple]]:
    """Every fourth page has an open incident, every fifth a recently resolved one."""
    incidents: list[tuple] = []
    updates: list[tuple] = []
    for page in range(1, PAGES + 1):
        plans = []
        if page % 4 == 1:
            plans.append(("identified", "major", now - timedelta(hours=2), None))
        if page % 5 == 1:
            plans.append(
                ("resolved", "minor", now - timedelta(days=3), now - timedelta(days=3, hours=-2))
            )
        plans.append(
            ("resolved", "minor", now - timedelta(days=40), now - timedelta(days=40, hours=-1))
        )
        for status, impact, started, resolved in plans:
            number = len(incidents) + 1
            incidents.append(
                (
                    number,
                    page,
                    f"Incident on page {page}",
                    impact,
                    status,
                    started,
                    started,
                    resolved,
                )
            )
            for step in range(3):
                updates.append(
                    (
                        len(updates) + 1,
                        number,
                        "investigating" if step == 0 else status,
                        "We are looking into elevated error rates and will update shortly.",
                        started + timedelta(minutes=20 * step),
                    )
                )
    return incidents, updates
