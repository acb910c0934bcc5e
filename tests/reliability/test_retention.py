"""Retention: the number goes N days after the reporter's last tip closed, then the content.

Time is advanced by passing ``now`` to the retention run; closing times are real records (a case
closed and audited, or a duty officer's closure).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Purpose, open_text, seal
from service.background.backends import InProcessQueue
from service.core.audit import record_audit
from service.core.db import transaction
from service.models import (
    Attachment,
    AttachmentSource,
    AttachmentStatus,
    AuditEntry,
    Case,
    CaseStatus,
    ClosureReason,
    Message,
    Reporter,
    Role,
    StaffUser,
    Tip,
    TipClosure,
    TriageDecision,
)
from service.models.types import utcnow
from service.retention.jobs import run_retention
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
DAY = timedelta(days=1)
TOMBSTONE = "[Contenu effacé : durée de conservation écoulée.]"
REFERENCE = re.compile(r"OCS-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The defaults: numbers 90 days after the last close, content 365 days after a close.
    return make_settings(tmp_path, database_url, sms_bundle_seconds=0)


class Office:
    """Reporters writing in, and the office closing their tips, on the real app."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.runtime: Runtime = app.state.runtime
        self.client = client
        self.officer_id = uuid.uuid4()

    async def sms(self, sender: str, body: str) -> str:
        form = sms_form(sender=sender, body=body)
        headers = {"X-Twilio-Signature": signature(PATH, form)}
        response = await self.client.post(PATH, data=form, headers=headers)
        assert response.status_code == 200
        queue = self.runtime.queue
        assert isinstance(queue, InProcessQueue)
        await queue.join()  # triaged: a decision with the rule hits exists
        found = REFERENCE.search(response.text)
        return found.group(0) if found else ""

    async def add_officer(self) -> None:
        async with transaction(self.runtime.sessions) as session:
            session.add(
                StaffUser(
                    id=self.officer_id,
                    username="permanence",
                    role=Role.DUTY_OFFICER,
                    password_hash="x",
                )
            )

    async def close_case(self, reference: str) -> None:
        """The antenna chief closes the tip's case (audited now, as the console does)."""
        async with transaction(self.runtime.sessions) as session:
            tip = await _tip(session, reference)
            case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).first()
            if case is None:
                case = Case(tip_id=tip.id, antenna_code="BKO-RD")
                session.add(case)
                await session.flush()
            case.status = CaseStatus.CLOSED
            tip.mark_closed(utcnow())
            await record_audit(
                session=session,
                actor=None,
                action="case.status_changed",
                target=f"case:{case.id}",
                details={"status": "-> clos"},
            )

    async def close_as_out_of_scope(self, reference: str, *, at: datetime) -> None:
        async with transaction(self.runtime.sessions) as session:
            tip = await _tip(session, reference)
            tip.mark_closed(at)
            session.add(
                TipClosure(
                    tip_id=tip.id,
                    reason=ClosureReason.OUT_OF_SCOPE,
                    closed_by=self.officer_id,
                    closed_at=at,
                )
            )

    async def add_photo(self, reference: str) -> None:
        """A photo that came with the tip, stored sealed as the media job stores it."""
        async with transaction(self.runtime.sessions) as session:
            tip = await _tip(session, reference)
            messages = select(Message).where(col(Message.tip_id) == tip.id)
            message = (await session.scalars(messages)).first()
            assert message is not None
            photo_id = uuid.uuid4()
            jpeg = b"\xff\xd8\xff\xe0"
            session.add(
                Attachment(
                    id=photo_id,
                    tip_id=tip.id,
                    message_id=message.id,
                    source=AttachmentSource.WEB_UPLOAD,
                    content_type="image/jpeg",
                    status=AttachmentStatus.STORED,
                    content_ciphertext=seal(
                        self.runtime.keyring,
                        Purpose.CONTENT,
                        jpeg,
                        context=f"attachment:{photo_id}",
                    ),
                )
            )

    async def reporter_of(self, reference: str) -> Reporter:
        async with self.runtime.sessions() as session:
            tip = await _tip(session, reference)
            reporter = await session.get(Reporter, tip.reporter_id)
            assert reporter is not None
            return reporter

    async def texts_of(self, reference: str) -> list[str]:
        """Every message and rule hit of the tip, decrypted as a screen would show them."""
        keyring = self.runtime.keyring
        async with self.runtime.sessions() as session:
            tip = await _tip(session, reference)
            messages = await session.scalars(select(Message).where(col(Message.tip_id) == tip.id))
            decisions = await session.scalars(
                select(TriageDecision).where(col(TriageDecision.tip_id) == tip.id)
            )
            texts = [
                open_text(keyring, Purpose.CONTENT, m.body_ciphertext, context=f"message:{m.id}")
                for m in messages.all()
            ]
            texts += [
                open_text(keyring, Purpose.CONTENT, d.hits_ciphertext, context=f"decision:{d.id}")
                for d in decisions.all()
            ]
            return texts

    async def erasures(self) -> list[str]:
        async with self.runtime.sessions() as session:
            found = await session.scalars(
                select(col(AuditEntry.target)).where(col(AuditEntry.action) == "tip.content_erased")
            )
            return sorted(target or "" for target in found.all())


