"""report details: themes, age groups, places as typed; villages added by officers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('place_text', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('themes', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('young_people', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('children', sa.Integer(), nullable=True))
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='file'))


def downgrade() -> None:
    with op.batch_alter_table('units') as batch:
        batch.drop_column('source')
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('children')
        batch.drop_column('young_people')
        batch.drop_column('themes')
        batch.drop_column('place_text')
