"""Reading a tip's text for triage, the decided tips the duplicate search compares it with,
and a decision's row: its values as triage stores them, and what the officers' screens read."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import ColumnElement, Executable, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring, Purpose, open_text, seal_text
from service.core.db import among_named, run_built
from service.models import Direction, Message, Tip, TriageDecision
from triage import Decision, RuleHit
from triage.duplicates import DuplicateCandidate
from triage.normalise import normalise_text

DUPLICATE_WINDOW = timedelta(days=30)
# A busy quartier can have hundreds of open tips in a month: only the most recent are compared,
# so triage stays fast as the month fills up (each candidate costs a read and a decryption).
CANDIDATE_ROWS = 200
_MAX_CANDIDATES = 25


class SealedText(Protocol):
    """A message as stored: its id is the context its text was sealed under."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def body_ciphertext(self) -> bytes: ...


_Sealed = TypeVar("_Sealed", bound=SealedText)


class SealedMessage(NamedTuple):
    """An inbound message read as a plain row (triage builds no ORM objects). A tuple, as
    ``DecidedTip``: a batch reads a message for each of its tips and of their candidates."""

    id: uuid.UUID
    tip_id: uuid.UUID
    created_at: datetime
    body_ciphertext: bytes
    transcript_of: uuid.UUID | None = None  # an operator's transcript of this call


class DecidedTip(NamedTuple):
    """One decision of an open tip, as the duplicate search compares it. A tuple: a batch reads
    thousands of them, and a frozen dataclass costs a call per field to build."""

    decision_id: uuid.UUID
    tip_id: uuid.UUID
    reporter_id: uuid.UUID | None
    received_at: datetime
    decided_at: datetime
    place: str | None
    substances: tuple[str, ...]


# The columns a DecidedTip is read from, in its fields' order.
DECIDED_COLUMNS = (
    col(TriageDecision.id),
    col(TriageDecision.tip_id),
    col(Tip.reporter_id),
    col(Tip.received_at),
    col(TriageDecision.created_at),
    col(TriageDecision.place),
    # As text, parsed once per distinct list: the duplicate search reads thousands of rows a
    # batch, and the driver would decode each one's JSON.
    cast(col(TriageDecision.substances), Text).label("substances"),
)


WHAT_AND_WHERE_SEPARATOR = "\x1f"  # a unit separator: in no place name and no JSON text


def what_and_where(place: str | None, substances: Sequence[str]) -> str:
    """A decision's place and substances as one text, as ``stored_what_and_where`` reads them
    from a row: set-based statements match the rows that share both with a tip in one ``IN``."""
    return f"{place}{WHAT_AND_WHERE_SEPARATOR}{json.dumps(list(substances))}"


def stored_what_and_where(
    place: ColumnElement[str | None], substances_text: ColumnElement[str]
) -> ColumnElement[str]:
    """``what_and_where`` in SQL, from the place and the substances read as text (their JSON
    exactly as stored: the list is written sorted, with ``json.dumps``'s spacing)."""
    return place.concat(WHAT_AND_WHERE_SEPARATOR).concat(substances_text)


def decided_tip(row: Sequence[Any]) -> DecidedTip:
    decision_id, tip_id, reporter_id, received_at, decided_at, place, substances = row
    return DecidedTip(
        decision_id, tip_id, reporter_id, received_at, decided_at, place, _substances(substances)
    )


@functools.lru_cache(maxsize=4096)
def _substances(stored: str) -> tuple[str, ...]:
    return tuple(json.loads(stored))


async def inbound_messages_of(
    *, session: AsyncSession, tip_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[SealedMessage]]:
    """Several tips' inbound messages in one query, each tip's in the order they came."""
    ids = list(tip_ids)
    if not ids:
        return {}
    rows = await run_built(session, _inbound_messages_statement, {"tip_ids": ids})
    by_tip: dict[uuid.UUID, list[SealedMessage]] = {}
    for row in rows:
        by_tip.setdefault(row[1], []).append(SealedMessage(*row))
    return by_tip


