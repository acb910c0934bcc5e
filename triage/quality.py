"""How well a ruleset reads labelled tips: per-field accuracy, the all-fields-right share, the
misses, and the change between two rulesets (``tipline rules check``, bench/triage_quality.py).

A labelled corpus is JSON Lines in the ``tipline triage`` input format with an ``expected``
object holding the fields of triage.md (``source_url`` and other keys are carried along). The
packaged corpus, ``real_world_tips.jsonl``, holds tips written from public Malian news reports
and official communiqués, each with its source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from triage.decision import Decision, TipText
from triage.engine import decide
from triage.errors import RulesError
from triage.jsonl import parse_tip
from triage.ruleset import Ruleset, default_paths, load_ruleset

# The five fields of a decision the office measures; "all fields right" is over these.
FIELDS = ("antenna", "category", "priority", "substances", "flags")
# Also compared when a tip's expected decision gives it, but not part of "all fields right".
EXTRA_FIELDS = ("place",)
_DATA = Path(__file__).parent / "data"


def packaged_corpus() -> Path:
    """The real-world development corpus shipped with the package."""
    return _DATA / "real_world_tips.jsonl"


@dataclass(frozen=True)
class LabelledTip:
    id: str
    tip: TipText
    expected: Mapping[str, object]
    source_url: str | None = None


@dataclass(frozen=True)
class Miss:
    """A tip with at least one field wrong: field -> (decided, expected)."""

    id: str
    text: str
    wrong: Mapping[str, tuple[object, object]]


@dataclass(frozen=True)
class QualityReport:
    tips: int
    correct: Mapping[str, int]  # per field, among the tips whose expected decision gives it
    compared: Mapping[str, int]
    all_right: int
    misses: tuple[Miss, ...]

    def accuracy(self, field: str) -> float:
        compared = self.compared.get(field, 0)
        return self.correct.get(field, 0) / compared if compared else 1.0

    @property
    def all_right_share(self) -> float:
        return self.all_right / self.tips if self.tips else 1.0


@dataclass(frozen=True)
class RulesComparison:
    """The same corpus read by the rules in force and by an edited ruleset."""

    before: QualityReport
    after: QualityReport
    fixed: tuple[str, ...]  # tips wrong before, right after
    broken: tuple[str, ...]  # tips right before, wrong after


def load_corpus(path: Path) -> list[LabelledTip]:
    """Read a labelled corpus; a line that is not a labelled tip raises RulesError."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    tips = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            tips.append(_labelled(path, number, line))
    return tips


def _labelled(path: Path, number: int, line: str) -> LabelledTip:
    try:
        tip_id, tip = parse_tip(line)
    except ValueError as exc:
        raise RulesError(f"{path}:{number}: {exc}") from exc
    record = json.loads(line)
    expected = record.get("expected")
    if not isinstance(expected, dict) or not expected:
        raise RulesError(f"{path}:{number}: no 'expected' decision")
    source = record.get("source_url")
    return LabelledTip(
        str(tip_id if tip_id is not None else number),
        tip,
        expected,
        source if isinstance(source, str) else None,
    )


def measure(tips: Sequence[LabelledTip], ruleset: Ruleset) -> QualityReport:
    correct: dict[str, int] = {}
    compared: dict[str, int] = {}
    misses = []
    all_right = 0
    for labelled in tips:
        got = _fields(decide(labelled.tip, ruleset))
        wrong = {}
        for field in (*FIELDS, *EXTRA_FIELDS):
            if field not in labelled.expected:
                continue
            compared[field] = compared.get(field, 0) + 1
            if _same(got[field], labelled.expected[field]):
                correct[field] = correct.get(field, 0) + 1
            else:
                wrong[field] = (got[field], labelled.expected[field])
        if not set(wrong) & set(FIELDS):
            all_right += 1
        if wrong:
            misses.append(Miss(labelled.id, labelled.tip.text, wrong))
    return QualityReport(len(tips), correct, compared, all_right, tuple(misses))


def _fields(decision: Decision) -> dict[str, object]:
    public = decision.to_public_dict()
    return {field: public[field] for field in (*FIELDS, *EXTRA_FIELDS)}


def _same(got: object, expected: object) -> bool:
    if isinstance(got, list) and isinstance(expected, list):
        return sorted(map(str, got)) == sorted(map(str, expected))
    return got == expected


def compare(tips: Sequence[LabelledTip], before: Ruleset, after: Ruleset) -> RulesComparison:
    old, new = measure(tips, before), measure(tips, after)
    wrong_before = {miss.id for miss in old.misses if set(miss.wrong) & set(FIELDS)}
    wrong_after = {miss.id for miss in new.misses if set(miss.wrong) & set(FIELDS)}
    order = [tip.id for tip in tips]
    return RulesComparison(
        before=old,
        after=new,
        fixed=tuple(i for i in order if i in wrong_before - wrong_after),
        broken=tuple(i for i in order if i in wrong_after - wrong_before),
    )


def format_report(name: str, report: QualityReport, *, misses: bool = True) -> str:
    lines = [f"{name}: {report.tips} tips"]
    for field in (*FIELDS, *EXTRA_FIELDS):
        if report.compared.get(field):
            lines.append(f"  {field:<11} {report.accuracy(field):.3f}")
    lines.append(f"  {'all five':<11} {report.all_right_share:.3f}")
    if misses:
        for miss in report.misses:
            wrong = "; ".join(
                f"{field}: {got!r} (expected {want!r})" for field, (got, want) in miss.wrong.items()
            )
            lines.append(f"  miss {miss.id}: {wrong}\n       {miss.text}")
    return "\n".join(lines)


def format_comparison(comparison: RulesComparison) -> str:
    before, after = comparison.before, comparison.after
    lines = [f"{'field':<11} {'in force':>9} {'edited':>9} {'change':>8}"]
    for field in (*FIELDS, *EXTRA_FIELDS):
        if after.compared.get(field):
            old, new = before.accuracy(field), after.accuracy(field)
            lines.append(f"{field:<11} {old:>9.3f} {new:>9.3f} {new - old:>+8.3f}")
    old, new = before.all_right_share, after.all_right_share
    lines.append(f"{'all five':<11} {old:>9.3f} {new:>9.3f} {new - old:>+8.3f}")
    lines += [f"fixed:  {tip}" for tip in comparison.fixed]
    lines += [f"broken: {tip}" for tip in comparison.broken]
    return "\n".join(lines)


def check_rules(
    rules_path: Path | None = None,
    gazetteer_path: Path | None = None,
    *,
    corpus: Path | None = None,
    in_force: Ruleset | None = None,
) -> RulesComparison:
    """``tipline rules check``: read the real-world corpus with an edited rules file and/or
    gazetteer (None: the packaged one) and with the rules in force (None: the packaged files).
    Raises RulesError when an edited file or the corpus is invalid."""
    default_rules, default_gazetteer = default_paths()
    edited = load_ruleset(rules_path or default_rules, gazetteer_path or default_gazetteer)
    tips = load_corpus(corpus or packaged_corpus())
    return compare(tips, in_force or load_ruleset(), edited)
