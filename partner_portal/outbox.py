"""The outbox: mail is recorded with the request and delivered by a worker.

A request that wants an email adds an :class:`OutboxJob` to its own
transaction (so the request succeeds or fails as a whole) and never talks
to SMTP. ``flask mail worker`` and ``flask mail send-pending`` deliver jobs:

* **Claiming** is one UPDATE over a sub-select (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite serialises writers), so any number of workers can run
  and each job is claimed by exactly one of them.
* **Composing** happens at send time: the link is minted then, so a job row
  never holds a working token.
* **Failures**: temporary ones (connection refused, timeouts, 4xx replies)
  are retried with exponential backoff until the job is ``OUTBOX_MAX_AGE``
  old, then dropped (``email.dropped``); permanent ones (5xx) are not retried
  (``email.failed``, with the reply code). Every send is audited ``email.sent``.
* **At least once**: a worker that dies after the SMTP server accepted a
  message but before marking the job sent leaves it ``sending``; after
  ``OUTBOX_CLAIM_TIMEOUT`` another worker claims and sends it again. A
  message can be sent twice, never zero times.
"""

from __future__ import annotations

import os
import smtplib
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import Flask, current_app
from flask_mail import BadHeaderError
from sqlalchemy import Insert, and_, func, insert, or_, select, update

from . import clock
from .actors import Actor, record_action
from .extensions import changed_rows, db, run, unit_of_work
from .mail.transport import Composed, send
from .models import MagicLinkToken, OutboxJob, OutboxStatus
from .security.audit import Requester, Severity, record

WORKER = Requester(ip_address=None, user_agent="mail worker")
ERROR_MAX = 500
COMPOSERS = "portal.outbox_composers"

Composer = Callable[[OutboxJob], Composed | None]


def init_app(app: Flask, composers: dict[str, Composer]) -> None:
    """Register every kind of job and the function that composes its message.

    Given at start (by ``create_app``, from the link registry), so this
    module, which every request that queues mail imports, depends on no
    particular email.
    """
    app.extensions[COMPOSERS] = dict(composers)


def composers() -> dict[str, Composer]:
    """Return the composers registered for the current app."""
    registered: dict[str, Composer] = current_app.extensions[COMPOSERS]
    return registered


@dataclass(frozen=True)
class Failure:
    """Why a send failed, and whether trying again could help."""

    is_temporary: bool
    reply_code: int | None
    description: str


