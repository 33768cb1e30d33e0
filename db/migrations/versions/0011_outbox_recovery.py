"""outbox recovery: worker heartbeats, the parts of a message already sent, retries in line

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-05 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0011'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_workers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seen_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_workers'))
    )
    op.create_index(op.f('ix_outbox_workers_name'), 'outbox_workers', ['name'], unique=False)
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('parts_sent', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('retry_at', db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('retry_at')
        batch.drop_column('parts_sent')
    op.drop_index(op.f('ix_outbox_workers_name'), table_name='outbox_workers')
    op.drop_table('outbox_workers')
