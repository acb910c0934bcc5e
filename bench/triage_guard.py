"""Guard for speed work on triage: every decision, in full, must stay byte-identical.

    python bench/triage_guard.py [--against main]        # dump both, compare
    python bench/triage_guard.py --dump OUT.jsonl        # dump this tree's decisions only

Decides the 20,000 bench tips (seed 7) and 10,000 more (seed 13), every labelled corpus
(sample, held-out, real-world), web-form place fields on bench and corpus texts, and the
corpora's texts again at other hours and days, in capitals, in lower case and without
accents, plus a few texts that reach the tokeniser's rarer paths. Each decision is written
with every field, its hits and the officer's sentence for each rule. With ``--against REF``
the same dump is taken from the code of git revision REF (``triage/`` and ``bench/`` taken
out with ``git archive`` into a temporary folder, run in a subprocess) and the two are
compared line by line. Exit status 1 when they differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

_ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    # Run as a file, this folder comes first on sys.path; the code measured must come first.
    sys.path[0] = str(_ROOT)

if TYPE_CHECKING:
    from triage import AntennaStatus, Decision, Ruleset, TipText

_CORPORA = (
    "tests/data/sample_tips.jsonl",
    "tests/triage/data/heldout_tips.jsonl",
    "tests/data/real_world_tips.jsonl",
    "triage/data/real_world_tips.jsonl",
)
# Place fields as the web form and operators fill them: a listed name, a name and a detail,
# generic names, typos, Bamako and a quartier, places abroad, nothing useful.
_FORM_PLACES = (
    "Bamako", "Kayes", "Kayes, route de Ségou", "Grand Marché, Bamako", "Bamako, Banconi",
    "Banconi", "Sikasso, quartier Wayerma", "Sikkasso", "Bougoni", "aéroport", "Sénou",
    "aéroport de Gao", "Gao", "Kidal", "Tombouctou, près du marché", "Mopti, Sévaré",
    "Ségou, Bamako", "Bamako, Kalaban Coura", "Kalaban Koira", ", ,", "  ", "inconnu",
    "Abidjan", "Dakar, Sénégal", "Koutiala, Sikasso", "quartier Hamdallaye", "Hamdallaye, Mopti",
    "Missira, Kita", "Nioro du Rip", "Bankass", "Bancasse", "marché", "gare routière, Bamako",
)  # fmt: skip
# Texts for the tokeniser's rarer paths: dates, clock times, units, shorthand before a word,
# repeated letters, ligatures and the Bambara alphabet, breaks at the ends, empty text.
_ODD_TEXTS = (
    "", "...", "?!", "| yamba |", "le 10/01 a 23:30 un camion de yamba arrive a Kati",
    "le 5 a Kati 2kg de coke", "c soir ya 1 gars ki vend la yaaaamba ds le marché",
    "sa fait 3 ans qu'il vend du chanvre a Sikasso; il a 15 ans", "œuvre cœur ɛ ɔ ɲ ŋ ø ł",
    "rdv 14h30 à Gao!!! 50 kgs de tramadol", "dans 2h le car part de Mopti pour Sévaré",
    "Un garçon de 12 ans fume la chicha à Badalabougou. Il a 12 years old",
    "12/31/2026 : 3/3 :: 24:00 1/1/26 0h", "auj8 dm1 2m1 svp keske chui",
    "ATTENTION: 3 T DE CANNABIS A KAYES CE SOIR", "yamba,yamba;yamba:yamba\nyamba",
)  # fmt: skip
_SEEDS = ((7, 20_000), (13, 10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dump", type=Path, help="write this tree's dump there and stop")
    parser.add_argument("--against", default="main", help="git revision of the reference")
    parser.add_argument("--data", type=Path, default=_ROOT, help="the tree whose corpora are read")
    args = parser.parse_args()
    if args.dump:
        count = write_dump(args.dump, args.data)
        print(f"{count} decisions written to {args.dump}")
        return
    with tempfile.TemporaryDirectory(prefix="triage-guard-") as folder:
        work = Path(folder)
        ours, theirs = work / "ours.jsonl", work / "reference.jsonl"
        write_dump(ours, args.data)
        _dump_revision(args.against, work / "code", theirs, args.data)
        sys.exit(_compare(ours, theirs, args.against))


def write_dump(path: Path, data: Path) -> int:
    from triage import decide, load_ruleset

    ruleset = load_ruleset()
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for label, tip, status in _tips(ruleset, data):
            decision = decide(tip, ruleset, antenna_status=status)
            out.write(_line(label, decision, ruleset) + "\n")
            count += 1
    return count


def _dump_revision(revision: str, code: Path, out: Path, data: Path) -> None:
    """The dump taken by the reference revision's own code, in a process of its own."""
    code.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(_ROOT), "archive", revision, "triage", "bench"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    # The guard itself may be newer than the revision: this file reads the reference's code.
    script = code / "bench" / "triage_guard_run.py"
    script.write_text(Path(__file__).read_text(encoding="utf-8"), encoding="utf-8")
    command = [sys.executable, str(script), "--dump", str(out), "--data", str(data)]
    subprocess.run(command, check=True)


