"""A reporter's identity: found by its blind index, added once per number, destroyed by
crypto-shredding (the ciphertext and the blind index go, the pseudonym stays for the record)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
from service.core.db import among, arrays_of, on_postgresql, unnested
from service.core.fresh_codes import unused_codes
from service.models import Reporter
from service.models.types import utcnow

_REPORTERS = cast(Table, getattr(Reporter, "__table__"))  # noqa: B009 - SQLModel hides it


async def find_reporter(*, session: AsyncSession, keyring: Keyring, sender: str) -> Reporter | None:
    indexes = blind_indexes(keyring, normalise_phone(sender))
    found = await session.scalars(select(Reporter).where(Reporter.blind_index.in_(indexes)))  # type: ignore[attr-defined]
    return found.first()


def destroy_identity(reporter: Reporter, *, opted_out: bool, now: datetime | None = None) -> None:
    """Crypto-shredding of one identity: what was derived from the number goes, the pseudonym
    stays for the record.

    The blind index goes too: it is an HMAC of the number, so whoever holds the index key and a
    dump could try every number of the plan (a few hundred million) and find this one. In its
    place (the column is unique and required) a random value of the same shape, derived from
    nothing. A number that comes back is then a new source: a new row, a new pseudonym.
    """
    now = now or utcnow()
    reporter.identity_ciphertext = None
    reporter.blind_index = destroyed_index()
    reporter.identity_destroyed_at = now
    if opted_out:
        reporter.opted_out_at = now


def destroyed_index() -> str:
    """What stands in a destroyed identity's blind index: 256 random bits, in hex like an index."""
    return secrets.token_hex(32)


async def find_or_add_reporters(
    *, session: AsyncSession, keyring: Keyring, senders: Collection[str]
) -> dict[str, tuple[uuid.UUID, bool]]:
    """Each sender's reporter id and whether it is new, keyed by raw sender, in one upsert.
    While index keys rotate, a number may sit under an old key: one look-up first finds it."""
    known: dict[str, uuid.UUID] = {}
    if len(keyring.keys(Purpose.INDEX)) > 1:
        known = await _found_under_any_key(session, keyring, senders)
    found = {sender: (reporter_id, False) for sender, reporter_id in known.items()}
    return found | await _upsert_reporters(session, keyring, set(senders) - set(known))


async def _found_under_any_key(
    session: AsyncSession, keyring: Keyring, senders: Collection[str]
) -> dict[str, uuid.UUID]:
    indexes_of = {sender: blind_indexes(keyring, normalise_phone(sender)) for sender in senders}
    every_index = [index for indexes in indexes_of.values() for index in indexes]
    rows = await session.execute(
        select(_REPORTERS.c.blind_index, _REPORTERS.c.id).where(
            among(session, _REPORTERS.c.blind_index, every_index)
        )
    )
    stored: dict[str, uuid.UUID] = dict(rows.all())
    found = {
        sender: next((stored[index] for index in indexes if index in stored), None)
        for sender, indexes in indexes_of.items()
    }
    return {sender: reporter_id for sender, reporter_id in found.items() if reporter_id}


async def _upsert_reporters(
    session: AsyncSession, keyring: Keyring, senders: Collection[str]
) -> dict[str, tuple[uuid.UUID, bool]]:
    if not senders:
        return {}
    index_of = {sender: blind_index(keyring, normalise_phone(sender)) for sender in senders}
    pseudonyms = await unused_codes(session, _REPORTERS.c.pseudonym, new_pseudonym, len(senders))
    rows = {
        index: _new_reporter(keyring, sender, index, pseudonym)
        for (sender, index), pseudonym in zip(index_of.items(), pseudonyms, strict=True)
    }
    # In blind-index order, so two batches upserting the same numbers lock them in one order.
    ordered = [rows[index] for index in sorted(rows)]
    if on_postgresql(session):
        found = await session.execute(
            _REPORTERS_UPSERT, arrays_of(_REPORTERS, ordered, _REPORTER_COLUMNS)
        )
    else:
        found = await session.execute(_reporters_upsert(sqlite_insert(_REPORTERS).values(ordered)))
    stored = {index: reporter_id for reporter_id, index in found}
    return {
        sender: (stored[index], stored[index] == rows[index]["id"])
        for sender, index in index_of.items()
    }


def _new_reporter(keyring: Keyring, sender: str, index: str, pseudonym: str) -> dict[str, Any]:
    reporter_id = uuid.uuid4()
    phone = normalise_phone(sender)
    return {
        "id": reporter_id,
        "blind_index": index,
        "identity_ciphertext": seal_text(
            keyring, Purpose.IDENTITY, phone, context=f"reporter:{reporter_id}"
        ),
        "pseudonym": pseudonym,
        "created_at": utcnow(),
    }


def _reporters_upsert(upsert: Any) -> Insert:
    # A no-op update on conflict, so RETURNING gives the existing row's id too.
    upsert = upsert.on_conflict_do_update(
        index_elements=["blind_index"], set_={"blind_index": upsert.excluded.blind_index}
    )
    return cast(Insert, upsert.returning(_REPORTERS.c.id, _REPORTERS.c.blind_index))


_REPORTER_COLUMNS = ("id", "blind_index", "identity_ciphertext", "pseudonym", "created_at")
# One statement for any number of reporters (see service.core.db.unnested), in the order given.
_NEW_REPORTERS = unnested(_REPORTERS, _REPORTER_COLUMNS)
_REPORTERS_UPSERT = _reporters_upsert(
    postgresql_insert(_REPORTERS).from_select(
        _REPORTER_COLUMNS,
        _NEW_REPORTERS.order_by(_NEW_REPORTERS.selected_columns.blind_index),
    )
)
