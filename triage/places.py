"""Finding the places a tip names, and which of them is the scene rather than a destination."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress, pairwise
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz.distance import OSA

from triage.cues import ends_before, sentence_ids, starts_after
from triage.gazetteer import Place
from triage.matcher import Found, Match
from triage.normalise import BAMBARA_LETTERS, BREAK, NormalisedText, normalise_text
from triage.ruleset import Ruleset

_ROUTE_CUES = (
    "destination_before",
    "arrival_before",
    "origin_named_before",
    "origin_before",
    "route_to",
)
# "Missira, à Kita", "Hamdallaye de Mopti", "Tiélé, dans la région de Ségou": the words that may
# stand between a name and the town or region that says where it is.
_QUALIFYING_GAP = frozenset(
    {"a", "au", "de", "d", "du", "dans", "en", "la", "le", "l", "region", "cercle", "commune",
     "ville", "prefecture", "quartier"}
)  # fmt: skip
_ADMINISTRATIVE = frozenset({"region", "cercle", "commune", "ville", "prefecture"})
_MAX_QUALIFYING_GAP = 4
_MIN_SECOND_WORD = 3
_MIN_TYPO = 4  # shorter words are never tried as a misspelt name
# Mention's first word, read in C: neither a call back into Python nor a read of a named
# tuple's field by name (slow in Python 3.11, see evidence.py).
_FIRST_WORD = itemgetter(1)
# A named tuple's own constructor is a Python function around tuple.__new__: called directly,
# the tuple costs a third as much, and every tip makes one per place it names.
_new = tuple.__new__


class Mention(NamedTuple):
    """A place named at the words first..last (a named tuple: tips create many)."""

    place: int  # index into the gazetteer's places
    first: int
    last: int
    fuzzy: bool = False
    destination: bool = False
    bare_noun: bool = False  # named by a common noun ("l'aéroport"), not by its name


def locate(
    text: NormalisedText, found: Found, ruleset: Ruleset, *, trusted: bool = False
) -> list[Mention]:
    """The places named, in the order of the text. ``trusted`` text is a place field: every
    name in it is meant as a place, so short names need no locative cue."""
    # A group named after a region ("katiba Macina") names no place; nor do the words of a
    # place abroad ("venant de Tamale", "Nioro du Rip").
    held = {index for first, last, _entry in found.holding for index in range(first, last + 1)}
    places = [m for m in found.places if not (held and _within(m, held))]
    exact = _longest(places, ruleset)
    mentions = [m for m in exact if trusted or _stands_as_place(text, m, ruleset)]
    mentions += _typos(text, _claimed(exact) | held, ruleset, trusted=trusted)
    if found.abroad:
        mentions = [m for m in mentions if not _abroad_part(text, m, found.abroad, ruleset)]
    if len(mentions) < 2:
        return mentions  # one place is the scene whatever its role
    mentions.sort(key=_FIRST_WORD)
    kept = _drop_qualified(text, _drop_yielding(text, mentions, ruleset), ruleset)
    return _mark_destinations(text, kept, ruleset)


def _abroad_part(
    text: NormalisedText, mention: Mention, abroad: Sequence[Match], ruleset: Ruleset
) -> bool:
    """A Bamako name, the airport or a landmark many towns share, of a town abroad: "le grand
    marché de Dakar", "l'aéroport de Lomé", "à Hamdallaye à Conakry". Not an origin: "de
    Hamdallaye à Conakry" goes from Bamako. A town of a country abroad, spelt like a Malian
    one: "de Koro en Côte d'Ivoire", "arrivés de Kayes, au Congo-Brazzaville" (with the comma:
    "de Kayes au Sénégal" is a route)."""
    place = ruleset.gazetteer.places[mention.place]
    town = place.kind not in ("bamako", "airport") and not mention.bare_noun
    for first, _last, _entry in abroad:
        gap = text.norms[mention.last + 1 : first]
        if not 0 < len(gap) <= 1:
            continue
        if town:
            # "en" names a country's inside; "au" may also end a route ("de Kayes au Sénégal").
            if gap == ("en",) or (
                gap[0] in _IN_COUNTRY and "," in text.between(mention.last, first)
            ):
                return True
        elif set(gap) <= _OF_OR_AT:
            return gap == ("de",) or not ends_before(text, mention.first, _ORIGIN)
    return False


_OF_OR_AT = frozenset({"de", "d", "du", "a", "au"})
_IN_COUNTRY = frozenset({"au", "en", "aux"})


def _within(match: Match, held: set[int]) -> bool:
    first, last, _entry = match
    return held.issuperset(range(first, last + 1))


def _longest(matches: list[Match], ruleset: Ruleset) -> list[Mention]:
    """Overlapping names: the longest wins ("Bamako Coura" over "Bamako", "aéroport de Sénou"
    over "Sénou"); a look-alike never takes words another name already holds."""
    taken: set[int] = set()
    mentions: list[Mention] = []
    # Most tips name one place: no key computed (a call back into Python each) to sort one.
    ordered = sorted(matches, key=_longest_first) if len(matches) > 1 else matches
    for first, last, entry in ordered:
        words = set(range(first, last + 1))
        if not words & taken:
            taken |= words
            variant = ruleset.gazetteer.variants[entry.ref]
            # In Mention's order: place, first, last, fuzzy, destination, bare noun.
            mention = (variant.place, first, last, False, False, variant.generic)
            mentions.append(_new(Mention, mention))
    return mentions


def _longest_first(match: Match) -> tuple[int, int]:
    return match.first - match.last, match.first


def _claimed(mentions: Iterable[Mention]) -> set[int]:
    return {index for m in mentions for index in range(m.first, m.last + 1)}


def _stands_as_place(text: NormalisedText, mention: Mention, ruleset: Ruleset) -> bool:
    if not ruleset.gazetteer.places[mention.place].ambiguous:
        return True
    word, norms = text.norms[mention.first], text.norms
    if (
        word
        in norms[mention.first - 1 : mention.first] + norms[mention.last + 1 : mention.last + 2]
    ):
        return False  # "bla bla": a word said twice is no place
    start, end = text.spans[mention.first][0], text.spans[mention.last][1]
    if not BAMBARA_LETTERS.isdisjoint(text.source[start:end].lower()):
        return False  # "sugu kɔrɔ la" is the old market: the gazetteer writes Koro in French
    return _place_cue(text, mention.first, mention.last, ruleset)


def _place_cue(text: NormalisedText, first: int, last: int, ruleset: Ruleset) -> bool:
    """A word is read as a place after a locative ("à Koro", "taa Boni"), before a Bambara
    postposition ("Gao la"), as a "Name:" heading, or capitalised mid-sentence."""
    cues = ruleset.cues
    skip = cues["skip_before_place"]
    if ends_before(text, first, cues["locative_before"], skip) and not ends_before(
        text, first, cues["not_locative"], skip
    ):
        return True
    if starts_after(text, last, cues["locative_after"]):
        return True
    if text.sentence_start(first):
        # A heading: "Koro: …", or a town and then its quartier ("Sikkasso quartier Wayerma").
        heading = text.colon_after(last) or text.norms[last + 1 : last + 2] == ("quartier",)
        return first == 0 and heading
    return text.capitalised[first] and not text.all_caps


def _typos(
    text: NormalisedText, claimed: set[int], ruleset: Ruleset, *, trusted: bool
) -> list[Mention]:
    """Words no rule knows and no place holds exactly, tried as typos of a place name."""
    # Most tips have no such word: one set difference over the tip's distinct words tells.
    strangers = {
        word
        for word in ruleset.fuzzy.unknown(text.norms)
        if len(word) >= _MIN_TYPO and word.isalpha()
    }
    if not strangers:
        return []
    # The strangers' positions picked in C (compress), without a Python step per word.
    at_strangers = compress(range(len(text.norms)), map(strangers.__contains__, text.norms))
    unknown = [index for index in at_strangers if index not in claimed]
    found: list[Mention] = []
    for index in unknown:
        if found and index <= found[-1].last:
            continue
        mention = _typo_at(text, index, claimed, ruleset, trusted=trusted)
        if mention is not None:
            found.append(mention)
    return found


def _typo_at(
    text: NormalisedText, index: int, claimed: set[int], ruleset: Ruleset, *, trusted: bool
) -> Mention | None:
    norms = text.norms
    if norms[index] in norms[index - 1 : index] + norms[index + 1 : index + 2]:
        return None  # "Founou-Founou": a word said twice is no place
    candidates = [(index, norms[index])]
    after = index + 1
    if (
        after < len(norms)
        and after not in claimed
        and norms[after].isalpha()
        # "maïs à", "coin a": a name's second word is a word of its own, not "à" or "de".
        and len(norms[after]) >= _MIN_SECOND_WORD
    ):
        # Two words first: "Kalaban Koira" is one name.
        candidates.insert(0, (after, norms[index] + norms[after]))
    for last, spelling in candidates:
        place = ruleset.fuzzy.find(spelling)
        if place is not None and (
            trusted
            or _place_cue(text, index, last, ruleset)
            or _leads(text, index, spelling, ruleset.gazetteer.places[place].name)
        ):
            return Mention(place, index, last, fuzzy=True)
    return None


def _leads(text: NormalisedText, index: int, spelling: str, name: str) -> bool:
    """A capitalised name a letter off as the tip's first word says where it happens, as a
    heading without its colon ("Sikkasso cocaine be feere", "Bougoni camion do…"). One letter
    only: a first name two letters from a place ("Toumani", Tamani) is the usual first word."""
    return (
        index == 0
        and text.capitalised[0]
        and not text.all_caps
        and OSA.distance(spelling, normalise_text(name).replace(" ", ""), score_cutoff=1) <= 1
    )


def _drop_yielding(
    text: NormalisedText, mentions: list[Mention], ruleset: Ruleset
) -> list[Mention]:
    """Names that give way to a more precise one in the same tip."""
    places = ruleset.gazetteer.places
    kinds = {places[m.place].kind for m in mentions}
    towns = [m for m in mentions if places[m.place].kind == "locality"]
    inner_bamako = bool(kinds & {"bamako", "airport"})
    kept = []
    for mention in mentions:
        place = places[mention.place]
        if place.kind == "city" and inner_bamako:
            continue  # "Bamako, quartier Banconi" is Banconi
        if place.generic and any(_town_of(text, mention, town) for town in towns):
            continue  # "le grand marché de Sikasso" is Sikasso
        if place.kind == "airport" and _other_airport(text, mention, mentions, places):
            continue  # "l'aéroport de Gao" is Gao
        kept.append(mention)
    return kept


def _town_of(text: NormalisedText, landmark: Mention, town: Mention) -> bool:
    """Whether a landmark many towns share is the town's: the town is named before it ("à
    Sikasso. Au grand marché…") or after it in its sentence ("le grand marché de Sikasso"). A
    town named in a later sentence is someone's, not the landmark's ("…au Grand Marché. Un
    homme de Kati vient chaque mois")."""
    return town.first < landmark.first or BREAK not in text.norms[landmark.last + 1 : town.first]


def _drop_qualified(
    text: NormalisedText, mentions: list[Mention], ruleset: Ruleset
) -> list[Mention]:
    """A name qualified by the town or region after it is the place there: "Missira, à Kita"
    is in Kita, not Bamako's Missira; "Légal Ségou, à Kayes" is in Kayes."""
    places = ruleset.gazetteer.places
    dropped: set[int] = set()
    for name, town in pairwise(mentions):
        here = places[name.place]
        if places[town.place].kind != "locality" or not _qualifies(
            text, name, town, bamako=here.kind == "bamako"
        ):
            continue
        if here.kind == "bamako" or (
            here.kind == "locality" and here.antenna != places[town.place].antenna
        ):
            dropped.add(id(name))
    return [m for m in mentions if id(m) not in dropped]


def _qualifies(text: NormalisedText, name: Mention, town: Mention, *, bamako: bool) -> bool:
    gap = text.norms[name.last + 1 : town.first]
    if len(gap) > _MAX_QUALIFYING_GAP or BREAK in gap or not set(gap) <= _QUALIFYING_GAP:
        return False
    if text.norms[town.last + 1 : town.last + 2] == ("et",):
        return False  # a list: "à Banconi, à Kati et à Ségou"
    between = text.between(name.last, town.first)
    return (
        "," in between
        or "(" in between
        or bool(set(gap) & _ADMINISTRATIVE)
        or (bamako and _quartier_of_town(text, name, gap))
    )


def _quartier_of_town(text: NormalisedText, name: Mention, gap: tuple[str, ...]) -> bool:
    """A Bamako name then a town, with no comma: "le quartier Missira de Kita", "vend à
    Missira à Kita", "Hamdallaye à Ségou: …" leading a sentence. Not a route: "de Missira à
    Kita" goes from Bamako to Kita."""
    quartier = ends_before(text, name.first, _QUARTIER)
    origin = not quartier and ends_before(text, name.first, _ORIGIN)
    if gap in (("de",), ("du",), ("d",)):
        return not origin
    return gap == ("a",) and (
        quartier or ends_before(text, name.first, _AT) or text.sentence_start(name.first)
    )


_ORIGIN: frozenset[tuple[str, ...]] = frozenset({("de",), ("du",), ("d",), ("depuis",)})
# A part of a town before the name: "le quartier de Missira", "le marché de Bozola à Ségou".
_PARTS_OF_TOWN = ("quartier", "marche", "gare", "lycee", "ecole", "mosquee", "cite", "stade")
_QUARTIER: frozenset[tuple[str, ...]] = frozenset(
    (part, *of) for part in _PARTS_OF_TOWN for of in ((), ("de",), ("du",), ("d",))
)
_AT: frozenset[tuple[str, ...]] = frozenset({("a",), ("au",), ("dans",)})


def _other_airport(
    text: NormalisedText, airport: Mention, mentions: Sequence[Mention], places: Sequence[Place]
) -> bool:
    if not airport.bare_noun:
        return False
    for other in mentions:
        gap = text.norms[airport.last + 1 : other.first]
        if other.first > airport.last and len(gap) <= 1 and set(gap) <= {"de", "d", "of"}:
            return places[other.place].kind == "locality"
    return False


def _mark_destinations(
    text: NormalisedText, mentions: list[Mention], ruleset: Ruleset
) -> list[Mention]:
    cues = {name: ruleset.cues[name] for name in _ROUTE_CUES}
    skip = ruleset.cues["skip_before_place"]
    sentence = sentence_ids(text) if len(mentions) > 1 else ()
    marked: list[Mention] = []
    origins = [m for m in mentions if ends_before(text, m.first, cues["origin_named_before"], skip)]
    for m in mentions:
        destination = ends_before(text, m.first, cues["destination_before"], skip) or (
            any(origin is not m for origin in origins)
            and ends_before(text, m.first, cues["arrival_before"], skip)
        )
        previous = marked[-1] if marked else None
        if (
            not destination
            and previous is not None
            and sentence[previous.first] == sentence[m.first]
        ):
            # "de X à Y": Y is where the drugs go, X where they are.
            destination = (
                ends_before(text, m.first, cues["route_to"], skip)
                and not previous.destination
                and ends_before(text, previous.first, cues["origin_before"], skip)
            )
        # Mentions arrive unmarked: only a destination needs a new one.
        marked.append(
            Mention(m.place, m.first, m.last, m.fuzzy, True, m.bare_noun) if destination else m
        )
    return marked


def scene(mentions: Sequence[Mention]) -> Mention | None:
    """The place that routes: the first that is not a destination, else the first named."""
    for mention in mentions:
        if not mention.destination:
            return mention
    return mentions[0] if mentions else None
