"""``make bench``: the portal under gunicorn, loaded with wrk, beside a minimal app and a peer.

For each engine (SQLite, and PostgreSQL when its server is installed) and each
scale (small, large): migrate a fresh database, bulk-load the data, start the
portal and the ceiling app under gunicorn (2 sync workers, the repository's
gunicorn.conf.py, production settings), drive each endpoint with wrk
(median of the rounds), and write a Markdown table, JSON and a PNG chart to
bench/results/. Numbers go in notes, never in test asserts.

At the small scale the same run also serves the peer (bench/peer/:
Flask-Security-Too 5.9.2's unified sign-in by email link, and its legacy
passwordless sign-in, from their own virtualenv, on the same 1,000 users) with
the same gunicorn and wrk settings, its rounds interleaved with the portal's,
so every ratio in the side-by-side table comes from one run.

    python bench/run.py                  # the full run (about 30 minutes)
    python bench/run.py --quick          # small scale, 3 s, one round
    python bench/run.py --no-peer        # the portal and the ceiling only
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
PEER = BENCH / "peer"
PEER_PYTHON = PEER / ".venv" / "bin" / "python"
PEER_SCALE = "small"  # the peer signs in the same 1,000 users as the portal's small scale

# What each server is called in the tables, in the order of their columns.
APPS = {
    "ceiling": "minimal app",
    "portal": "Partner Portal",
    "peer-unified": "Flask-Security-Too 5.9.2, unified sign-in",
    "peer-passwordless": "Flask-Security-Too 5.9.2, legacy passwordless",
}
PEERS = ("peer-unified", "peer-passwordless")
# The rows of the side-by-side table: (kind, label).
KINDS = [
    ("login_page", "login page (GET)"),
    ("request_link", "request a link (POST)"),
    ("confirm", "confirm a link"),
    ("signed_in", "signed-in page"),
]
# ../shared/BENCHMARKS.md: the portal's req/s at least this many times the best peer's.
BEAT_THE_PEER = {"request_link": 3.0, "confirm": 2.0}


@dataclass(frozen=True)
class Endpoint:
    """One benchmarked request; ``{item}`` in path or body takes the next line of its list."""

    key: str
    label: str
    method: str
    path: str
    expect: int
    app: str = "portal"  # a key of APPS
    kind: str = ""  # a key of KINDS, for the side-by-side table
    signed_in: bool = False
    body: str = ""  # "{csrf}" is the form token of the prepared pre-session
    content_type: str = ""
    items: str = ""  # emails | tokens | links: the list file {item} comes from
    spend: bool = False  # single-use items: never cycled
    expect_location: str = ""  # redirects must go here (FST also redirects a refused link)
    expect_text: str = ""  # the body must say this (a form page answers 200 on errors too)
    remint: bool = False  # mint the links again before each run (TOTP codes live 2 minutes)


FORM = "application/x-www-form-urlencoded"
ENDPOINTS = [
    Endpoint("login_page", "GET /partner/login", "GET", "/partner/login", 200, kind="login_page"),
    Endpoint(
        "login_post", "POST /partner/login", "POST", "/partner/login", 303, kind="request_link",
        body="csrf_token={csrf}&next=&email={item}", content_type=FORM, items="emails",
    ),
    Endpoint(
        "confirm", "POST /api/partner/auth/verify", "POST", "/api/partner/auth/verify", 200,
        kind="confirm", body='{"token": "{item}"}', content_type="application/json",
        items="tokens", spend=True,
    ),
    Endpoint(
        "dashboard", "GET /partner/dashboard", "GET", "/partner/dashboard", 200,
        kind="signed_in", signed_in=True,
    ),
    Endpoint(
        "status", "GET /partner/status/<slug>", "GET", "/partner/status/{slug}", 200,
        signed_in=True,
    ),
    Endpoint(
        "me", "GET /api/partner/auth/me", "GET", "/api/partner/auth/me", 200, signed_in=True,
    ),
    Endpoint("ceiling", "ceiling: minimal Flask app", "GET", "/", 200, app="ceiling"),
    # The peer, unified sign-in: the email method only (SECURITY_US_ENABLED_METHODS).
    Endpoint(
        "peer_us_login_page", "FST unified: GET /us-signin", "GET", "/us-signin", 200,
        app="peer-unified", kind="login_page",
    ),
    Endpoint(
        "peer_us_send_code", "FST unified: POST /us-signin/send-code", "POST",
        "/us-signin/send-code", 200, app="peer-unified", kind="request_link",
        body="csrf_token={csrf}&identity={item}&chosen_method=email", content_type=FORM,
        items="emails", expect_text="Code has been sent.",
    ),
    Endpoint(
        "peer_us_verify_link", "FST unified: GET /us-verify-link?id&code", "GET", "{item}", 302,
        app="peer-unified", kind="confirm", items="links", expect_location="/account",
        remint=True,
    ),
    Endpoint(
        "peer_us_account", "FST unified: GET /account", "GET", "/account", 200,
        app="peer-unified", kind="signed_in", signed_in=True,
        expect_text="You are signed in as",
    ),
    # The peer, legacy passwordless (deprecated in FST 5.0, still shipped).
    Endpoint(
        "peer_pl_login_page", "FST passwordless: GET /login", "GET", "/login", 200,
        app="peer-passwordless", kind="login_page",
    ),
    Endpoint(
        "peer_pl_send_login", "FST passwordless: POST /login", "POST", "/login", 200,
        app="peer-passwordless", kind="request_link", body="csrf_token={csrf}&email={item}",
        content_type=FORM, items="emails", expect_text="Instructions to login have been sent",
    ),
    Endpoint(
        "peer_pl_token_login", "FST passwordless: GET /login/<token>", "GET", "{item}", 302,
        app="peer-passwordless", kind="confirm", items="links", expect_location="/account",
    ),
    Endpoint(
        "peer_pl_account", "FST passwordless: GET /account", "GET", "/account", 200,
        app="peer-passwordless", kind="signed_in", signed_in=True,
        expect_text="You are signed in as",
    ),
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
    app: str = "portal"  # results.json from before the peer has no app: all portal


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
def serve(
    app: str, env: dict[str, str], work: Path, name: str, health: str,
    python: Path | str = sys.executable, pythonpath: Path = BENCH, extra: tuple[str, ...] = (),
) -> Iterator[tuple]:  # fmt: skip
    """Run ``app`` under gunicorn with the repository's config; yield (port, master pid)."""
    port = free_port()
    log = work / f"{name}.log"
    process = subprocess.Popen(
        [str(python), "-m", "gunicorn", "-c", "gunicorn.conf.py", *extra, "--pythonpath",
         str(pythonpath), app],
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
    url = f"http://127.0.0.1:{port}{path if path.startswith('/') else '/'}"  # "{item}": per request
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
        "--timeout", "10s", "-s", str(BENCH / "wrk" / "portal.lua"), url,
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
        app=endpoint.app,
    )
    flag = "" if not measured.unexpected else f"  ({measured.unexpected} unexpected statuses!)"
    say(
        f"    {endpoint.label:<42} {measured.rps:8.0f} req/s  p50 {measured.p50_ms:6.1f} ms  "
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


# -- the peer -----------------------------------------------------------------


def peer_database(engine: str, server: str | None, work: Path) -> str:
    """Create an empty database for the peer (its tables come from its own models)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if engine == "sqlite":
        path = work / "peer.sqlite"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    assert server is not None
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS peer_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE peer_bench"))
    admin.dispose()
    return make_url(server).set(database="peer_bench").render_as_string(hide_password=False)


def run_peer(command: list[str], env: dict[str, str], mode: str) -> None:
    """Run bench/peer/manage.py in the peer's virtualenv."""
    done = subprocess.run(
        [str(PEER_PYTHON), "manage.py", *command],
        cwd=PEER,
        env={**os.environ, **env, "PEER_MODE": mode},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"peer: manage.py {' '.join(command)} failed:\n{done.stderr}")


def setup_peer(
    engine: str, server: str | None, portal_url: str, smtp_port: int, work: Path
) -> dict[str, str]:
    """Give the peer the portal's first 1,000 partners as users; return the peer's environment."""
    from sqlalchemy import create_engine, text

    portal = create_engine(portal_url)
    with portal.connect() as connection:
        partners = connection.execute(
            text("SELECT email, is_active FROM partners ORDER BY id LIMIT 1000")
        ).all()
    portal.dispose()
    users = work / "peer-users.tsv"
    users.write_text("".join(f"{email}\t{int(bool(active))}\n" for email, active in partners))
    env = {
        "DATABASE_URL": peer_database(engine, server, work),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PEER_PASSWORD_SALT": secrets.token_urlsafe(16),
        "PEER_TOTP_SECRET": secrets.token_urlsafe(32),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
    }
    started = time.monotonic()
    run_peer(["create", str(users)], env, "unified")
    say(f"  peer: {len(partners)} users in {time.monotonic() - started:.0f} s")
    return env


def mint_links(app: str, env: dict[str, str], work: Path) -> Path:
    """Write a fresh magic link (a path) for every active peer user; return the file."""
    mode = app.removeprefix("peer-")
    links = work / f"links-{mode}.txt"
    run_peer(["links", str(links)], env, mode)
    return links


def form_token(page: str) -> str:
    """Return the CSRF token of the form on ``page``."""
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert csrf, "no CSRF token on the login page"
    return csrf.group(1)


def prepare_peer(app: str, port: int, env: dict[str, str], work: Path) -> dict[str, str]:
    """Get a session with a form token, links, and a signed-in session, as a browser would."""
    login = "/us-signin" if app == "peer-unified" else "/login"
    status, page, pre = http_request(port, "GET", login, {})
    assert status == 200, status
    links = mint_links(app, env, work)
    signed_in: dict[str, str] = {}
    status, _, signed_in = http_request(port, "GET", links.read_text().split()[0], signed_in)
    assert status == 302, status
    assert "session" in signed_in, "the link signed nobody in"
    for _ in range(4):  # warm both workers (signed in, the form page would redirect)
        for path, cookies in ((login, {}), ("/account", signed_in)):
            status = http_request(port, "GET", path, dict(cookies))[0]
            assert status == 200, (path, status)
    return {
        "pre": f"session={pre['session']}",
        "csrf": form_token(page),
        "session": f"session={signed_in['session']}",
        "emails": str(work / "emails.txt"),
        "links": str(links),
    }


# -- one engine at one scale --------------------------------------------------


def prepare(port: int, loaded: Loaded, work: Path) -> dict[str, str]:
    """Get a pre-session + form token, and a signed-in session, as a browser would."""
    status, page, pre = http_request(port, "GET", "/partner/login", {})
    assert status == 200, status
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
        "csrf": form_token(page),
        "session": f"partner.sid={signed_in['partner.sid']}",
        "emails": str(work / "emails.txt"),
        "tokens": str(work / "tokens.txt"),
    }


