"""Hot reload of the triage rules for the running service.

Administrators edit the rules or gazetteer file in place; every process notices within
``check_every`` seconds, validates the new version and swaps it in. A broken file is refused, the
refusal is logged (file, line and problem only: never tip content), and the last good version
stays in force until the file is fixed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from triage import RulesError, Ruleset
from triage.ruleset import build_ruleset, content_hash, default_paths, read_bytes

logger = logging.getLogger(__name__)

_Stamp = tuple[tuple[int, int, int], ...]


class RulesHolder:
    def __init__(
        self,
        rules_path: Path | None,
        gazetteer_path: Path | None,
        *,
        check_every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        default_rules, default_gazetteer = default_paths()
        self._paths = (rules_path or default_rules, gazetteer_path or default_gazetteer)
        self._check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp = self._stat()
        # At start-up there is no last good version to keep: a broken file is an error.
        self._ruleset = self._load(None)
        self._next_check = clock() + check_every

    def current(self) -> Ruleset:
        """The ruleset in force; cheap. At most every ``check_every`` seconds one caller looks
        at the files while the others go on with the version they have."""
        if self._clock() >= self._next_check and self._lock.acquire(blocking=False):
            try:
                self._next_check = self._clock() + self._check_every
                self._reload_if_changed()
            finally:
                self._lock.release()
        return self._ruleset

    def _reload_if_changed(self) -> None:
        stamp = self._stat()
        if stamp == self._stamp:
            return
        self._stamp = stamp  # a refused file is not re-read (and re-logged) until it changes
        try:
            candidate = self._load(self._ruleset)
        except RulesError as exc:
            logger.warning(
                "triage rules change refused, version %s stays in force: %s",
                self._ruleset.version,
                exc,
            )
            return
        if candidate.version != self._ruleset.version:
            logger.info(
                "triage rules version %s replaces %s", candidate.version, self._ruleset.version
            )
            self._ruleset = candidate  # one attribute assignment: readers see old or new

    def _load(self, in_force: Ruleset | None) -> Ruleset:
        rules_path, gazetteer_path = self._paths
        rules_bytes, gazetteer_bytes = read_bytes(rules_path), read_bytes(gazetteer_path)
        if in_force is not None and content_hash(rules_bytes, gazetteer_bytes) == in_force.version:
            return in_force  # touched, not changed
        return build_ruleset(rules_path, rules_bytes, gazetteer_path, gazetteer_bytes)

    def _stat(self) -> _Stamp:
        stamps = []
        for path in self._paths:
            try:
                info = path.stat()
            except OSError:
                stamps.append((-1, -1, -1))
            else:
                stamps.append((info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(stamps)
