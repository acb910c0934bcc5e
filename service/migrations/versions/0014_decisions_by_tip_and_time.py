"""A tip's decisions by time, as an index range: "is there a newer decision of this tip?".

Joining a case reads the newest decision of each open case's tip, as the decisions of the tip
with none newer (``service.decisions.joining``). With an index on ``tip_id`` alone PostgreSQL,
its statistics stale, answered that question by intersecting the tip's entries with every
decision made since (``ix_triage_decisions_created_at``: thousands of rows, 0.2 ms a case, most
of a triage batch's time in a campaign). ``(tip_id, created_at)`` answers it in one seek, and
serves every look-up by tip that ``ix_triage_decisions_tip_id`` served, which it replaces.

Built ``CONCURRENTLY`` on PostgreSQL, as in 0007, before the old index is dropped.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TABLE = "triage_decisions"
_NEW = "ix_triage_decisions_tip_id_created_at"
_NEW_COLUMNS = ["tip_id", "created_at"]
_OLD = "ix_triage_decisions_tip_id"
_OLD_COLUMNS = ["tip_id"]


def upgrade() -> None:
    _replace(drop=_OLD, create=_NEW, columns=_NEW_COLUMNS)


def downgrade() -> None:
    _replace(drop=_NEW, create=_OLD, columns=_OLD_COLUMNS)


def _replace(*, drop: str, create: str, columns: list[str]) -> None:
    if op.get_context().dialect.name != "postgresql":
        op.create_index(create, _TABLE, columns)
        op.drop_index(drop, table_name=_TABLE)
        return
    with op.get_context().autocommit_block():
        op.create_index(create, _TABLE, columns, postgresql_concurrently=True, if_not_exists=True)
        op.drop_index(drop, table_name=_TABLE, postgresql_concurrently=True, if_exists=True)
