"""staff: roles, invited accounts without a password yet, TOTP credentials, recovery codes

Revision ID: 0012_staff
Revises: 0010_incidents_maintenance
Create Date: 2026-11-29 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_staff'
down_revision = '0010_incidents_maintenance'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing account was created by `flask admin create` with every
    # power: they become owners, which is what they were.
    with op.batch_alter_table('admins', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('role', sa.String(length=32), server_default='owner', nullable=False)
        )
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=True)

    op.create_table(
        'staff_totp_credentials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('secret_ciphertext', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_step', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ['admin_id'], ['admins.id'],
            name=op.f('fk_staff_totp_credentials_admin_id_admins'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_totp_credentials')),
    )
    with op.batch_alter_table('staff_totp_credentials', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_staff_totp_credentials_admin_id'), ['admin_id'], unique=False
        )

    op.create_table(
        'staff_recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['admin_id'], ['admins.id'],
            name=op.f('fk_staff_recovery_codes_admin_id_admins'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_codes')),
    )
    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_staff_recovery_codes_admin_id'), ['admin_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_recovery_codes_admin_id'))
    op.drop_table('staff_recovery_codes')
    with op.batch_alter_table('staff_totp_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_totp_credentials_admin_id'))
    op.drop_table('staff_totp_credentials')

    # An invited account that never chose a password cannot be kept without one.
    op.execute(sa.text('DELETE FROM admins WHERE password_hash IS NULL'))
    with op.batch_alter_table('admins', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('role')
