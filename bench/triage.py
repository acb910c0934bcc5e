"""Triage throughput on a generated corpus of realistic SMS tips, beside bare keyword scanning.

    python bench/triage.py [--tips 20000] [--seed 7] [--rounds 3]

Prints figures only: tips per CPU-second of ``decide`` on one core, tips per CPU-second of the
automaton alone over the already-normalised texts, and their ratio (the cost of interpretation:
places, negations, imminence, routing and explanation). Each figure is the best of ``--rounds``;
the first round of ``decide`` also fills the per-word caches (normalisation, typo search), as a
running service does in its first minutes.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file, this folder comes first on sys.path and this very file would shadow the
    # triage package it measures.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from triage import Ruleset, TipText, decide, load_ruleset
from triage.normalise import tokenise

TEMPLATES = [
    "un camion de {sub} va quitter {place} {when} pour {dest}",
    "{sub} bɛ feere {place} {when}",
    "il y a un ghetto a {place} ou les jeunes fument du {sub}",
    "le pharmacien de {place} vend le {sub} sans ordonnance aux eleves",
    "des sacs de {sub} sont stockes dans un magasin a {place}, ils sortent {when}",
    "Bonsoir. un policier de {place} protege le vendeur de {sub}",
    "{PLACE}: un labo fabrique des comprimes de {sub} {when}",
    "mon frere fume le {sub} a la maison, aidez moi",
    "slt ya 1 gars ki vend la {sub} o marche de {place} tt les soirs",
    "ATTENTION CAR QUI QUITTE {PLACE} A 6H DEMAIN TRANSPORTE DES CARTONS DE {SUB}",
    "des hommes armes escortent des motos chargees de {sub} pres de {place} {when}",
    "Mon voisin a {place} a construit 3 villas avec l'argent de la {sub}",
    "{sub} caaman be mobili kono {place} {when}",
    "Je veux signaler un vol de moto a {place}",
    "bonjour",
    "Drug dealers sell {sub} near the market in {place} {when}",
]
SUBSTANCES = [
    "yamba", "kush", "chanvre", "cocaine", "coke", "crack", "heroine", "tramadol", "tramadol 225",
    "diazepam", "rivotril", "faux medicaments", "chicha", "drogue", "meth", "chira", "resine",
]  # fmt: skip
WHEN = [
    "ce soir", "demain", "sisan", "bi su", "chaque soir", "la nuit", "vers 23h", "mardi", "",
    "depuis des mois", "en ce moment", "tous les vendredis", "dm matin", "",
]  # fmt: skip
START = datetime(2026, 1, 5, tzinfo=UTC)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 6 or rng.random() > 0.15:
        return word
    position = rng.randrange(1, len(word) - 1)
    return word[:position] + word[position] + word[position:]  # a doubled letter


def _noise(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return text.upper()
    if roll < 0.2:
        return text.lower().replace("é", "e").replace("à", "a")
    return text


def corpus(ruleset: Ruleset, count: int, seed: int) -> list[TipText]:
    rng = random.Random(seed)
    places = sorted({place.name for place in ruleset.gazetteer.places if place.kind != "airport"})
    tips = []
    for _ in range(count):
        place, dest = _typo(rng.choice(places), rng), rng.choice(places)
        sub = rng.choice(SUBSTANCES)
        text = rng.choice(TEMPLATES).format(
            sub=sub, SUB=sub.upper(), place=place, PLACE=place.upper(), dest=dest,
            when=rng.choice(WHEN),
        )  # fmt: skip
        received = START + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        tips.append(TipText(_noise(text, rng), received, "sms"))
    return tips


def _best_rate(count: int, run: Callable[[], object], rounds: int) -> float:
    """Tips per CPU-second of this process, best of ``rounds`` (other load on the machine only
    ever slows a round down)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return count / best if best else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tips", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ruleset = load_ruleset()
    tips = corpus(ruleset, args.tips, args.seed)

    engine = _best_rate(len(tips), lambda: [decide(tip, ruleset) for tip in tips], args.rounds)
    joined = [tokenise(tip.text).joined for tip in tips]
    scan = _best_rate(len(tips), lambda: [ruleset.matcher.count(t) for t in joined], args.rounds)

    print(f"corpus: {len(tips)} generated SMS tips, rules version {ruleset.version}")
    print(f"decide:        {engine:>12,.0f} tips/s (single core)")
    print(f"keyword scan:  {scan:>12,.0f} tips/s (automaton over normalised text only)")
    print(f"ratio:         {scan / engine:>12.1f} x (scan speed / decide speed)")


if __name__ == "__main__":
    main()
