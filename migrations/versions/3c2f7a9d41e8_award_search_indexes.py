"""award search indexes: date order, badge class and date, trigram search

Revision ID: 3c2f7a9d41e8
Revises: 3dcb7381a451
Create Date: 2026-11-29 10:30:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '3c2f7a9d41e8'
down_revision = '3dcb7381a451'
branch_labels = None
depends_on = None

# On PostgreSQL the substring search (ILIKE '%…%') on names, addresses and student
# numbers uses trigram GIN indexes (pg_trgm, a trusted extension: the database owner
# may create it). Elsewhere the same names make plain indexes.


def _is_postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _is_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('award', schema=None) as batch_op:
        batch_op.create_index('ix_award_issued_on_id', ['issued_on', 'id'], unique=False)
        batch_op.create_index(
            'ix_award_badge_class_issued_on', ['badge_class_id', 'issued_on', 'id'], unique=False
        )
        batch_op.create_index('ix_award_revoked_at', ['revoked_at'], unique=False)
        for column in ('recipient_name', 'recipient_email', 'student_number'):
            batch_op.create_index(
                f'ix_award_{column}_search',
                [column],
                unique=False,
                postgresql_using='gin',
                postgresql_ops={column: 'gin_trgm_ops'},
            )


def downgrade():
    with op.batch_alter_table('award', schema=None) as batch_op:
        batch_op.drop_index('ix_award_recipient_email_search')
        batch_op.drop_index('ix_award_student_number_search')
        batch_op.drop_index('ix_award_recipient_name_search')
        batch_op.drop_index('ix_award_revoked_at')
        batch_op.drop_index('ix_award_badge_class_issued_on')
        batch_op.drop_index('ix_award_issued_on_id')
    # pg_trgm stays: other objects may use it, and it costs nothing unused.
