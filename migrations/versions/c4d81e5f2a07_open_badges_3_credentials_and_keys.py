"""Open Badges 3.0: the issuers' credential keys and each award's signed credential

Revision ID: c4d81e5f2a07
Revises: 85c6615cc3a2
Create Date: 2026-11-29 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import wallet.db


# revision identifiers, used by Alembic.
revision = 'c4d81e5f2a07'
down_revision = '85c6615cc3a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credential_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('valid_from', wallet.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', wallet.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuer.id'], name=op.f('fk_credential_key_issuer_id_issuer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_key')),
    sa.UniqueConstraint('issuer_id', 'public_key', name=op.f('uq_credential_key_issuer_id'))
    )
    with op.batch_alter_table('credential_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_key_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('award_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('status_list', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('jwt', sa.Text(), nullable=False),
    sa.Column('created_at', wallet.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_award_credential_award_id_award'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_credential')),
    sa.UniqueConstraint('award_id', name=op.f('uq_award_credential_award_id')),
    sa.UniqueConstraint('status_list', 'status_index', name=op.f('uq_award_credential_status_list'))
    )


def downgrade():
    op.drop_table('award_credential')
    with op.batch_alter_table('credential_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_key_issuer_id'))

    op.drop_table('credential_key')
