"""Recall and false positives of the detectors and shipped policies on the labelled corpus.

Run: .venv/bin/python bench/recall.py [--seed 20260314] [--size 1500] [--show-misses N]

Prints, per secret class, the share of planted secrets that did not leave: for the scrub-all
policy (`{action: scrub}`, every built-in detector) over every alert, and for each shipped
policy over the alerts of its senders' shapes (a policy's refusals are not leaks and are
counted on their own lines; a split policy's body, one Alertmanager group of one to four
alerts, counts once, as leaked when any of its alerts holds the secret). Then the share of
benign alerts the scrub-all policy changed and each policy refused, what happened to the
grey-zone alerts, and the corpus size. `--show-misses N` prints up to N missed examples per
class and policy, each as its context with the secret shown as `<SECRET:class>`: generated
secrets are never printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.corpus import CLASSES, build_corpus  # noqa: E402
from tests.corpus.benign import GREY_KINDS  # noqa: E402
from tests.corpus.measure import (  # noqa: E402
    SCRUB_ALL,
    Tally,
    measure_all,
    scrub_all_policy,
    shipped_policies,
)

DEFAULT_SEED = 20260314  # the seed tests/detectors/test_recall.py uses
DEFAULT_SIZE = 1500


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "     - "


def cell(tally: Tally, cls: str | None, scrub_all: bool) -> str:
    planted = tally.planted[cls] if cls else tally.total()
    if scrub_all:
        good = tally.caught(cls)
    else:
        good = tally.kept_in(cls)
    return f"{percent(good, planted)} {planted:>5}"


CELL = len("100.0%  1500")


def print_recall(tallies: dict[str, Tally]) -> None:
    names = list(tallies)
    width = max(len(label) for label in (*CLASSES, "refused: rule failed")) + 2
    columns = {name: max(len(name), CELL) + 2 for name in names}
    print("Recall: planted secrets that did not leave / planted (count planted).")
    print("scrub-all counts only secrets removed from a forwarded alert; the shipped policies")
    print("also count secrets whose alert they refused (see the refusal lines).\n")
    print(" " * width + "".join(f"{name:>{columns[name]}}" for name in names))
    for cls in (*CLASSES, None):
        row = f"{cls or 'all classes':<{width}}"
        row += "".join(f"{cell(tallies[n], cls, n == SCRUB_ALL):>{columns[n]}}" for n in names)
        print(row)
    for label, attr in (("refused by guard", "guard"), ("refused: rule failed", "failed")):
        row = f"{label:<{width}}"
        row += "".join(f"{sum(getattr(tallies[n], attr).values()):>{columns[n]}}" for n in names)
        print(row)


def print_benign(tallies: dict[str, Tally]) -> None:
    scrub = tallies[SCRUB_ALL]
    print(
        f"\nBenign alerts changed by scrub-all: {scrub.benign_changed} of {scrub.benign} "
        f"({percent(scrub.benign_changed, scrub.benign).strip()}), "
        f"refused: {scrub.benign_refused}"
    )
    for name, tally in tallies.items():
        if name != SCRUB_ALL:
            print(f"Benign alerts refused by {name}: {tally.benign_refused} of {tally.benign}")
    print("\nGrey zone (not counted as benign):")
    for kind in GREY_KINDS:
        refused = sum(t.grey_refused[kind] for n, t in tallies.items() if n != SCRUB_ALL)
        total = sum(t.grey[kind] for n, t in tallies.items() if n != SCRUB_ALL)
        print(
            f"  {kind:<10} changed by scrub-all {scrub.grey_changed[kind]} of "
            f"{scrub.grey[kind]}; refused by its policy {refused} of {total}"
        )


def print_misses(tallies: dict[str, Tally], limit: int) -> None:
    print(f"\nMissed examples (up to {limit} per class and policy; secrets shown as placeholders):")
    for name, tally in tallies.items():
        for cls in CLASSES:
            for alert in tally.misses[cls][:limit]:
                planted = alert.planted
                assert planted is not None
                print(
                    f"- {name} | {cls} ({planted.form}) in {planted.context} at "
                    f"{alert.sender}.{planted.field}:"
                )
                print("    " + planted.redacted(around=160).replace("\n", "\n    "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--size",
        type=int,
        default=DEFAULT_SIZE,
        help="secret-bearing alerts (benign: half as many, grey: a twentieth)",
    )
    parser.add_argument("--show-misses", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    corpus = build_corpus(args.seed, args.size)
    built = time.perf_counter()
    tallies = measure_all(corpus, shipped_policies(), scrub_all_policy())
    measured = time.perf_counter()

    kinds = {
        kind: sum(1 for a in corpus if a.kind == kind) for kind in ("secret", "benign", "grey")
    }
    print(
        f"Corpus: seed {args.seed}, {len(corpus)} alerts: {kinds['secret']} with one planted "
        f"secret ({len(CLASSES)} classes), {kinds['benign']} benign, {kinds['grey']} grey "
        f"zone; built in {built - started:.1f} s, measured in {measured - built:.1f} s.\n"
    )
    print_recall(tallies)
    print_benign(tallies)
    if args.show_misses:
        print_misses(tallies, args.show_misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
