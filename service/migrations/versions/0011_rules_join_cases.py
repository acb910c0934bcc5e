"""A tip the rules merge: ``tip_closures.closed_by`` may be empty.

The same report sent twice within minutes joins the case the first one opened
(``service.decisions.joining``): the later tip is closed as merged into the earlier one, as a duty
officer merges a duplicate, but nobody closed it — the rules did, and the audit trail says so.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tip_closures") as batch:
        batch.alter_column("closed_by", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # Tips the rules merged go back to the duty officers' queue: no officer closed them.
    op.execute(
        "UPDATE tips SET status = 'awaiting_officer', closed_at = NULL WHERE id IN"
        " (SELECT tip_id FROM tip_closures WHERE closed_by IS NULL)"
    )
    op.execute("DELETE FROM tip_closures WHERE closed_by IS NULL")
    with op.batch_alter_table("tip_closures") as batch:
        batch.alter_column("closed_by", existing_type=sa.Uuid(), nullable=False)