def wrk_environment(endpoint: Endpoint, ready: dict[str, str], slug: str) -> dict[str, str]:
    """Configure bench/wrk/portal.lua for one endpoint (see the top of that file)."""
    is_form = "{csrf}" in endpoint.body
    return {
        "BENCH_METHOD": endpoint.method,
        "BENCH_PATH": endpoint.path.replace("{slug}", slug),
        "BENCH_BODY": endpoint.body.replace("{csrf}", ready.get("csrf", "")),
        "BENCH_CONTENT_TYPE": endpoint.content_type,
        "BENCH_LIST": ready[endpoint.items] if endpoint.items else "",
        "BENCH_SPEND": "1" if endpoint.spend else "",
        "BENCH_EXPECT": str(endpoint.expect),
        "BENCH_EXPECT_LOCATION": endpoint.expect_location,
        "BENCH_EXPECT_TEXT": endpoint.expect_text,
        # A form POST carries the (pre-)session its token belongs to.
        "BENCH_COOKIE": ready["session"] if endpoint.signed_in else ready["pre"] if is_form else "",
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
    chosen = [e for e in ENDPOINTS if not args.only or e.key in args.only or e.app == "ceiling"]
    with_peer = args.peer and scale == PEER_SCALE and any(e.app in PEERS for e in chosen)
    peer_env = setup_peer(engine, server, url, smtp_port, work) if with_peer else {}

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
        # (The peer has no rate limits to lift: FST leaves them to the app.)
        "RATE_LIMIT_PER_IP": "100000000",
        "RATE_LIMIT_PER_EMAIL": "100000000",
    }
    results: list[Measurement] = []
    memory: dict[str, float] = {}
    servers: dict[str, tuple[int, int]] = {}
    with ExitStack() as stack:
        servers["portal"] = stack.enter_context(
            serve("app:app", env, work, f"portal-{engine}-{scale}", "/healthz")
        )
        servers["ceiling"] = stack.enter_context(
            serve("ceiling:app", env, work, f"ceiling-{engine}-{scale}", "/")
        )
        prepared = {"portal": prepare(servers["portal"][0], loaded, work), "ceiling": {}}
        for app in PEERS if with_peer else ():
            # The peer's own gunicorn, with the repository's gunicorn.conf.py; only
            # the logger class (the portal's token-scrubbing one) is gunicorn's own.
            servers[app] = stack.enter_context(
                serve(
                    "peer_app:app", {**peer_env, "PEER_MODE": app.removeprefix("peer-")}, work,
                    f"{app}-{engine}", "/us-signin" if app == "peer-unified" else "/login",
                    python=PEER_PYTHON, pythonpath=PEER,
                    extra=("--logger-class", "gunicorn.glogging.Logger"),
                )
            )  # fmt: skip
            prepared[app] = prepare_peer(app, servers[app][0], peer_env, work)
        plan = [
            (endpoint, wrk_environment(endpoint, prepared[endpoint.app], loaded.status_slug))
            for endpoint in chosen
            if endpoint.app in servers
        ]
        # Rounds are interleaved (every endpoint, then again), so a disturbance
        # on the machine hits the ceiling, the portal and the peer alike.
        raw: dict[str, list[dict]] = {endpoint.key: [] for endpoint, _ in plan}
        for number in range(args.rounds):
            say(f"  round {number + 1} of {args.rounds}")
            for endpoint, wrk_env in plan:
                port, master = servers[endpoint.app]
                if endpoint.remint:
                    mint_links(endpoint.app, peer_env, work)
                round_env = {**wrk_env, "BENCH_OFFSET": str(number * per_round)}
                profile = args.results / "profiles" / f"{engine}-{scale}-{endpoint.key}.txt"
                with profiling(master, profile, args.duration, args.profile and number == 0):
                    path = wrk_env["BENCH_PATH"]
                    raw[endpoint.key].append(run_wrk(port, path, round_env, args))
        for endpoint, _ in plan:
            results.append(summarise(engine, scale, endpoint, raw[endpoint.key]))
        for app, (_, master) in servers.items():
            memory[app] = max(rss_mb(pid) for pid in worker_pids(master))
        say(
            "    worker memory (RSS): "
            + ", ".join(f"{app} {value:.0f} MB" for app, value in memory.items())
        )
        for app in servers:
            name = f"{app}-{engine}" if app in PEERS else f"{app}-{engine}-{scale}"
            errors = (work / f"{name}.log").read_text()
            if "locked" in errors or "Traceback" in errors:
                say(f"    !! {app} logged errors:\n" + errors[-3000:])
    return results, memory


