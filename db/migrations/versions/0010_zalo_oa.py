"""zalo oa: OAuth tokens, stored webhook deliveries, reply windows, linked identities

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0010'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oa_tokens',
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('refreshing_until', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refused_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('app_id', name=op.f('pk_oa_tokens'))
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_until', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handled_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('channel', 'key', name=op.f('uq_webhook_deliveries_channel_key'))
    )
    op.create_index(op.f('ix_webhook_deliveries_handled_at'), 'webhook_deliveries', ['handled_at'], unique=False)
    op.create_table('reply_windows',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('last_interaction_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'external_id', name=op.f('pk_reply_windows'))
    )
    op.create_table('link_codes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_link_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash'))
    )
    op.create_index(op.f('ix_link_codes_user_id'), 'link_codes', ['user_id'], unique=False)
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('linked_to', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_users_linked_to_users'), 'users', ['linked_to'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('fk_users_linked_to_users'), type_='foreignkey')
        batch.drop_column('linked_to')
    op.drop_index(op.f('ix_link_codes_user_id'), table_name='link_codes')
    op.drop_table('link_codes')
    op.drop_table('reply_windows')
    op.drop_index(op.f('ix_webhook_deliveries_handled_at'), table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_table('oa_tokens')