async def _tip(session: AsyncSession, reference: str) -> Tip:
    tip: Tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).one()
    return tip


async def test_numbers_then_content_are_destroyed_when_their_periods_run_out(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    office = Office(app, client)
    await office.add_officer()
    # A: one tip, its case closed today.
    a1 = await office.sms("+22370000001", "yamba bɛ feere Kalaban Coura bi su")
    # B: a first tip closed today, then a second one still open.
    b1 = await office.sms("+22370000002", "cocaïne cachée au garage de Lafiabougou")
    await office.close_case(b1)
    b2 = await office.sms("+22370000002", "le même garage reçoit encore ce soir")
    # C: closed out of scope by a duty officer a month from now.
    c1 = await office.sms("+22370000003", "tramadol vendu devant le lycée de Kati")
    # D: asked STOP; its number is gone already.
    d1 = await office.sms("+22370000004", "chanvre stocké à Sébénikoro")
    await office.sms("+22370000004", "STOP")
    stopped_at = (await office.reporter_of(d1)).identity_destroyed_at
    t0 = utcnow()
    await office.close_case(a1)
    await office.close_case(d1)
    await office.close_as_out_of_scope(c1, at=t0 + 30 * DAY)
    runtime = office.runtime

    nothing_yet = await run_retention(runtime, now=t0 + 89 * DAY)
    assert (nothing_yet.identities_destroyed, nothing_yet.tips_erased) == (0, 0)
    assert (await office.reporter_of(a1)).identity_ciphertext is not None

    after_90_days = await run_retention(runtime, now=t0 + 91 * DAY)
    assert (after_90_days.identities_destroyed, after_90_days.tips_erased) == (1, 0)
    a = await office.reporter_of(a1)
    assert a.identity_ciphertext is None
    assert a.identity_destroyed_at == t0 + 91 * DAY
    assert a.opted_out_at is None
    assert (await office.reporter_of(b2)).identity_ciphertext is not None  # B2 is open
    assert (await office.reporter_of(c1)).identity_ciphertext is not None  # closed 61 days ago
    assert (await office.reporter_of(d1)).identity_destroyed_at == stopped_at
    assert "Kalaban" in " ".join(await office.texts_of(a1))  # content outlives the number

    after_c_closed_90_days = await run_retention(runtime, now=t0 + 121 * DAY)
    assert after_c_closed_90_days.identities_destroyed == 1
    assert (await office.reporter_of(c1)).identity_ciphertext is None

    after_a_year = await run_retention(runtime, now=t0 + 366 * DAY)
    assert after_a_year.tips_erased == 3  # A1, B1, D1; C1 closed 336 days ago, B2 open
    for reference in (a1, b1, d1):
        texts = await office.texts_of(reference)
        assert set(texts) <= {TOMBSTONE, "[]"}
        assert TOMBSTONE in texts
    assert "Kati" in " ".join(await office.texts_of(c1))
    assert "garage" in " ".join(await office.texts_of(b2))
    assert (await office.reporter_of(b2)).identity_ciphertext is not None

    later = await run_retention(runtime, now=t0 + 396 * DAY)
    assert later.tips_erased == 1
    assert "Kati" not in " ".join(await office.texts_of(c1))
    assert await office.erasures() == sorted(f"tip:{r}" for r in (a1, b1, c1, d1))
    again = await run_retention(runtime, now=t0 + 400 * DAY)
    assert (again.identities_destroyed, again.tips_erased) == (0, 0)


async def test_erased_tips_keep_readable_empty_hits_and_lose_their_photos(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    office = Office(app, client)
    reference = await office.sms("+22370000009", "yamba bɛ feere Kalaban Coura bi su")
    await office.add_photo(reference)
    await office.close_case(reference)

    await run_retention(office.runtime, now=utcnow() + 400 * DAY)

    async with office.runtime.sessions() as session:
        tip = await _tip(session, reference)
        decisions = select(TriageDecision).where(col(TriageDecision.tip_id) == tip.id)
        decision = (await session.scalars(decisions)).one()
        photo = (await session.scalars(select(Attachment))).one()
    assert photo.content_ciphertext is None
    hits = open_text(
        office.runtime.keyring,
        Purpose.CONTENT,
        decision.hits_ciphertext,
        context=f"decision:{decision.id}",
    )
    assert json.loads(hits) == []
    assert tip.place_hint_ciphertext is None
    # The decision itself stays for the statistics.
    assert decision.category
    assert decision.antenna
