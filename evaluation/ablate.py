"""What each rule of the answer layer is worth: accuracy with it and without it, on tune and on test.

Why: a rule earns its place by what it does on questions it was not built from (the test split, never
tuned on). Each ablation switches one rule off in the loaded pipeline (no refitting: the calibrated
policy stays as it is) and re-answers every question; the table gives the accuracy of each split and the
change against the full pipeline. docs/ablations.md keeps the last table.

Usage: python -m evaluation.ablate [--only NAME ...] [--output docs/ablations.md]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


from assistant.normalize import Normalizer
from config import Settings
from evaluation.questions import load_questions
from evaluation.runner import evaluate_answerer


class _Unchanged(Normalizer):
    """Typing left as typed."""

    def normalize(self, text, language):
        return text, ()


def _no_normalisation(p) -> None:
    p.understanding.normalizer = _Unchanged(p.lexicon)


def _no_facts(p) -> None:
    p.premise.claims.facts = ()


def _no_misconceptions(p) -> None:
    p.premise._claim_vectors = []


def _no_order_claims(p) -> None:
    p.premise.sequence.check = lambda question: []


def _no_mixups(p) -> None:
    p.premise.conflicts = lambda question: []


def _no_compared_facts(p) -> None:
    p.selector._compared_facts = lambda question, evidence: []


def _zero(*names: str) -> Callable:
    def apply(p) -> None:
        policy = p.policy
        weights = {k: (0.0 if k in names else v) for k, v in policy.sentence_weights.items()}
        decision = policy.decision.model_copy(update={"weights": {
            k: (0.0 if k in names else v) for k, v in policy.decision.weights.items()}})
        new = policy.model_copy(update={"sentence_weights": weights, "decision": decision})
        p.policy = p.search.policy = p.decider.policy = new

    return apply


def _one_quote(p) -> None:
    p.selector.quoting = p.selector.quoting.model_copy(update={"max_quotes": 1, "max_sentences": 2})


def _no_gaps(p) -> None:
    p.decider.gaps = None


def _no_decision(p) -> None:
    policy = p.policy.model_copy(update={"decision": p.policy.decision.model_copy(update={"answer_above": 0.0001})})
    p.decider.policy = policy


ABLATIONS: dict[str, tuple[str, Callable]] = {
    "normalisation": ("typing normalisation (chat, identifiers, years, typos, diacritics)", _no_normalisation),
    "facts": ("value checks against curated facts", _no_facts),
    "misconceptions": ("the misconception bank", _no_misconceptions),
    "order-claims": ("claims of order against curated dates", _no_order_claims),
    "mix-ups": ("document mix-up check", _no_mixups),
    "compared-facts": ("quoting each compared subject's fact", _no_compared_facts),
    "entity-features": ("sentence features: names what the question names", _zero("named", "about")),
    "relation-feature": ("sentence feature: states the relation asked", _zero("relation")),
    "question-feature": ("sentence feature: similarity to curated questions", _zero("question")),
    "answer-type": ("holds the kind of answer asked for", _zero("typed", "untyped", "typed_any")),
    "unknown-words": ("decision: words and names the corpus never uses", _zero("unknown", "unknown_names")),
    "known-gaps": ("declining questions on points the sources are known not to cover", _no_gaps),
    "several-quotes": ("up to three quotes (against one)", _one_quote),
    "decision": ("declining at all (always answer)", _no_decision),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=list(ABLATIONS))
    parser.add_argument("--output", type=Path, default=Path("docs/ablations.md"))
    args = parser.parse_args()
    from assistant.pipeline import load

    questions = [q for q in load_questions() if q.id[:1] == "w" and q.id[1:2].isdigit()]  # the independent sets

    def accuracy(pipeline) -> dict[str, float]:
        evaluation = evaluate_answerer("assistant", pipeline, pipeline.corpus, questions, progress=False)
        return {split: summary["accuracy"] for split, summary in evaluation.splits.items()}

    base = accuracy(load(Settings()))
    rows = [("all rules", "", base)]
    for name in args.only:
        description, switch_off = ABLATIONS[name]
        pipeline = load(Settings())
        switch_off(pipeline)
        rows.append((f"without {name}", description, accuracy(pipeline)))
        print(rows[-1], flush=True)
    lines = ["| pipeline | what is switched off | tune | test | tune change | test change |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for label, description, figures in rows:
        change = {s: 100 * (figures[s] - base[s]) for s in figures}
        lines.append(f"| {label} | {description} | {100 * figures['tune']:.1f}% | {100 * figures['test']:.1f}% | "
                     f"{change['tune']:+.1f} | {change['test']:+.1f} |")
    table = "\n".join(lines)
    print(table)
    args.output.write_text(
        "# What each rule is worth\n\nProduced by `python -m evaluation.ablate` on the independent questions "
        f"({sum(q.split == 'tune' for q in questions)} tune, {sum(q.split == 'test' for q in questions)} test): "
        "each rule switched off alone, the calibrated policy unchanged. A rule that helps tune but not test is "
        "fitted to the questions it was built from.\n\n" + table + "\n\n"
        "The sentence-feature rows zero one feature and leave the fitted weights as they are. For a feature with a "
        "large weight that moves every candidate's score (the similarity to curated questions), the decision then "
        "sees scores it was never fitted on, so that row measures a broken scale rather than the feature's worth; "
        "a fair figure needs the policy refitted without the feature (`evaluation.calibrate`).\n", encoding="utf-8")


if __name__ == "__main__":
    main()
