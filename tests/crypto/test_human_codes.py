"""References, receipt codes and pseudonyms: format, tolerance, the reference check character."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import (
    new_pseudonym,
    new_receipt_code,
    new_reference,
    normalise_receipt_code,
    normalise_reference,
)
from crypto.codes import ALPHABET

CHAR = f"[{ALPHABET}]"
payloads = st.text(alphabet=ALPHABET, min_size=7, max_size=7)


def _valid_check_chars(payload: str) -> list[str]:
    return [c for c in ALPHABET if normalise_reference(payload + c) is not None]


@st.composite
def references(draw: st.DrawFn) -> str:
    """Valid reference bodies (8 characters), found through the public normaliser only."""
    payload = draw(payloads.filter(lambda p: len(_valid_check_chars(p)) == 1))
    return payload + _valid_check_chars(payload)[0]


def test_alphabet_has_no_ambiguous_characters() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 30
    assert not set(ALPHABET) & set("0O1ILU")
    assert ALPHABET == ALPHABET.upper()
    assert ALPHABET.isalnum()


def test_new_reference_has_the_announced_format_and_is_valid() -> None:
    for _ in range(300):
        reference = new_reference()

        assert re.fullmatch(f"OCS-{CHAR}{{4}}-{CHAR}{{4}}", reference)
        assert normalise_reference(reference) == reference


def test_new_references_do_not_repeat() -> None:
    assert len({new_reference() for _ in range(2000)}) == 2000


@given(payload=payloads)
def test_a_payload_has_at_most_one_valid_check_character(payload: str) -> None:
    assert len(_valid_check_chars(payload)) <= 1


@given(body=references())
def test_every_single_substitution_is_caught(body: str) -> None:
    for position in range(len(body)):
        for replacement in ALPHABET.replace(body[position], ""):
            typo = body[:position] + replacement + body[position + 1 :]
            assert normalise_reference(typo) is None, (body, typo)


@given(body=references())
def test_every_adjacent_transposition_is_caught(body: str) -> None:
    for position in range(len(body) - 1):
        first, second = body[position], body[position + 1]
        if first != second:
            swapped = body[:position] + second + first + body[position + 2 :]
            assert normalise_reference(swapped) is None, (body, swapped)


def test_substitutions_and_transpositions_are_caught_on_many_fresh_references() -> None:
    for _ in range(100):
        body = new_reference().replace("OCS-", "").replace("-", "")
        for position in range(8):
            for replacement in ALPHABET.replace(body[position], ""):
                assert (
                    normalise_reference(body[:position] + replacement + body[position + 1 :])
                    is None
                )
            if position < 7 and body[position] != body[position + 1]:
                swapped = (
                    body[:position] + body[position + 1] + body[position] + body[position + 2 :]
                )
                assert normalise_reference(swapped) is None


@pytest.mark.parametrize(
    "variant",
    [
        "OCS-{a}-{b}",
        "ocs-{a}-{b}",
        "{a}-{b}",
        "{a}{b}",
        "ocs{a}{b}",
        "OCS {a} {b}",
        "  ocs - {a} - {b}  ",
        "OCS.{a}.{b}",
        "0CS-{a}-{b}",
        "ocs_{a}_{b}",
    ],
)
def test_normalise_reference_tolerates_how_citizens_type_it(variant: str) -> None:
    reference = new_reference()
    a, b = reference[4:8], reference[9:13]

    typed = variant.format(a=a, b=b)

    assert normalise_reference(typed) == reference
    assert normalise_reference(typed.lower()) == reference


def test_normalise_reference_refuses_what_is_not_a_reference() -> None:
    reference = new_reference()
    body = reference[4:8] + reference[9:13]

    assert normalise_reference("") is None
    assert normalise_reference("OCS-") is None
    assert normalise_reference(body[:7]) is None
    assert normalise_reference(body + body[0]) is None
    assert normalise_reference("XYZ" + body) is None
    assert normalise_reference("O" + body[1:]) is None  # O is never in a reference
    assert normalise_reference(reference.replace("-", "+")) is None


def test_new_receipt_code_has_the_announced_format() -> None:
    codes = {new_receipt_code() for _ in range(1000)}

    assert len(codes) == 1000
    for code in codes:
        assert re.fullmatch(f"{CHAR}{{4}}-{CHAR}{{4}}", code)
        assert normalise_receipt_code(code) == code


@given(code=st.text(alphabet=ALPHABET, min_size=8, max_size=8))
def test_normalise_receipt_code_tolerates_case_and_separators(code: str) -> None:
    canonical = f"{code[:4]}-{code[4:]}"

    assert normalise_receipt_code(code) == canonical
    assert normalise_receipt_code(code.lower()) == canonical
    assert normalise_receipt_code(f" {code[:4].lower()} {code[4:]} ") == canonical
    assert normalise_receipt_code(f"{code[:2]}.{code[2:6]}-{code[6:]}") == canonical


@pytest.mark.parametrize(
    "typed",
    ["", "7K4M-Q2X", "7K4M-Q2XHH", "7K4M-Q2X0", "7K4M-Q2XO", "1K4M-Q2XH", "UK4M-Q2XH", "7K4M Q2X!"],
)
def test_normalise_receipt_code_refuses_what_cannot_be_a_receipt_code(typed: str) -> None:
    assert normalise_receipt_code(typed) is None


def test_new_pseudonym_has_the_announced_format() -> None:
    pseudonyms = {new_pseudonym() for _ in range(200)}

    assert len(pseudonyms) == 200  # 7.3e8 values: a repeat in 200 draws would be a bug
    for pseudonym in pseudonyms:
        assert re.fullmatch(f"SRC-{CHAR}{{6}}", pseudonym)


def test_code_characters_are_drawn_uniformly_over_the_alphabet() -> None:
    drawn = Counter("".join(new_pseudonym()[4:] for _ in range(10_000)))

    expected = 60_000 / 30
    assert set(drawn) == set(ALPHABET)
    # A modulo bias would make 16 characters 1/15 more likely than the other 14: far outside
    # these bounds (about 5 standard deviations each side).
    assert all(abs(count - expected) < 0.12 * expected for count in drawn.values())
    low = sum(drawn[char] for char in ALPHABET[:16]) / 16
    high = sum(drawn[char] for char in ALPHABET[16:]) / 14
    assert abs(low - high) < 0.03 * expected
