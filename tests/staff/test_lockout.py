"""Growing delays and lock-out after failed sign-ins: per account, and per client address."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Role, StaffUser
from service.models.types import utcnow
from service.settings import Settings
from service.staff.lockout import ClientThrottle, LockoutPolicy
from tests.support.console import create_staff, form_csrf_token
from tests.support.inspect import fetch_all, raw_rows_text


async def _attempt(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    page = await client.get("/console/connexion")
    return await client.post(
        "/console/connexion",
        data={"csrf_token": form_csrf_token(page.text), "username": username, "password": password},
    )


async def _user(settings: Settings, username: str) -> StaffUser:
    users: list[StaffUser] = await fetch_all(
        settings.resolved_database_url,
        select(StaffUser).where(col(StaffUser.username) == username),
    )
    return users[0]


async def _expire_lock(settings: Settings, username: str) -> None:
    """The clock moves on: the delay is over."""
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await session.execute(
                update(StaffUser)
                .where(col(StaffUser.username) == username)
                .values(locked_until=utcnow() - timedelta(seconds=1))
            )
    finally:
        await engine.dispose()


def test_delays_grow_after_a_few_failures_then_the_account_locks() -> None:
    policy = LockoutPolicy(delay_after=3, lockout_after=10, lockout=timedelta(minutes=30))

    delays = [policy.delay_for(failures) for failures in range(1, 11)]

    assert delays[:2] == [None, None]
    assert delays[2:5] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    growing = [delay for delay in delays[2:9] if delay is not None]
    assert len(growing) == 7
    assert all(shorter < longer for shorter, longer in itertools.pairwise(growing))
    assert delays[9] == timedelta(minutes=30)


async def test_during_a_delay_even_the_right_password_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    for _ in range(3):
        assert (await _attempt(client, account.username, "wrong")).status_code == 401
    user = await _user(settings, account.username)
    assert user.failed_sign_ins == 3
    assert user.locked_until is not None
    assert timedelta(seconds=3) < user.locked_until - utcnow() <= timedelta(seconds=5)

    during = await _attempt(client, account.username, account.password)
    await _expire_lock(settings, account.username)
    after = await _attempt(client, account.username, account.password)

    assert during.status_code == 429
    assert "Réessayez dans" in during.text
    assert after.status_code == 303


async def test_ten_failures_lock_the_account_for_the_configured_time(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    app.state.client_throttle = ClientThrottle(delay_after=100)  # the account's limit alone
    account = await create_staff(settings, role=Role.ADMIN)
    for _ in range(9):
        await _attempt(client, account.username, "wrong")
        await _expire_lock(settings, account.username)  # get past each growing delay
    await _attempt(client, account.username, "wrong")  # the 10th failure

    user = await _user(settings, account.username)
    refused = await _attempt(client, account.username, account.password)

    assert user.failed_sign_ins == 10
    assert user.locked_until is not None
    assert user.locked_until - utcnow() > timedelta(minutes=29)
    assert refused.status_code == 429
    assert "ce compte est bloqué" in refused.text


async def test_one_client_failing_on_many_accounts_is_slowed_down_without_storing_its_address(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.SUPERVISOR)
    for number in range(10):
        assert (await _attempt(client, f"guess-{number}", "wrong")).status_code == 401

    refused = await _attempt(client, account.username, account.password)

    assert refused.status_code == 429
    assert "depuis ce poste" in refused.text
    assert "127.0.0.1" not in await raw_rows_text(settings.resolved_database_url)


def test_client_throttle_forgets_a_quiet_client_and_keeps_clients_apart() -> None:
    throttle = ClientThrottle(delay_after=2, first_delay=timedelta(seconds=2))
    now = utcnow()
    throttle.register_failure("10.0.0.1", now)
    throttle.register_failure("10.0.0.1", now)

    assert throttle.wait_left("10.0.0.1", now) == timedelta(seconds=2)
    assert throttle.wait_left("10.0.0.2", now) is None
    later = now + timedelta(hours=2)
    throttle.register_failure("10.0.0.1", later)
    assert throttle.wait_left("10.0.0.1", later) is None
