"""The keyring: the secret keys of the reporter-identity vault, and their file on disk.

Each purpose (identity, content, index, audit, provider id) has its own keys, so that a leak or
a rotation of one never touches the others. A purpose holds several keys: exactly one is active
(used to seal new data and to compute new blind indexes); the others are retired but kept, so
data sealed before a rotation still opens until the rotation job has re-sealed it.

The keyring file is JSON, readable by its owner only::

    {"version": 1,
     "active": {"identity": "k1a2b3c4d", "content": "...", "index": "..."},
     "keys": [{"id": "k1a2b3c4d", "purpose": "identity", "secret": "<base64 of 32 bytes>"}, ...]}

Keys never live in the database: a stolen dump or backup must reveal nothing.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from crypto.errors import KeyringError, UnknownKeyError

SECRET_BYTES = 32  # AES-256 and HMAC-SHA256 both want 32-byte keys
FILE_FORMAT_VERSION = 1
# Key ids travel inside every sealed blob (one length byte), so keep them short and ASCII.
_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Group and other may neither read the keys nor write (swap) them.
_UNSAFE_MODE_BITS = stat.S_IRWXG | stat.S_IRWXO


class Purpose(StrEnum):
    """The kinds of key. Every other part of the keyring (generation, the file, rotation) goes
    over this list, so a new kind of key is one line here."""

    IDENTITY = "identity"
    CONTENT = "content"
    INDEX = "index"
    AUDIT = "audit"  # keys the audit trail's chain (HMAC): a database writer cannot re-chain it
    # Keys the hash of Twilio's ids (MessageSid, CallSid…): a dump cannot be matched to Twilio's
    # records, which hold the number.
    PROVIDER_ID = "provider_id"


@dataclass(frozen=True)
class Key:
    key_id: str
    purpose: Purpose
    # repr=False: a key printed in a log line or a traceback must not leak its secret.
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID_PATTERN.fullmatch(self.key_id):
            raise KeyringError("key id must be 1 to 64 characters among A-Z a-z 0-9 _ -")
        if not isinstance(self.purpose, Purpose):
            raise KeyringError(f"key {self.key_id}: unknown purpose")
        if len(self.secret) != SECRET_BYTES:
            raise KeyringError(f"key {self.key_id}: secret must be {SECRET_BYTES} bytes")


class Keyring:
    """An immutable set of keys: several per purpose, exactly one active per purpose."""

    __slots__ = ("_active", "_keys")

    def __init__(self, keys: Iterable[Key], active: Mapping[Purpose, str]) -> None:
        """Build a keyring; `keys` in order of preference (newest first) within each purpose."""
        all_keys = tuple(keys)
        _check_unique(all_keys)
        self._keys: dict[Purpose, tuple[Key, ...]] = {}
        self._active: dict[Purpose, Key] = {}
        for purpose in Purpose:
            own = tuple(key for key in all_keys if key.purpose is purpose)
            active_id = active.get(purpose)
            chosen = [key for key in own if key.key_id == active_id]
            if not chosen:
                raise KeyringError(f"purpose {purpose}: the active key is missing or not declared")
            self._active[purpose] = chosen[0]
            # Active first, so look-ups across a rotation try the likeliest key first.
            self._keys[purpose] = (chosen[0], *(key for key in own if key is not chosen[0]))

    def active(self, purpose: Purpose) -> Key:
        try:
            return self._active[purpose]
        except KeyError:
            raise KeyringError(f"the keyring holds no {purpose} key") from None

    def get(self, purpose: Purpose, key_id: str) -> Key:
        for key in self._keys.get(purpose, ()):
            if key.key_id == key_id:
                return key
        raise UnknownKeyError(f"no {purpose} key with id {key_id!r} in the keyring")

    def keys(self, purpose: Purpose) -> tuple[Key, ...]:
        """All keys of a purpose, the active one first, then retired ones newest first."""
        return self._keys.get(purpose, ())

    def rotated(self, purpose: Purpose) -> Keyring:
        """A new keyring where a fresh random key is active; the old keys stay for decryption."""
        new_key = _new_key(purpose, self._all_keys())
        active = {p: key.key_id for p, key in self._active.items()}
        active[purpose] = new_key.key_id
        return Keyring((new_key, *self._all_keys()), active)

    def with_new_key(self, purpose: Purpose) -> tuple[Keyring, Key]:
        """A new keyring holding one more, not yet active, key for ``purpose`` (the first step
        of a rotation under running processes: they learn the key before anything uses it)."""
        new_key = _new_key(purpose, self._all_keys())
        active = {p: key.key_id for p, key in self._active.items()}
        return Keyring((new_key, *self._all_keys()), active), new_key

    def activated(self, purpose: Purpose, key_id: str) -> Keyring:
        """A new keyring where the key ``key_id``, already held, is the active one."""
        self.get(purpose, key_id)
        active = {p: key.key_id for p, key in self._active.items()}
        active[purpose] = key_id
        return Keyring(self._all_keys(), active)

    def without(self, purpose: Purpose, key_id: str) -> Keyring:
        """A new keyring without a retired key, once nothing is sealed under it any more."""
        doomed = self.get(purpose, key_id)
        if doomed is self._active[purpose]:
            raise KeyringError(f"key {key_id} is active for {purpose}; rotate before removing it")
        remaining = (key for key in self._all_keys() if key is not doomed)
        return Keyring(remaining, {p: key.key_id for p, key in self._active.items()})

    def to_json(self) -> str:
        document = {
            "version": FILE_FORMAT_VERSION,
            "active": {str(p): key.key_id for p, key in self._active.items()},
            "keys": [_key_to_dict(key) for key in self._all_keys()],
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            # Chaining would quote the document, which holds secrets: keep only the line number.
            raise KeyringError(f"keyring is not valid JSON (line {exc.lineno})") from None
        return _keyring_from_document(document)

    @classmethod
    def generate(cls) -> Keyring:
        """A keyring with one fresh random key per purpose."""
        keys: list[Key] = []
        for purpose in Purpose:
            keys.append(_new_key(purpose, keys))
        return cls(keys, {key.purpose: key.key_id for key in keys})

    def _all_keys(self) -> tuple[Key, ...]:
        return tuple(key for purpose in Purpose for key in self._keys.get(purpose, ()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Keyring):
            return NotImplemented
        return self._keys == other._keys and self._active == other._active

    __hash__ = None  # type: ignore[assignment]  # equality by content, and never a dict key

    def __repr__(self) -> str:
        listing = "; ".join(
            f"{purpose}: " + ", ".join(_label(key, self._active[purpose]) for key in keys)
            for purpose, keys in self._keys.items()
        )
        return f"Keyring({listing})"


def _label(key: Key, active: Key) -> str:
    return f"{key.key_id}*" if key is active else key.key_id


def _check_unique(keys: tuple[Key, ...]) -> None:
    """Refuse a duplicated key id or secret: one secret for two purposes breaks their separation."""
    ids = [key.key_id for key in keys]
    duplicated_ids = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
    if duplicated_ids:
        raise KeyringError(f"duplicated key id(s): {', '.join(duplicated_ids)}")
    if len({key.secret for key in keys}) != len(keys):
        raise KeyringError("two keys share the same secret; every key needs its own")


def _new_key(purpose: Purpose, existing: Iterable[Key]) -> Key:
    taken = {key.key_id for key in existing}
    key_id = f"k{secrets.token_hex(4)}"
    while key_id in taken:  # 32 random bits: a clash is rare but must not break uniqueness
        key_id = f"k{secrets.token_hex(4)}"
    return Key(key_id=key_id, purpose=purpose, secret=secrets.token_bytes(SECRET_BYTES))


def _key_to_dict(key: Key) -> dict[str, str]:
    secret = base64.b64encode(key.secret).decode("ascii")
    return {"id": key.key_id, "purpose": str(key.purpose), "secret": secret}


def _keyring_from_document(document: Any) -> Keyring:
    if not isinstance(document, dict):
        raise KeyringError("keyring must be a JSON object")
    if document.get("version") != FILE_FORMAT_VERSION:
        raise KeyringError(f"keyring version must be {FILE_FORMAT_VERSION}")
    unexpected = sorted(set(document) - {"version", "active", "keys"})
    if unexpected:
        raise KeyringError(f"keyring has unexpected field(s): {', '.join(unexpected)}")
    raw_keys = document.get("keys")
    if not isinstance(raw_keys, list):
        raise KeyringError("keyring field 'keys' must be a list")
    keys = [_key_from_dict(raw, index) for index, raw in enumerate(raw_keys)]
    return Keyring(keys, _active_from_dict(document.get("active")))


def _key_from_dict(raw: Any, index: int) -> Key:
    where = f"keys[{index}]"
    if not isinstance(raw, dict) or set(raw) != {"id", "purpose", "secret"}:
        raise KeyringError(f"{where} must be an object with exactly: id, purpose, secret")
    key_id, purpose, secret = raw["id"], raw["purpose"], raw["secret"]
    if not isinstance(key_id, str) or not isinstance(secret, str):
        raise KeyringError(f"{where}: id and secret must be strings")
    if purpose not in set(Purpose):
        raise KeyringError(f"{where}: purpose must be one of {', '.join(Purpose)}")
    try:
        secret_bytes = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where}: secret is not valid base64") from None
    try:
        return Key(key_id=key_id, purpose=Purpose(purpose), secret=secret_bytes)
    except KeyringError as exc:
        raise KeyringError(f"{where}: {exc}") from None


def _active_from_dict(raw: Any) -> dict[Purpose, str]:
    if (
        not isinstance(raw, dict)
        or set(raw) != set(Purpose)
        or not all(isinstance(key_id, str) for key_id in raw.values())
    ):
        purposes = ", ".join(Purpose)
        raise KeyringError(f"keyring field 'active' must map each of {purposes} to a key id")
    return {Purpose(purpose): key_id for purpose, key_id in raw.items()}


def complete_keyring_file(path: Path) -> tuple[Purpose, ...]:
    """Add a fresh active key for each purpose the file does not know yet (a keyring written
    before that kind of key existed); the purposes added. Only ever adds: every key in the file
    stays, so a process still reading the old file misses nothing it uses."""
    try:
        document = json.loads(_read_private_file(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KeyringError(f"keyring file {path} is not valid JSON text") from None
    if not isinstance(document, dict) or not isinstance(document.get("active"), dict):
        return ()  # malformed: the strict load that follows says why
    active = document["active"]
    missing = tuple(purpose for purpose in Purpose if str(purpose) not in active)
    if not missing or not isinstance(document.get("keys"), list):
        return ()
    known = [_key_from_dict(raw, index) for index, raw in enumerate(document["keys"])]
    for purpose in missing:
        key = _new_key(purpose, known)
        known.append(key)
        document["keys"].append(_key_to_dict(key))
        active[str(purpose)] = key.key_id
    _keyring_from_document(document)  # the completed document must be a valid keyring
    temporary = _write_private_temporary(path, json.dumps(document, indent=2) + "\n")
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
    return missing


def load_keyring(path: Path) -> Keyring:
    """Read the keyring file; refuse it if group or other may read or write it."""
    try:
        text = _read_private_file(path).decode("utf-8")
    except UnicodeDecodeError:
        raise KeyringError(f"keyring file {path} is not UTF-8 text") from None
    return Keyring.from_json(text)


def _read_private_file(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise KeyringError(f"keyring file not found: {path}") from None
    except OSError as exc:
        raise KeyringError(f"cannot open keyring file {path}: {exc.strerror}") from None
    try:
        # fstat on the open file, not stat on the path: the file checked is the file read.
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise KeyringError(f"keyring path {path} is not a regular file")
        if mode & _UNSAFE_MODE_BITS:
            raise KeyringError(
                f"keyring file {path} has mode {stat.filemode(mode)}; "
                f"only its owner may access it (chmod 600 {path})"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def load_or_create_keyring(path: Path) -> tuple[Keyring, bool]:
    """Load the keyring, or create a fresh one if there is none; the bool says it was created.

    Several processes may start at once with no keyring. Exactly one of them creates the file and
    all of them end up with the same keys; none can ever read a half-written file.
    """
    if path.exists():
        return load_keyring(path), False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keyring = Keyring.generate()
    temporary = _write_private_temporary(path, keyring.to_json())
    try:
        # link() fails if the target exists, so it publishes a complete file or nothing.
        os.link(temporary, path)
    except FileExistsError:
        return load_keyring(path), False
    finally:
        temporary.unlink()
    _sync_directory(path.parent)
    return keyring, True


def save_keyring(path: Path, keyring: Keyring) -> None:
    """Replace the keyring file atomically: readers see the old keyring or the new, never a mix."""
    temporary = _write_private_temporary(path, keyring.to_json())
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _write_private_temporary(path: Path, text: str) -> Path:
    """Write `text` to a new owner-only file beside `path` (same filesystem: renames are atomic)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL with mode 0600: the file is never, even briefly, readable by anyone else.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # exactly 0600 even under a stricter umask
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _sync_directory(directory: Path) -> None:
    """Make the rename durable across a power cut; some filesystems cannot, which is fine."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
