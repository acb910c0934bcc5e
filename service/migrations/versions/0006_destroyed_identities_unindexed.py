"""Destroyed identities lose their blind index too.

Until now STOP, Twilio's error 21610 and retention erased a reporter's identity ciphertext but
kept its blind index, an HMAC of the number: with the index key, trying every number of the plan
found it again. Each destroyed identity's index is replaced by a random value of the same shape
(the column is unique and required), derived from nothing: the number, if it comes back, is a
new source. Nothing to undo on downgrade: the old values are gone, which is the point.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_reporters = sa.table(
    "reporters",
    sa.column("id", sa.Uuid()),
    sa.column("blind_index", sa.String()),
    sa.column("identity_destroyed_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # The old values must not linger in the file's free pages.
        op.execute("PRAGMA secure_delete=ON")
    destroyed = bind.execute(
        sa.select(_reporters.c.id).where(_reporters.c.identity_destroyed_at.is_not(None))
    ).all()
    for (reporter_id,) in destroyed:
        bind.execute(
            sa.update(_reporters)
            .where(_reporters.c.id == reporter_id)
            .values(blind_index=secrets.token_hex(32))
        )


def downgrade() -> None:
    pass
