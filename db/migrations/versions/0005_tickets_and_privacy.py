"""tickets, search misses and the privacy notice

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 16:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('media_kind', sa.String(length=8), nullable=True),
    sa.Column('media_path', sa.String(length=255), nullable=True),
    sa.Column('media_mime', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_tickets_answered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asker_id'], ['users.id'], name=op.f('fk_tickets_asker_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_tickets_closed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_tickets_unit_id_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    op.create_index(op.f('ix_tickets_asker_id'), 'tickets', ['asker_id'], unique=False)
    op.create_index('ix_tickets_status_created_at', 'tickets', ['status', 'created_at'], unique=False)
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index(op.f('ix_ticket_events_ticket_id'), 'ticket_events', ['ticket_id'], unique=False)
    op.create_table('search_misses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('best_topic', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_search_misses_unit_id_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_search_misses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_misses'))
    )
    op.create_index(op.f('ix_search_misses_user_id'), 'search_misses', ['user_id'], unique=False)
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('privacy_notice_at', db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('privacy_notice_at')
    op.drop_index(op.f('ix_search_misses_user_id'), table_name='search_misses')
    op.drop_table('search_misses')
    op.drop_index(op.f('ix_ticket_events_ticket_id'), table_name='ticket_events')
    op.drop_table('ticket_events')
    op.drop_index('ix_tickets_status_created_at', table_name='tickets')
    op.drop_index(op.f('ix_tickets_asker_id'), table_name='tickets')
    op.drop_table('tickets')
