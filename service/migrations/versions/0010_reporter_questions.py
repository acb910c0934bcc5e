"""Questions to reporters, by who asked them: an answer is « réponse reçue » until its asker
has read it, and the queue shows it to them first.

Nothing of the question's text is here (it is sealed in its message), only who asked and when.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporter_questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("asked_by", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["asked_by"], ["staff_users.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("reporter_questions") as batch:
        batch.create_index(batch.f("ix_reporter_questions_tip_id"), ["tip_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reporter_questions") as batch:
        batch.drop_index(batch.f("ix_reporter_questions_tip_id"))
    op.drop_table("reporter_questions")
