"""Envelope encryption: round trips, and every way a blob can be damaged or misused failing."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import (
    DecryptionError,
    Key,
    Keyring,
    Purpose,
    UnknownKeyError,
    key_id_of,
    open_sealed,
    open_text,
    reseal,
    seal,
    seal_text,
)

contexts = st.text(min_size=1, max_size=80)
purposes = st.sampled_from(list(Purpose))


def _flip_bit(blob: bytes, bit: int) -> bytes:
    damaged = bytearray(blob)
    damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


@given(plaintext=st.binary(max_size=2048), context=contexts, purpose=purposes)
def test_open_returns_what_was_sealed(
    keyring: Keyring, plaintext: bytes, context: str, purpose: Purpose
) -> None:
    blob = seal(keyring, purpose, plaintext, context=context)

    assert open_sealed(keyring, purpose, blob, context=context) == plaintext


@given(text=st.text(max_size=500), context=contexts)
def test_text_round_trips_through_utf8(keyring: Keyring, text: str, context: str) -> None:
    blob = seal_text(keyring, Purpose.CONTENT, text, context=context)

    assert open_text(keyring, Purpose.CONTENT, blob, context=context) == text


def test_blob_follows_the_documented_format(keyring: Keyring) -> None:
    key_id = keyring.active(Purpose.IDENTITY).key_id
    plaintext = b"+22376123456"

    blob = seal(keyring, Purpose.IDENTITY, plaintext, context="reporter:1")

    assert blob[0] == 1
    assert blob[1] == len(key_id)
    assert blob[2 : 2 + len(key_id)] == key_id.encode("ascii")
    assert len(blob) == 2 + len(key_id) + 12 + len(plaintext) + 16
    assert plaintext not in blob
    assert key_id_of(blob) == key_id


def test_sealing_twice_gives_different_blobs(keyring: Keyring) -> None:
    nonce_start = 2 + len(keyring.active(Purpose.IDENTITY).key_id)
    nonces = slice(nonce_start, nonce_start + 12)

    first = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")
    second = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")

    assert first[nonces] != second[nonces]
    assert first != second


def test_every_single_bit_flip_is_refused(keyring: Keyring) -> None:
    blob = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")

    for bit in range(len(blob) * 8):
        with pytest.raises(DecryptionError):
            open_sealed(keyring, Purpose.IDENTITY, _flip_bit(blob, bit), context="reporter:1")


def test_every_truncation_and_an_extension_are_refused(keyring: Keyring) -> None:
    blob = seal(keyring, Purpose.CONTENT, b"yamba ka feere", context="tip:1")

    for length in range(len(blob)):
        with pytest.raises(DecryptionError):
            open_sealed(keyring, Purpose.CONTENT, blob[:length], context="tip:1")
    with pytest.raises(DecryptionError):
        open_sealed(keyring, Purpose.CONTENT, blob + b"\x00", context="tip:1")


@given(plaintext=st.binary(max_size=64), sealed_for=contexts, opened_for=contexts)
def test_a_blob_opens_only_for_its_own_context(
    keyring: Keyring, plaintext: bytes, sealed_for: str, opened_for: str
) -> None:
    blob = seal(keyring, Purpose.IDENTITY, plaintext, context=sealed_for)

    if opened_for == sealed_for:
        assert open_sealed(keyring, Purpose.IDENTITY, blob, context=opened_for) == plaintext
    else:
        with pytest.raises(DecryptionError):
            open_sealed(keyring, Purpose.IDENTITY, blob, context=opened_for)


def test_an_identity_copied_to_another_reporter_row_does_not_open(keyring: Keyring) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    blob = seal_text(keyring, Purpose.IDENTITY, "+22376123456", context=f"reporter:{alice}")

    with pytest.raises(DecryptionError):
        open_text(keyring, Purpose.IDENTITY, blob, context=f"reporter:{bob}")


def test_a_blob_sealed_for_one_purpose_does_not_open_as_another(keyring: Keyring) -> None:
    blob = seal(keyring, Purpose.CONTENT, b"tip text", context="tip:1")

    for other in (Purpose.IDENTITY, Purpose.INDEX):
        with pytest.raises(DecryptionError):
            open_sealed(keyring, other, blob, context="tip:1")


def test_the_purpose_is_authenticated_even_when_key_id_and_secret_match(keyring: Keyring) -> None:
    # A keyring where the content key carries the identity key's id and secret: only the
    # associated data still tells the two purposes apart.
    identity = keyring.active(Purpose.IDENTITY)
    fresh = Keyring.generate()
    confused = Keyring(
        [
            fresh.active(Purpose.IDENTITY),
            Key(identity.key_id, Purpose.CONTENT, identity.secret),
            fresh.active(Purpose.INDEX),
            fresh.active(Purpose.AUDIT),
            fresh.active(Purpose.PROVIDER_ID),
        ],
        {
            Purpose.IDENTITY: fresh.active(Purpose.IDENTITY).key_id,
            Purpose.CONTENT: identity.key_id,
            Purpose.INDEX: fresh.active(Purpose.INDEX).key_id,
            Purpose.AUDIT: fresh.active(Purpose.AUDIT).key_id,
            Purpose.PROVIDER_ID: fresh.active(Purpose.PROVIDER_ID).key_id,
        },
    )
    blob = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")

    with pytest.raises(DecryptionError, match="does not authenticate"):
        open_sealed(confused, Purpose.CONTENT, blob, context="reporter:1")


def test_a_blob_from_another_keyring_names_an_unknown_key(keyring: Keyring) -> None:
    blob = seal(Keyring.generate(), Purpose.IDENTITY, b"+22376123456", context="reporter:1")

    with pytest.raises(UnknownKeyError):
        open_sealed(keyring, Purpose.IDENTITY, blob, context="reporter:1")
    assert issubclass(UnknownKeyError, DecryptionError)


def test_a_blob_relabelled_with_another_existing_key_id_is_refused(keyring: Keyring) -> None:
    rotated = keyring.rotated(Purpose.IDENTITY)
    old_id = keyring.active(Purpose.IDENTITY).key_id
    new_id = rotated.active(Purpose.IDENTITY).key_id
    blob = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")

    relabelled = blob.replace(old_id.encode(), new_id.encode(), 1)

    assert key_id_of(relabelled) == new_id
    with pytest.raises(DecryptionError, match="does not authenticate"):
        open_sealed(rotated, Purpose.IDENTITY, relabelled, context="reporter:1")


@pytest.mark.parametrize("version", [0, 2, 255])
def test_an_unknown_format_version_is_refused(keyring: Keyring, version: int) -> None:
    blob = seal(keyring, Purpose.CONTENT, b"tip", context="tip:1")

    with pytest.raises(DecryptionError, match="version"):
        open_sealed(keyring, Purpose.CONTENT, bytes([version]) + blob[1:], context="tip:1")


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01\x00" + b"\x00" * 40, b"\x01\x09kabc"])
def test_key_id_of_refuses_a_malformed_blob(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        key_id_of(blob)


def test_open_text_refuses_sealed_bytes_that_are_not_utf8(keyring: Keyring) -> None:
    blob = seal(keyring, Purpose.CONTENT, b"\xff\xfe", context="tip:1")

    with pytest.raises(DecryptionError, match="UTF-8"):
        open_text(keyring, Purpose.CONTENT, blob, context="tip:1")


def test_an_empty_context_is_a_programming_error(keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="context"):
        seal(keyring, Purpose.IDENTITY, b"+22376123456", context="")


def test_blobs_sealed_before_a_rotation_still_open_after_it(keyring: Keyring) -> None:
    blob = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")

    rotated = keyring.rotated(Purpose.IDENTITY)

    assert open_sealed(rotated, Purpose.IDENTITY, blob, context="reporter:1") == b"+22376123456"
    new_blob = seal(rotated, Purpose.IDENTITY, b"+22376123456", context="reporter:1")
    assert key_id_of(new_blob) == rotated.active(Purpose.IDENTITY).key_id != key_id_of(blob)


@given(plaintext=st.binary(max_size=256), context=contexts)
def test_reseal_moves_an_old_blob_to_the_active_key(
    keyring: Keyring, plaintext: bytes, context: str
) -> None:
    old_blob = seal(keyring, Purpose.CONTENT, plaintext, context=context)
    rotated = keyring.rotated(Purpose.CONTENT)

    new_blob = reseal(rotated, Purpose.CONTENT, old_blob, context=context)

    assert new_blob is not None
    assert key_id_of(new_blob) == rotated.active(Purpose.CONTENT).key_id
    assert open_sealed(rotated, Purpose.CONTENT, new_blob, context=context) == plaintext
    assert reseal(rotated, Purpose.CONTENT, new_blob, context=context) is None


def test_reseal_leaves_a_blob_already_under_the_active_key(keyring: Keyring) -> None:
    blob = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")

    assert reseal(keyring, Purpose.IDENTITY, blob, context="reporter:1") is None


def test_reseal_refuses_a_blob_moved_to_another_row(keyring: Keyring) -> None:
    blob = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")
    rotated = keyring.rotated(Purpose.IDENTITY)

    with pytest.raises(DecryptionError):
        reseal(rotated, Purpose.IDENTITY, blob, context="reporter:2")


def test_after_pruning_the_old_key_old_blobs_no_longer_open(keyring: Keyring) -> None:
    old_id = keyring.active(Purpose.IDENTITY).key_id
    blob = seal(keyring, Purpose.IDENTITY, b"+22376123456", context="reporter:1")
    pruned = keyring.rotated(Purpose.IDENTITY).without(Purpose.IDENTITY, old_id)

    with pytest.raises(UnknownKeyError):
        open_sealed(pruned, Purpose.IDENTITY, blob, context="reporter:1")
