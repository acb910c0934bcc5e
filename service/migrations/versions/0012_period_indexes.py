"""Indexes for a period's figures and for counts that stop at a limit, at millions of tips.

- ``triage_decisions.created_at`` and ``triage_corrections.created_at``: the dashboard ranks the
  period's decisions and corrections in one pass (``service.casework.effective.effective_since``)
  instead of two look-ups per tip of the period (the 92-day dashboard took 510 ms at 1M tips).
- ``cases (antenna_code, status)``: a chief's counts by status are index ranges that stop at the
  count limit, not a walk over every case the antenna ever had.

Built ``CONCURRENTLY`` on PostgreSQL, as in 0007.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (name, table, columns)
_INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_triage_decisions_created_at", "triage_decisions", ["created_at"]),
    ("ix_triage_corrections_created_at", "triage_corrections", ["created_at"]),
    ("ix_cases_antenna_code_status", "cases", ["antenna_code", "status"]),
]


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        for name, table, columns in _INDEXES:
            op.create_index(name, table, columns)
        return
    with op.get_context().autocommit_block():
        for name, table, columns in _INDEXES:
            op.create_index(name, table, columns, postgresql_concurrently=True, if_not_exists=True)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        for name, table, _columns in reversed(_INDEXES):
            op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        for name, table, _columns in reversed(_INDEXES):
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
