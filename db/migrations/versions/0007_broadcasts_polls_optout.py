"""broadcasts, polls, opt-out, outbox lanes, deadline changes, submission digests (2026-12-05)"""

import sqlalchemy as sa
from alembic import op

from db.migration_kit import add_column, drop_column, flag, integer, json, key, moment, primary
from db.migration_kit import refers, string

revision, down_revision = "0007", "0006"
branch_labels = depends_on = None


def upgrade() -> None:
    add_column('users', flag('opted_out', default=sa.false()))
    add_column('outbox', integer('lane', default='0'))
    add_column('deadlines', moment('cancelled_at', null=True))
    add_column('submissions', moment('notified_at', null=True))
    # Submissions made before this revision are old news: no digest announces them now.
    op.execute('UPDATE submissions SET notified_at = at')
    op.create_table('broadcasts',
        key(), string('kind', 16), integer('author_id', null=True), string('audience', 100),
        string('scope_unit_id', 64, null=True), json('texts'),
        string('photo_path', 255, null=True), json('options'), moment('send_at'),
        moment('closes_at', null=True), integer('recipients'),
        integer('skipped_opted_out'), integer('skipped_unreachable'), moment('created_at'),
        moment('reported_at', null=True), refers('broadcasts', 'author_id', 'users', 'SET NULL'),
        primary('broadcasts'))
    op.create_table('poll_answers',
        integer('broadcast_id'), integer('user_id'), integer('option'),
        string('unit_id', 64, null=True), string('language', 16), moment('answered_at'),
        refers('poll_answers', 'broadcast_id', 'broadcasts', 'CASCADE'),
        refers('poll_answers', 'user_id', 'users', 'CASCADE'),
        primary('poll_answers', 'broadcast_id', 'user_id'))


def downgrade() -> None:
    op.drop_table('poll_answers')
    op.drop_table('broadcasts')
    drop_column('submissions', 'notified_at')
    drop_column('deadlines', 'cancelled_at')
    drop_column('outbox', 'lane')
    drop_column('users', 'opted_out')
