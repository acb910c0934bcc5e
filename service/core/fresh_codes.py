"""Human codes drawn for a whole batch, none of them already stored.

References and pseudonyms are short, to be read aloud: at two million tips a batch of 256 new
references meets a stored one about once in 40 batches (256 x 2e6 / 2.1e10 valid references),
and a batch of new pseudonyms far more often at a million reporters (256 x 1e6 / 7.3e8: one
batch in three). A clash found only at INSERT fails the whole batch and group commit stores
its messages one by one. So a batch draws its codes first, looks them all up at once on the
unique index, and draws again the few that are taken; only two batches drawing the same new
code in the same instant (about 256^2 / 2.1e10 = 3e-6 for references) are left to the unique
constraint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.core.db import among


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
