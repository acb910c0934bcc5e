"""From phrase matches to fired rules: longest phrase wins, negations, conditions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain
from operator import attrgetter, itemgetter
from typing import NamedTuple

from triage.cues import first_words, phrase_spans, words_before
from triage.matcher import Found
from triage.normalise import BREAK, NormalisedText
from triage.rulefile import Rule
from triage.ruleset import Ruleset

_NEGATION_WINDOW = 2
# A preposition negates only the noun it governs: "passent sans contrôle cette nuit" is tonight.
_NEGATES_NEXT_WORD = frozenset({"sans", "without"})
# French "ne" negates with a partner a few words on ("il ne vend plus", "ne le vend jamais").
# "ne ... que" counts too: what the verb does is only what follows ("les bus ne transportent que
# des passagers"), and a drug that follows is still named.
_NE_PARTNERS = frozenset(
    "pas jamais plus rien personne aucun aucune ni guere point nulle que qu".split()
)
_NE_PARTNER_WINDOW = 6
# Absence is "pas de": after "pas", a definite article names what exists and the verb before is
# denied ("vous n'arrêtez pas les jihadistes": there are jihadists); not after a copula.
_DEFINITE = frozenset({"le", "la", "les", "l"})
# How far a doubted clause reaches ("je ne pense pas qu'ils vendent de la drogue ici").
_DOUBTED_CLAUSE = 8
# "près de la gendarmerie": the landmark word may sit three words after the preposition.
_NOT_AFTER_WINDOW = 3
# "X est policier": X is the agent, whatever X is to the reporter.
_COPULAS = frozenset({"est", "sont", "etait", "etaient"})  # as normalised: no accents
# How far before an agent's word a phrase may start and still keep it: "ils payent le barrage de
# police", but not "le dealer qui vend du yamba à Banconi a été arrêté par la police".
_KEPT_BEFORE = 5
# "la douane de Kourémalé a saisi": the verb that makes an agent the seizer may come a few words
# after the agent.
_NOT_BEFORE_WINDOW = 8
# A contrast ends the words that may cancel: "la police a saisi ... mais les gendarmes protègent".
_CLAUSE_ENDS = frozenset({BREAK, "mais", "but"})
# After "mais", words that carry on the subject before it ("… mais l'ont relâché"); "les" and
# "leur" are left out, as they also begin a subject of their own ("mais les dealers paient").
_SAME_SUBJECT = frozenset({"l", "lui", "ont"})
_MIN_TYPO = 4
_NEGATABLE = ("category", "flag")
# A drug said to be absent: "pas de drogue ici", "aucune drogue", "sans yamba". Not "il ne fume
# pas le yamba, il le vend", where the verb is denied and the drug still named.
# The two words before, nearest first (``words_before``): "pas de", "jamais d'".
_ABSENT_AFTER = {("de", "pas"), ("d", "pas"), ("de", "jamais"), ("d", "jamais")}
_ABSENT_JUST_AFTER = {"aucun", "aucune", "sans", "no"}
_ABSENCE_WORDS = frozenset({pair[1] for pair in _ABSENT_AFTER} | _ABSENT_JUST_AFTER)
# Python 3.11 does not specialise reading a named tuple's field by name (each read takes the
# generic attribute look-up), while it does for a slots class such as Rule: in the loops run
# per hit, a hit's fields are unpacked or read by index (itemgetter) instead.
# Hits in the order of the text, then of the rules file: Fired's first and order.
_POSITION = itemgetter(1, 3)
_CONDITIONAL = attrgetter("rule.conditional")


# A named tuple's own constructor is a Python function around tuple.__new__: called directly,
# the tuple costs a third less, and a tip makes a hit per rule phrase found (and its summaries).
_new_hit = tuple.__new__


class Fired(NamedTuple):
    """One rule firing on the words first..last of the tip (a named tuple: tips create many)."""

    rule: Rule
    first: int
    last: int
    order: int  # the rule's place in the rules file, to break ties


class Said(NamedTuple):
    """What the fired rules say, by effect: the values of their substance, category, flag and
    cue rules (one pass over the hits that the category, flags and substances each read). The
    fields are in the order of the rules file's effects (``Rule.said``)."""

    substances: set[str]
    categories: set[str]
    flags: set[str]
    cues: set[str]


