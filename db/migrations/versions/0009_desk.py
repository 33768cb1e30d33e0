"""desk: one-time sign-in links and sessions of the officers' web desk (2026-12-05)"""

from alembic import op

from db.migration_kit import drop_table, index, integer, moment, primary, refers, string

revision, down_revision = "0009", "0008"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('desk_links',
        string('token_hash', 64), integer('user_id'), moment('created_at'), moment('expires_at'),
        moment('used_at', null=True), refers('desk_links', 'user_id', 'users', 'CASCADE'),
        primary('desk_links', 'token_hash'))
    index('desk_links', 'user_id')
    op.create_table('desk_sessions',
        string('token_hash', 64), integer('user_id'), string('role', 16), moment('created_at'),
        moment('expires_at'), refers('desk_sessions', 'user_id', 'users', 'CASCADE'),
        primary('desk_sessions', 'token_hash'))
    index('desk_sessions', 'user_id')
    index('desk_sessions', 'expires_at')


def downgrade() -> None:
    drop_table('desk_sessions', 'ix_desk_sessions_expires_at', 'ix_desk_sessions_user_id')
    drop_table('desk_links', 'ix_desk_links_user_id')
