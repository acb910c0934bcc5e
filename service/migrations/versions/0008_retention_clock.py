"""Retention that finishes: each tip's closing time and erasure time as columns, with the partial
indexes retention's passes read, and the numbers pass's cursor.

Until now every run worked out closing times from the closures, the cases and the audit trail
(two scans of ``audit_entries`` per page) and started again from the first tip: at 100,000 tips
a run never reached the end of its budget. The backfill reads that same evidence once: a closed
tip's ``closed_at`` is the latest of its last message, its closure by a duty officer, its case's
creation and acknowledgement, and anything audited on the tip or its case; ``content_erased_at``
is when its ``tip.content_erased`` entry was recorded.

On PostgreSQL the indexes are built ``CONCURRENTLY`` (see 0007): ``tips`` is large in production.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CLOSED_AT_SET = "closed_at IS NOT NULL"
_CONTENT_TO_ERASE = "closed_at IS NOT NULL AND content_erased_at IS NULL"
_INDEXES = [("ix_tips_closed_at", _CLOSED_AT_SET), ("ix_tips_content_to_erase", _CONTENT_TO_ERASE)]

# The evidence of when each closed tip closed, newest wins: (tip id, time) pairs as SQL.
# ``{case_target}`` renders "case:<uuid with dashes>" in each dialect.
_EVIDENCE = [
    "SELECT id AS tip_id, last_message_at AS at FROM tips WHERE status = 'closed'",
    "SELECT tip_id, closed_at AS at FROM tip_closures",
    "SELECT tip_id, created_at AS at FROM cases",
    "SELECT tip_id, acknowledged_at AS at FROM cases WHERE acknowledged_at IS NOT NULL",
    "SELECT t.id AS tip_id, a.recorded_at AS at FROM tips t"
    " JOIN audit_entries a ON a.target = 'tip:' || t.reference",
    "SELECT c.tip_id, a.recorded_at AS at FROM cases c"
    " JOIN audit_entries a ON a.target = {case_target}",
]
_SQLITE_CASE_TARGET = (
    "'case:' || lower(substr(c.id, 1, 8) || '-' || substr(c.id, 9, 4) || '-' ||"
    " substr(c.id, 13, 4) || '-' || substr(c.id, 17, 4) || '-' || substr(c.id, 21))"
)
_POSTGRESQL_CASE_TARGET = "'case:' || c.id::text"


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    op.add_column("tips", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tips", sa.Column("content_erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "retention_cursors",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _backfill(postgresql)
    if not postgresql:
        for name, where in _INDEXES:
            op.create_index(name, "tips", ["closed_at", "id"], sqlite_where=sa.text(where))
        return
    with op.get_context().autocommit_block():
        for name, where in _INDEXES:
            op.create_index(
                name,
                "tips",
                ["closed_at", "id"],
                postgresql_where=sa.text(where),
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def _backfill(postgresql: bool) -> None:
    case_target = _POSTGRESQL_CASE_TARGET if postgresql else _SQLITE_CASE_TARGET
    evidence = " UNION ALL ".join(q.format(case_target=case_target) for q in _EVIDENCE)
    op.execute(
        "UPDATE tips SET closed_at = latest.at"
        f" FROM (SELECT tip_id, max(at) AS at FROM ({evidence}) e GROUP BY tip_id) latest"
        " WHERE latest.tip_id = tips.id AND tips.status = 'closed'"
    )
    op.execute(
        "UPDATE tips SET content_erased_at = erased.at"
        " FROM (SELECT target, max(recorded_at) AS at FROM audit_entries"
        "       WHERE action = 'tip.content_erased' GROUP BY target) erased"
        " WHERE erased.target = 'tip:' || tips.reference"
    )


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    if postgresql:
        with op.get_context().autocommit_block():
            for name, _ in reversed(_INDEXES):
                op.drop_index(name, table_name="tips", postgresql_concurrently=True, if_exists=True)
    else:
        for name, _ in reversed(_INDEXES):
            op.drop_index(name, table_name="tips")
    op.drop_table("retention_cursors")
    op.drop_column("tips", "content_erased_at")
    op.drop_column("tips", "closed_at")