# -- report -------------------------------------------------------------------

PEER_NOTES = """\
## How the peer is measured

The peer is Flask-Security-Too 5.9.2 (`bench/peer/`, its own virtualenv from
`bench/peer/requirements.txt`) with the SQLAlchemy user datastore and FST's own
models, its default templates, Flask's signed-cookie session and CSRF on every
form, configured as its documentation says and not tuned. It runs at the small
scale only, with the portal's first 1,000 partners as its users (the 10 inactive
ones inactive), under the repository's gunicorn.conf.py (2 sync workers; only
the logger class is gunicorn's own), driven by the same wrk script with the same
settings, its rounds interleaved with the portal's and the minimal app's. A
request counts only when it got the answer of success, not just a status:

- **login page**: `GET /us-signin` (unified) and `GET /login` (passwordless),
  without a cookie, like the portal's `GET /partner/login`: each renders a form
  with a CSRF token and starts a session.
- **request a link**: `POST /us-signin/send-code` with
  `identity=<email>&chosen_method=email` (unified) and `POST /login` with
  `email=<email>` (passwordless), each with the form's CSRF token and the session
  it belongs to, cycling through the same 990 active addresses as the portal's
  `POST /partner/login`; counted when the page says the code or the instructions
  were sent.
- **confirm a link**: the link FST mails, as a `GET`. Unified:
  `/us-verify-link?id=<fs_uniquifier>&code=<TOTP code>`, one per active user,
  minted by `bench/peer/manage.py links` right before each wrk run (a code is
  good for 120 s either side of its minting); passwordless: `/login/<token>`
  (a signed token, good for a day). wrk cycles through them; counted when FST
  redirects to the signed-in page (it redirects a refused link too, to the form).
- **signed-in page**: `GET /account` with the session cookie a link gave:
  Flask-Login loads the user by `fs_uniquifier` and one small template shows
  their address.

Not comparable, said plainly:

- **Sending**: FST sends the email inside the request (Flask-Mailman, SMTP to the
  local sink on loopback; its default). The portal's `POST /partner/login`
  writes the message to its outbox in the sign-in transaction (with the token,
  the rate-limit counters and an audit event) and its mail worker, not running
  here, sends it later. Unified sign-in also decrypts the user's TOTP secret
  (PBKDF2, 2^14 rounds) to make the code.
- **Confirming**: FST signs in on the `GET` of the link and writes nothing to the
  database (the session is a signed cookie; no tracking). The portal's link opens
  a confirmation page and signs in on its `POST` (measured here as
  `POST /api/partner/auth/verify`, without the page before it), spending a
  single-use token and writing a session row and an audit event. FST's links
  can be used again until they expire (no replay record by default), which is
  why wrk may cycle through them; the portal's are spent one per request.
  Unified sign-in decrypts the TOTP secret again (PBKDF2) to check the code.
- **Signed-in page**: the peer's page is one row and one small template; the
  portal's dashboard reads its session row, the partner, their grants and pages
  and renders far more. Its `GET /api/partner/auth/me` is the closer match in work.
  The peer's session is the signed cookie itself (nothing to read but the user,
  and nothing the server can revoke before it expires); the portal reads its
  server-side session row on every request.
- **Limits**: the peer has no rate limits (FST leaves them to the app); the
  portal's are raised so they count but never refuse.
"""


