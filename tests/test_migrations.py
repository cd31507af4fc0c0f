"""The migrations are the schema: running them gives exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from partner_portal.extensions import db


def test_models_and_migrations_do_not_drift_apart(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_and_upgrade_again(app):
    import flask_migrate

    with app.app_context():
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        db.session.remove()
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, db.metadata) == []
