"""Console work: claims, corrections, notes, grades, outcomes, escalations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_tip_work()
    _create_case_work()
    _create_alerts()


def downgrade() -> None:
    for table, indexes in reversed(_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
    for table in (
        "staff_alert_phones",
        "chief_alerts",
        "case_escalations",
        "case_outcomes",
        "source_grades",
        "internal_notes",
        "tip_closures",
        "triage_corrections",
        "tip_claims",
    ):
        op.drop_table(table)


_INDEXES: list[tuple[str, list[str]]] = [
    ("tip_claims", ["staff_id"]),
    ("triage_corrections", ["tip_id"]),
    ("tip_closures", ["merged_into"]),
    ("internal_notes", ["tip_id"]),
    ("source_grades", ["tip_id"]),
    ("case_outcomes", ["case_id"]),
    ("case_escalations", ["case_id"]),
    ("chief_alerts", ["antenna_code", "case_id"]),
]


def _create_indexes(table: str) -> None:
    columns = dict(_INDEXES)[table]
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def _create_tip_work() -> None:
    op.create_table(
        "tip_claims",
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"]),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"]),
        sa.PrimaryKeyConstraint("tip_id"),
    )
    _create_indexes("tip_claims")
    op.create_table(
        "triage_corrections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("priority", sa.String(length=4), nullable=True),
        sa.Column("antenna", sa.String(length=16), nullable=True),
        sa.Column("corrected_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["antenna"], ["antennas.code"]),
        sa.ForeignKeyConstraint(["corrected_by"], ["staff_users.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["triage_decisions.id"]),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_indexes("triage_corrections")
    op.create_table(
        "tip_closures",
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["closed_by"], ["staff_users.id"]),
        sa.ForeignKeyConstraint(["merged_into"], ["tips.id"]),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"]),
        sa.PrimaryKeyConstraint("tip_id"),
    )
    _create_indexes("tip_closures")
    op.create_table(
        "internal_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["staff_users.id"]),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_indexes("internal_notes")
    op.create_table(
        "source_grades",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("source_reliability", sa.String(length=1), nullable=False),
        sa.Column("information_credibility", sa.Integer(), nullable=False),
        sa.Column("graded_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["graded_by"], ["staff_users.id"]),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_indexes("source_grades")


def _create_case_work() -> None:
    op.create_table(
        "case_outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("substance", sa.String(length=32), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("arrests", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_indexes("case_outcomes")
    op.create_table(
        "case_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("antenna_code", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["antenna_code"], ["antennas.code"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "deadline"),
    )
    _create_indexes("case_escalations")


def _create_alerts() -> None:
    op.create_table(
        "chief_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("antenna_code", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["antenna_code"], ["antennas.code"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_indexes("chief_alerts")
    op.create_table(
        "staff_alert_phones",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("phone_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("staff_id"),
    )
