"""Phone normalisation and the blind index that threads a reporter's messages."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crypto import InvalidPhoneNumber, Keyring, Purpose, blind_index, blind_indexes, normalise_phone

MALIAN = "+22376123456"
malian_subscribers = st.from_regex(r"[5-9][0-9]{7}", fullmatch=True)


@pytest.mark.parametrize(
    "raw",
    [
        "+22376123456",
        "whatsapp:+223 76 12 34 56",
        "WhatsApp:+22376123456",
        "+223-76-12-34-56",
        "0022376123456",
        "00 223 76 12 34 56",
        "76123456",
        "76 12 34 56",
        " 76.12.34.56 ",
        "(+223) 76 12 34 56",
        "+223\u00a076\u00a012\u00a034\u00a056",
        "tel:+22376123456",
        "22376123456",
    ],
)
def test_every_way_of_writing_a_malian_number_gives_one_e164_and_one_index(
    keyring: Keyring, raw: str
) -> None:
    assert normalise_phone(raw) == MALIAN
    assert blind_index(keyring, normalise_phone(raw)) == blind_index(keyring, MALIAN)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("whatsapp:+2250701020304", "+2250701020304"),
        ("+1 (202) 555-0142", "+12025550142"),
    ],
)
def test_foreign_numbers_keep_their_country_code(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "whatsapp:",
        "+",
        "7612345",  # 7 digits
        "+3361234",  # 7 digits with a country code
        "+1234567890123456",  # 16 digits
        "76I23456",  # letter I for digit 1
        "seventy-six",
        "+223 76 12 34 5",  # Malian number one digit short
        "+223 76 12 34 56 7",  # Malian number one digit long
        "0612345678",  # French national format: no country code
        "+0612345678",
        "+223+76123456",
        "٧٦١٢٣٤٥٦",  # Arabic-Indic digits are not accepted silently
    ],
)
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(raw)


def _assert_message_hides(raw: str, error: InvalidPhoneNumber) -> None:
    message = str(error)
    digits = re.sub(r"\D", "", raw)
    assert not re.search(r"\d{4,}", message)
    if len(digits) >= 4:
        assert digits not in message
    if len(raw.strip()) >= 4:
        assert raw.strip() not in message
    # A chained exception would print the input in a traceback.
    assert error.__cause__ is None
    assert error.__context__ is None


@pytest.mark.parametrize("raw", ["7612345", "+2237612345", "+1234567890123456", "76I23456"])
def test_the_error_message_never_contains_the_number(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise_phone(raw)

    _assert_message_hides(raw, caught.value)


@given(raw=st.text(alphabet="0123456789+ -.()abcIO:", max_size=25))
def test_normalise_either_gives_e164_or_an_error_that_hides_the_input(raw: str) -> None:
    try:
        phone = normalise_phone(raw)
    except InvalidPhoneNumber as error:
        _assert_message_hides(raw, error)
    else:
        assert re.fullmatch(r"\+[1-9][0-9]{7,14}", phone)
        assert normalise_phone(phone) == phone


@given(subscriber=malian_subscribers)
def test_a_bare_8_digit_number_is_malian(subscriber: str) -> None:
    assert normalise_phone(subscriber) == f"+223{subscriber}"


def test_blind_index_is_a_hex_hmac_sha256_under_the_active_index_key(keyring: Keyring) -> None:
    secret = keyring.active(Purpose.INDEX).secret

    index = blind_index(keyring, MALIAN)

    assert re.fullmatch(r"[0-9a-f]{64}", index)
    assert index == hmac.new(secret, b"phone:" + MALIAN.encode(), hashlib.sha256).hexdigest()
    assert index != hmac.new(secret, MALIAN.encode(), hashlib.sha256).hexdigest()
    assert MALIAN[1:] not in index


def test_blind_index_does_not_use_the_identity_or_content_key(keyring: Keyring) -> None:
    index = blind_index(keyring, MALIAN)

    for purpose in (Purpose.IDENTITY, Purpose.CONTENT):
        secret = keyring.active(purpose).secret
        assert index != hmac.new(secret, b"phone:" + MALIAN.encode(), hashlib.sha256).hexdigest()


@given(first=malian_subscribers, second=malian_subscribers)
def test_different_numbers_get_different_indexes(keyring: Keyring, first: str, second: str) -> None:
    assume(first != second)

    assert blind_index(keyring, normalise_phone(first)) != blind_index(
        keyring, normalise_phone(second)
    )


def test_the_same_number_gets_another_index_under_another_keyring(keyring: Keyring) -> None:
    assert blind_index(keyring, MALIAN) != blind_index(Keyring.generate(), MALIAN)


@pytest.mark.parametrize("raw", ["76123456", "+223 76 12 34 56", "22376123456", "+2237612345"])
def test_blind_index_refuses_a_number_that_was_not_normalised(keyring: Keyring, raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        blind_index(keyring, raw)
    with pytest.raises(InvalidPhoneNumber):
        blind_indexes(keyring, raw)


def test_blind_indexes_cover_every_index_key_active_first(keyring: Keyring) -> None:
    rotated = keyring.rotated(Purpose.INDEX)

    indexes = blind_indexes(rotated, MALIAN)

    assert indexes == (blind_index(rotated, MALIAN), blind_index(keyring, MALIAN))
    assert blind_indexes(keyring, MALIAN) == (blind_index(keyring, MALIAN),)


def test_rotating_other_keys_does_not_change_the_index(keyring: Keyring) -> None:
    rotated = keyring.rotated(Purpose.IDENTITY).rotated(Purpose.CONTENT)

    assert blind_index(rotated, MALIAN) == blind_index(keyring, MALIAN)
