"""The corpus loader and checker: the shipped corpus passes; each kind of error is reported with file:line."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from corpus import DEFAULT_CORPUS_DIR, SUBJECT_IDS, check_corpus, load_corpus

SOURCES = """\
- id: S01
  title: "Serov Instructions"
  author: Wikipedia
  year: null
  url: https://en.wikipedia.org/wiki/Serov_Instructions
  kind: reference
"""

GOOD_PASSAGE = """\
---
id: serov-signatory
about: [serov_instructions, ivan_serov]
sources:
  - id: S01
    locator: lead section
questions:
  - Who signed the Serov Instructions?
---
The Serov Instructions were signed by Ivan Serov. Ivan Serov was deputy head of the NKGB.
"""


def make_corpus(root: Path, passages: str, sources: str = SOURCES) -> Path:
    (root / "passages").mkdir(parents=True)
    shutil.copy(DEFAULT_CORPUS_DIR / "subjects.yaml", root / "subjects.yaml")
    (root / "sources.yaml").write_text(sources, encoding="utf-8")
    (root / "passages" / "topic.md").write_text(passages, encoding="utf-8")
    return root


def test_shipped_corpus_is_valid_and_large_enough():
    corpus = load_corpus()
    assert len(corpus.passages) >= 150
    assert len(corpus.sources) >= 20
    about = {s for p in corpus.passages for s in p.about}
    assert about == set(SUBJECT_IDS), "every subject has passages"
    for passage in corpus.passages:
        assert 1 <= len(passage.sentences) <= 4
        assert all(s in passage.text for s in passage.sentences)


def test_a_good_passage_loads_with_its_sentences(tmp_path):
    corpus = load_corpus(make_corpus(tmp_path, GOOD_PASSAGE))
    (passage,) = corpus.passages
    assert passage.id == "serov-signatory"
    assert passage.sentences == (
        "The Serov Instructions were signed by Ivan Serov.",
        "Ivan Serov was deputy head of the NKGB.",
    )
    assert passage.sources[0].locator == "lead section"
    assert passage.line == 2


def test_questions_in_other_languages_load_beside_the_english_ones(tmp_path):
    text = GOOD_PASSAGE.replace("---\nThe", "questions_by_language:\n  lt:\n    - Kas pasirašė Serovo instrukciją?\n---\nThe")
    (passage,) = load_corpus(make_corpus(tmp_path, text)).passages
    assert passage.questions == ("Who signed the Serov Instructions?",)
    assert passage.questions_by_language == {"lt": ("Kas pasirašė Serovo instrukciją?",)}
    assert passage.all_questions == ("Who signed the Serov Instructions?", "Kas pasirašė Serovo instrukciją?")


# One small broken fixture per kind of error: (passage file, expected line, words in the message).
BROKEN = {
    "malformed yaml": (GOOD_PASSAGE.replace("about: [serov_instructions, ivan_serov]", "about: [serov_instructions"), 4, "malformed YAML"),
    "unknown subject": (GOOD_PASSAGE.replace("ivan_serov]", "serov_person]"), 3, "unknown subject id 'serov_person'"),
    "unknown source": (GOOD_PASSAGE.replace("id: S01", "id: S99"), 5, "unknown source id 'S99'"),
    "no sources": (GOOD_PASSAGE.replace("sources:\n  - id: S01\n    locator: lead section\n", "sources: []\n"), 2, "missing 'sources'"),
    "empty locator": (GOOD_PASSAGE.replace("locator: lead section", "locator: ''"), 5, "has no locator"),
    "empty text": (GOOD_PASSAGE.split("---\nThe")[0] + "---\n\n", 10, "empty text"),
    "over-long text": (GOOD_PASSAGE.replace("Ivan Serov was", "Ivan Serov, " + "a long clause, " * 70 + "was"), 10, "the limit is 900"),
    "too many sentences": (GOOD_PASSAGE.replace("NKGB.", "NKGB. Serov was born in 1905. Serov died in 1990. Serov led the KGB."), 10, "5 sentences"),
    "bare pronoun": (GOOD_PASSAGE.replace("Ivan Serov was deputy", "He was deputy"), 10, "bare pronoun ('He was')"),
    "bare document reference": (GOOD_PASSAGE + GOOD_PASSAGE.replace("serov-signatory", "serov-second").replace(
        "Ivan Serov was deputy head of the NKGB.", "\nThe document bears no date."), 21, "bare pronoun ('The document')"),
    "unknown field": (GOOD_PASSAGE.replace("questions:", "colour: red\nquestions:"), 7, "unknown field 'colour'"),
    "bad slug": (GOOD_PASSAGE.replace("id: serov-signatory", "id: Serov Signatory"), 2, "lower-case slug"),
    "unknown question language": (GOOD_PASSAGE.replace("---\nThe", "questions_by_language:\n  fr:\n    - Qui a signé?\n---\nThe"), 9,
                                  "questions_by_language must map a language"),
    "no front matter": ("The Serov Instructions were signed by Ivan Serov.\n", 1, "expected front matter"),
    "duplicate id": (GOOD_PASSAGE + GOOD_PASSAGE, 12, "duplicate passage id 'serov-signatory'"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_each_kind_of_error_is_reported_with_file_and_line(tmp_path, kind):
    text, line, words = BROKEN[kind]
    corpus, problems = check_corpus(make_corpus(tmp_path, text))
    assert corpus is None
    rendered = [str(p) for p in problems]
    expected_prefix = f"{tmp_path / 'passages' / 'topic.md'}:{line}: "
    assert any(r.startswith(expected_prefix) and words in r for r in rendered), rendered


def test_source_errors_are_reported_with_line(tmp_path):
    bad_sources = SOURCES + "- id: S02\n  title: Something\n  kind: gossip\n"
    _, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, sources=bad_sources))
    rendered = [str(p) for p in problems]
    assert any(r.startswith(f"{tmp_path / 'sources.yaml'}:7: ") and "missing author, year, url" in r for r in rendered)
    assert any("kind must be one of" in r for r in rendered)


def test_cli_check_exits_1_with_file_line_and_no_traceback(tmp_path):
    root = make_corpus(tmp_path, BROKEN["bare pronoun"][0])
    result = subprocess.run(
        [sys.executable, "-m", "serov_qa.cli", "corpus", "check", "--corpus", str(root)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert f"{root / 'passages' / 'topic.md'}:10:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_check_passes_on_the_shipped_corpus():
    result = subprocess.run([sys.executable, "-m", "serov_qa.cli", "corpus", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ok:" in result.stdout


def test_checker_never_changes_a_file(tmp_path):
    root = make_corpus(tmp_path, textwrap.dedent(BROKEN["bare pronoun"][0]))
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    check_corpus(root)
    assert before == {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