def _compare(ours: Path, theirs: Path, revision: str) -> int:
    mine, reference = ours.read_bytes(), theirs.read_bytes()
    lines = mine.count(b"\n")
    if mine == reference:
        digest = hashlib.sha256(mine).hexdigest()[:16]
        print(f"identical to {revision}: {lines} decisions (sha256 {digest})")
        return 0
    for number, (a, b) in enumerate(zip(mine.splitlines(), reference.splitlines(), strict=False)):
        if a != b:
            print(
                f"line {number + 1} differs:\n  this tree: {a.decode()}\n  {revision}: {b.decode()}"
            )
            break
    else:
        theirs_count = reference.count(b"\n")
        print(f"{lines} decisions here, {theirs_count} in {revision}")
    return 1


def _line(label: str, decision: Decision, ruleset: Ruleset) -> str:
    record = {
        "tip": label,
        "category": decision.category,
        "substances": list(decision.substances),
        "priority": decision.priority,
        "flags": list(decision.flags),
        "antenna": decision.antenna,
        "place": decision.place,
        "rules": list(decision.rules),
        "rules_version": decision.rules_version,
        "hits": [[hit.rule, list(hit.words)] for hit in decision.hits],
        "confident": decision.confident,
        "public": decision.to_public_dict(),
        "sentences": [ruleset.explain(rule) for rule in decision.rules],
    }
    return json.dumps(record, ensure_ascii=False)


Labelled = tuple[str, "TipText", "Mapping[str, AntennaStatus] | None"]


def _tips(ruleset: Ruleset, data: Path) -> Iterator[Labelled]:
    from bench.triage import corpus
    from triage import AntennaStatus, TipText

    bench = [tip for seed, count in _SEEDS for tip in corpus(ruleset, count, seed)]
    for number, tip in enumerate(bench):
        yield f"bench:{number}", tip, None
    received = datetime(2026, 1, 9, 20, 15, tzinfo=UTC)
    texts = _corpus_tips(data) + [TipText(text, received) for text in _ODD_TEXTS]
    for number, tip in enumerate(texts):
        yield f"corpus:{number}", tip, None
    for number, tip in enumerate(_form_tips(bench[:3000] + texts)):
        yield f"form:{number}", tip, None
    for number, tip in enumerate(_variants(texts)):
        yield f"variant:{number}", tip, None
    # Antennas handed over or closed: the fallback rules.
    closed = {
        "SIK": AntennaStatus(operational=False, fallback="BGN"),
        "BGN": AntennaStatus(operational=False, fallback="SIK"),
        "GAO": AntennaStatus(operational=False, fallback=None),
        "BKO-RD": AntennaStatus(operational=False, fallback="BKO-RG"),
    }
    for number, tip in enumerate(texts + bench[:2000]):
        yield f"closed:{number}", tip, closed


def _corpus_tips(data: Path) -> list[TipText]:
    from triage.jsonl import parse_tip

    paths = [data / name for name in _CORPORA] + [
        data.parent / "shared" / "data" / "sample_tips.jsonl"
    ]
    lines = [
        line for path in paths if path.exists() for line in path.read_text("utf-8").splitlines()
    ]
    return [parse_tip(line)[1] for line in lines if line.strip()]


def _form_tips(tips: list[TipText]) -> Iterator[TipText]:
    from triage import TipText

    for number, tip in enumerate(tips):
        place = _FORM_PLACES[number % len(_FORM_PLACES)]
        yield TipText(tip.text, tip.received_at, "web", place)


def _variants(tips: list[TipText]) -> Iterator[TipText]:
    """The same texts at other hours and days, and in other cases."""
    from triage import TipText

    shifts = [timedelta(hours=hours) for hours in (-20, -13, -7, 3, 9, 30, 77, 100)]
    for tip in tips:
        for shift in shifts:
            yield TipText(tip.text, tip.received_at + shift, tip.channel, tip.place)
        for text in (tip.text.upper(), tip.text.lower(), _unaccented(tip.text)):
            yield TipText(text, tip.received_at, tip.channel, tip.place)


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


if __name__ == "__main__":
    main()
