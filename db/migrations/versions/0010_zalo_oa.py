"""zalo oa: OAuth tokens, stored webhook deliveries, reply windows, linked identities (2026-12-05)"""

import sqlalchemy as sa
from alembic import op

from db.migration_kit import drop_table, index, integer, key, moment, primary, refers, string
from db.migration_kit import text, unique

revision, down_revision = "0010", "0009"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('oa_tokens',
        string('app_id', 64), text('access_token'), text('refresh_token'), moment('expires_at'),
        integer('version'), moment('refreshing_until', null=True), moment('refused_at', null=True),
        moment('updated_at'), primary('oa_tokens', 'app_id'))
    op.create_table('webhook_deliveries',
        key(), string('channel', 16), string('key', 200), text('body'), moment('received_at'),
        integer('attempts'), moment('claimed_until', null=True), moment('handled_at', null=True),
        primary('webhook_deliveries'), unique('webhook_deliveries', 'channel', 'key'))
    index('webhook_deliveries', 'handled_at')
    op.create_table('reply_windows',
        string('channel', 16), string('external_id', 64), moment('last_interaction_at'),
        primary('reply_windows', 'channel', 'external_id'))
    op.create_table('link_codes',
        key(), string('code_hash', 64), integer('user_id'), moment('created_at'),
        moment('expires_at'), moment('used_at', null=True),
        refers('link_codes', 'user_id', 'users', 'CASCADE'), primary('link_codes'),
        unique('link_codes', 'code_hash'))
    index('link_codes', 'user_id')
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('linked_to', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_users_linked_to_users'), 'users', ['linked_to'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('fk_users_linked_to_users'), type_='foreignkey')
        batch.drop_column('linked_to')
    drop_table('link_codes', 'ix_link_codes_user_id')
    drop_table('reply_windows')
    drop_table('webhook_deliveries', 'ix_webhook_deliveries_handled_at')
    drop_table('oa_tokens')
