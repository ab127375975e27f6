"""Gold questions for the benchmarks, in a fixed shuffled order (never the expectations, only the texts).

Why: every benchmark asks realistic questions, the same ones in every run (seed 0).
Usage: gold_questions() -> every default question file's texts, distinct; from_file(path, 200) -> 200 of one file
"""

from __future__ import annotations

import random
from pathlib import Path

# The harness package has put the project on sys.path by now.
from evaluation.questions import GOLD_FILES, load_questions

QUESTIONS_FILE, MULTILINGUAL_QUESTIONS_FILE = GOLD_FILES
SEED = 0


def gold_questions(seed: int = SEED) -> list[str]:
    """The texts of all default question files (evaluation.questions.load_questions), distinct, shuffled."""
    questions = list(dict.fromkeys(q.question for q in load_questions()))
    random.Random(seed).shuffle(questions)
    return questions


def from_file(path: Path, count: int, seed: int = SEED) -> list[str]:
    """`count` questions of one gold file, in a fixed shuffled order (cycled if more are asked for)."""
    questions = [q.question for q in load_questions([Path(path)])]
    random.Random(seed).shuffle(questions)
    return [questions[i % len(questions)] for i in range(count)]
