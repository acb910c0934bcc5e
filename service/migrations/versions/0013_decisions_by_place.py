"""The newest decisions at a place, as an index range: the duplicate search's candidates.

A triage batch reads, for each place its tips name, the newest 200 decisions there
(``service.decisions.batch``). Without ``(place, created_at)`` PostgreSQL read every decision
of the 30-day window and ranked them, a cost that grew with the window (15-30 ms a batch at
9,000 decisions); with it, each place is one backward index range that stops at 200 rows.

Built ``CONCURRENTLY`` on PostgreSQL, as in 0007.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_NAME = "ix_triage_decisions_place_created_at"
_TABLE = "triage_decisions"
_COLUMNS = ["place", "created_at"]


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        op.create_index(_NAME, _TABLE, _COLUMNS)
        return
    with op.get_context().autocommit_block():
        op.create_index(_NAME, _TABLE, _COLUMNS, postgresql_concurrently=True, if_not_exists=True)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        op.drop_index(_NAME, table_name=_TABLE)
        return
    with op.get_context().autocommit_block():
        op.drop_index(_NAME, table_name=_TABLE, postgresql_concurrently=True, if_exists=True)
