"""desk: one-time sign-in links and sessions of the officers' web desk

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('desk_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_links_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_desk_links'))
    )
    op.create_index(op.f('ix_desk_links_user_id'), 'desk_links', ['user_id'], unique=False)
    op.create_table('desk_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_desk_sessions'))
    )
    op.create_index(op.f('ix_desk_sessions_user_id'), 'desk_sessions', ['user_id'], unique=False)
    op.create_index(op.f('ix_desk_sessions_expires_at'), 'desk_sessions', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_desk_sessions_expires_at'), table_name='desk_sessions')
    op.drop_index(op.f('ix_desk_sessions_user_id'), table_name='desk_sessions')
    op.drop_table('desk_sessions')
    op.drop_index(op.f('ix_desk_links_user_id'), table_name='desk_links')
    op.drop_table('desk_links')