def cell(measured: Measurement | None, ceiling: float | None) -> str:
    """Format one side-by-side cell: req/s (ratio to the ceiling)."""
    if measured is None:
        return "—"
    ratio = f" ({measured.rps / ceiling:.2f})" if ceiling else ""
    return f"{measured.rps:,.0f}{ratio}"


def side_by_side(
    results: list[Measurement], memory: dict[str, dict[str, float]], engine: str, scale: str,
    failures: list[str],
) -> list[str]:  # fmt: skip
    """Build the table of each kind of request in every app, measured in one run."""
    mine = [m for m in results if (m.engine, m.scale) == (engine, scale)]
    kinds = {e.key: e.kind for e in ENDPOINTS}
    ceiling = next((m for m in mine if m.endpoint == "ceiling"), None)
    ceiling_rps = ceiling.rps if ceiling else None
    lines = [
        f"### {engine}, {scale} scale",
        "",
        "| endpoint | " + " | ".join(APPS.values()) + " | portal ÷ best peer |",
        "|---|" + "---:|" * (len(APPS) + 1),
    ]
    for kind, label in KINDS:
        cells = {
            app: next((m for m in mine if m.app == app and kinds.get(m.endpoint) == kind), None)
            for app in APPS
        }
        if kind == "login_page":
            cells["ceiling"] = ceiling
        peers = [cells[app].rps for app in PEERS if cells[app] is not None]
        portal = cells["portal"]
        versus = f"{portal.rps / max(peers):.1f}×" if portal and peers else ""
        target = BEAT_THE_PEER.get(kind)
        if target and portal and peers and portal.rps < target * max(peers):
            failures.append(f"{engine}/{scale} {label}: {versus} the best peer (< {target:.0f}×)")
        lines.append(
            f"| {label} | "
            + " | ".join(cell(cells[app], ceiling_rps) for app in APPS)
            + f" | {versus} |"
        )
    used = memory.get(f"{engine}/{scale}", {})
    lines.append(
        "| worker memory (RSS) | "
        + " | ".join(f"{used[app]:.0f} MB" if app in used else "—" for app in APPS)
        + " | |"
    )
    return lines + [""]


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
    ]
    with_peer = sorted(
        {(m.engine, m.scale) for m in results if m.app in PEERS}, key=lambda run: run[0] != "sqlite"
    )
    failures: list[str] = []
    if with_peer:
        lines += [
            "## Side by side: the minimal app, the portal and the peer in one run",
            "",
            "Requests a second, and in brackets the ratio to the minimal app (one Jinja "
            "template, one indexed row) measured in the same run. What each peer endpoint "
            "does, and what is not comparable, is under the tables.",
            "",
        ]
        for engine, scale in with_peer:
            lines += side_by_side(results, memory, engine, scale, failures)
    lines += [
        "## Every endpoint",
        "",
        "| engine | scale | endpoint | req/s | p50 ms | p99 ms | vs ceiling | large/small | bad |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        ceiling = ceilings.get((m.engine, m.scale))
        ratio = m.rps / ceiling if ceiling else float("nan")
        small = by_key.get((m.engine, "small", m.endpoint))
        drift = f"{m.rps / small.rps:.2f}" if m.scale == "large" and small else ""
        lines.append(
            f"| {m.engine} | {m.scale} | {m.label} | {m.rps:,.0f} | {m.p50_ms:.1f} | "
            f"{m.p99_ms:.1f} | {ratio:.2f} | {drift} | {m.unexpected + m.socket_errors} |"
        )
        if m.unexpected or m.socket_errors:
            failures.append(f"{m.engine}/{m.scale} {m.label}: {m.unexpected} unexpected statuses")
        if m.app != "portal" or m.endpoint == "ceiling":
            continue  # the targets are the portal's
        if ratio < 0.5:
            failures.append(f"{m.engine}/{m.scale} {m.label}: {ratio:.2f} of the ceiling (< 0.5)")
        if m.scale == "large" and small and m.rps < 0.8 * small.rps:
            failures.append(f"{m.engine} {m.label}: large scale {m.rps / small.rps:.2f} of small")
    lines += [
        "",
        "| engine | scale | " + " | ".join(f"{name} worker RSS" for name in APPS.values()) + " |",
        "|---|---|" + "---:|" * len(APPS),
    ]
    for key, value in memory.items():
        engine, scale = key.split("/")
        lines.append(
            f"| {engine} | {scale} | "
            + " | ".join(f"{value[app]:.0f} MB" if app in value else "—" for app in APPS)
            + " |"
        )
        if value["portal"] >= 100:
            failures.append(f"{key}: worker RSS {value['portal']:.0f} MB (>= 100)")
    lines += [
        "",
        "Targets (the portal's): every endpoint ≥ 0.5 of the ceiling; large ≥ 0.8 of small; "
        "RSS < 100 MB; no unexpected answer anywhere; where the peer ran, requesting a link "
        "≥ 3× and confirming one ≥ 2× the best peer (../shared/BENCHMARKS.md).",
    ]
    lines += [f"- MISSED: {failure}" for failure in failures] or ["- all met"]
    if with_peer:
        lines += ["", PEER_NOTES.rstrip()]
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
    figure, axes = plt.subplots(figsize=(max(12, len(keys) * 0.9), 6))
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
    axes.set_title(
        "Partner Portal, the minimal app and the Flask-Security-Too peer under gunicorn "
        "(2 sync workers), wrk, 2 cores"
    )
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
    parser.add_argument(
        "--no-peer", dest="peer", action="store_false", help="leave the Flask-Security-Too peer out"
    )
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
    if args.peer and not PEER_PYTHON.exists():
        raise SystemExit(
            f"the peer's virtualenv is missing ({PEER_PYTHON}): make bench creates it, "
            "or pass --no-peer"
        )
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
