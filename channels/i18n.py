"""Translation catalogue: French first, English alongside, Bambara where a string is provided.

Catalogues are JSON files named by language in ``channels/locales``; a key missing from a language
falls back to French, so a partial Bambara catalogue is fine.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DEFAULT_LANGUAGE = "fr"
LANGUAGES = ("fr", "en", "bm")
LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def catalogue(language: str) -> dict[str, str]:
    path = LOCALES_DIR / f"{language}.json"
    if language not in LANGUAGES or not path.exists():
        return {}
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def translate(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    text = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text
