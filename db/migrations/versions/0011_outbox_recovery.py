"""outbox recovery: worker heartbeats, the parts of a message sent, retries in line (2026-12-05)"""

from alembic import op

from db.migration_kit import add_column, drop_column, drop_table, index, integer, moment
from db.migration_kit import primary, string

revision, down_revision = "0011", "0010"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('outbox_workers',
        string('id', 64), string('name', 200), moment('started_at'), moment('seen_at'),
        moment('stopped_at', null=True), primary('outbox_workers'))
    index('outbox_workers', 'name')
    add_column('outbox', integer('parts_sent', default='0'))
    add_column('outbox', moment('retry_at', null=True))


def downgrade() -> None:
    drop_column('outbox', 'retry_at')
    drop_column('outbox', 'parts_sent')
    drop_table('outbox_workers', 'ix_outbox_workers_name')
