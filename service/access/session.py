"""The request's unit of work: one database session, committed before the response is sent.

``scope="function"`` makes FastAPI run the commit before the response goes out, so a redirect
after a form never races its own write; an exception from the route rolls everything back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.core.db import SessionMaker, transaction
from service.runtime import Runtime


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: Runtime = request.app.state.runtime
    async with transaction(runtime.sessions) as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(db_session, scope="function")]


def read_sessions(request: Request) -> SessionMaker:
    """Sessions of its own for a page whose independent reads run side by side (the
    dashboard's aggregates), each on a connection of the pool; nothing written through them."""
    runtime: Runtime = request.app.state.runtime
    return runtime.sessions


ReadSessions = Annotated[SessionMaker, Depends(read_sessions)]
