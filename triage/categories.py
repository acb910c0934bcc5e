"""The category: which activity the tip reports, or why it is not a drug matter to route."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

from triage.cues import Phrases, phrase_ids, phrase_spans
from triage.evidence import Fired, Said
from triage.normalise import BREAK, NormalisedText
from triage.places import Mention
from triage.vocabulary import ACTIVITY_PRECEDENCE

_NAMES_DRUG = attrgetter("rule.names_drug")
# Drugs from a place abroad ("la drogue du Ghana") are imported: trafic (triage.md).
IMPORTED = "cat.trafic.from_abroad"
# Drugs bought or fetched in another country, or taken or sent there ("il achète le yamba au
# Ghana", "ils l'emmènent en Guinée") cross the border: trafic, even when the tip goes on to say
# they are sold here.
ACROSS_BORDER = "cat.trafic.across_border"
# The statement of copied news or an official release, whose every sentence is copied.
_COPIED = "statement.press"
# Without a drug named, weapons or terrorists still make it a real report, just not ours.
_REAL_REPORT_FLAGS = frozenset({"armes", "terrorisme"})
_LONE_WORDS = 2
# Without a drug named, goods moved in bulk, carried or hidden are still a real report: smuggled
# or hidden goods are hors compétence whatever the goods are (triage.md).
_GOODS_RULES = frozenset(
    {
        "cat.trafic.bulk",
        "cat.trafic.depot",
        "cat.trafic.shed",
        "cat.trafic.transport",
        "cat.trafic.courier",
        "cat.trafic.pellets",
        "cat.trafic.hold",
    }
)


def is_drug_matter(fired: Sequence[Fired]) -> bool:
    return any(map(_NAMES_DRUG, fired))  # mapped in C: no generator frame per tip


def choose_category(
    text: NormalisedText,
    fired: Sequence[Fired],
    said: Said,
    *,
    located: bool,
    flags: frozenset[str] = frozenset(),
    imported: str | None = None,
    mentions: Sequence[Mention] = (),
    vague_places: Phrases = frozenset(),
) -> tuple[str, str | None]:
    """The category, and the id of the default rule that chose it when no cue rule did.
    ``said`` is what the fired rules say (``evidence.said_by``); ``imported``, how the drugs
    are said to come from abroad (``IMPORTED`` or ``ACROSS_BORDER``), if they are;
    ``mentions``, the places named, and ``vague_places``, the phrases of places the gazetteer
    cannot hold ("dans le quartier"): either may tell a report apart from the opinions."""
    if is_drug_matter(fired):
        opinion_only = _statement(said.cues, flags) and not _told_apart(
            text, fired, _wheres(text, mentions if located else (), vague_places)
        )
        return _drug_category(
            text, fired, said, located=located, opinion_only=opinion_only, imported=imported
        )
    if not located and _statement(said.cues, flags) and not _offence_told(text, fired):
        # Thanks or an opinion that names an offence reports none ("merci pour votre travail
        # contre l'argent sale"); an offence told outside it stays one ("on a volé ma moto,
        # c'est grave").
        return "non_exploitable", "cat.non_exploitable.statement"
    if "hors_competence" in said.categories:
        return "hors_competence", None
    if not located and _lone_word(text):
        return "non_exploitable", "cat.non_exploitable.lone_word"  # "armes!!" reports nothing
    if not _REAL_REPORT_FLAGS.isdisjoint(said.flags):
        return "hors_competence", "cat.hors_competence.not_drug"
    if any(_moves_goods(h) for h in fired):
        return "hors_competence", "cat.hors_competence.goods"
    if "non_exploitable" in said.categories:
        return "non_exploitable", None
    return "non_exploitable", "cat.non_exploitable.nothing"


def _moves_goods(hit: Fired) -> bool:
    return hit.rule.id in _GOODS_RULES or (hit.rule.effect == "cue" and hit.rule.value == "hidden")


def _drug_category(
    text: NormalisedText,
    fired: Sequence[Fired],
    said: Said,
    *,
    located: bool,
    opinion_only: bool,
    imported: str | None,
) -> tuple[str, str | None]:
    if opinion_only:
        return "non_exploitable", "cat.non_exploitable.statement"
    activities = said.categories
    if "blanchiment" in activities and _drugs_named_as_money_only(fired):
        return "blanchiment", None  # "il transporte une valise de cash, l'argent de la drogue"
    if imported == ACROSS_BORDER and "trafic" not in activities:
        return "trafic", ACROSS_BORDER
    if imported and not activities:
        return "trafic", IMPORTED  # drugs from abroad with no other activity stated
    for category in ACTIVITY_PRECEDENCE:
        if category in activities:
            return category, None
    if not located and _is_question(text, fired):
        return "non_exploitable", "cat.non_exploitable.question_only"
    if not located and _lone_word(text):
        return "non_exploitable", "cat.non_exploitable.lone_word"
    # triage.md: drugs said to be available somewhere, with no other activity, is sale.
    return "vente", "cat.vente.available"


def _drugs_named_as_money_only(fired: Sequence[Fired]) -> bool:
    """Whether every word that names a drug says where money comes from ("l'argent de la
    drogue", "cocaine money"), after what the tip says is moved, stored or bought: then that
    is the money ("il transporte une valise de cash, c'est l'argent de la drogue"). What is
    said after the money is of the drug ("l'argent du tramadol qu'il vend en gros")."""
    reaches = [
        (hit.first, hit.last + hit.rule.drug_after)
        for hit in fired
        if hit.rule.effect == "category" and hit.rule.value == "blanchiment"
    ]
    money_from = max(first for first, _last in reaches)
    return all(
        hit.first < money_from
        for hit in fired
        if hit.rule.effect == "category"
        and hit.rule.value in ACTIVITY_PRECEDENCE
        and hit.rule.value != "blanchiment"
    ) and all(
        any(first <= hit.first and hit.last <= last for first, last in reaches)
        for hit in fired
        if hit.rule.names_drug
    )


def _told_apart(text: NormalisedText, fired: Sequence[Fired], wheres: Sequence[int]) -> bool:
    """Whether the report stands apart from the opinions: words no opinion reaches tell an
    activity and name a place, of the gazetteer or a vague one at ``wheres`` ("À Gao un
    commerçant stocke la cocaïne dans son entrepôt. Je suis inquiet pour nos jeunes.", "ils
    vendent des comprimés dans le quartier, c'est devenu normal"). An opinion reaches from its
    clause, so an opinion that names a place tells no report ("La drogue détruit nos jeunes à
    Kayes"), while a report it follows stands ("les talibés sniffent la colle à Mopti c'est
    triste")."""
    told = _told_outside_opinions(text, fired)
    return any(told(where) for where in wheres) and _category_told(told, fired, ACTIVITY_PRECEDENCE)


def _wheres(text: NormalisedText, mentions: Sequence[Mention], vague: Phrases) -> list[int]:
    """The first words of the places named: of the gazetteer, or vague ones (looked for only
    here, where an opinion is in the tip)."""
    return [mention.first for mention in mentions] + [
        first for first, _after in phrase_spans(text, vague)
    ]


def _offence_told(text: NormalisedText, fired: Sequence[Fired]) -> bool:
    """Whether an offence outside the office's remit is told in words no opinion reaches."""
    return _category_told(_told_outside_opinions(text, fired), fired, ("hors_competence",))


def _category_told(
    told: Callable[[int], bool], fired: Sequence[Fired], categories: Sequence[str]
) -> bool:
    """Whether a rule of one of the categories fired on words ``told`` holds."""
    return any(
        hit.rule.effect == "category" and hit.rule.value in categories and told(hit.first)
        for hit in fired
    )


def _told_outside_opinions(text: NormalisedText, fired: Sequence[Fired]) -> Callable[[int], bool]:
    """Whether word ``index`` lies outside every opinion's reach: an opinion reaches from its
    first word to the end of its clause; copied news reaches the whole text."""
    statements = [hit for hit in fired if hit.rule.group == "statement"]
    if any(hit.rule.id == _COPIED for hit in statements):
        return lambda _index: False  # copied news: its sentences are all the paper's
    ids = phrase_ids(text)
    opinion_from: dict[int, int] = {}  # clause -> its first word an opinion reaches
    for hit in statements:
        opinion_from[ids[hit.first]] = min(hit.first, opinion_from.get(ids[hit.first], hit.first))

    def told(index: int) -> bool:
        return index < opinion_from.get(ids[index], index + 1)

    return told


def _statement(cues: set[str], flags: frozenset[str]) -> bool:
    """A press statement, an opinion or a question about the service names drugs without
    reporting anything: unless a concrete report or an imminent event is in it too."""
    return "statement" in cues and "report" not in cues and "imminent" not in flags


def _lone_word(text: NormalisedText) -> bool:
    return sum(1 for word in text.norms if word != BREAK) <= _LONE_WORDS


def _is_question(text: NormalisedText, fired: Sequence[Fired]) -> bool:
    return "?" in text.source or any(h.rule.id == "cat.non_exploitable.question" for h in fired)
