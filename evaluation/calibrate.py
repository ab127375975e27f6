"""Calibrate the abstention threshold of each dense space on the gold questions.

Why: the assistant declines when its evidence (best dense similarity, plus term
overlap, minus the share of words the corpus never uses) is below a threshold.
Each encoder has its own similarity scale, so each space gets its own threshold.
This script sweeps the threshold and prints, per space, the abstention recall
and the false-abstention rate. Among the thresholds whose false-abstention rate stays within
the 5% the museum accepts (a wrong answer is worse than no answer), we take the
one that declines the most out-of-scope questions, and of those the lowest (the
fewest answerable questions declined for the same gain), in steps of 0.01 so it
is not fitted to single questions. Questions the assistant corrects never reach
the threshold, nor do questions declined because no sentence holds the kind of
answer asked for.

Usage: python -m evaluation.calibrate [--questions FILE ...]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from evaluation.questions import DEFAULT_QUESTION_FILES, load_questions
from serov_qa.cli import load_assistant_or_exit
from serov_qa.settings import Settings

MAX_FALSE_ABSTENTION = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", nargs="*", type=Path, default=list(DEFAULT_QUESTION_FILES))
    args = parser.parse_args()
    assistant = load_assistant_or_exit(Settings())
    points: dict[str, list[tuple[float, bool]]] = defaultdict(list)  # space -> (evidence, should abstain)
    for gold in load_questions(args.questions):
        analysis = assistant.analyze(gold.question)
        if analysis.conflicts or not analysis.candidates or not analysis.answer_type_found:
            continue
        group = f"{analysis.lead}/{'en' if analysis.language == 'en' else 'other'}"
        points[group].append((analysis.evidence, gold.expect.status == "abstained"))
    for space, values in sorted(points.items()):
        evidence = np.array([v for v, _ in values])
        abstain = np.array([a for _, a in values])
        print(f"\n{space}: {len(values)} questions ({abstain.sum()} should be declined)")
        print(f"{'threshold':>9} {'declined':>9} {'wrongly declined':>17}")
        best = None
        for threshold in np.arange(0.30, 1.60, 0.01):
            below = evidence < threshold
            recall = below[abstain].mean() if abstain.any() else float("nan")
            false_rate = below[~abstain].mean() if (~abstain).any() else float("nan")
            if false_rate <= MAX_FALSE_ABSTENTION and (best is None or recall > best[1]):
                best = (threshold, recall, false_rate)
            print(f"{threshold:9.2f} {recall:9.1%} {false_rate:17.1%}")
        if best:
            print(f"=> {space}: lowest threshold with the most declined within {MAX_FALSE_ABSTENTION:.0%} false abstention: "
                  f"{best[0]:.2f} (declines {best[1]:.1%} of out-of-scope, {best[2]:.1%} of answerable)")


if __name__ == "__main__":
    main()
