"""The portal's tables, as SQLAlchemy 2.x typed models.

The schema itself belongs to the Alembic migrations in ``migrations/``; a
test checks that these models and the migrations never drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from . import clock
from .extensions import db

if TYPE_CHECKING:
    # What db.Model is at run time (Flask-SQLAlchemy builds it from Base), spelt so that
    # the type checker sees the typed declarative base.
    from .extensions import Base as Model
else:
    Model = db.Model


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware UTC datetimes on every engine and always read them back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; use clock.now()")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so text comparisons order correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum_class: type[StrEnum]) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class ComponentStatus(StrEnum):
    """How a component is doing, from best to worst."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def label(self) -> str:
        """Return the words a person reads for this status."""
        return self.value.replace("_", " ").capitalize()

    @property
    def severity(self) -> int:
        """Return a rank: the page's overall status is its worst component's."""
        return _SEVERITY[self]


# Computed once: the rank is read for every component of every page shown.
_SEVERITY = {status: rank for rank, status in enumerate(ComponentStatus)}


class IncidentStatus(StrEnum):
    """Where an incident is in its life."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        """Return the words a person reads for this status."""
        return self.value.capitalize()


class IncidentImpact(StrEnum):
    """How much an incident hurts."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        """Return the words a person reads for this impact."""
        return self.value.capitalize()


class Partner(Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Canonical form only (trimmed, lower-cased): one address, one partner.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the partner deleted their account: the row stays (anonymised,
    # inactive) so its id is never reused and the audit trail stays attributable.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grants: Mapped[list[AccessGrant]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Partner {self.id}>"


class StatusPage(Model):
    __tablename__ = "status_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Bumped in the transaction of every write that changes what the page
    # shows (statuspages.py listens to flushes): rendered pages are cached
    # under it, so a committed write is never followed by a stale page.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    components: Mapped[list[Component]] = relationship(
        back_populates="page",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Component.position, Component.id)",
    )
    incidents: Mapped[list[Incident]] = relationship(
        back_populates="page", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<StatusPage {self.slug}>"


class Component(Model):
    __tablename__ = "components"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(
        ForeignKey("status_pages.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ComponentStatus] = mapped_column(
        _enum(ComponentStatus), default=ComponentStatus.OPERATIONAL
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    page: Mapped[StatusPage] = relationship(back_populates="components")


# Which components an incident affects; none listed = the whole page.
incident_components = Table(
    "incident_components",
    db.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "component_id",
        ForeignKey("components.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Incident(Model):
    __tablename__ = "incidents"
    # History: a page's resolved incidents, newest first.
    __table_args__ = (Index("ix_incidents_page_id_resolved_at", "page_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(
        ForeignKey("status_pages.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    impact: Mapped[IncidentImpact] = mapped_column(
        _enum(IncidentImpact), default=IncidentImpact.MINOR
    )
    status: Mapped[IncidentStatus] = mapped_column(
        _enum(IncidentStatus), default=IncidentStatus.INVESTIGATING
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    page: Mapped[StatusPage] = relationship(back_populates="incidents")
    components: Mapped[list[Component]] = relationship(
        secondary=incident_components, order_by="(Component.position, Component.id)"
    )
    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(IncidentUpdate.created_at.desc(), IncidentUpdate.id.desc())",
    )

    @property
    def is_open(self) -> bool:
        """Return whether the incident is still going on."""
        return self.status != IncidentStatus.RESOLVED

    @property
    def duration(self) -> timedelta | None:
        """Return how long the incident lasted (None while it is open)."""
        return self.resolved_at - self.started_at if self.resolved_at else None


class IncidentUpdate(Model):
    __tablename__ = "incident_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[IncidentStatus] = mapped_column(_enum(IncidentStatus))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    incident: Mapped[Incident] = relationship(back_populates="updates")


class MaintenanceState(StrEnum):
    """Where a maintenance window is in its life."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """Return the words a person reads for this state."""
        return self.value.replace("_", " ").capitalize()


class MaintenanceWindow(Model):
    """Planned work on some components of a page (none listed = the whole page)."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (
        # The mail worker asks every second which windows are due to start or end.
        Index("ix_maintenance_windows_state_scheduled_start", "state", "scheduled_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(
        ForeignKey("status_pages.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[MaintenanceState] = mapped_column(
        _enum(MaintenanceState), default=MaintenanceState.SCHEDULED
    )
    scheduled_start: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    page: Mapped[StatusPage] = relationship()
    affected: Mapped[list[MaintenanceComponent]] = relationship(
        back_populates="window", cascade="all, delete-orphan", passive_deletes=True
    )
    updates: Mapped[list[MaintenanceUpdate]] = relationship(
        back_populates="window",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(MaintenanceUpdate.created_at.desc(), MaintenanceUpdate.id.desc())",
    )

    @property
    def components(self) -> list[Component]:
        """Return the affected components in page order."""
        return sorted(
            (link.component for link in self.affected),
            key=lambda component: (component.position, component.id),
        )

    @property
    def is_active(self) -> bool:
        """Return whether the window is still to come or going on."""
        return self.state in (MaintenanceState.SCHEDULED, MaintenanceState.IN_PROGRESS)


class MaintenanceComponent(Model):
    """A component a window affects, and what it was before the window put it in maintenance.

    ``status_event_id`` is the status event the window's start wrote: at the
    end, the component goes back to ``previous_status`` only if that event is
    still its latest (nobody changed it meanwhile).
    """

    __tablename__ = "maintenance_components"

    window_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_windows.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    previous_status: Mapped[ComponentStatus | None] = mapped_column(_enum(ComponentStatus))
    status_event_id: Mapped[int | None] = mapped_column(Integer)

    window: Mapped[MaintenanceWindow] = relationship(back_populates="affected")
    component: Mapped[Component] = relationship()


class MaintenanceUpdate(Model):
    __tablename__ = "maintenance_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_windows.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[MaintenanceState] = mapped_column(_enum(MaintenanceState))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    window: Mapped[MaintenanceWindow] = relationship(back_populates="updates")


class AccessGrant(Model):
    __tablename__ = "access_grants"
    __table_args__ = (UniqueConstraint("partner_id", "page_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("status_pages.id", ondelete="CASCADE"), index=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship(back_populates="grants")
    page: Mapped[StatusPage] = relationship()


class MagicLinkToken(Model):
    """One emailed link. The raw token exists only in the email; we keep its SHA-256."""

    __tablename__ = "magic_link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    redirect_to: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one-time code sent with the link: only for the browser whose
    # request (``request_id``, also in its signed cookie) asked for it, stored
    # as an HMAC, dead after a few wrong tries or when a newer code is sent.
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Staff password-reset links belong to an admin instead of a partner.
    admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("admins.id", ondelete="CASCADE"), index=True
    )

    partner: Mapped[Partner | None] = relationship()
    admin: Mapped[Admin | None] = relationship()


class AuditEvent(Model):
    """An append-only record of something that happened to an account.

    Partners are referenced by id without a foreign key on purpose: deleting
    a partner must leave their history in place.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_partner_id_created_at", "partner_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16), default="info")
    partner_id: Mapped[int | None] = mapped_column(Integer)
    admin_id: Mapped[int | None] = mapped_column(Integer, index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Anonymous noise past its limit (the same refusal, over and over) is one
    # row per key and window, counted, instead of a row each: see audit.record_refusal.
    aggregate_key: Mapped[str | None] = mapped_column(String(400), index=True)
    occurrences: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PartnerSession(Model):
    """A signed-in partner's server-side session (its data plus who and where)."""

    __tablename__ = "partner_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the session id (hex); the id itself exists only in the cookie,
    # so a copy of this table cannot be replayed as live sessions.
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expiry: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))


