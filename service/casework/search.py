"""Finding tips from the queue's search box: by reference, or by a source's pseudonym.

A reference is read over the phone or copied by hand, so what is typed is normalised the way
citizens' references are (case, spaces, missing dashes; the check character must match). A
pseudonym lists that source's tips, the most recent first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import normalise_reference
from crypto.codes import ALPHABET, PSEUDONYM_PREFIX
from service.models import Reporter, Tip

SEARCH_LIMIT = 100
_SEPARATORS = re.compile(r"[\s\-._/]")
_PSEUDONYM = re.compile(rf"(?:{PSEUDONYM_PREFIX})?([{ALPHABET}]{{6}})")


@dataclass(frozen=True)
class SearchResult:
    query: str
    kind: str | None  # "reference", "pseudonym", or None when the text is neither
    tips: list[Tip]


async def search_tips(*, session: AsyncSession, query: str) -> SearchResult:
    reference = normalise_reference(query)
    if reference is not None:
        found = await session.scalars(select(Tip).where(col(Tip.reference) == reference))
        return SearchResult(query=reference, kind="reference", tips=list(found.all()))
    pseudonym = normalise_pseudonym(query)
    if pseudonym is None:
        return SearchResult(query=query.strip(), kind=None, tips=[])
    found = await session.scalars(
        select(Tip)
        .join(Reporter, col(Reporter.id) == col(Tip.reporter_id))
        .where(col(Reporter.pseudonym) == pseudonym)
        .order_by(col(Tip.received_at).desc())
        .limit(SEARCH_LIMIT)
    )
    return SearchResult(query=pseudonym, kind="pseudonym", tips=list(found.all()))


def normalise_pseudonym(text: str) -> str | None:
    """ "src 7q4kxm" → "SRC-7Q4KXM"; None when it cannot be a pseudonym."""
    match = _PSEUDONYM.fullmatch(_SEPARATORS.sub("", text).upper())
    return f"{PSEUDONYM_PREFIX}-{match.group(1)}" if match else None
