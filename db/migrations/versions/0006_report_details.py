"""report details: themes, age groups, places as typed; villages added by officers (2026-12-05)"""

from alembic import op

from db.migration_kit import integer, json, string

revision, down_revision = "0006", "0005"
branch_labels = depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.add_column(string('place_text', 200, default=''))
        batch.add_column(json('themes', default='[]'))
        batch.add_column(integer('young_people', null=True))
        batch.add_column(integer('children', null=True))
    with op.batch_alter_table('units') as batch:
        batch.add_column(string('source', 16, default='file'))


def downgrade() -> None:
    with op.batch_alter_table('units') as batch:
        batch.drop_column('source')
    with op.batch_alter_table('reports') as batch:
        for column in ('children', 'young_people', 'themes', 'place_text'):
            batch.drop_column(column)
