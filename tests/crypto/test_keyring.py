"""The keyring: separation of purposes, rotation, JSON form, and the file on disk."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from crypto import (
    Key,
    Keyring,
    KeyringError,
    Purpose,
    UnknownKeyError,
    load_keyring,
    load_or_create_keyring,
    save_keyring,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _document(keyring: Keyring) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(keyring.to_json())
    return document


def test_generate_gives_one_key_per_purpose_with_distinct_secrets_and_short_ids() -> None:
    keyring = Keyring.generate()

    keys = [key for purpose in Purpose for key in keyring.keys(purpose)]

    assert [key.purpose for key in keys] == list(Purpose)
    assert len({key.secret for key in keys}) == len(Purpose)
    assert all(len(key.secret) == 32 for key in keys)
    assert all(re.fullmatch(r"k[0-9a-f]{8}", key.key_id) for key in keys)
    assert all(keyring.active(key.purpose) == key for key in keys)


def test_two_generated_keyrings_share_no_secret() -> None:
    first, second = Keyring.generate(), Keyring.generate()

    assert first.active(Purpose.IDENTITY).secret != second.active(Purpose.IDENTITY).secret


def test_repr_of_key_and_keyring_never_shows_a_secret(keyring: Keyring) -> None:
    for purpose in Purpose:
        key = keyring.active(purpose)
        secret_forms = [repr(key.secret), key.secret.hex(), base64.b64encode(key.secret).decode()]
        for text in (repr(key), str(key), repr(keyring), str(keyring)):
            assert key.key_id in text
            assert not any(form in text for form in secret_forms)


def test_get_finds_a_key_by_purpose_and_id(keyring: Keyring) -> None:
    key = keyring.active(Purpose.CONTENT)

    assert keyring.get(Purpose.CONTENT, key.key_id) is key


def test_get_refuses_an_unknown_id_and_an_id_of_another_purpose(keyring: Keyring) -> None:
    identity_id = keyring.active(Purpose.IDENTITY).key_id

    with pytest.raises(UnknownKeyError):
        keyring.get(Purpose.IDENTITY, "knothere0")
    with pytest.raises(UnknownKeyError):
        keyring.get(Purpose.CONTENT, identity_id)


def test_rotation_makes_a_new_active_key_and_keeps_the_old_one(keyring: Keyring) -> None:
    old = keyring.active(Purpose.IDENTITY)

    rotated = keyring.rotated(Purpose.IDENTITY)

    new = rotated.active(Purpose.IDENTITY)
    assert new.key_id != old.key_id
    assert new.secret != old.secret
    assert rotated.get(Purpose.IDENTITY, old.key_id) == old
    assert rotated.keys(Purpose.IDENTITY) == (new, old)


def test_rotation_leaves_other_purposes_and_the_original_keyring_alone(keyring: Keyring) -> None:
    before = keyring.to_json()

    rotated = keyring.rotated(Purpose.INDEX)

    assert keyring.to_json() == before
    assert keyring.keys(Purpose.INDEX) == (keyring.active(Purpose.INDEX),)
    for purpose in (Purpose.IDENTITY, Purpose.CONTENT):
        assert rotated.keys(purpose) == keyring.keys(purpose)


def test_keys_list_the_active_key_first_then_retired_keys_newest_first(keyring: Keyring) -> None:
    twice = keyring.rotated(Purpose.CONTENT).rotated(Purpose.CONTENT)

    ids = [key.key_id for key in twice.keys(Purpose.CONTENT)]

    assert ids[0] == twice.active(Purpose.CONTENT).key_id
    assert ids[2] == keyring.active(Purpose.CONTENT).key_id
    assert len(set(ids)) == 3


def test_without_removes_a_retired_key_but_refuses_the_active_one(keyring: Keyring) -> None:
    old_id = keyring.active(Purpose.CONTENT).key_id
    rotated = keyring.rotated(Purpose.CONTENT)

    pruned = rotated.without(Purpose.CONTENT, old_id)

    assert pruned.keys(Purpose.CONTENT) == (rotated.active(Purpose.CONTENT),)
    with pytest.raises(KeyringError, match="active"):
        pruned.without(Purpose.CONTENT, pruned.active(Purpose.CONTENT).key_id)


@pytest.mark.parametrize(
    ("key_id", "secret"),
    [("k1", b"short"), ("k1", b"x" * 33), ("", b"x" * 32), ("k 1", b"x" * 32), ("é", b"x" * 32)],
)
def test_key_refuses_a_bad_id_or_secret_length(key_id: str, secret: bytes) -> None:
    with pytest.raises(KeyringError):
        Key(key_id=key_id, purpose=Purpose.INDEX, secret=secret)


def test_keyring_refuses_one_secret_for_two_purposes() -> None:
    secret = os.urandom(32)
    keys = [
        Key("ka", Purpose.IDENTITY, secret),
        Key("kb", Purpose.CONTENT, secret),
        Key("kc", Purpose.INDEX, os.urandom(32)),
    ]

    with pytest.raises(KeyringError, match="same secret"):
        Keyring(keys, {Purpose.IDENTITY: "ka", Purpose.CONTENT: "kb", Purpose.INDEX: "kc"})


def test_keyring_refuses_a_purpose_without_active_key() -> None:
    keys = [Key("ka", Purpose.IDENTITY, os.urandom(32)), Key("kb", Purpose.CONTENT, os.urandom(32))]

    with pytest.raises(KeyringError, match="index"):
        Keyring(keys, {Purpose.IDENTITY: "ka", Purpose.CONTENT: "kb"})


def test_json_round_trip_keeps_every_key_and_the_active_ones(keyring: Keyring) -> None:
    rotated = keyring.rotated(Purpose.IDENTITY).rotated(Purpose.INDEX)

    restored = Keyring.from_json(rotated.to_json())

    assert restored == rotated
    assert restored != keyring
    for purpose in Purpose:
        assert restored.keys(purpose) == rotated.keys(purpose)
        assert restored.active(purpose) == rotated.active(purpose)


def _break_version(doc: dict[str, Any]) -> None:
    doc["version"] = 2


def _break_active_reference(doc: dict[str, Any]) -> None:
    doc["active"]["content"] = "kmissing"


def _point_active_at_other_purpose(doc: dict[str, Any]) -> None:
    doc["active"]["content"] = doc["active"]["identity"]


def _drop_active_purpose(doc: dict[str, Any]) -> None:
    del doc["active"]["index"]


def _duplicate_key_id(doc: dict[str, Any]) -> None:
    doc["keys"][1]["id"] = doc["keys"][0]["id"]
    doc["active"][doc["keys"][1]["purpose"]] = doc["keys"][0]["id"]


def _reuse_secret(doc: dict[str, Any]) -> None:
    doc["keys"][1]["secret"] = doc["keys"][0]["secret"]


def _bad_base64(doc: dict[str, Any]) -> None:
    doc["keys"][0]["secret"] = "not base64!"


def _short_secret(doc: dict[str, Any]) -> None:
    doc["keys"][0]["secret"] = base64.b64encode(b"sixteen bytes...").decode()


def _unknown_purpose(doc: dict[str, Any]) -> None:
    doc["keys"][0]["purpose"] = "payroll"


def _extra_field(doc: dict[str, Any]) -> None:
    doc["comment"] = "hello"


def _key_not_an_object(doc: dict[str, Any]) -> None:
    doc["keys"][0] = "k12345678"


@pytest.mark.parametrize(
    "breakage",
    [
        _break_version,
        _break_active_reference,
        _point_active_at_other_purpose,
        _drop_active_purpose,
        _duplicate_key_id,
        _reuse_secret,
        _bad_base64,
        _short_secret,
        _unknown_purpose,
        _extra_field,
        _key_not_an_object,
    ],
)
def test_from_json_refuses_an_invalid_keyring_without_quoting_secrets(
    keyring: Keyring, breakage: Any
) -> None:
    document = _document(keyring)
    breakage(document)

    with pytest.raises(KeyringError) as caught:
        Keyring.from_json(json.dumps(document))

    for key in document["keys"]:
        if isinstance(key, dict):
            assert key["secret"] not in str(caught.value)


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"version": 1}'])
def test_from_json_refuses_text_that_is_not_a_keyring(text: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.from_json(text)


def test_load_or_create_creates_a_0600_file_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keyring.json"

    keyring, created = load_or_create_keyring(path)

    assert created
    assert _mode(path) == 0o600
    assert _mode(path.parent) & 0o077 == 0
    assert load_keyring(path) == keyring
    assert [p.name for p in path.parent.iterdir()] == ["keyring.json"]  # no temporary left


def test_load_or_create_loads_the_existing_keyring_the_second_time(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    first, _ = load_or_create_keyring(path)

    second, created = load_or_create_keyring(path)

    assert not created
    assert second == first


def test_load_or_create_keeps_the_keyring_another_process_created_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keyring.json"
    winner = Keyring.generate()
    save_keyring(path, winner)
    # Simulate the race: the file did not exist when checked, then another process created it.
    monkeypatch.setattr(Path, "exists", lambda self: False)

    keyring, created = load_or_create_keyring(path)

    assert not created
    assert keyring == winner
    monkeypatch.undo()
    assert load_keyring(path) == winner
    assert [p.name for p in tmp_path.iterdir()] == ["keyring.json"]


def test_load_or_create_ignores_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0o000)
    try:
        load_or_create_keyring(tmp_path / "keyring.json")
    finally:
        os.umask(previous)

    assert _mode(tmp_path / "keyring.json") == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660, 0o666])
def test_load_refuses_a_file_that_group_or_other_may_access(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keyring.json"
    save_keyring(path, Keyring.generate())
    path.chmod(mode)

    with pytest.raises(KeyringError, match="chmod 600"):
        load_keyring(path)
    with pytest.raises(KeyringError):
        load_or_create_keyring(path)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_load_accepts_a_file_only_its_owner_may_access(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keyring.json"
    keyring = Keyring.generate()
    save_keyring(path, keyring)
    path.chmod(mode)

    assert load_keyring(path) == keyring


def test_load_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="not found"):
        load_keyring(tmp_path / "absent.json")


def test_load_refuses_a_directory(tmp_path: Path) -> None:
    directory = tmp_path / "keyring.json"
    directory.mkdir(mode=0o700)

    with pytest.raises(KeyringError, match="regular file"):
        load_keyring(directory)


def test_load_refuses_a_corrupt_file_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    save_keyring(path, Keyring.generate())
    path.write_bytes(path.read_bytes()[:40])

    with pytest.raises(KeyringError, match="not valid JSON"):
        load_keyring(path)


def test_save_replaces_the_file_atomically_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    original, _ = load_or_create_keyring(path)
    rotated = original.rotated(Purpose.CONTENT)

    save_keyring(path, rotated)

    assert _mode(path) == 0o600
    assert load_keyring(path) == rotated
    assert [p.name for p in tmp_path.iterdir()] == ["keyring.json"]
