"""A reporter's identity: found by its blind index, added once per number, destroyed by
crypto-shredding (the ciphertext goes, the pseudonym stays for the record)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import (
    Keyring,
    Purpose,
    blind_index,
    blind_indexes,
    new_pseudonym,
    normalise_phone,
    seal_text,
)
from service.core.db import dialect_insert
from service.models import Reporter
from service.models.types import utcnow


async def find_reporter(*, session: AsyncSession, keyring: Keyring, sender: str) -> Reporter | None:
    indexes = blind_indexes(keyring, normalise_phone(sender))
    found = await session.scalars(select(Reporter).where(Reporter.blind_index.in_(indexes)))  # type: ignore[attr-defined]
    return found.first()


def destroy_identity(reporter: Reporter, *, opted_out: bool, now: datetime | None = None) -> None:
    """Crypto-shredding of one identity: the ciphertext goes, the pseudonym stays for the record."""
    now = now or utcnow()
    reporter.identity_ciphertext = None
    reporter.identity_destroyed_at = now
    if opted_out:
        reporter.opted_out_at = now


async def find_or_add_reporter(
    *, session: AsyncSession, keyring: Keyring, sender: str
) -> tuple[Reporter, bool]:
    """The reporter for this number, and whether it is new — in one statement (an upsert)."""
    phone = normalise_phone(sender)
    if len(keyring.keys(Purpose.INDEX)) > 1:
        # While index keys rotate, an old reporter may sit under another key: look first.
        known = await find_reporter(session=session, keyring=keyring, sender=sender)
        if known is not None:
            return known, False
    reporter_id = uuid.uuid4()
    values = {
        "id": reporter_id,
        "blind_index": blind_index(keyring, phone),
        "identity_ciphertext": seal_text(
            keyring, Purpose.IDENTITY, phone, context=f"reporter:{reporter_id}"
        ),
        "pseudonym": new_pseudonym(),
        "created_at": utcnow(),
    }
    upsert = dialect_insert(session)(Reporter).values(values)
    # A no-op update on conflict, so RETURNING gives the existing row untouched.
    upsert = upsert.on_conflict_do_update(
        index_elements=["blind_index"], set_={"blind_index": upsert.excluded.blind_index}
    )
    reporter = (
        await session.scalars(
            upsert.returning(Reporter), execution_options={"populate_existing": True}
        )
    ).one()
    return reporter, reporter.id == reporter_id
