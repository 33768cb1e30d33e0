"""security: invite revocation and the audit log (2026-12-05)"""

from alembic import op

from db.migration_kit import add_column, drop_column, drop_table, index, integer, key, moment
from db.migration_kit import primary, refers, string, text

revision, down_revision = "0008", "0007"
branch_labels = depends_on = None


def upgrade() -> None:
    add_column('invites', moment('revoked_at', null=True))
    op.create_table('audit_log',
        key(), moment('at'), integer('actor_id', null=True), string('via', 16),
        string('action', 32), string('subject', 64), text('detail'),
        refers('audit_log', 'actor_id', 'users', 'SET NULL'), primary('audit_log'))
    index('audit_log', 'at')


def downgrade() -> None:
    drop_table('audit_log', 'ix_audit_log_at')
    drop_column('invites', 'revoked_at')
