"""``make bench``: the portal under gunicorn, loaded with wrk, against a minimal Flask app.

For each engine (SQLite, and PostgreSQL when its server is installed) and each
scale (small, large): migrate a fresh database, bulk-load the data, start the
portal and the ceiling app under gunicorn (2 sync workers, the repository's
gunicorn.conf.py, production settings), drive each endpoint with wrk
(median of the rounds), and write a Markdown table, JSON and a PNG chart to
bench/results/. Numbers go in notes, never in test asserts.

    python bench/run.py                  # the full run (about 20 minutes)
    python bench/run.py --quick          # small scale, 3 s, one round
    python bench/run.py --profile        # also sample the workers with py-spy
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

from load import SCALES, Loaded, load  # noqa: E402

CONFIRM_PER_SECOND = 2500  # pre-minted links per second of confirm load (never runs out)
BASE_URL = "https://portal.bench.example"


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    method: str
    path: str
    mode: str  # get | login | confirm
    expect: int
    signed_in: bool = False
    ceiling: bool = False


ENDPOINTS = [
    Endpoint("login_page", "GET /partner/login", "GET", "/partner/login", "get", 200),
    Endpoint("login_post", "POST /partner/login", "POST", "/partner/login", "login", 303),
    Endpoint(
        "confirm", "POST /api/partner/auth/verify", "POST", "/api/partner/auth/verify",
        "confirm", 200,
    ),
    Endpoint(
        "dashboard", "GET /partner/dashboard", "GET", "/partner/dashboard", "get", 200,
        signed_in=True,
    ),
    Endpoint(
        "status", "GET /partner/status/<slug>", "GET", "/partner/status/{slug}", "get", 200,
        signed_in=True,
    ),
    Endpoint(
        "me", "GET /api/partner/auth/me", "GET", "/api/partner/auth/me", "get", 200,
        signed_in=True,
    ),
    Endpoint("ceiling", "ceiling: minimal Flask app", "GET", "/", "get", 200, ceiling=True),
]  # fmt: skip


@dataclass
class Measurement:
    engine: str
    scale: str
    endpoint: str
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    unexpected: int
    socket_errors: int
    rounds: list[float]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def say(message: str) -> None:
    print(message, flush=True)


# -- a tiny HTTP client for preparing the runs --------------------------------


def http_request(
    port: int, method: str, path: str, cookies: dict[str, str], body: bytes | None = None,
    content_type: str | None = None,
) -> tuple[int, str, dict[str, str]]:  # fmt: skip
    """Send one request; return status, body and the cookies it set (merged into ``cookies``)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": "127.0.0.1"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if content_type:
        headers["Content-Type"] = content_type
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                cookies[name] = morsel.value
        return response.status, text, cookies
    finally:
        connection.close()


def wait_healthy(port: int, path: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if http_request(port, "GET", path, {})[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start:\n{log.read_text()}")


@contextmanager
def serve(app: str, env: dict[str, str], work: Path, name: str, health: str) -> Iterator[tuple]:
    """Run ``app`` under gunicorn with the repository's config; yield (port, master pid)."""
    port = free_port()
    log = work / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--pythonpath",
         str(BENCH), app],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "1",
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_ERROR_LOG": str(log),
            "GUNICORN_LOG_LEVEL": "warning",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_healthy(port, health, process, log)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- wrk --------------------------------------------------------------------


def run_wrk(port: int, path: str, env: dict[str, str], args: argparse.Namespace) -> dict:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
        "--timeout", "10s", "-s", str(BENCH / "wrk" / "portal.lua"),
        f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        env={**os.environ, **env, "BENCH_THREADS": str(args.threads)},
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"^BENCH (\{.*\})$", result.stdout, re.MULTILINE)
    if match is None:
        raise SystemExit(f"wrk said:\n{result.stdout}\n{result.stderr}")
    return json.loads(match.group(1))


