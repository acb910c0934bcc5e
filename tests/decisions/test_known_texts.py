"""The texts a worker's batches opened are not read again by the next batches, until the tip's
text changes (a new message, a new decision) or they are too old; what is decided is the same."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlmodel import col

from service.decisions.jobs import triage_together
from service.decisions.store import KnownTexts
from service.models import DuplicateLink
from service.runtime import Runtime
from service.startup import Process
from tests.decisions.test_batch import pending_requests, send
from tests.support.statements import statements_on


async def links(runtime: Runtime) -> set[tuple[uuid.UUID, uuid.UUID]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(col(DuplicateLink.tip_id), col(DuplicateLink.other_tip_id))
        )
        return {(tip_id, other) for tip_id, other in rows}


async def test_a_later_batch_compares_with_the_texts_earlier_ones_decided_or_opened(
    process: Process, runtime: Runtime
) -> None:
    said = "Un camion de chanvre quitte Koutiala cette nuit pour Ségou"
    for n in range(3):
        await send(process, f"{said} ({n})", sender=f"+2237050000{n}")
    await triage_together(runtime, await pending_requests(runtime))
    for n in range(3):  # a campaign's next minute: the same report at the same place
        await send(process, f"{said} ({n + 3}) !", sender=f"+2237050010{n}")
    await triage_together(runtime, await pending_requests(runtime))
    linked = await links(runtime)

    for n in range(3):
        await send(process, f"{said} ({n + 6}) !!", sender=f"+2237050020{n}")
    with statements_on(runtime.engine) as sent:
        outcomes = await triage_together(runtime, await pending_requests(runtime))
    reads = [statement for statement in sent if statement.startswith("select messages.")]

    # Its own tips' messages only: the tips it is compared with were opened before.
    assert len(reads) == 1
    # Compared with the texts kept: each new tip is the same report sent again, and joins the
    # first tip's open case (linked to it), as in a worker that had opened nothing before.
    assert outcomes == ["joined"] * 3
    new_links = await links(runtime) - linked
    assert len(new_links) == 3
    assert len({other for _tip, other in new_links}) == 1


def test_known_texts_are_kept_for_their_decision_a_while_and_a_bounded_number() -> None:
    now = [0.0]
    known = KnownTexts(limit=2, seconds=60, clock=lambda: now[0])
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    known.keep(first, "yamba à Banconi")
    known.keep(second, "tramadol à Kati")
    assert known.text(first) == "yamba à Banconi"
    assert known.text(uuid.uuid4()) is None  # another decision of the tip: read again

    known.keep(third, "chicha à Niono")
    assert known.text(first) is None  # the oldest made room
    assert known.text(second) == "tramadol à Kati"

    now[0] = 61.0
    assert known.text(second) is None
    assert known.text(third) is None
