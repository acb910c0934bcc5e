"""The gazetteer file: antennas, the places each covers, and every way tips spell a place."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from triage.rulefile import phrase_of
from triage.vocabulary import DG
from triage.yamlnodes import NodeReader

_BANKS = ("rive_gauche", "rive_droite")
_PLACE_KEYS = {"name", "variants", "border", "ambiguous", "generic", "fuzzy", "note"}
_ANTENNA_KEYS = {
    "code",
    "name",
    "seat",
    "operational",
    "fallback",
    "regions",
    "bamako_bank",
    "airport",
    "note",
}


@dataclass(frozen=True, slots=True)
class Antenna:
    code: str
    name: str
    operational: bool
    fallback: str | None


@dataclass(frozen=True, slots=True)
class Place:
    """A locality, a Bamako quartier or landmark, the airport, or the city of Bamako."""

    name: str  # as written in the gazetteer; this is what a decision reports
    kind: str  # locality | bamako | airport | city
    antenna: str  # the antenna covering it before any hand-over
    border: bool = False  # a border post (marked * in the routing reference)
    ambiguous: bool = False  # also an ordinary word: needs a locative cue
    generic: bool = False  # a name many towns share ("grand marché"): yields to a named town
    fuzzy: bool = True  # may be found through a typo


@dataclass(frozen=True, slots=True)
class Variant:
    phrase: str  # normalised
    place: int
    generic: bool  # a bare common noun standing for the place ("aéroport")


@dataclass(frozen=True, slots=True)
class Gazetteer:
    antennas: dict[str, Antenna]
    places: tuple[Place, ...]
    variants: tuple[Variant, ...]
    common_words: frozenset[str]
    # Places of other countries ("Lomé", "Tamale", "Nioro du Rip"): their words name no place
    # in Mali, even where a Malian name is spelt alike.
    abroad: tuple[str, ...] = ()

    @property
    def abroad_words(self) -> frozenset[str]:
        return frozenset(word for phrase in self.abroad for word in phrase.split(" "))

    def lookup(self, phrase: str) -> int | None:
        """The place a normalised phrase names exactly, if any."""
        return self._by_phrase().get(phrase)

    def _by_phrase(self) -> dict[str, int]:
        return {variant.phrase: variant.place for variant in self.variants}


class _Builder:
    def __init__(self, reader: NodeReader) -> None:
        self.reader = reader
        self.places: list[Place] = []
        self.variants: list[Variant] = []
        self.owner: dict[str, str] = {}
        self.taken: set[str] = set()

    def add(self, place: Place, names: list[tuple[str, yaml.Node]], generic: set[str]) -> None:
        if any(known.name == place.name for known in self.places):
            raise self.reader.error(names[0][1], f"'{place.name}' is listed twice")
        index = len(self.places)
        self.places.append(place)
        for text, node in names:
            phrase = phrase_of(self.reader, text, node)
            for form in _forms(phrase):
                owner = self.owner.setdefault(form, place.name)
                if owner != place.name:
                    raise self.reader.error(node, f"'{text}' already names {owner}")
                if form not in self.taken:
                    self.taken.add(form)
                    self.variants.append(Variant(form, index, phrase in generic))


def _forms(phrase: str) -> list[str]:
    # "Kalaban Coura" is also written "Kalabancoura"; hyphens are spaces after normalisation.
    words = phrase.split(" ")
    joined = "".join(words)
    return [phrase, joined] if len(words) == 2 and joined.isalpha() else [phrase]


def read_gazetteer(reader: NodeReader) -> Gazetteer:
    top = reader.mapping(
        reader.root,
        allowed={"antennas", "city", "airport", "regions", "bamako", "common_words", "abroad"},
        required=frozenset({"antennas", "city", "airport", "regions", "bamako"}),
    )
    antennas, coverage = _antennas(reader, top["antennas"])
    builder = _Builder(reader)
    _special(builder, top["city"], kind="city", antenna=DG)
    _special(builder, top["airport"], kind="airport", antenna=coverage["airport"])
    _regions(builder, top["regions"], coverage)
    _bamako(builder, top["bamako"], coverage)
    common = top.get("common_words")
    words = [] if common is None else reader.strings(common)
    return Gazetteer(
        antennas=antennas,
        places=tuple(builder.places),
        variants=tuple(builder.variants),
        common_words=frozenset(phrase_of(reader, text, node) for text, node in words),
        abroad=_abroad(builder, top.get("abroad")),
    )


def _abroad(builder: _Builder, node: yaml.Node | None) -> tuple[str, ...]:
    reader = builder.reader
    names = []
    for text, at in _list(reader, node):
        phrase = phrase_of(reader, text, at)
        if phrase in builder.owner:
            raise reader.error(at, f"'{text}' already names {builder.owner[phrase]} in Mali")
        names.append(phrase)
    return tuple(dict.fromkeys(names))


def _antennas(reader: NodeReader, node: yaml.Node) -> tuple[dict[str, Antenna], dict[str, str]]:
    antennas: dict[str, Antenna] = {}
    coverage: dict[str, str] = {}
    fallbacks: list[tuple[str, yaml.Node]] = []
    for item in reader.sequence(node, non_empty="no antennas"):
        entries = reader.mapping(
            item, allowed=_ANTENNA_KEYS, required=frozenset({"code", "operational"})
        )
        code = reader.string(entries["code"])
        if code in antennas:
            raise reader.error(entries["code"], f"antenna '{code}' is listed twice")
        fallback = reader.string(entries["fallback"]) if "fallback" in entries else None
        if fallback is not None:
            fallbacks.append((fallback, entries["fallback"]))
        name = reader.string(entries["name"]) if "name" in entries else code
        antennas[code] = Antenna(code, name, reader.boolean(entries["operational"]), fallback)
        _cover(reader, entries, code, coverage)
    if DG not in antennas:
        raise reader.error(node, f"the antenna list has no '{DG}' (Direction Générale)")
    for fallback, at in fallbacks:
        if fallback not in antennas:
            raise reader.error(at, f"fallback '{fallback}' is not an antenna of this file")
    for need in ("airport", *(f"bank:{bank}" for bank in _BANKS)):
        if need not in coverage:
            raise reader.error(node, f"no antenna covers {need.replace('bank:', '')}")
    return antennas, coverage


def _cover(
    reader: NodeReader, entries: dict[str, yaml.Node], code: str, coverage: dict[str, str]
) -> None:
    keys: list[tuple[str, yaml.Node]] = []
    if "regions" in entries:
        keys += [(f"region:{name}", at) for name, at in reader.strings(entries["regions"])]
    if "bamako_bank" in entries:
        bank = reader.string(entries["bamako_bank"])
        if bank not in _BANKS:
            raise reader.error(entries["bamako_bank"], f"bamako_bank is one of {', '.join(_BANKS)}")
        keys.append((f"bank:{bank}", entries["bamako_bank"]))
    if "airport" in entries and reader.boolean(entries["airport"]):
        keys.append(("airport", entries["airport"]))
    for key, at in keys:
        if coverage.setdefault(key, code) != code:
            raise reader.error(at, f"{key.split(':')[-1]} is already covered by {coverage[key]}")


def _special(builder: _Builder, node: yaml.Node, *, kind: str, antenna: str) -> None:
    reader = builder.reader
    entries = reader.mapping(
        node, allowed={"name", "variants", "generic", "note"}, required=frozenset({"name"})
    )
    name = reader.string(entries["name"])
    names = [(name, entries["name"]), *_list(reader, entries.get("variants"))]
    generic_names = _list(reader, entries.get("generic"))
    generic = {phrase_of(reader, text, at) for text, at in generic_names}
    builder.add(Place(name, kind, antenna, fuzzy=kind != "city"), names + generic_names, generic)


def _list(reader: NodeReader, node: yaml.Node | None) -> list[tuple[str, yaml.Node]]:
    return [] if node is None else reader.strings(node)


def _regions(builder: _Builder, node: yaml.Node, coverage: dict[str, str]) -> None:
    reader = builder.reader
    for region, key_node, value in reader.keyed(node):
        antenna = coverage.get(f"region:{region}")
        if antenna is None:
            raise reader.error(key_node, f"no antenna covers the region '{region}'")
        for item in reader.sequence(value, non_empty=f"region '{region}' has no places"):
            _place(builder, item, kind="locality", antenna=antenna)
    covered = {key.split(":", 1)[1] for key in coverage if key.startswith("region:")}
    missing = covered - {region for region, _, _ in reader.keyed(node)}
    if missing:
        raise reader.error(
            node, f"antennas cover regions with no places: {', '.join(sorted(missing))}"
        )


def _bamako(builder: _Builder, node: yaml.Node, coverage: dict[str, str]) -> None:
    reader = builder.reader
    for bank, key_node, communes in reader.keyed(node):
        if bank not in _BANKS:
            raise reader.error(key_node, f"a bank of the Niger is one of {', '.join(_BANKS)}")
        for _commune, _at, places in reader.keyed(communes):
            for item in reader.sequence(places):
                _place(builder, item, kind="bamako", antenna=coverage[f"bank:{bank}"])


def _place(builder: _Builder, node: yaml.Node, *, kind: str, antenna: str) -> None:
    reader = builder.reader
    if isinstance(node, yaml.ScalarNode):
        name = reader.string(node)
        border = name.endswith("*")
        name = name.rstrip("*").strip()
        builder.add(Place(name, kind, antenna, border=border), [(name, node)], set())
        return
    entries = reader.mapping(node, allowed=_PLACE_KEYS, required=frozenset({"name"}))
    name = reader.string(entries["name"])
    flag = {
        key: reader.boolean(entries[key])
        for key in ("border", "ambiguous", "generic", "fuzzy")
        if key in entries
    }
    place = Place(
        name,
        kind,
        antenna,
        border=flag.get("border", False),
        ambiguous=flag.get("ambiguous", False),
        generic=flag.get("generic", False),
        fuzzy=flag.get("fuzzy", True) and not flag.get("ambiguous", False),
    )
    builder.add(place, [(name, entries["name"]), *_list(reader, entries.get("variants"))], set())
