"""What the evaluation report says, in words a curator reads: plain names, verdicts, failure sentences.

runner.write_report renders evaluation/templates/report.html with a ReportView. Nothing here
changes a metric: the figures are those of runner.summarize; this module names them, compares them
with the targets, the naive baseline and the previous run, and turns the reasons of a failed
question ("missing 'NKGB'") into a sentence ("Expected the answer to mention “NKGB”.").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# The accuracy every kind of question should reach when --fail-under names no accuracy (the project's
# own target, `make evaluate`).
DEFAULT_ACCURACY_TARGET = 0.9

# metric -> (plain name, what it means in one line). The keys are runner.SUMMARY_ROWS'.
METRICS = {
    "accuracy": ("Right answers", "Share of questions answered as expected: the right status, the words a correct answer must contain, none it must not."),
    "conflation_rate": ("Answers mixing up the documents", "Share of answers quoting a passage about another of the three documents than the one asked about. Target: none."),
    "citation_validity": ("Quotes copied word for word", "Share of quotes found verbatim in the passage they cite. Target: all."),
    "abstention_recall": ("Unanswerable questions declined", "Of the questions the sources cannot answer, the share where the assistant said so instead of answering."),
    "false_abstention_rate": ("Answerable questions declined", "Of the questions the sources do answer, the share the assistant wrongly declined."),
    "premise_correction": ("Mix-ups corrected", "Of the questions resting on a confusion of the documents, the share the assistant corrected."),
    "false_correction_rate": ("Sound questions “corrected”", "Of the questions with nothing wrong in them, the share the assistant wrongly corrected."),
    "recall_at_1": ("Right passage found first", "Share of questions whose best-ranked passage is one that answers them."),
    "recall_at_5": ("Right passage in the first five", "Share of questions with an answering passage among the five best-ranked."),
    "mrr": ("Rank of the right passage", "Mean reciprocal rank: 1 when the right passage always comes first, 0.5 when it comes second on average."),
    "latency_p50_ms": ("Answer time, typical (ms)", "Half of the answers took less than this many milliseconds."),
    "latency_p95_ms": ("Answer time, slowest 5% (ms)", "95 of 100 answers took less than this many milliseconds."),
}

KINDS = {
    "factual": ("Facts", "Direct questions the sources answer: who signed, when, how many."),
    "comparison": ("Comparisons", "Questions that compare the documents."),
    "false_premise": ("Mix-ups to correct", "Questions resting on a confusion; the assistant should correct them."),
    "out_of_scope": ("Outside the sources", "Questions the sources cannot answer; the assistant should say so."),
    "paraphrase": ("Reworded questions", "The same facts asked in other words, with typos or chat spellings."),
    "multilingual": ("Other languages", "Questions in Lithuanian, Latvian, Estonian, Russian or German."),
}

LANGUAGES = {"en": "English", "lt": "Lithuanian", "lv": "Latvian", "et": "Estonian", "ru": "Russian", "de": "German"}

_DID = {"answered": "answered", "corrected": "corrected the question", "abstained": "declined to answer"}
_STATUS_SENTENCES = {
    ("abstained", "answered"): "The assistant declined, but the sources answer this question.",
    ("answered", "abstained"): "The assistant answered, but it should have said that the sources do not answer this.",
    ("answered", "corrected"): "The assistant answered without correcting the mix-up in the question.",
    ("corrected", "answered"): "The assistant corrected a question that had nothing wrong in it.",
    ("abstained", "corrected"): "The assistant declined instead of correcting the mix-up in the question.",
    ("corrected", "abstained"): "The assistant corrected the question, but it should have said that the sources do not answer it.",
}


def _quoted(text: str) -> str:
    return f"“{text}”"


def plain_reason(reason: str) -> str:
    """One reason of runner/metrics ("status abstained, expected answered", "missing 'NKGB'") as a sentence."""
    if match := re.fullmatch(r"status (\w+), expected (\w+)", reason):
        given, expected = match.groups()
        return _STATUS_SENTENCES.get((given, expected),
                                     f"The assistant {_DID.get(given, given)}; expected: {_DID.get(expected, expected)}.")
    if match := re.fullmatch(r"missing (['\"])(.*)\1", reason):
        options = [_quoted(o) for o in match.group(2).split(" | ")]
        return "Expected the answer to mention " + " or ".join(options) + "."
    if match := re.fullmatch(r"contains forbidden (['\"])(.*)\1", reason):
        return f"The answer mentions {_quoted(match.group(2))}, which a correct answer would not."
    if match := re.fullmatch(r"(\d+) quote\(s\) not verbatim", reason):
        count = int(match.group(1))
        return f"{count} quote{'s are' if count > 1 else ' is'} not word for word from the passage cited."
    if reason.startswith("cites a passage about another document"):
        return "It quotes a passage about another document than the one asked about (a mix-up of the documents)."
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def load_previous(path: Path | None) -> dict | None:
    """The assistant's summary of an earlier results.json (None when there is none or it cannot be read)."""
    if path is None or not Path(path).is_file():
        return None
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        first = payload["evaluations"][0]
        return {"generated_at": payload.get("generated_at", "?"), "summary": first["summary"]}
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


