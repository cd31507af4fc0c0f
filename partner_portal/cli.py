"""Command line: ``flask partners|pages|components|access|incidents|maintenance|demo ...``.

Every command validates its input through the directory functions, prints a
clear message, and exits non-zero on error without writing anything.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from . import (
    clock,
    demo,
    housekeeping,
    incidents,
    maintenance,
    messages,
    outbox,
    partners,
    statuspages,
)
from .actors import CLI
from .extensions import db
from .models import Admin, Partner, Role

partners_cli = AppGroup("partners", help="Manage partner accounts.")
pages_cli = AppGroup("pages", help="Manage status pages.")
components_cli = AppGroup("components", help="Manage the components of status pages.")
access_cli = AppGroup("access", help="Grant and revoke partners' access to status pages.")
demo_cli = AppGroup("demo", help="Demo data.")
mail_cli = AppGroup("mail", help="Deliver queued email (the outbox).")
admin_cli = AppGroup("admin", help="Manage staff accounts of the admin console.")


security_cli = AppGroup("security", help="Security housekeeping.")
incidents_cli = AppGroup("incidents", help="Open, update and resolve incidents.")
maintenance_cli = AppGroup("maintenance", help="Schedule, cancel and complete maintenance.")


@contextmanager
def transaction() -> Iterator[None]:
    """Commit on success; on a directory error roll back and exit 1 with its message."""
    try:
        yield
        db.session.commit()
    except partners.DirectoryError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None


def parse_until(value: str | None) -> datetime | None:
    """Turn YYYY-MM-DD into the end of that day (UTC): access lasts through it."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "use the form YYYY-MM-DD, e.g. 2027-03-31", param_hint="--until"
        ) from None
    until = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    if until <= clock.now():
        raise click.BadParameter("that date is already past", param_hint="--until")
    return until


@partners_cli.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The partner's name, used in emails.")
@click.option("--company", default=None, help="The partner's company.")
def add_partner(email: str, name: str, company: str | None) -> None:
    """Add an active partner."""
    with transaction():
        partner = partners.create_partner(CLI, email, name, company)
    click.echo(f"Added partner {partner.email} (id {partner.id}).")


@partners_cli.command("list")
def list_partners() -> None:
    """List partners."""
    rows = db.session.scalars(select(Partner).order_by(Partner.email)).all()
    if not rows:
        click.echo("No partners yet. Add one with: flask partners add EMAIL --name NAME")
        return
    for partner in rows:
        state = "active" if partner.is_active else "inactive"
        company = f" ({partner.company})" if partner.company else ""
        click.echo(f"{partner.id:>5}  {partner.email:<40} {state:<8}  {partner.name}{company}")


@partners_cli.command("deactivate")
@click.argument("email")
def deactivate_partner(email: str) -> None:
    """Deactivate a partner: their sessions end and their links stop working."""
    with transaction():
        partner = partners.get_partner(email)
        partners.deactivate_partner(CLI, partner)
    click.echo(f"Deactivated {partner.email}; their sessions and links are gone.")


@partners_cli.command("import")
@click.argument("csv_file", type=click.File("rb"))
def import_partners(csv_file) -> None:  # noqa: ANN001 - a binary file
    """Import partners (email,name,company,pages) from a CSV file: all of them or none."""
    from . import importer

    try:
        text = importer.decode(csv_file.read())
        with click.progressbar(length=text.count("\n") + 1, label="Checking") as bar:
            rows = importer.parse(text, progress=lambda _: bar.update(1))
        with click.progressbar(length=len(rows), label="Importing") as bar:
            count = importer.apply(rows, CLI, progress=lambda _: bar.update(1))
    except importer.ImportRejected as rejected:
        for error in rejected.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(rejected.errors)} line(s) to fix."
        ) from None
    click.echo(f"Imported {count} partner(s).")


@pages_cli.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The page's title.")
@click.option("--description", default="", help="A sentence shown under the title.")
def add_page(slug: str, name: str, description: str) -> None:
    """Add a status page."""
    with transaction():
        page = statuspages.add_page(slug, name=name, description=description)
    click.echo(f"Added status page {page.slug}.")


