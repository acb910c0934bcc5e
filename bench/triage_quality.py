"""Triage reading quality: per-field accuracy and the all-fields-right share on the worked
examples, the held-out tips and the real-world corpus, with the misses listed.

    python bench/triage_quality.py [--rules R.yaml] [--gazetteer G.yaml] [--quiet] [CORPUS ...]

Without a corpus argument it reads tests/data/sample_tips.jsonl, tests/triage/data/
heldout_tips.jsonl and the packaged real-world corpus (triage/data/real_world_tips.jsonl).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file, this folder comes first on sys.path; the project root must come first.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from triage import load_ruleset
from triage.quality import format_report, load_corpus, measure, packaged_corpus

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = (
    _ROOT / "tests" / "data" / "sample_tips.jsonl",
    _ROOT / "tests" / "triage" / "data" / "heldout_tips.jsonl",
    packaged_corpus(),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpora", nargs="*", type=Path)
    parser.add_argument("--rules", type=Path)
    parser.add_argument("--gazetteer", type=Path)
    parser.add_argument("--quiet", action="store_true", help="figures only, no misses")
    args = parser.parse_args()
    ruleset = load_ruleset(args.rules, args.gazetteer)
    print(f"rules version {ruleset.version}")
    for path in args.corpora or DEFAULT_CORPORA:
        report = measure(load_corpus(path), ruleset)
        print(format_report(path.name, report, misses=not args.quiet))


if __name__ == "__main__":
    main()