@dataclass
class Verdict:
    ok: bool
    text: str


@dataclass
class GroupRow:
    """One kind (or language) of question: the assistant against the target, the baseline and the last run."""

    key: str
    name: str
    help: str
    count: int
    accuracy: float | None
    baseline: float | None
    previous: float | None
    target: float
    verdict: Verdict


@dataclass
class FailureGroup:
    key: str
    name: str
    results: list = field(default_factory=list)


class ReportView:
    """Everything the report template shows, computed once."""

    def __init__(self, evaluations, thresholds: dict[str, float], missed: list[str], previous: dict | None) -> None:
        self.evaluations = evaluations
        self.main = evaluations[0]
        self.baseline = evaluations[-1] if len(evaluations) > 1 else None
        self.thresholds = thresholds
        self.missed = missed
        self.previous = previous
        self.target = thresholds.get("accuracy", DEFAULT_ACCURACY_TARGET)
        self.target_given = "accuracy" in thresholds
        self.kinds = self._rows("kind", KINDS)
        self.langs = self._rows("lang", {code: (name, "") for code, name in LANGUAGES.items()})
        self.failures = self._failures()

    def _rows(self, group: str, names: dict) -> list[GroupRow]:
        summary = self.main.summary
        base = self.baseline.summary if self.baseline else {}
        before = (self.previous or {}).get("summary", {})
        rows = []
        for key, accuracy in summary[f"accuracy_by_{group}"].items():
            baseline = base.get(f"accuracy_by_{group}", {}).get(key)
            name, help_text = names.get(key, (key, ""))
            rows.append(GroupRow(
                key=key, name=name, help=help_text, count=summary[f"count_by_{group}"][key], accuracy=accuracy,
                baseline=baseline, previous=before.get(f"accuracy_by_{group}", {}).get(key), target=self.target,
                verdict=self._verdict(accuracy, baseline),
            ))
        return rows

    def _verdict(self, accuracy: float | None, baseline: float | None) -> Verdict:
        if accuracy is None:
            return Verdict(False, "not measured")
        problems = []
        if accuracy < self.target:
            problems.append(f"below the target of {100 * self.target:.0f}%")
        if baseline is not None and accuracy < baseline:
            problems.append(f"below the naive baseline ({100 * baseline:.1f}%)")
        return Verdict(not problems, "; ".join(problems) if problems else "meets the target")

    @property
    def weak_kinds(self) -> list[str]:
        """The kinds of question below the target or the baseline, in plain words."""
        return [f"{row.name}: {100 * (row.accuracy or 0):.1f}% right of {row.count} questions, {row.verdict.text}."
                for row in self.kinds if not row.verdict.ok]

    @property
    def ok(self) -> bool:
        """Green only when nothing at all falls short: no missed threshold and no weak kind."""
        return not self.missed and not self.weak_kinds

    @staticmethod
    def threshold_sentence(line: str) -> str:
        """runner.missed_thresholds' "accuracy = 0.8266 is below the minimum 0.9" as "Right answers: 82.7%,
        below the minimum of 90.0%"."""
        from evaluation.runner import SUMMARY_ROWS, format_value

        match = re.fullmatch(r"(\w+) = (\S+) is (below the minimum|above the maximum) (\S+)", line)
        if not match or match.group(1) not in METRICS:
            return line
        name, value, relation, limit = match.groups()
        style = next((s for key, _, s in SUMMARY_ROWS if key == name), "num")
        try:
            shown, bound = format_value(float(value), style), format_value(float(limit), style)
        except ValueError:
            return line
        return f"{METRICS[name][0]}: {shown}, {relation} of {bound}."

    def threshold_of(self, key: str) -> str:
        if key not in self.thresholds:
            return ""
        from evaluation.runner import LOWER_IS_BETTER

        limit = self.thresholds[key]
        return ("at most " if key in LOWER_IS_BETTER else "at least ") + (
            f"{100 * limit:g}%" if key not in ("mrr", "latency_p50_ms", "latency_p95_ms") else f"{limit:g}")

    def threshold_missed(self, key: str) -> bool:
        return any(line.split(" ", 1)[0] == key for line in self.missed)

    def _failures(self) -> list[FailureGroup]:
        groups: dict[str, FailureGroup] = {}
        for result in self.main.results:
            if result.reasons:
                name = KINDS.get(result.kind, (result.kind, ""))[0]
                groups.setdefault(result.kind, FailureGroup(result.kind, name)).results.append(result)
        return sorted(groups.values(), key=lambda g: -len(g.results))

    @property
    def failure_count(self) -> int:
        return sum(len(g.results) for g in self.failures)