class OutboxStatus(StrEnum):
    """Where a delivery job is in its life."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    DROPPED = "dropped"


class OutboxJob(Model):
    """An email to send, recorded in the transaction of the request that wants it.

    It holds what to send, never a raw token: the link is minted only when the
    message is actually sent, so a database dump holds no working link.
    """

    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    partner_id: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(32))
    redirect_to: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_reply_code: Mapped[int | None] = mapped_column(Integer)


class Role(StrEnum):
    """What a member of staff may do in the console; each role can do all that those below can.

    ``viewer`` reads the console and the audit log; ``communicator`` also runs
    incidents and maintenance; ``editor`` also partners, pages, components,
    access and imports; ``owner`` everything, staff and API keys included.
    """

    VIEWER = "viewer"
    COMMUNICATOR = "communicator"
    EDITOR = "editor"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """Return the role's place in the order (viewer 0 ... owner 3)."""
        return _ROLE_RANK[self]

    def allows(self, needed: Role) -> bool:
        """Return whether this role may use a route that needs ``needed``."""
        return self.rank >= needed.rank

    @property
    def label(self) -> str:
        """Return the words a person reads for this role."""
        return self.value.capitalize()


_ROLE_RANK = {role: rank for rank, role in enumerate(Role)}


class Admin(Model):
    """A member of staff who runs the portal from ``/admin``; signs in with a password."""

    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Canonical form only, like partners' addresses.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # An Argon2id PHC string; the password itself is never stored. None until an
    # invited member of staff has chosen one: such an account cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.OWNER, server_default="owner")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Admin {self.id}>"


class TotpCredential(Model):
    """A staff member's authenticator app (RFC 6238): its secret, encrypted, and its last step.

    A row with ``confirmed_at`` unset is an enrolment in progress; confirming
    one (with a first code) replaces the account's earlier credential.
    """

    __tablename__ = "staff_totp_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"), index=True)
    # Fernet token of the base32 secret, under a key derived from SECRET_KEY:
    # a copy of the database alone cannot compute anyone's codes.
    secret_ciphertext: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The 30-second time step of the last code accepted: a code (or an older
    # one) is never accepted twice. Moved only by a conditional UPDATE.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Model):
    """One single-use recovery code of a member of staff, stored as an Argon2id hash."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffSession(Model):
    """A signed-in admin's server-side session, in its own table, apart from partners'."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the session id (hex); the id itself exists only in the cookie,
    # so a copy of this table cannot be replayed as live sessions.
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expiry: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))


class RateLimit(Model):
    """How many hits one key has had in the current window of one named limit."""

    __tablename__ = "rate_limits"

    key_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ComponentStatusEvent(Model):
    """A component entered ``status`` at ``started_at`` (leaving ``previous_status``).

    The history bar on status pages is drawn from these; keeping the previous
    status on each event lets one query of the last 90 days draw it.
    """

    __tablename__ = "component_status_events"
    __table_args__ = (
        Index("ix_component_status_events_component_id_started_at", "component_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"))
    status: Mapped[ComponentStatus] = mapped_column(_enum(ComponentStatus))
    previous_status: Mapped[ComponentStatus | None] = mapped_column(_enum(ComponentStatus))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
