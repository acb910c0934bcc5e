"""The ``tipline`` command line (names fixed by the public contract)."""

from __future__ import annotations

from service.cli.main import app

__all__ = ["app"]
