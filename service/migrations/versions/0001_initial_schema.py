"""Initial schema: reporters, tips, messages, antennas, outbox, staff, triage and cases.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "antennas",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seat", sa.String(length=200), nullable=False),
        sa.Column("operational", sa.Boolean(), nullable=False),
        sa.Column("fallback", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=64), nullable=False),
        sa.Column("job_args", sa.JSON(), nullable=False),
        sa.Column("job_key", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relay_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_completed_at"), ["completed_at"], unique=False)

    op.create_table(
        "reporters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("blind_index", sa.String(length=64), nullable=False),
        sa.Column("identity_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("pseudonym", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("identity_destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("blind_index"),
        sa.UniqueConstraint("pseudonym"),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("antenna_code", sa.String(length=16), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["antenna_code"],
            ["antennas.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "tips",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=True),
        sa.Column("receipt_code_hash", sa.String(length=128), nullable=True),
        sa.Column("place_hint_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["reporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tips_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tips_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tips_status"), ["status"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("antenna_code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("routed_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["antenna_code"],
            ["antennas.code"],
        ),
        sa.ForeignKeyConstraint(
            ["routed_by"],
            ["staff_users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tip_id"],
            ["tips.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tip_id"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_antenna_code"), ["antenna_code"], unique=False)

    op.create_table(
        "duplicate_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("other_tip_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_tip_id"],
            ["tips.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tip_id"],
            ["tips.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tip_id", "other_tip_id"),
    )
    with op.batch_alter_table("duplicate_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_links_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("body_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery_status", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["tip_id"],
            ["tips.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "triage_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("substances", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(length=4), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("antenna", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("hits_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tip_id"],
            ["tips.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tip_id", "rules_version", "input_digest"),
    )
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_triage_decisions_priority"), ["priority"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_triage_decisions_place"), ["place"], unique=False)
        batch_op.create_index(batch_op.f("ix_triage_decisions_tip_id"), ["tip_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_decisions_place"))
        batch_op.drop_index(batch_op.f("ix_triage_decisions_tip_id"))
        batch_op.drop_index(batch_op.f("ix_triage_decisions_priority"))

    op.drop_table("triage_decisions")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_tip_id"))

    op.drop_table("messages")
    with op.batch_alter_table("duplicate_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_links_tip_id"))

    op.drop_table("duplicate_links")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_antenna_code"))

    op.drop_table("cases")
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tips_status"))
        batch_op.drop_index(batch_op.f("ix_tips_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_tips_received_at"))

    op.drop_table("tips")
    op.drop_table("staff_users")
    op.drop_table("reporters")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_completed_at"))

    op.drop_table("outbox")
    op.drop_table("antennas")
