"""users, conversations, processed updates, units, feedback (2026-11-25)"""

from alembic import op

from db.migration_kit import drop_table, flag, index, integer, json, key, moment, primary, refers
from db.migration_kit import string, text, unique

revision, down_revision = "0001", None
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('processed_updates',
        string('channel', 16), string('update_id', 128), integer('user_id', null=True),
        moment('processed_at'), primary('processed_updates', 'channel', 'update_id'))
    index('processed_updates', 'processed_at')
    op.create_table('units',
        string('id', 64), string('name', 200), string('kind', 32),
        string('parent_id', 64, null=True), json('aliases'), text('note'), integer('position'),
        flag('reporting'), flag('active'),
        refers('units', 'parent_id', 'units', 'SET NULL'), primary('units'))
    op.create_table('users',
        key(), string('channel', 16), string('external_id', 64), string('display_name', 128),
        string('language', 16, null=True), string('role', 16), string('unit_id', 64, null=True),
        flag('unreachable'), moment('created_at'), moment('last_seen_at'),
        refers('users', 'unit_id', 'units', 'SET NULL'), primary('users'),
        unique('users', 'channel', 'external_id'))
    op.create_table('conversations',
        integer('user_id'), string('step', 64, null=True), json('data'), json('choices'),
        moment('updated_at'), refers('conversations', 'user_id', 'users', 'CASCADE'),
        primary('conversations', 'user_id'))
    op.create_table('feedback',
        key(), integer('user_id'), string('topic_id', 64), string('language', 16),
        flag('helpful'), moment('created_at'),
        refers('feedback', 'user_id', 'users', 'CASCADE'), primary('feedback'))
    index('feedback', 'topic_id')
    index('feedback', 'user_id')


def downgrade() -> None:
    drop_table('feedback', 'ix_feedback_user_id', 'ix_feedback_topic_id')
    op.drop_table('conversations')
    op.drop_table('users')
    op.drop_table('units')
    drop_table('processed_updates', 'ix_processed_updates_processed_at')