_SAID = attrgetter("rule.said")  # the effect's place in Said and the value, derived at load


def said_by(fired: Iterable[Fired]) -> Said:
    said = _new_hit(Said, (set(), set(), set(), set()))
    for slot, value in map(_SAID, fired):
        said[slot].add(value)
    return said


def fire(
    text: NormalisedText, found: Found, ruleset: Ruleset, place_words: set[int]
) -> list[Fired]:
    rules = ruleset.rules
    hits = [
        _new_hit(Fired, (rules[entry.ref], first, last, entry.ref))
        for first, last, entry in found.rules
        # A word read as a place is not also a word of a rule ("à San" is not "to buy").
        if not place_words or place_words.isdisjoint(range(first, last + 1))
    ]
    hits += _misspelt_drugs(text, found, ruleset, place_words)
    hits = _longest_per_group(hits)
    negations = _negations(text, ruleset)
    negated = bool(negations.after_negation or negations.before_negation or negations.absence_named)
    kept = []
    for hit in hits:
        rule = hit[0]
        # Without a negation or absence word in the tip, only a rule with context words may be
        # cancelled: most hits are kept without a call.
        if (negated or rule.in_context) and _cancelled(text, hit, negations):
            continue
        # The drugs are those named before any cancelling, as the drug-after test reads them.
        if not rule.drug_after or _drug_follows(text, hit, hits):
            kept.append(hit)
    return sorted(_conditions_hold(kept), key=_POSITION)


def _misspelt_drugs(
    text: NormalisedText, found: Found, ruleset: Ruleset, place_words: set[int]
) -> list[Fired]:
    """Words no phrase holds that are a letter or two from a drug's name ("canabiss")."""
    typos = ruleset.drug_typos
    # Words of the rules or common words are never typos: one set difference leaves the few
    # words worth a (cached) look-up.
    misspelt = {
        word: rule
        for word in typos.unknown(text.norms)
        if len(word) >= _MIN_TYPO and word.isalpha() and (rule := typos.find(word)) is not None
    }
    if not misspelt:
        return []
    matches = chain(found.rules, found.places, found.abroad)
    covered = {i for m in matches for i in range(m.first, m.last + 1)} | place_words
    return [
        Fired(ruleset.rules[misspelt[word]], index, index, misspelt[word])
        for index, word in enumerate(text.norms)
        if word in misspelt and index not in covered
    ]


def _longest_per_group(hits: list[Fired]) -> list[Fired]:
    """A hit inside a longer hit of the same group is the same words read less well:
    "chaque soir" is a habit, not a "soir"; "vente en gros" is wholesale, not retail."""
    # Containment is transitive: a hit inside any longer hit of its group is dropped.
    longer: dict[str, list[Fired]] = {}
    for hit in hits:
        rule, first, last, _order = hit
        if last > first:
            longer.setdefault(rule.group, []).append(hit)
    if not longer:
        return hits
    # Most groups have no hit of several words: their hits are kept without a call.
    return [
        hit
        for hit in hits
        if (rivals := longer.get(hit[0].group)) is None or not _shadowed(hit, rivals)
    ]


def _shadowed(hit: Fired, longer: list[Fired]) -> bool:
    """Whether a longer hit holds this one's words. A plain loop with the test inline: no
    generator frame, no call per pair."""
    _rule, first, last, _order = hit
    for _other, start, end, _ in longer:
        if start <= first and last <= end and end - start > last - first:
            return True
    return False


class _Negations(NamedTuple):
    after_negation: set[int]  # words up to two after "pas", "ne", "jamais"...
    before_negation: set[int]  # words just before an SMS "pas" ("il vend pas")
    absence_named: bool  # "pas", "aucune", "sans"…: a drug may be said to be absent


