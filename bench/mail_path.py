"""Mail off the request path, measured.

1. ``POST /partner/login`` latency against a healthy, a stalled and a dead mail
   server: gunicorn (2 sync workers) on a fresh SQLite database, real HTTP,
   sequential requests. The three medians must match within noise, because
   the request only writes an outbox job.
2. The worker's throughput: ``outbox.send_pending`` delivering N queued login
   links (each mints a token, renders, and makes one SMTP delivery) to a local
   aiosmtpd sink.

Run: ``make bench-mail`` (or ``.venv/bin/python bench/mail_path.py [--requests N]``).
Writes ``bench/results/mail.md``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.count += 1
        return "250 OK"


def stalling_server() -> tuple[socket.socket, int]:
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


def prepare_database(path: str) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "FLASK_APP": "app.py"}
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )


def serve(database: str, mail_port: int, instance: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "PORTAL_INSTANCE_PATH": instance,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_port),
        # The bench repeats three addresses from one client: lift the abuse limits.
        "RATE_LIMIT_PER_EMAIL": "1000000",
        "RATE_LIMIT_PER_IP": "1000000",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "app:app",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/partner/login", timeout=1)
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def measure_posts(port: int, emails: list[str], requests: int) -> list[float]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/partner/login").read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    timings = []
    for i in range(requests):
        body = urllib.parse.urlencode({"email": emails[i % len(emails)], "csrf_token": csrf})
        started = time.perf_counter()
        response = opener.open(f"{base}/partner/login", body.encode())
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.url.endswith("/partner/login/sent"), response.url
    return timings


def worker_throughput(jobs: int, sink_port: int, sink: Sink) -> float:
    from sqlalchemy import insert

    from partner_portal import clock, create_app, outbox
    from partner_portal.extensions import db
    from partner_portal.models import Partner
    from partner_portal.security.audit import SYSTEM

    folder = tempfile.mkdtemp(prefix="bench-worker-")
    database = os.path.join(folder, "worker.sqlite")
    os.environ["PORTAL_INSTANCE_PATH"] = folder
    prepare_database(database)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": sink_port,
            "MAIL_TO_DEV_MAILBOX": False,
        }
    )
    with app.app_context():
        db.session.execute(
            insert(Partner),
            [
                {
                    "email": f"load{i}@bench.example",
                    "name": f"Load {i}",
                    "is_active": True,
                    "created_at": clock.now(),
                }
                for i in range(jobs)
            ],
        )
        for i in range(jobs):
            outbox.enqueue("login_link", f"load{i}@bench.example", SYSTEM, purpose="login")
        db.session.commit()
        before = sink.count
        started = time.perf_counter()
        outcome = outbox.send_pending("bench", batch_size=50)
        elapsed = time.perf_counter() - started
    assert outcome == {"sent": jobs}, outcome
    assert sink.count - before == jobs
    return jobs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=500)
    args = parser.parse_args()

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    stall_listener, stall_port = stalling_server()
    dead_port = free_port()

    emails = ["alice@acme.example", "nobody@acme.example", "bob@globex.example"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as folder:
        for label, port in [
            ("healthy", controller.port),
            ("stalled (accepts, never answers)", stall_port),
            ("dead (connection refused)", dead_port),
        ]:
            database = os.path.join(folder, f"{label.split()[0]}.sqlite")
            prepare_database(database)
            process, web_port = serve(database, port, folder)
            try:
                measure_posts(web_port, emails, 20)  # warm up
                timings = measure_posts(web_port, emails, args.requests)
            finally:
                process.terminate()
                process.wait()
            quantiles = statistics.quantiles(timings, n=100)
            rows.append((label, statistics.median(timings), quantiles[89], quantiles[98]))
            print(
                f"{label:<34} median {rows[-1][1]:6.2f} ms  p90 {rows[-1][2]:6.2f} ms", flush=True
            )

    throughput = worker_throughput(args.jobs, controller.port, sink)
    print(f"worker: {throughput:.0f} messages/s over {args.jobs} jobs", flush=True)
    controller.stop()
    stall_listener.close()

    lines = [
        "# Mail off the request path",
        "",
        f"`POST /partner/login`, gunicorn 2 sync workers, SQLite, {args.requests} sequential "
        "requests after 20 warm-up (registered, unknown and registered addresses in turn).",
        "",
        "| mail server | median | p90 | p99 |",
        "|---|---|---|---|",
        *[f"| {label} | {m:.2f} ms | {p90:.2f} ms | {p99:.2f} ms |" for label, m, p90, p99 in rows],
        "",
        f"Worker throughput to a local aiosmtpd sink: **{throughput:.0f} messages/s** "
        f"({args.jobs} login links; each mints a token, renders text+HTML, one SMTP session).",
        "",
    ]
    out = ROOT / "bench" / "results" / "mail.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
