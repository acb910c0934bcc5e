"""The triage an officer works from: the latest automatic decision with corrections laid over it."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from service.core.db import among
from service.models import Tip, TriageCorrection, TriageDecision

CORRECTABLE = ("category", "priority", "antenna")
# The column naming the tip in the enclosing query (``tips.id``, ``cases.tip_id``).
_TipKey = ColumnElement[uuid.UUID] | Mapped[uuid.UUID]


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
        .where(among(session, col(TriageDecision.tip_id), tip_ids))
        .order_by(col(TriageDecision.created_at))
    ):
        decisions[decision.tip_id] = decision  # ordered: the last one seen is the latest
    corrections: dict[uuid.UUID, list[TriageCorrection]] = {}
    for correction in await session.scalars(
        select(TriageCorrection)
        .where(among(session, col(TriageCorrection.tip_id), tip_ids))
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


def effective_column(name: str, tip_id: _TipKey | None = None) -> ColumnElement[str | None]:
    """``overlay`` in SQL, for the tip of the enclosing query (``tip_id``, by default
    ``tips.id``): the latest correction that set ``name``, else the latest decision's. Each side
    is one index look-up by tip, so a query can sort and filter every open tip by it without
    loading them."""
    assert name in CORRECTABLE
    tip = col(Tip.id) if tip_id is None else tip_id
    corrected = getattr(TriageCorrection, name)
    decided = getattr(TriageDecision, name)
    correction = (
        select(corrected)
        .where(col(TriageCorrection.tip_id) == tip, col(corrected).is_not(None))
        .order_by(col(TriageCorrection.created_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    decision = (
        select(decided)
        .where(col(TriageDecision.tip_id) == tip)
        .order_by(col(TriageDecision.created_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(correction, decision)


@dataclass(frozen=True)
class EffectiveSince:
    """``effective_column`` for the tips received since a time, as two joins rather than two
    look-ups per tip: each tip's latest correction and decision made since then, ranked in one
    pass over the period's rows (``ix_triage_*_created_at``). A tip is decided and corrected only
    after it arrives, so for every tip received since that time it is the same value; what a
    period's figures cost then follows the period, not the years of history behind it."""

    name: str
    corrected: Subquery
    decided: Subquery

    @property
    def value(self) -> ColumnElement[Any]:
        return func.coalesce(self.corrected.c.value, self.decided.c.value)

    def exact_for(self, tip_id: _TipKey, since: datetime) -> ColumnElement[Any]:
        """``value``, made exact for a tip that may have arrived before ``since`` (a case routed
        in the period from an older tip): a correction of the period is the latest; a decision
        of the period is the latest decision, which stands unless an older correction overrides
        it; with neither, the tip is looked up (``effective_column``). Index probes of the small
        corrections table, not of ``tips``."""
        older_correction = (
            select(col(TriageCorrection.id))
            .where(
                col(TriageCorrection.tip_id) == tip_id,
                col(TriageCorrection.created_at) < since,
                col(getattr(TriageCorrection, self.name)).is_not(None),
            )
            .exists()
        )
        decided = sql_case(
            (self.decided.c.value.is_not(None) & ~older_correction, self.decided.c.value),
            else_=effective_column(self.name, tip_id),
        )
        return func.coalesce(self.corrected.c.value, decided)

    def joined(self, query: Select[Any], tip_id: _TipKey) -> Select[Any]:
        """``query`` with both joined on its ``tip_id`` column."""
        return query.outerjoin(self.corrected, self.corrected.c.tip_id == tip_id).outerjoin(
            self.decided, self.decided.c.tip_id == tip_id
        )


def effective_since(name: str, since: datetime) -> EffectiveSince:
    assert name in CORRECTABLE
    return EffectiveSince(
        name=name,
        corrected=_latest_since(TriageCorrection, name, since),
        decided=_latest_since(TriageDecision, name, since),
    )


def _latest_since(
    model: type[TriageCorrection] | type[TriageDecision], name: str, since: datetime
) -> Subquery:
    """(tip_id, value): per tip, ``name`` from its latest ``model`` row made since ``since``
    (a correction counts only where it set ``name``)."""
    value = col(getattr(model, name))
    ranked = select(
        col(model.tip_id).label("tip_id"),
        value.label("value"),
        func.row_number()
        .over(partition_by=col(model.tip_id), order_by=col(model.created_at).desc())
        .label("rank"),
    ).where(col(model.created_at) >= since)
    if model is TriageCorrection:
        ranked = ranked.where(value.is_not(None))
    latest = ranked.subquery()
    return select(latest.c.tip_id, latest.c.value).where(latest.c.rank == 1).subquery()