def _negations(text: NormalisedText, ruleset: Ruleset) -> _Negations:
    before = _single_words(ruleset.cues["negation_before"])
    after = _single_words(ruleset.cues["negation_after"])
    norms = text.norms
    found = _new_hit(_Negations, (set(), set(), not _ABSENCE_WORDS.isdisjoint(norms)))
    if before.isdisjoint(norms) and after.isdisjoint(norms):
        return found
    for index, word in enumerate(norms):
        if word in before and (word != "ne" or _partner_follows(norms, index)):
            window = 1 if word in _NEGATES_NEXT_WORD else _NEGATION_WINDOW
            for following in range(index + 1, min(index + 1 + window, len(norms))):
                if norms[following] == BREAK or _names_what_exists(norms, index, following):
                    break
                found.after_negation.add(following)
        if word in after:
            found.before_negation.add(index - 1)
    _negate_doubted_clauses(text, ruleset.cues["doubt_before"], found.after_negation)
    return found


def _partner_follows(norms: Sequence[str], index: int) -> bool:
    """Whether the "ne" at ``index`` negates: its partner ("pas", "jamais", "rien"…) follows
    in its clause. Without one it is Bambara's "I" ("ne dɔgɔcɛ bɛ yamba min", my little
    brother smokes yamba)."""
    for word in norms[index + 1 : index + 1 + _NE_PARTNER_WINDOW]:
        if word in _NE_PARTNERS:
            return True
        if word in _CLAUSE_ENDS:
            return False
    return False


def _names_what_exists(norms: Sequence[str], negation: int, following: int) -> bool:
    """Whether the negation at ``negation`` stops before word ``following``: "pas" then a
    definite article denies the verb, not the thing ("vous n'arrêtez pas les jihadistes"),
    unless it denies who it is ("ce ne sont pas les policiers")."""
    return (
        norms[negation] == "pas"
        and norms[following] in _DEFINITE
        and following == negation + 1
        and (negation == 0 or norms[negation - 1] not in _COPULAS)
    )


def _negate_doubted_clauses(
    text: NormalisedText, doubts: frozenset[tuple[str, ...]], negated: set[int]
) -> None:
    """A negated belief carries its negation into the clause it governs: in "je ne pense pas
    qu'ils vendent" the selling is denied, though "vendent" is three words past the "pas"."""
    for _first, after in phrase_spans(text, doubts):
        _negate_clause(text, after, negated)


def _negate_clause(text: NormalisedText, start: int, negated: set[int]) -> None:
    norms = text.norms
    for index in range(start, min(start + _DOUBTED_CLAUSE, len(norms))):
        if norms[index] in _CLAUSE_ENDS or (index > start and text.comma_before(index)):
            return
        negated.add(index)


@lru_cache(maxsize=64)
def _single_words(phrases: frozenset[tuple[str, ...]]) -> frozenset[str]:
    return frozenset(phrase[0] for phrase in phrases if len(phrase) == 1)


def _cancelled(text: NormalisedText, hit: Fired, negations: _Negations) -> bool:
    rule = hit.rule
    # Most rules have no context words: the context is read only for those that have.
    if (
        rule.in_context
        and _out_of_context(text, hit)
        and not (rule.kept_by and _kept(text, hit.first, rule.kept_by))
    ):
        return True
    if rule.names_drug:
        return negations.absence_named and _said_absent(text, hit.first)
    if rule.effect not in _NEGATABLE:
        return False
    return hit.first in negations.after_negation or hit.last in negations.before_negation


def _out_of_context(text: NormalisedText, hit: Fired) -> bool:
    """The words around say the rule's words mean something else: "près de la gendarmerie",
    "un ancien gendarme", "la douane a saisi"."""
    not_after, not_before = hit.rule.not_after, hit.rule.not_before
    if (
        not_after
        # Most hits have none of these words nearby: one set test rules them out.
        and not not_after.isdisjoint(text.norms[max(hit.first - _NOT_AFTER_WINDOW, 0) : hit.first])
        and any(w in not_after for w in _this_side_of_copula(text, hit.first))
    ):
        return True
    if not not_before:
        return False
    norms, firsts = text.norms, first_words(not_before)
    for start in range(hit.last + 1, min(hit.last + 1 + _NOT_BEFORE_WINDOW, len(norms))):
        word = norms[start]
        if word in _CLAUSE_ENDS:
            return False
        if word in firsts and _phrase_at(text, start, not_before):
            return True
    return False


