"""hardening: session ids stored as hashes; audit rows that aggregate repeated refusals

Revision ID: 0009_hardening
Revises: 0006_security
Create Date: 2026-11-21 12:00:00.000000

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_hardening'
down_revision = '0006_security'
branch_labels = None
depends_on = None

SESSION_TABLES = ('partner_sessions', 'staff_sessions')


def _rehash(table, source, target, transform):
    """Rewrite one column of every row of ``table`` (sessions are few: one per signed-in browser)."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(f'SELECT id, {source} FROM {table}')).all()
    for row_id, value in rows:
        connection.execute(
            sa.text(f'UPDATE {table} SET {target} = :value WHERE id = :id'),
            {'value': transform(value), 'id': row_id},
        )


def upgrade():
    # Session rows keep working: each id is replaced by its SHA-256, which is
    # what the store now looks rows up by (the cookie keeps the raw id).
    for table in SESSION_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('session_hash', sa.String(length=64), nullable=True))
        _rehash(table, 'session_id', 'session_hash',
                lambda sid: hashlib.sha256(sid.encode('utf-8', 'surrogateescape')).hexdigest())
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('session_hash', existing_type=sa.String(length=64), nullable=False)
            batch_op.drop_constraint(op.f(f'uq_{table}_session_id'), type_='unique')
            batch_op.drop_column('session_id')
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_session_hash'), ['session_hash'])

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aggregate_key', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('occurrences', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('last_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_aggregate_key'), ['aggregate_key'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_aggregate_key'))
        batch_op.drop_column('last_at')
        batch_op.drop_column('occurrences')
        batch_op.drop_column('aggregate_key')

    # A hash cannot be turned back into its id: the sessions end.
    for table in SESSION_TABLES:
        op.execute(sa.text(f'DELETE FROM {table}'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_session_hash'), type_='unique')
            batch_op.drop_column('session_hash')
            batch_op.add_column(sa.Column('session_id', sa.String(length=255), nullable=False))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_session_id'), ['session_id'])