@contextmanager
def profiling(master: int, output: Path, duration: int, enabled: bool) -> Iterator[None]:
    """Sample both workers with py-spy while the block runs (collapsed stacks to ``output``)."""
    if not enabled or shutil.which("py-spy") is None and not (ROOT / ".venv/bin/py-spy").exists():
        yield
        return
    spy = shutil.which("py-spy") or str(ROOT / ".venv/bin/py-spy")
    process = subprocess.Popen(
        [spy, "record", "--pid", str(master), "--subprocesses", "--rate", "250",
         "--duration", str(duration), "--format", "raw", "--output", str(output), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        process.wait(timeout=duration + 30)


def summarise(engine: str, scale: str, endpoint: Endpoint, rounds: list[dict]) -> Measurement:
    """Take the median round (by requests a second) of one endpoint."""
    rates = [r["requests"] / (r["duration_us"] / 1e6) for r in rounds]
    middle = sorted(range(len(rounds)), key=lambda i: rates[i])[len(rounds) // 2]
    chosen = rounds[middle]
    measured = Measurement(
        engine=engine,
        scale=scale,
        endpoint=endpoint.key,
        label=endpoint.label,
        rps=rates[middle],
        p50_ms=chosen["p50_us"] / 1000,
        p99_ms=chosen["p99_us"] / 1000,
        unexpected=sum(r["unexpected"] for r in rounds),
        socket_errors=sum(r["socket_errors"] for r in rounds),
        rounds=[round(rate, 1) for rate in rates],
    )
    flag = "" if not measured.unexpected else f"  ({measured.unexpected} unexpected statuses!)"
    say(
        f"    {endpoint.label:<34} {measured.rps:8.0f} req/s  p50 {measured.p50_ms:6.1f} ms  "
        f"p99 {measured.p99_ms:6.1f} ms  rounds {measured.rounds}{flag}"
    )
    return measured


# -- databases --------------------------------------------------------------


@contextmanager
def postgres_server(work: Path) -> Iterator[str | None]:
    """Yield a PostgreSQL server URL: BENCH_DATABASE_URL, or a throwaway cluster, or None."""
    if os.environ.get("BENCH_DATABASE_URL"):
        yield os.environ["BENCH_DATABASE_URL"]
        return
    cluster = Path(tempfile.mkdtemp(prefix="portal-bench-postgres."))
    started = subprocess.run(
        [str(ROOT / ".ci/postgres.sh"), "start", str(cluster)], capture_output=True, text=True
    )
    if started.returncode != 0:
        say(f"PostgreSQL not benchmarked: {started.stderr.strip()}")
        shutil.rmtree(cluster, ignore_errors=True)
        yield None
        return
    try:
        yield started.stdout.strip().split("=", 1)[1]
    finally:
        subprocess.run([str(ROOT / ".ci/postgres.sh"), "stop", str(cluster)], check=False)


def fresh_database(engine: str, server: str | None, scale: str, work: Path) -> str:
    """Create an empty database for one scale and migrate it; return its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if engine == "sqlite":
        path = work / f"{scale}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        assert server is not None
        name = f"portal_bench_{scale}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = make_url(server).set(database=name).render_as_string(hide_password=False)

    import flask_migrate

    from partner_portal import create_app
    from partner_portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


# -- one engine at one scale --------------------------------------------------


def prepare(port: int, loaded: Loaded, work: Path) -> dict[str, str]:
    """Get a pre-session + form token, and a signed-in session, as a browser would."""
    status, page, pre = http_request(port, "GET", "/partner/login", {})
    assert status == 200, status
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert csrf, "no CSRF token on the login page"
    signed_in: dict[str, str] = {}
    body = json.dumps({"token": loaded.confirm_tokens[0]}).encode()
    status, _, signed_in = http_request(
        port, "POST", "/api/partner/auth/verify", signed_in, body, "application/json"
    )
    assert status == 200, status
    for _ in range(4):  # the first page stores the session's CSRF token; warm both workers
        for path in ("/partner/dashboard", "/api/partner/auth/me", "/partner/login"):
            http_request(port, "GET", path, dict(signed_in))
    (work / "emails.txt").write_text("\n".join(loaded.login_emails) + "\n")
    (work / "tokens.txt").write_text("\n".join(loaded.confirm_tokens[1:]) + "\n")
    return {
        "pre": f"partner.pre={pre['partner.pre']}",
        "csrf": csrf.group(1),
        "session": f"partner.sid={signed_in['partner.sid']}",
    }


def bench_one(
    engine: str, server: str | None, scale: str, smtp_port: int, args: argparse.Namespace,
    work: Path,
) -> tuple[list[Measurement], dict[str, float]]:  # fmt: skip
    from sqlalchemy import create_engine

    say(f"\n== {engine}, {scale} scale")
    url = fresh_database(engine, server, scale, work)
    per_round = CONFIRM_PER_SECOND * args.duration
    database = create_engine(url)
    started = time.monotonic()
    loaded = load(database, scale, per_round * args.rounds + 1, datetime.now(UTC))
    database.dispose()
    say(f"  loaded in {time.monotonic() - started:.0f} s")

    env = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_BASE_URL": BASE_URL,
        "PORTAL_EXTRA_HOSTS": "127.0.0.1",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "DATABASE_URL": url,
        "PORTAL_INSTANCE_PATH": str(work / "instance"),
        # wrk is one client on one address asking again and again: with the real
        # limits almost every login POST would be a (cheaper) 429. Measure the
        # full path; the limits have their own tests and bench-enumeration.
        "RATE_LIMIT_PER_IP": "100000000",
        "RATE_LIMIT_PER_EMAIL": "100000000",
    }
    results: list[Measurement] = []
    memory: dict[str, float] = {}
    with ExitStack() as stack:
        portal_port, portal_master = stack.enter_context(
            serve("app:app", env, work, f"portal-{engine}-{scale}", "/healthz")
        )
        ceiling_port, ceiling_master = stack.enter_context(
            serve("ceiling:app", env, work, f"ceiling-{engine}-{scale}", "/")
        )
        prepared = prepare(portal_port, loaded, work)
        plan = []
        for endpoint in ENDPOINTS:
            if args.only and endpoint.key not in args.only and endpoint.key != "ceiling":
                continue
            wrk_env = {
                "BENCH_MODE": endpoint.mode,
                "BENCH_METHOD": endpoint.method,
                "BENCH_PATH": endpoint.path.format(slug=loaded.status_slug),
                "BENCH_EXPECT": str(endpoint.expect),
                "BENCH_COOKIE": prepared["session"] if endpoint.signed_in else "",
            }
            if endpoint.mode == "login":
                wrk_env.update(
                    BENCH_COOKIE=prepared["pre"],
                    BENCH_CSRF=prepared["csrf"],
                    BENCH_LIST=str(work / "emails.txt"),
                )
            if endpoint.mode == "confirm":
                wrk_env.update(BENCH_LIST=str(work / "tokens.txt"))
            port, master = (
                (ceiling_port, ceiling_master) if endpoint.ceiling else (portal_port, portal_master)
            )
            plan.append((endpoint, wrk_env, port, master))
        # Rounds are interleaved (every endpoint, then again), so a disturbance
        # on the machine hits the ceiling and the portal alike.
        raw: dict[str, list[dict]] = {endpoint.key: [] for endpoint, *_ in plan}
        for number in range(args.rounds):
            say(f"  round {number + 1} of {args.rounds}")
            for endpoint, wrk_env, port, master in plan:
                round_env = {**wrk_env, "BENCH_OFFSET": str(number * per_round)}
                profile = args.results / "profiles" / f"{engine}-{scale}-{endpoint.key}.txt"
                with profiling(master, profile, args.duration, args.profile and number == 0):
                    path = endpoint.path.format(slug=loaded.status_slug)
                    raw[endpoint.key].append(run_wrk(port, path, round_env, args))
        for endpoint, *_ in plan:
            results.append(summarise(engine, scale, endpoint, raw[endpoint.key]))
        memory["portal"] = max(rss_mb(pid) for pid in worker_pids(portal_master))
        memory["ceiling"] = max(rss_mb(pid) for pid in worker_pids(ceiling_master))
        say(f"    worker memory (RSS): portal {memory['portal']:.0f} MB, "
            f"ceiling {memory['ceiling']:.0f} MB")  # fmt: skip
        errors = (work / f"portal-{engine}-{scale}.log").read_text()
        if "locked" in errors or "Traceback" in errors:
            say("    !! the portal logged errors:\n" + errors[-3000:])
    return results, memory


# -- report -------------------------------------------------------------------


def report(
    results: list[Measurement], memory: dict[str, dict[str, float]], args: argparse.Namespace,
    started: datetime,
) -> str:  # fmt: skip
    ceilings = {(m.engine, m.scale): m.rps for m in results if m.endpoint == "ceiling"}
    by_key = {(m.engine, m.scale, m.endpoint): m for m in results}
    lines = [
        "# Benchmark results",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores: gunicorn with 2 sync "
        f"workers, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, median of "
        f"{args.rounds} round(s). Production settings; mail to a local SMTP sink.",
        *(
            [
                f"Machine load average (1 min) at start and end: {args.load[0]:.1f}, "
                f"{args.load[1]:.1f}: anything else running on the machine skews the numbers."
            ]
            if getattr(args, "load", None)
            else []
        ),
        "",
        "| engine | scale | endpoint | req/s | p50 ms | p99 ms | vs ceiling | large/small | bad |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    failures = []
    for m in results:
        ceiling = ceilings.get((m.engine, m.scale))
        ratio = m.rps / ceiling if ceiling else float("nan")
        small = by_key.get((m.engine, "small", m.endpoint))
        drift = f"{m.rps / small.rps:.2f}" if m.scale == "large" and small else ""
        lines.append(
            f"| {m.engine} | {m.scale} | {m.label} | {m.rps:,.0f} | {m.p50_ms:.1f} | "
            f"{m.p99_ms:.1f} | {ratio:.2f} | {drift} | {m.unexpected + m.socket_errors} |"
        )
        if m.endpoint != "ceiling" and ratio < 0.5:
            failures.append(f"{m.engine}/{m.scale} {m.label}: {ratio:.2f} of the ceiling (< 0.5)")
        if m.scale == "large" and small and m.rps < 0.8 * small.rps:
            failures.append(f"{m.engine} {m.label}: large scale {m.rps / small.rps:.2f} of small")
        if m.unexpected or m.socket_errors:
            failures.append(f"{m.engine}/{m.scale} {m.label}: {m.unexpected} unexpected statuses")
    lines += [
        "",
        "| engine | scale | portal worker RSS | ceiling worker RSS |",
        "|---|---|---:|---:|",
    ]
    for key, value in memory.items():
        engine, scale = key.split("/")
        lines.append(
            f"| {engine} | {scale} | {value['portal']:.0f} MB | {value['ceiling']:.0f} MB |"
        )
        if value["portal"] >= 100:
            failures.append(f"{key}: worker RSS {value['portal']:.0f} MB (>= 100)")
    lines += [
        "",
        "Targets: every endpoint ≥ 0.5 of the ceiling; large ≥ 0.8 of small; RSS < 100 MB.",
    ]
    lines += [f"- MISSED: {failure}" for failure in failures] or ["- all met"]
    return "\n".join(lines) + "\n"


def chart(results: list[Measurement], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("matplotlib is not installed: no chart (pip install -r bench/requirements.txt)")
        return
    runs = sorted(
        {(m.engine, m.scale) for m in results}, key=lambda r: (r[0] != "sqlite", r[1] != "small")
    )
    labels = [e.label.replace("ceiling: minimal Flask app", "ceiling") for e in ENDPOINTS
              if any(m.endpoint == e.key for m in results)]  # fmt: skip
    keys = [e.key for e in ENDPOINTS if any(m.endpoint == e.key for m in results)]
    figure, axes = plt.subplots(figsize=(12, 5.5))
    width = 0.8 / max(len(runs), 1)
    for index, (engine, scale) in enumerate(runs):
        values = [
            next((m.rps for m in results if (m.engine, m.scale, m.endpoint) == (engine, scale, k)),
                 0)
            for k in keys
        ]  # fmt: skip
        positions = [x + index * width for x in range(len(keys))]
        axes.bar(positions, values, width, label=f"{engine}, {scale}")
    axes.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(keys))])
    axes.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    axes.set_ylabel("requests per second (median)")
    axes.set_title("Partner Portal under gunicorn (2 sync workers), wrk, 2 cores")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    say(f"chart: {path}")


def rebuild_report(args: argparse.Namespace) -> None:
    """Write results.md and results.png again from results.json (same run, no measuring)."""
    saved = json.loads((args.results / "results.json").read_text())
    results = [Measurement(**item) for item in saved["results"]]
    for name in ("threads", "connections", "duration", "rounds"):
        setattr(args, name, saved["settings"][name])
    if "load" in saved["settings"]:
        args.load = tuple(float(x) for x in saved["settings"]["load"].strip("()").split(","))
    text = report(results, saved["memory"], args, datetime.fromisoformat(saved["started"]))
    (args.results / "results.md").write_text(text)
    chart(results, args.results / "results.png")
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small scale, 3 s, one round")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--scales", default="small,large")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated endpoint keys")
    parser.add_argument("--profile", action="store_true", help="sample workers with py-spy")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument(
        "--report-only", action="store_true", help="rebuild the table and chart from results.json"
    )
    args = parser.parse_args()
    if args.report_only:
        rebuild_report(args)
        return
    if args.quick:
        args.duration, args.rounds, args.scales = 3, 1, "small"
    args.only = [key for key in args.only.split(",") if key]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or make bench)")
    args.results.mkdir(parents=True, exist_ok=True)
    if args.profile:
        (args.results / "profiles").mkdir(exist_ok=True)

    started = datetime.now(UTC)
    load_at_start = os.getloadavg()[0]
    results: list[Measurement] = []
    memory: dict[str, dict[str, float]] = {}
    work = Path(tempfile.mkdtemp(prefix="portal-bench."))
    smtp_port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for engine in args.engines.split(","):
            with ExitStack() as stack:
                server = None
                if engine == "postgresql":
                    server = stack.enter_context(postgres_server(work))
                    if server is None:
                        continue
                for scale in args.scales.split(","):
                    if scale not in SCALES:
                        raise SystemExit(f"unknown scale {scale!r}")
                    measured, used = bench_one(engine, server, scale, smtp_port, args, work)
                    results += measured
                    memory[f"{engine}/{scale}"] = used
    finally:
        sink.terminate()
        shutil.rmtree(work, ignore_errors=True)

    args.load = (load_at_start, os.getloadavg()[0])
    text = report(results, memory, args, started)
    (args.results / "results.md").write_text(text)
    (args.results / "results.json").write_text(
        json.dumps(
            {"started": started.isoformat(), "settings": {k: str(v) for k, v in vars(args).items()},
             "results": [asdict(m) for m in results], "memory": memory},
            indent=2,
        )
    )  # fmt: skip
    chart(results, args.results / "results.png")
    print()
    print(text)
    if statistics and any(m.unexpected for m in results):
        say("Some requests got an unexpected status: the numbers above are not trustworthy.")


if __name__ == "__main__":
    main()