@components_cli.command("add")
@click.argument("slug")
@click.argument("name")
@click.option("--status", default="operational", help="operational, degraded_performance, ...")
def add_component(slug: str, name: str, status: str) -> None:
    """Add a component to a status page."""
    with transaction():
        page = statuspages.get_page(slug)
        component = statuspages.add_component(
            page, name, statuspages.parse_component_status(status)
        )
    click.echo(f"Added component {component.name!r} to {page.slug} ({component.status.value}).")


@access_cli.command("grant")
@click.argument("email")
@click.argument("slug")
@click.option("--until", default=None, help="Last day of access, YYYY-MM-DD (inclusive).")
def grant_access(email: str, slug: str, until: str | None) -> None:
    """Let a partner see a status page."""
    expires_at = parse_until(until)
    with transaction():
        partner = partners.get_partner(email)
        page = statuspages.get_page(slug)
        partners.grant_access(CLI, partner, page, expires_at)
    suffix = f" through {until}" if until else ""
    click.echo(f"{partner.email} can now see {page.slug}{suffix}.")


@access_cli.command("revoke")
@click.argument("email")
@click.argument("slug")
def revoke_access(email: str, slug: str) -> None:
    """Stop a partner seeing a status page."""
    with transaction():
        partner = partners.get_partner(email)
        page = statuspages.get_page(slug)
        if not partners.revoke_access(CLI, partner, page):
            raise partners.DirectoryError(f"{partner.email} had no access to {page.slug}.")
    click.echo(f"{partner.email} can no longer see {page.slug}.")


def names(value: str | None) -> list[str]:
    """Split ``--components A,B`` into names."""
    return [name for name in (value or "").split(",") if name.strip()]


@incidents_cli.command("open")
@click.argument("slug")
@click.option("--title", required=True, help="What partners read first.")
@click.option("--impact", required=True, help="none, minor, major or critical.")
@click.option("--components", default=None, help="Affected components: NAME,NAME (none: the page).")
@click.option("--message", default=None, help="The first update (Markdown subset).")
@click.option("--status", default="investigating", show_default=True, help="The first status.")
@click.option("--component-status", default=None, help="Set the affected components to this.")
@click.option("--no-notify", is_flag=True, help="Do not notify partners.")
def open_incident(
    slug: str,
    title: str,
    impact: str,
    components: str | None,
    message: str | None,
    status: str,
    component_status: str | None,
    no_notify: bool,
) -> None:
    """Open an incident on a page; print its id."""
    with transaction():
        page = statuspages.get_page(slug)
        incident = incidents.open_incident(
            CLI,
            page,
            title=title,
            impact=impact,
            status=status,
            message=message,
            components=statuspages.components_named(page, names(components)),
            component_status=component_status,
            notify=not no_notify,
        )
    click.echo(incident.id)


@incidents_cli.command("update")
@click.argument("incident_id")
@click.option("--status", required=True, help="investigating, identified, monitoring, resolved.")
@click.option("--message", required=True, help="The update (Markdown subset).")
@click.option("--component-status", default=None, help="Set the affected components to this.")
@click.option("--no-notify", is_flag=True, help="Do not notify partners.")
def update_incident(
    incident_id: str, status: str, message: str, component_status: str | None, no_notify: bool
) -> None:
    """Post an update to an incident."""
    with transaction():
        incident = incidents.get_incident(incident_id)
        incidents.post_update(
            CLI,
            incident,
            status=status,
            message=message,
            component_status=component_status,
            notify=not no_notify,
        )
    click.echo(f"Posted an update to incident {incident.id} ({incident.status.value}).")


@incidents_cli.command("resolve")
@click.argument("incident_id")
@click.option("--message", default=None, help="The closing update.")
@click.option("--component-status", default=None, help="Instead of operational.")
@click.option("--no-notify", is_flag=True, help="Do not notify partners.")
def resolve_incident(
    incident_id: str, message: str | None, component_status: str | None, no_notify: bool
) -> None:
    """Resolve an incident; its components go back to operational unless told otherwise."""
    with transaction():
        incident = incidents.get_incident(incident_id)
        if not incidents.resolve_incident(
            CLI,
            incident,
            message=message,
            component_status=component_status,
            notify=not no_notify,
        ):
            raise partners.InvalidValue(messages.INCIDENT_ALREADY_RESOLVED)
    click.echo(f"Resolved incident {incident.id}.")