def enqueue(
    kind: str,
    recipient: str,
    requester: Requester,
    *,
    partner_id: int | None = None,
    purpose: str | None = None,
    redirect_to: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Add a delivery job to the current transaction (the caller commits); return its id.

    One prepared INSERT, not the ORM's unit of work: it runs on every request
    for a link.
    """
    if kind not in composers():
        raise ValueError(f"unknown email kind {kind!r}")
    now = clock.now()
    return run(
        _enqueue_statement(),
        {
            "kind": kind,
            "recipient": recipient,
            "partner_id": partner_id,
            "purpose": purpose,
            "redirect_to": redirect_to,
            "details": {
                "ip_address": requester.ip_address,
                "user_agent": requester.user_agent,
                **(details or {}),
            },
            "status": OutboxStatus.QUEUED,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        },
    ).scalar_one()


@cache
def _enqueue_statement() -> Insert:
    return insert(OutboxJob).returning(OutboxJob.id)


def _is_due(now: datetime) -> Any:
    stale = now - current_app.config["OUTBOX_CLAIM_TIMEOUT"]
    return or_(
        and_(OutboxJob.status == OutboxStatus.QUEUED, OutboxJob.next_attempt_at <= now),
        # A claim this old belongs to a worker that died mid-send: take it over.
        and_(OutboxJob.status == OutboxStatus.SENDING, OutboxJob.claimed_at < stale),
    )


def claim(worker: str, limit: int = 20) -> list[int]:
    """Atomically claim up to ``limit`` due jobs for this worker; return their ids."""
    now = clock.now()
    batch = f"{worker}:{uuid.uuid4().hex[:12]}"[:64]
    due = (
        select(OutboxJob.id)
        .where(_is_due(now))
        .order_by(OutboxJob.next_attempt_at, OutboxJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        update(OutboxJob)
        # The due condition is repeated outside the sub-select so a row another
        # worker claimed in between is never taken twice.
        .where(OutboxJob.id.in_(due), _is_due(now))
        .values(
            status=OutboxStatus.SENDING,
            claimed_by=batch,
            claimed_at=now,
            attempts=OutboxJob.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxJob.id).where(OutboxJob.claimed_by == batch).order_by(OutboxJob.id)
        )
    )


def classify(error: BaseException) -> Failure:
    """Decide whether a send error is worth retrying."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        code = max(codes) if codes else None
        return Failure(not codes or min(codes) < 500, code, "recipient refused")
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        text = error.smtp_error
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return Failure(not 500 <= code < 600, code, f"{code} {text}")
    if isinstance(error, BadHeaderError):
        return Failure(False, None, "bad header")
    if isinstance(error, socket.timeout | TimeoutError):
        return Failure(True, None, "timed out")
    return Failure(True, None, f"{type(error).__name__}: {error}")


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the ``attempts``-th failed try (30 s, 1 min, 2 min...)."""
    base = current_app.config["OUTBOX_RETRY_BASE"]
    return min(base * (2 ** max(attempts - 1, 0)), current_app.config["OUTBOX_RETRY_MAX"])


def _audit(job: OutboxJob, action: str, severity: Severity, **details: Any) -> None:
    record(
        action,
        WORKER,
        severity=severity,
        partner_id=job.partner_id,
        email=job.recipient,
        details={"job_id": job.id, "kind": job.kind, "attempts": job.attempts, **details},
    )


def deliver(job_id: int) -> OutboxStatus:
    """Compose and send one claimed job, then record how it went."""
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    composer = composers().get(job.kind)
    if composer is None:
        return _fail(job, Failure(False, None, f"unknown kind {job.kind}"), None)
    composed = composer(job)
    if composed is None:
        job.status = OutboxStatus.SKIPPED
        job.finished_at = clock.now()
        db.session.commit()
        return job.status
    # The link must exist before anyone can click it.
    db.session.commit()
    try:
        send(composed)
    except (OSError, smtplib.SMTPException, BadHeaderError) as error:
        return _fail(job, classify(error), composed.token_id)
    job.status = OutboxStatus.SENT
    job.finished_at = clock.now()
    job.last_error = None
    _audit(job, "email.sent", Severity.INFO, token_id=composed.token_id)
    db.session.commit()
    return job.status


def _fail(job: OutboxJob, failure: Failure, token_id: int | None) -> OutboxStatus:
    now = clock.now()
    if token_id is not None:
        # The message never left: its link must not outlive it.
        db.session.execute(
            update(MagicLinkToken)
            .where(MagicLinkToken.id == token_id, MagicLinkToken.used_at.is_(None))
            .values(revoked_at=now)
        )
    job.last_error = failure.description[:ERROR_MAX]
    job.last_reply_code = failure.reply_code
    retry_at = now + backoff(job.attempts)
    if not failure.is_temporary:
        job.status = OutboxStatus.FAILED
        job.finished_at = now
        _audit(
            job,
            "email.failed",
            Severity.CRITICAL,
            reply_code=failure.reply_code,
            error=job.last_error,
        )
    elif retry_at > job.created_at + current_app.config["OUTBOX_MAX_AGE"]:
        job.status = OutboxStatus.DROPPED
        job.finished_at = now
        _audit(
            job,
            "email.dropped",
            Severity.CRITICAL,
            reply_code=failure.reply_code,
            error=job.last_error,
        )
    else:
        job.status = OutboxStatus.QUEUED
        job.next_attempt_at = retry_at
        job.claimed_by = None
        current_app.logger.warning(
            "outbox job %s (%s) failed temporarily (%s); retrying at %s",
            job.id,
            job.kind,
            job.last_error,
            retry_at.isoformat(),
        )
    db.session.commit()
    return job.status


def worker_name() -> str:
    """Return a name for this process, for claims and logs."""
    return f"{socket.gethostname()}:{os.getpid()}"[:40]


def send_pending(worker: str | None = None, batch_size: int = 20) -> Counter[str]:
    """Deliver every job due now, once; return how many ended in each status."""
    worker = worker or worker_name()
    outcomes: Counter[str] = Counter()
    while ids := claim(worker, batch_size):
        for job_id in ids:
            outcomes[deliver(job_id).value] += 1
    return outcomes


@unit_of_work
def retry_now(actor: Actor, job: OutboxJob) -> bool:
    """Put a failed or dropped job back in the queue, due now; return whether it was (audited)."""
    retried = changed_rows(
        update(OutboxJob)
        .where(
            OutboxJob.id == job.id,
            OutboxJob.status.in_([OutboxStatus.FAILED, OutboxStatus.DROPPED]),
        )
        .values(
            status=OutboxStatus.QUEUED,
            next_attempt_at=clock.now(),
            # A retried job gets a fresh maximum age from now.
            created_at=clock.now(),
            claimed_by=None,
            finished_at=None,
        )
    )
    if retried:
        record_action("outbox.retried", actor, email=job.recipient, details={"job_id": job.id})
    return retried == 1


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]
    recent_errors: list[OutboxJob]


def summary(error_limit: int = 10) -> OutboxSummary:
    """Return job counts by status and the most recent failures, for the admin pages."""
    counts = {status.value: 0 for status in OutboxStatus}
    for status, count in db.session.execute(
        select(OutboxJob.status, func.count()).group_by(OutboxJob.status)
    ):
        counts[status.value] = count
    recent = list(
        db.session.scalars(
            select(OutboxJob)
            .where(OutboxJob.last_error.is_not(None))
            .order_by(OutboxJob.id.desc())
            .limit(error_limit)
        )
    )
    return OutboxSummary(counts=counts, recent_errors=recent)
