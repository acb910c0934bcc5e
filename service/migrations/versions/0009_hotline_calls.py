"""Green-number calls: the language the caller chose, and when they were told the office may
text them (the end-of-call notice that must come before an officer's first SMS question); a
voicemail tip's transcript time, from which its deadline runs.

Neither identifies a caller: the language is one of the menu's two choices, the time that of
the call. Both stay in clear so the console can show them without opening anything sealed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tips") as batch:
        batch.add_column(sa.Column("transcribed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("texts_notice_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("texts_notice_at")
        batch.drop_column("language")
    with op.batch_alter_table("tips") as batch:
        batch.drop_column("transcribed_at")
