"""Human codes drawn for a whole batch, none of them already stored.

References and pseudonyms are short, to be read aloud: at two million tips a batch of 256 new
references meets a stored one about once in 40 batches (256 x 2e6 / 2.1e10 valid references),
and a batch of new pseudonyms far more often at a million reporters (256 x 1e6 / 7.3e8: one
batch in three). A clash found only at INSERT fails the whole batch and group commit stores
its messages one by one. So a batch draws its codes first, looks them all up at once on the
unique index, and draws again the few that are taken; only two batches drawing the same new
code in the same instant (about 256^2 / 2.1e10 = 3e-6 for references) are left to the unique
constraint.

A provider's message has its reference derived from its id (``crypto.provider_reference``), so
that every process, the spool included, answers the same one: ``first_unused`` takes, for each
message, the first of its candidates (the derived reference, then its redraws) that no tip holds,
with the same single look-up per round.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.core.db import among

K = TypeVar("K", bound=Hashable)
# A code taken this often in a row is not bad luck: the candidates repeat themselves.
_MAX_ROUNDS = 64


async def unused_codes(
    session: AsyncSession, column: Any, draw: Callable[[], str], count: int
) -> list[str]:
    """``count`` codes from ``draw``, distinct from each other and from every value stored in
    ``column`` (which has a unique index); one look-up per round, rarely more than one round."""
    codes: list[str] = []
    while len(codes) < count:
        drawn: set[str] = set()
        while len(drawn) < count - len(codes):
            code = draw()
            if code not in codes:
                drawn.add(code)
        taken = set(await session.scalars(select(column).where(among(session, column, drawn))))
        codes += [code for code in drawn if code not in taken]
    return codes


async def first_unused(
    session: AsyncSession, column: Any, candidates: Mapping[K, Callable[[int], str]]
) -> dict[K, str]:
    """For each key, the first of its candidate codes (``candidate(0)``, ``candidate(1)``…) that
    is neither stored in ``column`` nor chosen for another key: the same answer in every process
    for the same stored codes. One look-up per round, rarely more than one round."""
    attempts = dict.fromkeys(candidates, 0)
    chosen: dict[K, str] = {}
    used: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        proposed = {key: candidates[key](attempts[key]) for key in candidates if key not in chosen}
        if not proposed:
            return chosen
        taken = set(
            await session.scalars(
                select(column).where(among(session, column, set(proposed.values())))
            )
        )
        for key, code in proposed.items():
            if code in taken or code in used:
                attempts[key] += 1
            else:
                chosen[key] = code
                used.add(code)
    raise RuntimeError("no unused code among the candidates")