@functools.cache
def _inbound_messages_statement(postgresql: bool) -> Executable:
    return (
        select(
            col(Message.id),
            col(Message.tip_id),
            col(Message.created_at),
            col(Message.body_ciphertext),
            col(Message.transcript_of),
        )
        .where(among_named("tip_ids", col(Message.tip_id), postgresql))
        .where(col(Message.direction) == Direction.INBOUND)
        .order_by(col(Message.created_at))
    )


def input_digest(messages: Sequence[_Sealed]) -> str:
    return hashlib.sha256("|".join(str(message.id) for message in messages).encode()).hexdigest()


def tip_text(keyring: Keyring, messages: Sequence[SealedText]) -> str:
    """The reporter's messages in order, decrypted in memory only."""
    return "\n".join(
        open_text(keyring, Purpose.CONTENT, m.body_ciphertext, context=f"message:{m.id}")
        for m in messages
    )


def open_place_hint(keyring: Keyring, tip_id: uuid.UUID, blob: bytes) -> str:
    """The web form's place field, decrypted in memory only."""
    return open_text(keyring, Purpose.CONTENT, blob, context=f"place:{tip_id}")


async def latest_decision(*, session: AsyncSession, tip_id: uuid.UUID) -> TriageDecision | None:
    found = await session.scalars(
        select(TriageDecision)
        .where(col(TriageDecision.tip_id) == tip_id)
        .order_by(col(TriageDecision.created_at).desc())
        .limit(1)
    )
    return found.first()


def sealed_hits(keyring: Keyring, decision: Decision, decision_id: uuid.UUID) -> bytes:
    """The rules that fired quote the reporter's words: sealed, bound to the decision's row."""
    hits = json.dumps(
        [{"rule": hit.rule, "words": list(hit.words)} for hit in decision.hits], ensure_ascii=False
    )
    return seal_text(keyring, Purpose.CONTENT, hits, context=f"decision:{decision_id}")


def decision_values(
    *,
    keyring: Keyring,
    tip_id: uuid.UUID,
    decision: Decision,
    digest: str,
    decided_at: datetime,
) -> dict[str, Any]:
    """A triage_decisions row, for a set-based insert."""
    decision_id = uuid.uuid4()
    return {
        "id": decision_id,
        "tip_id": tip_id,
        "rules_version": decision.rules_version,
        "input_digest": digest,
        "category": decision.category,
        "substances": list(decision.substances),
        "priority": decision.priority,
        "flags": list(decision.flags),
        "antenna": decision.antenna,
        "place": decision.place,
        "rules": list(decision.rules),
        "hits_ciphertext": sealed_hits(keyring, decision, decision_id),
        "confident": decision.confident,
        "created_at": decided_at,
    }


def decision_hits(keyring: Keyring, stored: TriageDecision) -> list[RuleHit]:
    """The rules that fired with the reporter's words, for the officer's screen."""
    text = open_text(
        keyring, Purpose.CONTENT, stored.hits_ciphertext, context=f"decision:{stored.id}"
    )
    return [RuleHit(rule=hit["rule"], words=tuple(hit["words"])) for hit in json.loads(text)]


def pick_candidates(
    newest_first: Iterable[DecidedTip],
    *,
    tip_id: uuid.UUID,
    reporter_id: uuid.UUID | None,
    decision: Decision,
) -> list[DecidedTip]:
    """The tips to compare with, from the 200 most recent decisions of open tips of the window
    that share the tip's source or place: each tip's newest such decision, the first 25 that
    match. Rows are read only until those 25 are found."""
    substances = tuple(decision.substances)
    seen: set[uuid.UUID] = set()
    found: list[DecidedTip] = []
    others = (row for row in newest_first if row.tip_id != tip_id)
    for row in itertools.islice(others, CANDIDATE_ROWS):
        if row.tip_id in seen:
            continue  # an older decision of a tip already met: only its newest counts
        seen.add(row.tip_id)
        if (reporter_id is not None and row.reporter_id == reporter_id) or (
            row.place == decision.place and row.substances == substances
        ):
            found.append(row)
            if len(found) == _MAX_CANDIDATES:
                break
    return found


