"""Telling "the database cannot be reached right now" apart from every other database error.

Only an outage is worth spooling or retrying later: a constraint violation or a bad query would
fail the same way again, and a unique-key race (IntegrityError) is intake's own business.
"""

from __future__ import annotations

from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import (
    TimeoutError as PoolTimeout,
)

# PostgreSQL error classes that mean the server is going, gone or not there yet:
# 08 connection exception, 57P operator intervention (admin/crash shutdown, cannot connect now),
# 53 insufficient resources (too many connections, disk full).
_OUTAGE_SQLSTATES = ("08", "57P", "53")


def database_unreachable(error: BaseException) -> bool:
    """True for errors that say the database is down, restarting or overloaded."""
    if isinstance(error, IntegrityError):
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
