"""tickets, search misses and the privacy notice (2026-12-05)"""

from alembic import op

from db.migration_kit import add_column, drop_column, drop_table, flag, index, integer, key, moment
from db.migration_kit import primary, real, refers, string, text

revision, down_revision = "0005", "0004"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('tickets',
        key(), integer('asker_id'), string('unit_id', 64, null=True), string('language', 16),
        flag('anonymous'), text('text'), string('media_kind', 8, null=True),
        string('media_path', 255, null=True), string('media_mime', 64), string('status', 16),
        text('answer'), integer('answered_by', null=True), moment('answered_at', null=True),
        integer('closed_by', null=True), moment('closed_at', null=True), moment('created_at'),
        refers('tickets', 'answered_by', 'users', 'SET NULL'),
        refers('tickets', 'asker_id', 'users', 'CASCADE'),
        refers('tickets', 'closed_by', 'users', 'SET NULL'),
        refers('tickets', 'unit_id', 'units', 'SET NULL'), primary('tickets'))
    index('tickets', 'asker_id')
    index('tickets', 'status', 'created_at', name='ix_tickets_status_created_at')
    op.create_table('ticket_events',
        key(), integer('ticket_id'), integer('actor_id', null=True),
        string('from_status', 16, null=True), string('to_status', 16), moment('at'),
        refers('ticket_events', 'actor_id', 'users', 'SET NULL'),
        refers('ticket_events', 'ticket_id', 'tickets', 'CASCADE'), primary('ticket_events'))
    index('ticket_events', 'ticket_id')
    op.create_table('search_misses',
        key(), integer('user_id'), text('text'), string('unit_id', 64, null=True),
        string('language', 16), string('best_topic', 64, null=True), real('score', null=False),
        moment('created_at'), refers('search_misses', 'unit_id', 'units', 'SET NULL'),
        refers('search_misses', 'user_id', 'users', 'CASCADE'), primary('search_misses'))
    index('search_misses', 'user_id')
    add_column('users', moment('privacy_notice_at', null=True))


def downgrade() -> None:
    drop_column('users', 'privacy_notice_at')
    drop_table('search_misses', 'ix_search_misses_user_id')
    drop_table('ticket_events', 'ix_ticket_events_ticket_id')
    drop_table('tickets', 'ix_tickets_status_created_at', 'ix_tickets_asker_id')
