"""Indexes for years of data: the queue, case lists, sweeps, a source's tips, the dashboard.

On PostgreSQL each index is built with ``CREATE INDEX CONCURRENTLY`` outside the migration's
transaction: on a production database with millions of tips a plain ``CREATE INDEX`` would hold
writes (intake) for as long as the build takes. ``IF NOT EXISTS`` lets a run interrupted half-way
(a concurrent build cannot be rolled back with the rest) be started again. SQLite builds them in
the migration's transaction.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_UNACKNOWLEDGED = "acknowledged_at IS NULL"

# (name, table, columns, partial index condition)
_INDEXES: list[tuple[str, str, list[str], str | None]] = [
    ("ix_tips_status_received_at", "tips", ["status", "received_at"], None),
    ("ix_tips_reporter_id_received_at", "tips", ["reporter_id", "received_at"], None),
    ("ix_cases_unacknowledged", "cases", ["ack_deadline"], _UNACKNOWLEDGED),
    ("ix_cases_antenna_code_created_at", "cases", ["antenna_code", "created_at"], None),
    ("ix_cases_status_created_at", "cases", ["status", "created_at"], None),
    ("ix_cases_created_at", "cases", ["created_at"], None),
    ("ix_duplicate_links_other_tip_id", "duplicate_links", ["other_tip_id"], None),
    ("ix_case_outcomes_recorded_at", "case_outcomes", ["recorded_at"], None),
]


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        for name, table, columns, where in _INDEXES:
            condition = sa.text(where) if where else None
            op.create_index(name, table, columns, sqlite_where=condition)
        return
    with op.get_context().autocommit_block():
        for name, table, columns, where in _INDEXES:
            op.create_index(
                name,
                table,
                columns,
                postgresql_where=sa.text(where) if where else None,
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    if not postgresql:
        for name, table, _columns, _where in reversed(_INDEXES):
            op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        for name, table, _columns, _where in reversed(_INDEXES):
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
