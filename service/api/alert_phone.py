"""``/api/v1/alert-phone``: an antenna chief's number for alert SMS, stored sealed, never shown."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.access.csrf import csrf_protect
from service.access.deps import Chief, Keys, Now
from service.access.session import DbSession
from service.api.schemas import AlertPhoneIn, AlertPhoneStatus
from service.casework import alerts

router = APIRouter(tags=["casework"], dependencies=[Depends(csrf_protect)])


@router.get("/alert-phone", response_model=AlertPhoneStatus)
async def alert_phone(session: DbSession, chief: Chief) -> AlertPhoneStatus:
    return AlertPhoneStatus(configured=await alerts.has_alert_phone(session=session, staff=chief))


@router.put("/alert-phone", response_model=AlertPhoneStatus)
async def set_alert_phone(
    body: AlertPhoneIn, session: DbSession, keys: Keys, chief: Chief, now: Now
) -> AlertPhoneStatus:
    await alerts.change_alert_phone(
        session=session, keyring=keys, staff=chief, phone=body.phone, now=now
    )
    return AlertPhoneStatus(configured=True)


@router.delete("/alert-phone", response_model=AlertPhoneStatus)
async def remove_alert_phone(session: DbSession, chief: Chief) -> AlertPhoneStatus:
    await alerts.forget_alert_phone(session=session, staff=chief)
    return AlertPhoneStatus(configured=False)
