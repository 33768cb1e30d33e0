"""outbox of proactive messages (2026-11-25)"""

from alembic import op

from db.migration_kit import drop_table, flag, index, integer, json, key, moment, primary, refers
from db.migration_kit import string, text, unique

revision, down_revision = "0002", "0001"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('outbox',
        key(), string('dedupe_key', 200), integer('user_id'), string('kind', 32), json('payload'),
        flag('urgent'), moment('due_at'), string('state', 16), integer('attempts'),
        flag('possible_duplicate'), text('last_error'), moment('claimed_at', null=True),
        string('claimed_by', 64, null=True), moment('sent_at', null=True), moment('created_at'),
        refers('outbox', 'user_id', 'users', 'CASCADE'), primary('outbox'),
        unique('outbox', 'dedupe_key'))
    index('outbox', 'kind')
    index('outbox', 'state', 'due_at', name='ix_outbox_state_due_at')
    index('outbox', 'user_id')


def downgrade() -> None:
    drop_table('outbox', 'ix_outbox_user_id', 'ix_outbox_state_due_at', 'ix_outbox_kind')
