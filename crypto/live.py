"""The keyring a running process uses: it follows its file, like the triage rules do.

``tipline keys rotate`` rewrites the keyring file under running processes. Each process looks at
the file every ``check_every`` seconds (and at once when it meets a key id it does not know: data
sealed by a process that saw the new file first) and swaps in the new keyring. A broken or
unreadable file is refused, the refusal is logged (the problem, never a secret), and the last good
keyring stays in force, and so is a file that gives a known key id another secret (what was
sealed under it would no longer open).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from crypto.errors import KeyringError, UnknownKeyError
from crypto.keyring import Key, Keyring, Purpose, load_keyring

logger = logging.getLogger(__name__)

_Stamp = tuple[int, int, int]


class LiveKeyring(Keyring):
    """A ``Keyring`` whose every call reads the keyring in force (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        *,
        check_every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Deliberately not Keyring.__init__: this object holds keyrings, it is not one.
        self._path = path
        self._check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp = _stat(path)
        # At start-up there is no last good keyring to keep: a broken file is an error.
        self._current = load_keyring(path)
        self._next_check = clock() + check_every

    def current(self) -> Keyring:
        if self._clock() >= self._next_check and self._lock.acquire(blocking=False):
            try:
                self._next_check = self._clock() + self._check_every
                self._reload_if_changed()
            finally:
                self._lock.release()
        return self._current

    def reload_now(self) -> Keyring:
        with self._lock:
            self._next_check = self._clock() + self._check_every
            self._reload_if_changed()
        return self._current

    def active(self, purpose: Purpose) -> Key:
        return self.current().active(purpose)

    def get(self, purpose: Purpose, key_id: str) -> Key:
        try:
            return self.current().get(purpose, key_id)
        except UnknownKeyError:
            return self.reload_now().get(purpose, key_id)

    def keys(self, purpose: Purpose) -> tuple[Key, ...]:
        return self.current().keys(purpose)

    def rotated(self, purpose: Purpose) -> Keyring:
        return self.current().rotated(purpose)

    def without(self, purpose: Purpose, key_id: str) -> Keyring:
        return self.current().without(purpose, key_id)

    def with_new_key(self, purpose: Purpose) -> tuple[Keyring, Key]:
        return self.current().with_new_key(purpose)

    def activated(self, purpose: Purpose, key_id: str) -> Keyring:
        return self.current().activated(purpose, key_id)

    def to_json(self) -> str:
        return self.current().to_json()

    def _all_keys(self) -> tuple[Key, ...]:
        current = self.current()
        return tuple(key for purpose in Purpose for key in current.keys(purpose))

    def __eq__(self, other: object) -> bool:
        return self.current() == other

    def __repr__(self) -> str:
        return f"LiveKeyring({self.current()!r})"

    def _reload_if_changed(self) -> None:
        stamp = _stat(self._path)
        if stamp == self._stamp:
            return
        self._stamp = stamp  # a refused file is not re-read (and re-logged) until it changes
        try:
            candidate = load_keyring(self._path)
            _keeps_every_key(self._current, candidate)
        except KeyringError as exc:
            logger.warning("keyring change refused, the keyring in force stays: %s", exc)
            return
        if candidate != self._current:
            logger.info("keyring reloaded")
            self._current = candidate  # one attribute assignment: readers see old or new


def _keeps_every_key(in_force: Keyring, candidate: Keyring) -> None:
    for purpose in Purpose:
        kept = {key.key_id for key in candidate.keys(purpose)}
        for key in in_force.keys(purpose):
            if key.key_id in kept and candidate.get(purpose, key.key_id).secret != key.secret:
                raise KeyringError(f"key {key.key_id} changed its secret")


def _stat(path: Path) -> _Stamp:
    try:
        info = path.stat()
    except OSError:
        return (-1, -1, -1)
    return (info.st_mtime_ns, info.st_size, info.st_ino)
