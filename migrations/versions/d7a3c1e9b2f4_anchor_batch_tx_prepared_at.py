"""anchoring: when a batch's chain transaction was signed, to raise its fees if it waits

Revision ID: d7a3c1e9b2f4
Revises: c2b0906e55cc
Create Date: 2026-11-29 17:00:00.000000

Existing batches keep no time (NULL): a transaction of theirs still waiting is taken as
signed when its batch was built.
"""
from alembic import op
import sqlalchemy as sa

import wallet.db


# revision identifiers, used by Alembic.
revision = 'd7a3c1e9b2f4'
down_revision = 'c2b0906e55cc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('anchor_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tx_prepared_at', wallet.db.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('anchor_batch', schema=None) as batch_op:
        batch_op.drop_column('tx_prepared_at')
