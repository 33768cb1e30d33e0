"""invites and field reports (2026-11-25)"""

import sqlalchemy as sa
from alembic import op

from db.migration_kit import drop_table, flag, index, integer, key, moment, primary, real, refers
from db.migration_kit import string, text, unique

revision, down_revision = "0003", "0002"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table('invites',
        key(), string('code_hash', 64), string('role', 16), string('unit_id', 64),
        integer('created_by', null=True), moment('created_at'), moment('expires_at'),
        moment('used_at', null=True), integer('used_by', null=True),
        refers('invites', 'created_by', 'users', 'SET NULL'),
        refers('invites', 'unit_id', 'units'),
        refers('invites', 'used_by', 'users', 'SET NULL'), primary('invites'),
        unique('invites', 'code_hash'))
    op.create_table('join_failures',
        key(), integer('user_id'), moment('at'),
        refers('join_failures', 'user_id', 'users', 'CASCADE'), primary('join_failures'))
    index('join_failures', 'user_id', 'at', name='ix_join_failures_user_id_at')
    op.create_table('reports',
        key(), integer('reporter_id'), string('unit_id', 64), string('activity', 32, null=True),
        string('activity_other', 200), sa.Column('activity_date', sa.Date(), nullable=True),
        integer('participants', null=True), integer('ethnic_minority', null=True),
        integer('women', null=True), text('description'), real('latitude'), real('longitude'),
        string('status', 16), string('draft_step', 64), moment('created_at'), moment('updated_at'),
        moment('submitted_at', null=True), refers('reports', 'reporter_id', 'users'),
        refers('reports', 'unit_id', 'units'), primary('reports'))
    index('reports', 'reporter_id', 'status', name='ix_reports_reporter_id_status')
    index('reports', 'unit_id', 'status', name='ix_reports_unit_id_status')
    op.create_table('report_events',
        key(), integer('report_id'), integer('actor_id', null=True),
        string('from_status', 16, null=True), string('to_status', 16), text('note'), moment('at'),
        refers('report_events', 'actor_id', 'users', 'SET NULL'),
        refers('report_events', 'report_id', 'reports', 'CASCADE'), primary('report_events'))
    index('report_events', 'report_id')
    op.create_table('report_media',
        key(), integer('report_id'), string('kind', 8), string('sha256', 64), string('path', 255),
        string('thumb_path', 255), string('mime', 64), integer('size'),
        integer('width', null=True), integer('height', null=True), moment('taken_at', null=True),
        real('gps_lat'), real('gps_lon'), flag('duplicate'), moment('created_at'),
        refers('report_media', 'report_id', 'reports', 'CASCADE'), primary('report_media'))
    index('report_media', 'report_id')
    index('report_media', 'sha256')


def downgrade() -> None:
    drop_table('report_media', 'ix_report_media_sha256', 'ix_report_media_report_id')
    drop_table('report_events', 'ix_report_events_report_id')
    drop_table('reports', 'ix_reports_unit_id_status', 'ix_reports_reporter_id_status')
    drop_table('join_failures', 'ix_join_failures_user_id_at')
    op.drop_table('invites')
