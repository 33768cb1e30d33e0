"""broadcasts, polls, opt-out, outbox lanes, deadline changes and submission digests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opted_out', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', db.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_at', db.base.UTCDateTime(timezone=True), nullable=True))
    # Submissions made before this revision are old news: no digest announces them now.
    op.execute('UPDATE submissions SET notified_at = at')
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=100), nullable=False),
    sa.Column('scope_unit_id', sa.String(length=64), nullable=True),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('photo_path', sa.String(length=255), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('send_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('skipped_opted_out', sa.Integer(), nullable=False),
    sa.Column('skipped_unreachable', sa.Integer(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reported_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_broadcasts_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    op.create_table('poll_answers',
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('answered_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_poll_answers_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_poll_answers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('broadcast_id', 'user_id', name=op.f('pk_poll_answers'))
    )


def downgrade() -> None:
    op.drop_table('poll_answers')
    op.drop_table('broadcasts')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('notified_at')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('lane')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('opted_out')
