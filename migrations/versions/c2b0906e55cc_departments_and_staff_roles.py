"""departments and staff roles: badge classes belong to a department, staff have a role

Revision ID: c2b0906e55cc
Revises: c4d81e5f2a07
Create Date: 2026-11-29 12:51:59.572596

Existing data: every issuer gets one department, 全学 / University-wide, and
its badge classes are put in it (rename it, or move the badges, under
/admin/departments); every staff account (``is_staff``) becomes an
administrator, so nobody sees less than before the upgrade.
"""
from alembic import op
import sqlalchemy as sa

import wallet.db


# revision identifiers, used by Alembic.
revision = 'c2b0906e55cc'
down_revision = 'c4d81e5f2a07'
branch_labels = None
depends_on = None

DEFAULT_NAME = '全学'
DEFAULT_NAME_EN = 'University-wide'


def upgrade():
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('created_at', wallet.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuer.id'], name=op.f('fk_department_issuer_id_issuer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('issuer_id', 'name', name=op.f('uq_department_issuer_id'))
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('staff_department',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_staff_department_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_staff_department_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'department_id', name=op.f('pk_staff_department'))
    )
    with op.batch_alter_table('staff_department', schema=None) as batch_op:
        batch_op.create_index('ix_staff_department_department_id', ['department_id'], unique=False)

    # one department per issuer for the badge classes that exist, then the column is required
    op.execute(
        sa.text(
            'INSERT INTO department (issuer_id, name, name_en, created_at)'
            ' SELECT id, :name, :name_en, CURRENT_TIMESTAMP FROM issuer'
        ).bindparams(name=DEFAULT_NAME, name_en=DEFAULT_NAME_EN)
    )
    with op.batch_alter_table('badge_class', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
    op.execute(
        'UPDATE badge_class SET department_id = (SELECT department.id FROM department'
        ' WHERE department.issuer_id = badge_class.issuer_id)'
    )
    with op.batch_alter_table('badge_class', schema=None) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_badge_class_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_badge_class_department_id_department'), 'department', ['department_id'], ['id'])

    # every staff account so far saw everything: it becomes an administrator
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', wallet.db.UTCDateTime(timezone=True), nullable=True))
    op.execute('UPDATE "user" SET staff_role = \'admin\' WHERE is_staff')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('is_staff')


def downgrade():
    # Before this revision there was one staff role, which saw everything: only
    # administrators still in office keep it; department staff and turned-off
    # accounts become plain wallet accounts.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_staff', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        'UPDATE "user" SET is_staff = (staff_role = \'admin\')'
        ' WHERE staff_role IS NOT NULL AND deactivated_at IS NULL'
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('is_staff', existing_type=sa.Boolean(), server_default=None)
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('staff_role')

    with op.batch_alter_table('badge_class', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_badge_class_department_id_department'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_badge_class_department_id'))
        batch_op.drop_column('department_id')

    with op.batch_alter_table('staff_department', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_department_department_id')

    op.drop_table('staff_department')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_issuer_id'))

    op.drop_table('department')
