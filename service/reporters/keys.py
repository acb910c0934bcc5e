"""Key rotation without downtime: new writes use the new key, stored identities are resealed.

Old keys stay in the keyring so content sealed under them still opens; running processes pick up
the new keyring file when they next read an unknown key id (see ``crypto``'s key ids).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from crypto import Purpose, load_keyring, reseal, save_keyring
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Reporter
from service.settings import Settings


async def rotate_keys(settings: Settings) -> int:
    path = settings.resolved_keyring_path
    keyring = load_keyring(path).rotated(Purpose.IDENTITY).rotated(Purpose.CONTENT)
    save_keyring(path, keyring)
    engine = create_engine(settings.resolved_database_url)
    resealed = 0
    try:
        sessions = create_sessionmaker(engine)
        async with transaction(sessions) as session:
            reporters = (
                await session.scalars(
                    select(Reporter).where(col(Reporter.identity_ciphertext).is_not(None))
                )
            ).all()
            for reporter in reporters:
                assert reporter.identity_ciphertext is not None
                fresh = reseal(
                    keyring,
                    Purpose.IDENTITY,
                    reporter.identity_ciphertext,
                    context=f"reporter:{reporter.id}",
                )
                if fresh is not None:
                    reporter.identity_ciphertext = fresh
                    resealed += 1
    finally:
        await engine.dispose()
    return resealed
