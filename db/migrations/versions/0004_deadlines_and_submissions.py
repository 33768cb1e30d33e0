"""deadlines and submissions (2026-11-25)"""

import sqlalchemy as sa
from alembic import op

from db.migration_kit import integer, json, key, moment, primary, refers, string, text, unique

revision, down_revision = "0004", "0003"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('deadlines',
        key(), string('key', 100), string('rule_id', 64, null=True), string('title', 300),
        sa.Column('due_date', sa.Date(), nullable=False), json('schedule'),
        integer('created_by', null=True), moment('created_at'),
        refers('deadlines', 'created_by', 'users', 'SET NULL'), primary('deadlines'),
        unique('deadlines', 'key'))
    op.create_table('deadline_units',
        integer('deadline_id'), string('unit_id', 64),
        refers('deadline_units', 'deadline_id', 'deadlines', 'CASCADE'),
        refers('deadline_units', 'unit_id', 'units'),
        primary('deadline_units', 'deadline_id', 'unit_id'))
    op.create_table('submissions',
        key(), integer('deadline_id'), string('unit_id', 64), integer('submitted_by', null=True),
        string('via', 16), text('note'), string('document_path', 255, null=True),
        string('document_sha256', 64, null=True), string('document_mime', 100),
        integer('document_size', null=True), string('document_name', 255), moment('at'),
        refers('submissions', 'deadline_id', 'deadlines', 'CASCADE'),
        refers('submissions', 'submitted_by', 'users', 'SET NULL'),
        refers('submissions', 'unit_id', 'units'), primary('submissions'),
        unique('submissions', 'deadline_id', 'unit_id'))


def downgrade() -> None:
    op.drop_table('submissions')
    op.drop_table('deadline_units')
    op.drop_table('deadlines')
