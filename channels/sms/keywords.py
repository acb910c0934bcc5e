"""Whole-body keywords a reporter can send instead of a tip."""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class Keyword(StrEnum):
    STOP = "stop"
    HELP = "help"


_KEYWORDS = {
    "stop": Keyword.STOP,
    "arret": Keyword.STOP,
    "stopall": Keyword.STOP,
    "unsubscribe": Keyword.STOP,
    "aide": Keyword.HELP,
    "help": Keyword.HELP,
    "info": Keyword.HELP,
}


def keyword_of(body: str) -> Keyword | None:
    """The keyword when it is the whole body ("Arrêt", " STOP. "), else None."""
    folded = unicodedata.normalize("NFKD", body.strip().strip(".!").casefold())
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    return _KEYWORDS.get(bare)
