"""``decide``: one tip, one explainable decision. Pure: no I/O, no clock, no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from triage.abroad import from_abroad
from triage.categories import choose_category
from triage.cues import clause_ids
from triage.decision import Decision, RuleHit, TipText
from triage.evidence import Fired, Said, fire, said_by
from triage.flags import minor_age
from triage.matcher import Match
from triage.normalise import NormalisedText, tokenise
from triage.places import Mention, locate, scene
from triage.routing import AntennaStatus, route
from triage.ruleset import Ruleset
from triage.timing import imminent_cues
from triage.vocabulary import DG

__all__ = ["AntennaStatus", "decide"]

_QUIETING = ("habit", "past")
_NOT_ACTIONABLE = ("non_exploitable", "hors_competence")
# Evidence (first, order, rule, last) is quoted in the order of the text, then of the rules file.
_POSITION = itemgetter(0, 1)
# Fields of named tuples read by index in C (Python 3.11 reads them by name slowly: evidence.py).
_RULE_ID = itemgetter(0)  # RuleHit's rule
_FIRST_WORD = itemgetter(1)  # Mention's first
# A named tuple's own constructor is a Python function around tuple.__new__: called directly,
# the tuple costs a third as much, and a tip makes its reading and a hit per rule that fired.
_new = tuple.__new__


class _Evidence(NamedTuple):
    """A piece of the explanation: a rule and the words (first..last) that made it fire
    (a named tuple: laid out as the explanation sorts and reads it)."""

    first: int
    order: int
    rule: str
    last: int


class _Reading(NamedTuple):
    text: NormalisedText
    fired: list[Fired]
    said: Said
    mentions: list[Mention]
    computed: list[_Evidence]
    # A place abroad named as where something comes from, and how (a categories rule id).
    imported: tuple[Match, str] | None


def decide(
    tip: TipText, ruleset: Ruleset, *, antenna_status: Mapping[str, AntennaStatus] | None = None
) -> Decision:
    """Decide a tip. ``antenna_status`` overrides, per antenna code, whether it is operational
    and its fallback (the service's database); None keeps the gazetteer's defaults."""
    reading = _read(tip, ruleset)
    # Unpacked once: the fields of a named tuple are slow to read by name (see evidence.py).
    text, fired, said, mentions, _computed, imported = reading
    where = scene(mentions)
    form = _form_place(tip.place, ruleset) if where is None else None
    chosen = where or form
    place = ruleset.gazetteer.places[chosen.place] if chosen else None
    located = place is not None
    flags = _flags(reading)
    category, default_rule = choose_category(
        text,
        fired,
        said,
        located=located,
        flags=flags,
        imported=imported and imported[1],
        mentions=mentions,
        vague_places=ruleset.cues["vague_place"],
    )
    antenna, route_rules = route(category, flags, place, ruleset.gazetteer.antennas, antenna_status)
    priority, priority_rule = ruleset.priority.prioritise(category, flags, located=located)
    hits = _explanation(reading, category, default_rule)
    if imported is not None and default_rule == imported[1]:
        words = text.words(imported[0].first, imported[0].last)
        hits[-1] = RuleHit(default_rule, (words,))
    hits += _place_hit(text, where, tip.place if form else None)
    hits += map(_bare_hit, route_rules)  # mapped in C: no comprehension frame
    hits.append(_bare_hit(priority_rule))
    # In Decision's order (its keyword constructor is a Python call from C, once per tip):
    # category, substances, priority, flags, antenna, place, rules, rules version, hits, confident.
    decision = (
        category,
        tuple(sorted(said.substances)),
        priority,
        tuple(sorted(flags)),
        antenna,
        place.name if place else None,
        tuple(map(_RULE_ID, hits)),
        ruleset.version,
        tuple(hits),
        _confident(category, antenna, where, form),
    )
    return _new(Decision, decision)


def _read(tip: TipText, ruleset: Ruleset) -> _Reading:
    text = tokenise(tip.text)
    found = ruleset.matcher.find(text)
    mentions = locate(text, found, ruleset)
    place_words = {i for m in mentions for i in range(m.first, m.last + 1)}
    fired = fire(text, found, ruleset, place_words)
    said = said_by(fired)
    quiet = _quiet_sentences(text, fired, said)
    computed = [
        _new(_Evidence, (cue.first, -1, cue.rule, cue.last))
        for cue in imminent_cues(text, tip.received_at, quiet, place_words)
    ]
    age = minor_age(text)
    if age is not None:
        computed.append(_Evidence(age[0], -1, "flag.mineurs.age", age[1]))
    computed += [
        _new(_Evidence, (m.first, -1, "flag.frontiere.border_post", m.last))
        for m in mentions
        if ruleset.gazetteer.places[m.place].border
    ]
    imported = from_abroad(text, found.abroad, ruleset)
    return _new(_Reading, (text, fired, said, mentions, computed, imported))


def _quiet_sentences(text: NormalisedText, fired: Sequence[Fired], said: Said) -> set[int]:
    """Clauses with a habit or past cue: their days and clock times are not imminent."""
    if said.cues.isdisjoint(_QUIETING):
        return set()  # the usual case, told without a pass over the hits
    starts = [h.first for h in fired if h.rule.effect == "cue" and h.rule.value in _QUIETING]
    ids = clause_ids(text)
    return {ids[start] for start in starts}


def _flags(reading: _Reading) -> frozenset[str]:
    flags = set(reading.said.flags)
    for evidence in reading.computed:
        flags.add(evidence.rule.split(".")[1])
    return frozenset(flags)


def _form_place(field: str | None, ruleset: Ruleset) -> Mention | None:
    """The place field (web form, operator's entry), used only when the text names no place.

    The forms put the place picked from the list first, the free detail after, comma-separated.
    The first part that names a place routes, read alone so that a generic name ("Grand Marché,
    Bamako") does not yield to a town the detail names; a later part refines it only within the
    city of Bamako ("Bamako" and a quartier). So "Kayes, route de Ségou" stays a Kayes tip.
    """
    parts = [_places_in(part, ruleset) for part in (field or "").split(",")]
    named = [mentions for mentions in parts if mentions]
    if not named:
        return None
    chosen = scene(named[0])
    assert chosen is not None  # named[0] is not empty
    places = ruleset.gazetteer.places
    if places[chosen.place].kind != "city":
        return chosen
    within = (m for mentions in named[1:] for m in mentions if places[m.place].kind in _IN_THE_CITY)
    return next(within, chosen)


_IN_THE_CITY = frozenset({"bamako", "airport"})


def _places_in(part: str, ruleset: Ruleset) -> list[Mention]:
    if not part.strip():
        return []
    text = tokenise(part)
    found = locate(text, ruleset.matcher.find(text), ruleset, trusted=True)
    return sorted(found, key=_FIRST_WORD)


def _explanation(reading: _Reading, category: str, default_rule: str | None) -> list[RuleHit]:
    text, fired, _said, _mentions, computed, _imported = reading
    evidence = [
        (first, order, rule.id, last)
        for rule, first, last, order in fired  # unpacked: see evidence.py
        if category in rule.explained_in
    ]
    if computed:  # the fired hits alone are already in this order
        evidence += computed
        evidence.sort(key=_POSITION)
    source, _norms, spans, _capitalised, _all_caps = text
    # Each rule's words in the order of the text, each once (a dict keeps the first order).
    words: dict[str, dict[str, None]] = {}
    for first, _order, rule, last in evidence:
        words.setdefault(rule, {})[source[spans[first][0] : spans[last][1]]] = None
    hits = [_new(RuleHit, (rule, tuple(quoted))) for rule, quoted in words.items()]
    return hits + ([_bare_hit(default_rule)] if default_rule else [])


@lru_cache(maxsize=256)
def _bare_hit(rule: str) -> RuleHit:
    """A rule that quotes no words: the same frozen hit serves every tip it fires on."""
    return RuleHit(rule, ())


def _place_hit(text: NormalisedText, where: Mention | None, field: str | None) -> list[RuleHit]:
    if where is not None:
        rule = "place.fuzzy" if where.fuzzy else "place.text"
        return [_new(RuleHit, (rule, (text.words(where.first, where.last),)))]
    return [_new(RuleHit, ("place.form", (field,)))] if field else []


def _confident(category: str, antenna: str, where: Mention | None, form: Mention | None) -> bool:
    exact = (where is not None and not where.fuzzy) or (form is not None and not form.fuzzy)
    return category not in _NOT_ACTIONABLE and exact and antenna != DG
