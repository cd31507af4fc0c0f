"""Extensions, created unbound and attached to the app in ``create_app``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, cast

import click
from flask import Flask, g
from flask.cli import with_appcontext
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import CursorResult, Executable, MetaData, Result, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import UpdateBase

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
mail = Mail()
csrf = CSRFProtect()


class LazyMigrations:
    """Flask-Migrate's registration, done the first time a migration runs.

    Flask-Migrate imports Alembic (and Mako), 11 MB in every process; a web
    worker never migrates, so it never pays for it. ``flask db ...`` and
    ``flask_migrate.upgrade()`` find this in ``app.extensions["migrate"]``;
    their first look registers Flask-Migrate for real, which replaces it.
    """

    def __init__(self, app: Flask, **options: Any) -> None:
        self.app = app
        self.options = options
        self.config: Any = None

    def __getattr__(self, name: str) -> Any:
        if self.config is None:
            from flask_migrate import Migrate

            Migrate().init_app(self.app, db, **self.options)
            self.config = self.app.extensions["migrate"]
        return getattr(self.config, name)


class LazyMigrationCommands(click.Group):
    """``flask db``: Flask-Migrate's command group, imported when a command is looked up."""

    def _group(self) -> click.Group:
        from flask_migrate.cli import db as group

        return group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._group().get_command(ctx, cmd_name)


@click.group("db", cls=LazyMigrationCommands)
@click.option("-d", "--directory", default=None, help="Migration script directory.")
@click.option("-x", "--x-arg", multiple=True, help="Arguments for custom env.py scripts.")
@with_appcontext
def migration_commands(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Perform database migrations (Flask-Migrate)."""
    # What Flask-Migrate's own group does; its commands read these.
    g.directory = directory
    g.x_arg = x_arg


def init_migrations(app: Flask, **options: Any) -> None:
    """Make ``flask db`` and ``flask_migrate`` work on ``app``, importing Alembic only when used."""
    app.extensions["migrate"] = LazyMigrations(app, **options)
    app.cli.add_command(migration_commands)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:  # noqa: ANN001
    """Make every SQLite connection safe for several processes at once."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at the same time; the busy timeout
    # makes a second writer wait for the lock instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# Tables a request only ever appends to or counts in, and never holds as loaded
# ORM objects while it writes them: a Core write to one cannot leave a stale object.
CORE_WRITE_TABLES = frozenset(
    {"audit_events", "outbox_jobs", "rate_limits", "partner_sessions", "staff_sessions"}
)


def run(statement: Executable, parameters: dict[str, Any] | None = None) -> Result[Any]:
    """Run a statement built once on the session's connection, in its transaction.

    The fast path for what every request runs (the session read, status pages,
    audit and outbox inserts, rate limits): ``db.session.execute`` adds the
    ORM's execution layer, which cost about as much as the query itself (0.2 ms
    of 0.5 ms for the dashboard's). Two rules keep it as safe as that layer:
    pending ORM changes are flushed first (so a read never misses them), and a
    write is refused unless its table is one of ``CORE_WRITE_TABLES`` (any
    other table goes through ``changed_rows`` or the unit of work, which keep
    loaded objects in step).
    """
    if isinstance(statement, UpdateBase):
        table = getattr(statement.table, "name", None)
        if table not in CORE_WRITE_TABLES:
            raise TypeError(f"write {table} through the ORM session, not run()")
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, parameters)


def changed_rows(statement: Executable, parameters: dict[str, Any] | None = None) -> int:
    """Run an UPDATE or DELETE through the ORM session; return how many rows it changed."""
    result = db.session.execute(statement, parameters)
    return cast("CursorResult[Any]", result).rowcount


P = ParamSpec("P")
R = TypeVar("R")
_units_open: ContextVar[int] = ContextVar("units_open", default=0)


def unit_of_work(function: Callable[P, R]) -> Callable[P, R]:
    """Make a domain function one transaction: commit when it returns, roll back when it raises.

    The one place a change is committed (but for a sign-in, which the session
    store commits with the new session row). A unit called inside another
    joins the outer one: only the outermost commits, so composed changes stay
    all or nothing. Views, commands and the mail worker call units; they never
    commit themselves.
    """

    @functools.wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        depth = _units_open.get()
        marker = _units_open.set(depth + 1)
        try:
            result = function(*args, **kwargs)
            if depth == 0:
                db.session.commit()
            return result
        except BaseException:
            if depth == 0:
                db.session.rollback()
            raise
        finally:
            _units_open.reset(marker)

    return wrapped
