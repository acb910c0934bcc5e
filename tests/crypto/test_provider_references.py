"""A provider message's reference: the same in every process holding the keyring, valid, and
nothing anyone can compute from the MessageSid without the provider-id key."""

from __future__ import annotations

from collections import Counter

from crypto import Keyring, Purpose, normalise_reference, provider_id_hash, provider_reference
from crypto.codes import ALPHABET


def test_a_message_id_gives_one_valid_reference_under_one_key(keyring: Keyring) -> None:
    reference = provider_reference(keyring, "SM0123456789abcdef0123456789abcdef")

    assert normalise_reference(reference) == reference
    assert provider_reference(keyring, "SM0123456789abcdef0123456789abcdef") == reference
    assert provider_reference(keyring, "SM0123456789abcdef0123456789abcdee") != reference


def test_a_redraw_gives_other_references_in_a_fixed_order(keyring: Keyring) -> None:
    draws = [provider_reference(keyring, "SMredraw", n) for n in range(5)]

    assert len(set(draws)) == 5
    assert draws == [provider_reference(keyring, "SMredraw", n) for n in range(5)]


def test_the_reference_depends_on_the_key_and_is_not_the_stored_hash(keyring: Keyring) -> None:
    other = Keyring.generate()

    assert provider_reference(keyring, "SMkeyed") != provider_reference(other, "SMkeyed")
    assert provider_reference(keyring, "SMkeyed") == provider_reference(
        keyring.rotated(Purpose.IDENTITY), "SMkeyed"
    )
    # The stored hash does not give the reference away: another domain of the HMAC.
    assert provider_id_hash(keyring, "SMkeyed")[:7].upper() not in provider_reference(
        keyring, "SMkeyed"
    )


def test_references_use_the_whole_alphabet_evenly(keyring: Keyring) -> None:
    counts = Counter(
        char
        for n in range(3_000)
        for char in provider_reference(keyring, f"SM{n:032x}")[4:].replace("-", "")[:7]
    )
    assert set(counts) == set(ALPHABET)
    expected = 3_000 * 7 / len(ALPHABET)
    assert all(abs(count - expected) < 0.2 * expected for count in counts.values())
