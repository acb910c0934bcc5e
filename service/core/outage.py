"""Telling "the database cannot be reached right now" apart from every other database error.

Only an outage is worth spooling or retrying later: a constraint violation or a bad query would
fail the same way again, and a unique-key race (IntegrityError) is intake's own business.
"""

from __future__ import annotations

import time

import structlog
from jinja2 import TemplateNotFound
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import (
    TimeoutError as PoolTimeout,
)

log = structlog.get_logger(__name__)

# PostgreSQL error classes that mean the server is going, gone or not there yet:
# 08 connection exception, 57P operator intervention (admin/crash shutdown, cannot connect now),
# 53 insufficient resources (too many connections, disk full).
_OUTAGE_SQLSTATES = ("08", "57P", "53")
# A file or template that is missing or unreadable: the deployment is broken, the database is
# fine. Reported as what it is, never as an outage to wait out (Jinja's is an OSError too).
MISSING_FILE_ERRORS = (
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    TemplateNotFound,
)


def database_unreachable(error: BaseException) -> bool:
    """True for errors that say the database is down, restarting or overloaded."""
    if isinstance(error, (IntegrityError, *MISSING_FILE_ERRORS)):
        return False
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    # asyncpg raises at connect time without SQLAlchemy wrapping: a refused or reset socket is an
    # OSError, a server still starting or shutting down a PostgresError carrying its SQLSTATE.
    if isinstance(error, OSError | TimeoutError):
        return True
    return _outage_sqlstate(error) or _outage_sqlstate(getattr(error, "orig", None))


def _outage_sqlstate(error: object) -> bool:
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_OUTAGE_SQLSTATES)


class DatabaseHeldOff(ConnectionError):
    """Raised instead of asking a database that has just failed to answer (``OutageHold``)."""


class OutageHold:
    """After the database failed to answer in time, the next calls skip it for a moment.

    During a partition each try waits out a timeout (``service.core.db``); without the hold,
    every webhook would wait its own. With it, one try waits and the others are answered at once
    (intake spools them) until the hold ends and the next try asks the database again. A refusal
    is immediate and costs no wait: it holds nothing."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._until = 0.0

    def check(self) -> None:
        """``DatabaseHeldOff`` (an outage, for ``database_unreachable``) while holding."""
        if time.monotonic() < self._until:
            raise DatabaseHeldOff("the database did not answer a moment ago")

    def note(self, error: BaseException) -> None:
        if not timed_out(error):
            return
        if time.monotonic() >= self._until:  # one line per hold, not one per caller
            log.warning("database_not_answering", error=type(error).__name__)
        self._until = time.monotonic() + self._seconds

    def end(self) -> None:
        """The database answered."""
        self._until = 0.0


def timed_out(error: BaseException) -> bool:
    """A connection, statement or pool checkout that ran out of time."""
    return isinstance(error, TimeoutError | PoolTimeout) or isinstance(
        getattr(error, "orig", None), TimeoutError
    )