def duplicate_candidate(other: DecidedTip, text: str) -> DuplicateCandidate:
    return DuplicateCandidate(
        tip_id=str(other.tip_id),
        text=text,
        source=str(other.reporter_id) if other.reporter_id else None,
        substances=other.substances,
        place=other.place,
        received_at=other.received_at,
    )


class KnownTexts:
    """The texts of tips one process decided or opened lately, by the decision they were
    decided or read for, and their normalised forms: the next batches compare their tips with
    them again.

    In a campaign consecutive batches compare their tips with mostly the same recent tips at the
    same places: reading and decrypting those texts again, and normalising them again, was about
    7 % of a worker's time in a drain (bench/README.md). A tip's text changes only by a new
    message, which brings a new decision, hence a new key. Bounded in number and in age (a quiet
    line keeps nothing for long); the process holds the keyring that opened them anyway."""

    def __init__(
        self,
        *,
        limit: int = 4096,
        seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._texts: dict[uuid.UUID, tuple[float, str]] = {}
        self._limit = limit
        self._seconds = seconds
        self._clock = clock
        self.normalise: Callable[[str], str] = functools.lru_cache(maxsize=limit)(normalise_text)

    def text(self, decision_id: uuid.UUID) -> str | None:
        kept = self._texts.get(decision_id)
        if kept is None or self._clock() - kept[0] > self._seconds:
            return None
        return kept[1]

    def keep(self, decision_id: uuid.UUID, text: str) -> None:
        self._texts.pop(decision_id, None)  # the oldest first in the dict, the first evicted
        self._texts[decision_id] = (self._clock(), text)
        while len(self._texts) > self._limit:
            del self._texts[next(iter(self._texts))]


class BatchTexts:
    """Tips' texts as one triage batch reads them: each decrypted, and normalised, once, whether
    joining (the open cases sent again) or the duplicate search (the candidates) asks first. In a
    campaign both read mostly the same recent tips at the same places: five texts a tip, half
    of them twice, were most of what a batch's cost grew with. With ``known``, the texts earlier
    batches of the process opened are taken from there (``KnownTexts``)."""

    def __init__(self, keyring: Keyring, known: KnownTexts | None = None) -> None:
        self.keyring = keyring
        self._texts: dict[uuid.UUID, str] = {}
        self._known = known
        self.normalise: Callable[[str], str] = (
            known.normalise if known else functools.lru_cache(maxsize=None)(normalise_text)
        )

    def know(self, tip_id: uuid.UUID, text: str) -> None:
        self._texts[tip_id] = text

    def know_decided(self, tip_id: uuid.UUID, decision_id: uuid.UUID, text: str) -> None:
        """A tip decided on ``text`` now: the next batches compare theirs with it first."""
        self.know(tip_id, text)
        if self._known is not None:
            self._known.keep(decision_id, text)

    async def of(self, session: AsyncSession, tip_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The texts of ``tip_ids`` that have one (a tip with no inbound message has none)."""
        wanted = set(tip_ids)
        missing = wanted - self._texts.keys()
        if missing:
            self._texts |= await texts_of(session=session, keyring=self.keyring, tip_ids=missing)
        return {tip_id: self._texts[tip_id] for tip_id in wanted if tip_id in self._texts}

    async def of_decided(
        self, session: AsyncSession, decided: Mapping[uuid.UUID, uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """``of`` for tips read with a decision (tip id: decision id): those whose text the
        process opened for that decision are not read again."""
        if self._known is None:
            return await self.of(session, decided)
        for tip_id, decision_id in decided.items():
            if tip_id not in self._texts and (text := self._known.text(decision_id)) is not None:
                self._texts[tip_id] = text
        opened = [tip_id for tip_id in decided if tip_id not in self._texts]
        found = await self.of(session, decided)
        for tip_id in opened:
            if tip_id in found:
                self._known.keep(decided[tip_id], found[tip_id])
        return found


async def texts_of(
    *, session: AsyncSession, keyring: Keyring, tip_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Several tips' texts from one query, decrypted in memory only."""
    messages = await inbound_messages_of(session=session, tip_ids=tip_ids)
    return {tip_id: tip_text(keyring, found) for tip_id, found in messages.items()}