def _this_side_of_copula(text: NormalisedText, index: int) -> tuple[str, ...]:
    """The few words before word ``index``, back to a copula at most: in "mon cousin qui est
    militaire" the cousin is the soldier, where "le cousin d'un militaire" is only his kin."""
    words = words_before(text, index, _NOT_AFTER_WINDOW)
    for position, word in enumerate(words):
        if word in _COPULAS:
            return words[: position + 1]
    return words


def _phrase_at(text: NormalisedText, start: int, phrases: tuple[tuple[str, ...], ...]) -> bool:
    norms = text.norms
    return any(norms[start : start + len(phrase)] == phrase for phrase in phrases)


def _kept(text: NormalisedText, index: int, phrases: tuple[tuple[str, ...], ...]) -> bool:
    """Whether a phrase that keeps a rule in context is said of the agent or service of word
    ``index``: in its clause, after it ("arrêté par la police, relâché contre de l'argent") or
    a few words before it ("ils payent le barrage de police"), not far back ("le dealer qui
    vend du yamba à Banconi a été arrêté par la police")."""
    norms = text.norms
    # The clause: the sentence cut at commas and "mais" ("Merci aux FAMa, que Dieu vous protège").
    since, start = max(index - _KEPT_BEFORE, 0), index
    while start > since and norms[start - 1] not in _CLAUSE_ENDS and not text.comma_before(start):
        start -= 1
    end = index + 1
    while end < len(norms) and not text.comma_before(end):
        if norms[end] in _CLAUSE_ENDS and not _same_subject_after(norms, end):
            break
        end += 1
    return any(_phrase_at(text, position, phrases) for position in range(start, end))


def _same_subject_after(norms: Sequence[str], index: int) -> bool:
    """Whether the clause goes on past "mais" at ``index`` with the same subject: an object
    pronoun or an auxiliary without a subject of its own ("les gendarmes ont arrêté le camion
    mais l'ont relâché contre de l'argent")."""
    return norms[index] == "mais" and index + 1 < len(norms) and norms[index + 1] in _SAME_SUBJECT


def _said_absent(text: NormalisedText, first: int) -> bool:
    before = words_before(text, first, 2)
    return before in _ABSENT_AFTER or (bool(before) and before[0] in _ABSENT_JUST_AFTER)


def _drug_follows(text: NormalisedText, hit: Fired, hits: Iterable[Fired]) -> bool:
    if not hit.rule.drug_after:
        return True
    end = hit.last + hit.rule.drug_after
    drugs = [other.first for other in hits if other.rule.names_drug]
    return any(
        hit.last < start <= end and BREAK not in text.norms[hit.last + 1 : start] for start in drugs
    )


@lru_cache(maxsize=1024)
def _compiled_names(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Names of rules as a set of ids and the prefixes of the ``family.*`` names."""
    exact = frozenset(name for name in names if not name.endswith(".*"))
    families = tuple(name[:-1] for name in names if name.endswith(".*"))
    return exact, families


def _conditions_hold(hits: list[Fired]) -> list[Fired]:
    """``needs`` and ``unless`` look at the rules that fired without conditions of their own,
    so the outcome never depends on the order of the rules in the file."""
    if not any(map(_CONDITIONAL, hits)):
        return hits
    base = {h.rule.id for h in hits if not h.rule.conditional}

    def named(names: tuple[str, ...]) -> bool:
        exact, families = _compiled_names(names)
        return not exact.isdisjoint(base) or any(
            rule_id.startswith(family) for family in families for rule_id in base
        )

    return [
        h
        for h in hits
        if (not h.rule.needs or named(h.rule.needs))
        and not (h.rule.unless and named(h.rule.unless))
    ]
