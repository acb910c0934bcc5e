"""Every automatic SMS fits one GSM-7 segment, in every language it is written in: a citizen pays
for each segment, and « ê » or « ç » alone would turn 160 characters into 70."""

from __future__ import annotations

import json

import pytest

from channels.i18n import LOCALES_DIR
from channels.sms.segments import SEGMENT_CHARACTERS, fits_one_segment, gsm7_length

# Keys of texts sent by SMS without anyone typing them: replies to the reporter, chiefs' alerts.
_AUTOMATIC = ("sms.", "media.refused", "console.alert.sms")
# The longest values the placeholders take.
_WORST = {"reference": "OCS-XXXX-XXXX", "count": 9999, "urgent": 9999, "late": 9999}
_WORST_LIMIT = "1023,9 Mo"


def _automatic_texts() -> list[tuple[str, str, str]]:
    texts = []
    for path in sorted(LOCALES_DIR.glob("*.json")):
        catalogue = json.loads(path.read_text(encoding="utf-8"))
        for key, text in catalogue.items():
            if key.startswith(_AUTOMATIC):
                texts.append((path.stem, key, text.format(limit=_WORST_LIMIT, **_WORST)))
    return texts


def test_the_catalogue_has_automatic_sms_in_french_and_english() -> None:
    languages = {language for language, _, _ in _automatic_texts()}
    assert {"fr", "en"} <= languages


@pytest.mark.parametrize(("language", "key", "text"), _automatic_texts())
def test_each_automatic_sms_fits_one_gsm7_segment(language: str, key: str, text: str) -> None:
    length = gsm7_length(text)
    assert length is not None, f"{language} {key}: a character outside GSM-7 in {text!r}"
    assert length <= SEGMENT_CHARACTERS, f"{language} {key}: {length} characters"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("Référence à noter, où ?", 23),
        ("prix en € [x]", 16),  # the extension table counts twice
        ("reçu", None),
        ("être", None),
        ("l\u2019adresse", None),  # a typographic apostrophe
        ("OCS \u2013 aide", None),  # an en dash
    ],
)
def test_gsm7_length(text: str, length: int | None) -> None:
    assert gsm7_length(text) == length


def test_one_segment_is_160_gsm7_characters() -> None:
    assert fits_one_segment("a" * 160)
    assert not fits_one_segment("a" * 161)
    assert not fits_one_segment("ç")
