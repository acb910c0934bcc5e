"""Receipt codes stored as Argon2id hashes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    configure_for_production,
    configure_for_tests,
    hash_receipt_code,
    new_receipt_code,
    receipt_hash_needs_update,
    verify_receipt_code,
)
from crypto.codes import ALPHABET


@pytest.fixture
def production_parameters() -> Iterator[None]:
    configure_for_production()
    yield
    configure_for_tests()


def test_a_code_verifies_against_its_own_hash() -> None:
    code = new_receipt_code()

    assert verify_receipt_code(hash_receipt_code(code), code)


def test_verification_tolerates_how_the_citizen_types_the_code() -> None:
    code = new_receipt_code()
    stored = hash_receipt_code(code)

    assert verify_receipt_code(stored, code.lower())
    assert verify_receipt_code(stored, code.replace("-", " "))
    assert verify_receipt_code(stored, code.replace("-", ""))


def test_hashing_also_normalises_the_code() -> None:
    stored = hash_receipt_code("7k4m q2xh")

    assert verify_receipt_code(stored, "7K4M-Q2XH")


@settings(max_examples=50)
@given(other=st.text(alphabet=ALPHABET, min_size=8, max_size=8))
def test_another_code_does_not_verify(other: str) -> None:
    code = "7K4M-Q2XH"
    stored = hash_receipt_code(code)

    assert verify_receipt_code(stored, other) == (other == code.replace("-", ""))


@pytest.mark.parametrize("typed", ["", "7K4M", "not a code at all", "7K4M-Q2X0"])
def test_a_malformed_code_does_not_verify(typed: str) -> None:
    assert not verify_receipt_code(hash_receipt_code("7K4M-Q2XH"), typed)


@pytest.mark.parametrize(
    "stored", ["", "garbage", "$argon2id$v=19$m=8,t=1,p=1$broken", "7K4M-Q2XH"]
)
def test_a_corrupt_stored_hash_verifies_nothing_and_raises_nothing(stored: str) -> None:
    assert not verify_receipt_code(stored, "7K4M-Q2XH")


def test_the_hash_is_salted_argon2id_without_the_code_in_it() -> None:
    first, second = hash_receipt_code("7K4M-Q2XH"), hash_receipt_code("7K4M-Q2XH")

    assert first.startswith("$argon2id$")
    assert first != second
    assert "7K4M" not in first
    assert "Q2XH" not in first


def test_hash_refuses_something_that_is_not_a_receipt_code() -> None:
    with pytest.raises(ValueError, match="receipt code"):
        hash_receipt_code("OCS-1234")


@pytest.mark.usefixtures("production_parameters")
def test_production_parameters_are_argon2id_19_mib_2_passes() -> None:
    stored = hash_receipt_code("7K4M-Q2XH")

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_receipt_code(stored, "7K4M-Q2XH")
    assert not receipt_hash_needs_update(stored)


def test_a_hash_made_with_other_parameters_still_verifies_but_needs_an_update(
    production_parameters: None,
) -> None:
    configure_for_tests()
    cheap = hash_receipt_code("7K4M-Q2XH")
    configure_for_production()

    assert verify_receipt_code(cheap, "7K4M-Q2XH")
    assert receipt_hash_needs_update(cheap)
    assert receipt_hash_needs_update("garbage")
