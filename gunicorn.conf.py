"""Gunicorn settings for the portal: ``gunicorn -c gunicorn.conf.py app:app``.

Every value can be changed from the environment (see docs/PRODUCTION.md), so
the same file serves a laptop, a VM and a container.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Listen on loopback behind a reverse proxy (which terminates TLS).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: each request is short and mostly database work. One worker
# per core plus one keeps the CPUs busy while others wait on the database.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
# More than one thread switches to the threaded worker (fewer processes,
# same throughput for I/O-bound pages); the database pool must be at least
# this big (DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW).
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes 30 s is stuck: the worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers after this many requests (0: never) to bound slow leaks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10

# Heartbeat files in memory: a slow disk must not get healthy workers killed.
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's documented choice
    worker_tmp_dir = "/dev/shm"  # noqa: S108

proc_name = "partner-portal"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Remote address, request line, status, bytes, milliseconds, referrer, agent.
# No cookies and no Authorization header, ever; sign-in tokens in URLs are
# replaced by "[redacted]" by the logger class below.
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
logger_class = "partner_portal.access_log.TokenScrubbingLogger"
