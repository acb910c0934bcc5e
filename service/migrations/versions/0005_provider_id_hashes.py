"""Provider ids as keyed hashes: Twilio's ids are no longer a key to the number.

``messages.provider_id`` and ``attachments.provider_sid`` held Twilio's MessageSid, CallSid,
MediaSid and RecordingSid in clear; Twilio's records hold the number under each. They become
``provider_id_hash`` (HMAC under the keyring's provider-id key, ``crypto.provider_ids``) and,
for what Twilio may still hold, ``provider_id_sealed`` (identity key, bound to the row) until
the job that deletes Twilio's copy clears it. An operator's transcript, which named its call as
``transcript:<id>`` in ``provider_id``, names it in ``transcript_of`` instead.

The hashes need the keyring: ``tipline migrate`` passes its path (``service.core.migrate``).
A database with such rows and no keyring is refused. Downgrading cannot bring the plain ids
back: they are gone, which is the point; transcripts keep their call.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

from crypto import Keyring, Purpose, load_keyring, provider_id_hash, seal_text

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A Twilio id: two letters and 32 hex digits. Anything else ("web:…", "operator:…") never was
# at Twilio and is only hashed.
_TWILIO_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
_TRANSCRIPT = "transcript:"
# Jobs whose completion means Twilio's copy of the message was dealt with (the periodic purge
# deletes whatever one of them gave up on, without needing the id).
_ERASING_JOBS = ("erase_message", "fetch_media", "fetch_recording", "erase_reply")

_messages = sa.table(
    "messages",
    sa.column("id", sa.Uuid()),
    sa.column("provider_id", sa.String()),
    sa.column("provider_id_hash", sa.String()),
    sa.column("provider_id_sealed", sa.LargeBinary()),
    sa.column("transcript_of", sa.Uuid()),
)
_attachments = sa.table(
    "attachments",
    sa.column("id", sa.Uuid()),
    sa.column("provider_sid", sa.String()),
    sa.column("provider_id_hash", sa.String()),
    sa.column("provider_id_sealed", sa.LargeBinary()),
    sa.column("provider_erased_at", sa.DateTime(timezone=True)),
)
_outbox = sa.table(
    "outbox",
    sa.column("job_name", sa.String()),
    sa.column("job_args", sa.JSON()),
    sa.column("completed_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    _foreign_keys_checked(on=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("provider_id_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("transcript_of", sa.Uuid(), nullable=True))
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("provider_id_sealed", sa.LargeBinary(), nullable=True))
    _convert(op.get_bind())
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("provider_id")
        batch_op.create_unique_constraint("uq_messages_provider_id_hash", ["provider_id_hash"])
        batch_op.create_unique_constraint("uq_messages_transcript_of", ["transcript_of"])
        batch_op.create_foreign_key(
            "fk_messages_transcript_of", "messages", ["transcript_of"], ["id"]
        )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("provider_sid")
        batch_op.create_unique_constraint("uq_attachments_provider_id_hash", ["provider_id_hash"])
    _foreign_keys_checked(on=True)


def _foreign_keys_checked(*, on: bool) -> None:
    """SQLite copies a table to alter it (batch mode): dropping the old one would break the
    foreign keys pointing at it, so they are not enforced meanwhile (then checked again)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        # The plain ids must not linger in the file's free pages once their rows are rewritten.
        op.execute("PRAGMA secure_delete=ON")


def downgrade() -> None:
    _foreign_keys_checked(on=False)
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint("uq_attachments_provider_id_hash", type_="unique")
        batch_op.add_column(sa.Column("provider_sid", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_attachments_provider_sid", ["provider_sid"])
        batch_op.drop_column("provider_id_sealed")
        batch_op.drop_column("provider_id_hash")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_messages_provider_id", ["provider_id"])
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_messages.c.id, _messages.c.transcript_of).where(
            _messages.c.transcript_of.is_not(None)
        )
    ).all()
    for message_id, call_id in rows:
        bind.execute(
            sa.update(_messages)
            .where(_messages.c.id == message_id)
            .values(provider_id=f"{_TRANSCRIPT}{call_id}")
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_messages_transcript_of", type_="foreignkey")
        batch_op.drop_constraint("uq_messages_transcript_of", type_="unique")
        batch_op.drop_constraint("uq_messages_provider_id_hash", type_="unique")
        batch_op.drop_column("transcript_of")
        batch_op.drop_column("provider_id_sealed")
        batch_op.drop_column("provider_id_hash")
    _foreign_keys_checked(on=True)


def _convert(bind: sa.Connection) -> None:
    messages = bind.execute(
        sa.select(_messages.c.id, _messages.c.provider_id).where(
            _messages.c.provider_id.is_not(None)
        )
    ).all()
    files = bind.execute(
        sa.select(
            _attachments.c.id, _attachments.c.provider_sid, _attachments.c.provider_erased_at
        ).where(_attachments.c.provider_sid.is_not(None))
    ).all()
    if not messages and not files:
        return
    keyring = _keyring()
    dealt_with = _dealt_with_at_twilio(bind)
    for message_id, provider_id in messages:
        bind.execute(
            sa.update(_messages)
            .where(_messages.c.id == message_id)
            .values(_message_values(keyring, message_id, provider_id, dealt_with))
        )
    for attachment_id, sid, erased_at in files:
        held = erased_at is None
        sealed = _sealed(keyring, sid, f"provider:attachment:{attachment_id}") if held else None
        bind.execute(
            sa.update(_attachments)
            .where(_attachments.c.id == attachment_id)
            .values(provider_id_hash=provider_id_hash(keyring, sid), provider_id_sealed=sealed)
        )


def _message_values(
    keyring: Keyring, message_id: uuid.UUID, provider_id: str, dealt_with: set[str]
) -> dict[str, Any]:
    if provider_id.startswith(_TRANSCRIPT):
        return {"transcript_of": uuid.UUID(provider_id.removeprefix(_TRANSCRIPT))}
    held = _TWILIO_SID.fullmatch(provider_id) is not None and str(message_id) not in dealt_with
    return {
        "provider_id_hash": provider_id_hash(keyring, provider_id),
        "provider_id_sealed": _sealed(keyring, provider_id, f"provider:message:{message_id}")
        if held
        else None,
    }


def _sealed(keyring: Keyring, provider_id: str, context: str) -> bytes:
    return seal_text(keyring, Purpose.IDENTITY, provider_id, context=context)


def _dealt_with_at_twilio(bind: sa.Connection) -> set[str]:
    """Message ids whose erasing job at Twilio has completed."""
    rows = bind.execute(
        sa.select(_outbox.c.job_args).where(
            _outbox.c.job_name.in_(_ERASING_JOBS), _outbox.c.completed_at.is_not(None)
        )
    ).all()
    return {str(args[0]) for (args,) in rows if args}


def _keyring() -> Keyring:
    config = op.get_context().config
    location = config.get_main_option("tipline_keyring_path") if config is not None else None
    if not location or not Path(location).exists():
        raise RuntimeError(
            "migration 0005 hashes the stored Twilio ids with the keyring: run `tipline migrate` "
            "with the service's keyring (TIPLINE_KEYRING)"
        )
    return load_keyring(Path(location))
