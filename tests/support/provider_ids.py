"""Rows found by the Twilio id a test sent, though the database holds only its keyed hash."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from crypto import Keyring, provider_id_hashes


class _Hashed(Protocol):
    provider_id_hash: str | None


Row = TypeVar("Row", bound=_Hashed)


def by_provider_id(keyring: Keyring, rows: Iterable[Row], *ids: str) -> dict[str | None, Row]:
    """Each row under the plain id among ``ids`` whose hash it holds (None: no provider id)."""
    plain = {hashed: one for one in ids for hashed in provider_id_hashes(keyring, one)}
    return {plain.get(row.provider_id_hash or "", None): row for row in rows}
