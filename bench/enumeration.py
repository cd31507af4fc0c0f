"""Enumeration by time, measured: do registered, unknown and inactive addresses take as long?

For each kind of address, 100 requests (interleaved, kinds in rotating order,
each from a fresh browser and IP so no limit interferes) through the real app
and a real SQLite file, timed in-process (no HTTP noise to hide behind):

1. ``POST /partner/login`` (a link is queued, never sent, for every kind);
2. the same request when throttled (the address has used its limit);
3. ``POST /partner/login/code`` with a wrong code (a live code exists only for
   the registered address).

Prints medians and p90 per kind and the largest gap between medians, and
writes ``bench/results/enumeration.md``. Run: ``.venv/bin/python bench/enumeration.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("registered", "unknown", "inactive")


def build_app(folder: str):  # noqa: ANN201 - Flask
    import flask_migrate
    from sqlalchemy import insert

    from partner_portal import clock, create_app
    from partner_portal.extensions import db
    from partner_portal.models import Partner

    os.environ["PORTAL_INSTANCE_PATH"] = folder
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(folder, 'bench.sqlite')}",
            "PORTAL_BASE_URL": "http://localhost",
            "MAIL_TO_DEV_MAILBOX": True,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        rows = []
        for i in range(1000):
            rows.append(
                {"email": f"p{i}@reg.example", "name": f"P{i}", "is_active": True,
                 "created_at": clock.now()}
            )  # fmt: skip
            rows.append(
                {"email": f"p{i}@off.example", "name": f"O{i}", "is_active": False,
                 "created_at": clock.now()}
            )  # fmt: skip
        db.session.execute(insert(Partner), rows)
        db.session.commit()
    return app


def address(kind: str, i: int) -> str:
    return {"registered": "reg", "unknown": "nobody", "inactive": "off"}[kind].join(
        (f"p{i}@", ".example")
    )


def browser(app, n: int):  # noqa: ANN001, ANN201
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    return client


def csrf_of(response) -> str:  # noqa: ANN001
    html = response.get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def measure(requests: int, one: Callable[[str, int], float]) -> dict[str, list[float]]:
    """Run ``one(kind, i)`` for every kind, interleaved in rotating order; return ms per kind."""
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for i in range(requests):
        order = KINDS[i % 3 :] + KINDS[: i % 3]
        for kind in order:
            timings[kind].append(one(kind, i))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    n = args.requests
    counter = iter(range(10**9))

    with tempfile.TemporaryDirectory(prefix="bench-enum-") as folder:
        app = build_app(folder)

        def request_link(kind: str, i: int, offset: int = 0) -> float:
            client = browser(app, next(counter))
            token = csrf_of(client.get("/partner/login"))
            body = {"csrf_token": token, "email": address(kind, i + offset)}
            started = time.perf_counter()
            response = client.post("/partner/login", data=body)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code in (303, 429), response.status_code
            return elapsed

        request_link("registered", 999)  # warm up
        sections = {"POST /partner/login": measure(n, lambda k, i: request_link(k, i, 0))}

        app.config["RATE_LIMIT_PER_EMAIL"] = 1
        for kind in KINDS:  # use up each address's single request
            for i in range(n):
                request_link(kind, i, 200)
        sections["POST /partner/login, throttled (429)"] = measure(
            n, lambda k, i: request_link(k, i, 200)
        )
        app.config["RATE_LIMIT_PER_EMAIL"] = 5

        from partner_portal import outbox

        browsers = {}
        for kind in KINDS:
            for i in range(n):
                client = browser(app, next(counter))
                token = csrf_of(client.get("/partner/login"))
                client.post(
                    "/partner/login", data={"csrf_token": token, "email": address(kind, i + 400)}
                )
                browsers[kind, i] = client
        with app.app_context(), contextlib.redirect_stdout(io.StringIO()):
            outbox.send_pending("bench")  # registered addresses now have a live code

        def wrong_code(kind: str, i: int) -> float:
            client = browsers[kind, i]
            token = csrf_of(client.get("/partner/login/sent"))
            started = time.perf_counter()
            response = client.post(
                "/partner/login/code", data={"csrf_token": token, "code": "2222-2222"}
            )
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 400, response.status_code
            return elapsed

        sections["POST /partner/login/code, wrong code"] = measure(n, wrong_code)

    lines = [
        "# Enumeration by time",
        "",
        f"{n} requests per kind of address, interleaved, each from a fresh browser and IP; "
        "in-process Flask test client on a real SQLite file (no HTTP noise). Times in ms.",
        "",
        "| request | kind | median | p90 |",
        "|---|---|---|---|",
    ]
    for title, timings in sections.items():
        medians = {kind: statistics.median(values) for kind, values in timings.items()}
        gap = (max(medians.values()) - min(medians.values())) / min(medians.values()) * 100
        for kind, values in timings.items():
            p90 = statistics.quantiles(values, n=10)[8]
            lines.append(f"| {title} | {kind} | {medians[kind]:.2f} | {p90:.2f} |")
            print(f"{title:<40} {kind:<10} median {medians[kind]:6.2f} ms  p90 {p90:6.2f} ms")
        lines.append(f"| {title} | largest gap between medians | {gap:.1f} % | |")
        print(f"{title:<40} largest gap between medians: {gap:.1f} %")
    out = ROOT / "bench" / "results" / "enumeration.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
