"""The triage an officer works from: the latest automatic decision with corrections laid over it."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.models import TriageCorrection, TriageDecision

CORRECTABLE = ("category", "priority", "antenna")


@dataclass(frozen=True)
class EffectiveTriage:
    decision: TriageDecision | None
    category: str | None = None
    priority: str | None = None
    antenna: str | None = None
    # The fields an officer changed, so the screen can show both values.
    corrected: frozenset[str] = field(default_factory=frozenset)

    @property
    def substances(self) -> list[str]:
        return list(self.decision.substances) if self.decision else []

    @property
    def place(self) -> str | None:
        return self.decision.place if self.decision else None


def overlay(
    decision: TriageDecision | None, corrections: Sequence[TriageCorrection]
) -> EffectiveTriage:
    """Later corrections win; a correction's empty field keeps what was there."""
    values: dict[str, str | None] = {
        name: getattr(decision, name) if decision else None for name in CORRECTABLE
    }
    corrected: set[str] = set()
    for correction in corrections:
        for name in CORRECTABLE:
            value = getattr(correction, name)
            if value is not None:
                values[name] = value
                corrected.add(name)
    return EffectiveTriage(decision=decision, corrected=frozenset(corrected), **values)


async def effective_triages(
    *, session: AsyncSession, tip_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, EffectiveTriage]:
    """For many tips at once (the queue): two queries, whatever the number of tips."""
    if not tip_ids:
        return {}
    decisions: dict[uuid.UUID, TriageDecision] = {}
    for decision in await session.scalars(
        select(TriageDecision)
        .where(col(TriageDecision.tip_id).in_(tip_ids))
        .order_by(col(TriageDecision.created_at))
    ):
        decisions[decision.tip_id] = decision  # ordered: the last one seen is the latest
    corrections: dict[uuid.UUID, list[TriageCorrection]] = {}
    for correction in await session.scalars(
        select(TriageCorrection)
        .where(col(TriageCorrection.tip_id).in_(tip_ids))
        .order_by(col(TriageCorrection.created_at))
    ):
        corrections.setdefault(correction.tip_id, []).append(correction)
    return {
        tip_id: overlay(decisions.get(tip_id), corrections.get(tip_id, [])) for tip_id in tip_ids
    }


async def effective_triage(*, session: AsyncSession, tip_id: uuid.UUID) -> EffectiveTriage:
    return (await effective_triages(session=session, tip_ids=[tip_id]))[tip_id]


async def corrections_of(*, session: AsyncSession, tip_id: uuid.UUID) -> list[TriageCorrection]:
    found = await session.scalars(
        select(TriageCorrection)
        .where(col(TriageCorrection.tip_id) == tip_id)
        .order_by(col(TriageCorrection.created_at))
    )
    return list(found.all())