@maintenance_cli.command("schedule")
@click.argument("slug")
@click.option("--title", required=True, help="What partners read first.")
@click.option("--start", required=True, help="ISO 8601, UTC unless an offset is given.")
@click.option("--end", required=True, help="ISO 8601, UTC unless an offset is given.")
@click.option("--components", default=None, help="Affected components: NAME,NAME (none: the page).")
@click.option("--message", default=None, help="What partners should know (Markdown subset).")
@click.option("--no-notify", is_flag=True, help="Do not notify partners.")
def schedule_maintenance(
    slug: str,
    title: str,
    start: str,
    end: str,
    components: str | None,
    message: str | None,
    no_notify: bool,
) -> None:
    """Schedule maintenance on a page; print its id. The mail worker starts and ends it."""
    with transaction():
        page = statuspages.get_page(slug)
        window = maintenance.schedule(
            CLI,
            page,
            title=title,
            start=maintenance.parse_time(start),
            end=maintenance.parse_time(end),
            components=statuspages.components_named(page, names(components)),
            message=message,
            notify=not no_notify,
        )
    click.echo(window.id)


@maintenance_cli.command("cancel")
@click.argument("window_id")
def cancel_maintenance(window_id: str) -> None:
    """Cancel maintenance that has not started."""
    with transaction():
        window = maintenance.get_window(window_id)
        if not maintenance.cancel(CLI, window):
            raise partners.InvalidValue(messages.WINDOW_NOT_SCHEDULED)
    click.echo(f"Cancelled maintenance {window.id}.")


@maintenance_cli.command("complete")
@click.argument("window_id")
def complete_maintenance(window_id: str) -> None:
    """Complete maintenance in progress now; its components go back to what they were."""
    with transaction():
        window = maintenance.get_window(window_id)
        if not maintenance.complete(CLI, window):
            raise partners.InvalidValue(messages.WINDOW_NOT_IN_PROGRESS)
    click.echo(f"Completed maintenance {window.id}.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when partners already exist.")
def load_demo(if_empty: bool) -> None:
    """Load a realistic demo: partners, pages, components, an open incident."""
    if if_empty and db.session.scalar(select(func.count()).select_from(Partner)):
        click.echo("Demo not loaded: the database already has partners.")
        return
    with transaction():
        summary = demo.load()
    click.echo(summary)


def describe(outcomes: Counter[str]) -> str:
    """Return 'sent 3, queued for retry 1, ...' for a delivery run."""
    labels = {
        "sent": "sent",
        "queued": "queued for retry",
        "skipped": "skipped (no active partner)",
        "failed": "failed",
        "dropped": "dropped",
        "started": "maintenance started",
        "completed": "maintenance completed",
    }
    parts = [f"{labels.get(status, status)} {count}" for status, count in sorted(outcomes.items())]
    return ", ".join(parts) or "nothing was due"


@mail_cli.command("send-pending")
def send_pending() -> None:
    """Deliver every email that is due now, once, and exit."""
    outcomes = maintenance.advance(clock.now())
    outcomes.update(outbox.send_pending())
    click.echo(f"Outbox: {describe(outcomes)}.")


@mail_cli.command("worker")
@click.option("--batch-size", default=20, show_default=True, help="Jobs claimed at a time.")
def worker(batch_size: int) -> None:
    """Deliver queued email continuously until stopped (SIGTERM or Ctrl-C)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    name = outbox.worker_name()
    interval = current_app.config["OUTBOX_POLL_INTERVAL"]
    click.echo(f"Mail worker {name} started; polling every {interval:g} s.")
    while not stop.is_set():
        try:
            # Maintenance starts and ends on time here: every deployment runs this loop.
            outcomes = maintenance.advance(clock.now())
            outcomes.update(outbox.send_pending(name, batch_size))
        except OperationalError as error:
            # The database is away (restart, failover): wait and carry on.
            db.session.rollback()
            click.echo(f"Database unavailable ({error.orig!r}); retrying.", err=True)
            outcomes = Counter()
        if outcomes:
            click.echo(f"{clock.now():%H:%M:%S} {describe(outcomes)}")
        stop.wait(interval)
    click.echo("Mail worker stopped.")


def read_password() -> str:
    """Prompt twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


ROLE_NAMES = [role.value for role in Role]


