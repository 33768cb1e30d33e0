"""Shorthands for the migrations: the columns and constraints every table repeats, written once.

The revisions in `db/migrations/versions/` import these, so what a function here builds must never
change (it would change what an old revision builds on a new database): add a function instead.
Constraint names follow `db.base.NAMING_CONVENTION`, as autogenerate writes them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from db.base import UTCDateTime

Column = sa.Column[Any]


def key() -> Column:
    """The integer `id` every aggregate's table starts with (its primary key: see `primary`)."""
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def string(name: str, length: int, *, null: bool = False, default: str | None = None) -> Column:
    return sa.Column(name, sa.String(length=length), nullable=null, server_default=default)


def text(name: str) -> Column:
    return sa.Column(name, sa.Text(), nullable=False)


def integer(name: str, *, null: bool = False, default: str | None = None) -> Column:
    return sa.Column(name, sa.Integer(), nullable=null, server_default=default)


def flag(name: str, *, default: Any = None) -> Column:
    return sa.Column(name, sa.Boolean(), nullable=False, server_default=default)


def real(name: str, *, null: bool = True) -> Column:
    return sa.Column(name, sa.Float(), nullable=null)


def json(name: str, *, default: str | None = None) -> Column:
    return sa.Column(name, sa.JSON(), nullable=False, server_default=default)


def moment(name: str, *, null: bool = False) -> Column:
    """A timezone-aware UTC timestamp (`db.base.UTCDateTime`)."""
    return sa.Column(name, UTCDateTime(timezone=True), nullable=null)


def refers(table: str, column: str, target: str, ondelete: str | None = None) -> Any:
    """`table.column` → `target.id`."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def primary(table: str, *columns: str) -> Any:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def unique(table: str, *columns: str) -> Any:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def index(table: str, *columns: str, name: str | None = None) -> None:
    """An index named by the convention (`ix_<table>_<column>`) unless `name` is given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(
            name or batch_op.f(f"ix_{table}_{columns[0]}"), list(columns), unique=False
        )


def drop_table(table: str, *indexes: str) -> None:
    """Drop `table` after the indexes named (full names)."""
    if indexes:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in indexes:
                batch_op.drop_index(name)
    op.drop_table(table)


def add_column(table: str, column: Column) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(column)


def drop_column(table: str, name: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_column(name)