def _admin_or_fail(email: str) -> Admin:
    from .admin.staff import accounts as service

    try:
        admin = service.find_admin(partners.canonical_email(email))
    except partners.InvalidEmail as error:
        raise click.ClickException(str(error)) from None
    if admin is None:
        raise click.ClickException(f"No staff account has the email {email.strip()}.")
    return admin


@admin_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLE_NAMES),
    default=Role.OWNER.value,
    show_default=True,
    help="What the account may do in the console.",
)
def create_admin(email: str, role: str) -> None:
    """Create a staff account; the password is prompted for (or read from standard input)."""
    from .admin.staff import accounts as service
    from .security.passwords import WeakPassword

    password = read_password()
    try:
        admin = service.create_admin(email, password, CLI, Role(role))
    except (partners.InvalidEmail, WeakPassword, service.AdminExists) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Created staff account {admin.email} ({admin.role.value}, id {admin.id}). "
        "Sign in at /admin/login."
    )


@admin_cli.command("list")
def list_admins() -> None:
    """List staff accounts: email, role, state, second factor, last sign-in."""
    from .admin.staff import accounts as service
    from .admin.staff import factors

    for admin in service.list_admins():
        state = (
            "deactivated"
            if not admin.is_active
            else "invited"
            if service.is_invited(admin)
            else "active"
        )
        factor = "totp" if factors.has_second_factor(admin) else "no second factor"
        last = f"{admin.last_login_at:%Y-%m-%d %H:%M} UTC" if admin.last_login_at else "never"
        click.echo(f"{admin.email}\t{admin.role.value}\t{state}\t{factor}\tlast sign-in {last}")


@admin_cli.command("deactivate")
@click.argument("email")
def deactivate_admin(email: str) -> None:
    """Deactivate a staff account: its sessions end and its links die (not the last owner)."""
    from .admin.staff import accounts as service

    admin = _admin_or_fail(email)
    try:
        ended, revoked = service.deactivate_admin(CLI, admin)
    except service.LastOwner as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Deactivated {admin.email}: {ended} session(s) ended, {revoked} link(s) revoked.")


@admin_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLE_NAMES))
def set_admin_role(email: str, role: str) -> None:
    """Give a staff account another role (the last active owner stays an owner)."""
    from .admin.staff import accounts as service

    admin = _admin_or_fail(email)
    try:
        changed = service.set_role(CLI, admin, Role(role))
    except service.LastOwner as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{admin.email} is {'now' if changed else 'already'} {role}.")


@admin_cli.command("reset-second-factor")
@click.argument("email")
def reset_second_factor(email: str) -> None:
    """Remove a staff account's authenticator app and recovery codes (a lost phone)."""
    from .admin.staff import factors

    admin = _admin_or_fail(email)
    if factors.reset_second_factor(CLI, admin):
        click.echo(f"Removed the second factor of {admin.email}; its sessions ended.")
    else:
        click.echo(f"{admin.email} has no second factor.")


@admin_cli.command("reseal-secrets")
def reseal_secrets() -> None:
    """Encrypt every TOTP secret under the current SECRET_KEY (run before dropping a fallback)."""
    from .admin.staff import factors

    click.echo(f"Re-sealed {factors.reseal_all()} secret(s) under the current key.")


@security_cli.command("prune-limits")
def prune_limits() -> None:
    """Delete the rate-limit counters whose window is over (what `flask cleanup` also does)."""
    for removed in housekeeping.ended_rate_limit_windows(clock.now(), timedelta(0)):
        click.echo(str(removed))


@click.command("cleanup")
@click.option(
    "--retention-days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep spent links this many days (default: CLEANUP_RETENTION_DAYS, 30).",
)
@with_appcontext
def cleanup(retention_days: int | None) -> None:
    """Remove expired sessions, spent links and other stale rows; audit entries are kept."""
    days = retention_days or current_app.config["CLEANUP_RETENTION_DAYS"]
    for removed in housekeeping.sweep_all(clock.now(), timedelta(days=days)):
        click.echo(str(removed))


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (
        partners_cli,
        pages_cli,
        components_cli,
        access_cli,
        demo_cli,
        mail_cli,
        admin_cli,
        security_cli,
        incidents_cli,
        maintenance_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(cleanup)
