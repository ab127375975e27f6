"""The gold question files: the shipped sets load and are big enough; every malformed file is reported as file:line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from corpus import load_corpus
from evaluation.questions import (
    DEFAULT_QUESTION_FILES, GOLD_FILES, INDEPENDENT_FILES, QuestionFileError, load_questions, split_of,
)
from evaluation.runner import run_cli
from config.settings import PROJECT_DIR

NON_ENGLISH = ("lt", "lv", "et", "ru", "de")
MIN_PER_KIND = {"false_premise": 30, "out_of_scope": 25, "paraphrase": 25, "comparison": 20}


# -- the shipped gold sets ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped(gold_questions):
    return gold_questions


def test_the_shipped_files_load(shipped):
    # The two gold files, and the independent sets: at least three files in each split.
    assert DEFAULT_QUESTION_FILES[:2] == GOLD_FILES
    splits = Counter(split_of(path) for path in INDEPENDENT_FILES)
    assert splits["tune"] >= 3 and splits["test"] >= 3
    assert len(shipped) == len({q.id for q in shipped})
    assert {q.split for q in shipped} == {"tune", "test"}


def test_enough_english_questions_of_every_kind(shipped):
    english = [q for q in shipped if q.lang == "en"]
    assert len(english) >= 200
    kinds = Counter(q.kind for q in english)
    for kind, minimum in MIN_PER_KIND.items():
        assert kinds[kind] >= minimum, f"{kind}: {kinds[kind]} English questions, need {minimum}"


@pytest.mark.parametrize("lang", NON_ENGLISH)
def test_enough_questions_in_each_other_language(shipped, lang):
    assert sum(q.lang == lang for q in shipped) >= 15


def test_the_languages_are_the_kiosk_languages(shipped):
    assert {q.lang for q in shipped} == {"en", *NON_ENGLISH}


def test_relevance_labels_name_real_passages(shipped):
    corpus = load_corpus()
    unknown = sorted({(q.id, p) for q in shipped for p in q.expect.passages if p not in corpus.by_id})
    assert unknown == []


def test_expectations_fit_their_kind(shipped):
    for gold in shipped:
        if gold.kind == "out_of_scope":
            assert gold.expect.status == "abstained", gold.id
        if gold.expect.status == "answered":
            assert gold.expect.documents, f"{gold.id}: an answerable question names its subjects"


# -- malformed files ---------------------------------------------------------------------------
GOOD = """\
- id: {id}
  question: Who signed the Serov Instructions?
  kind: factual
  expect:
    status: answered
    documents: [serov_instructions, ivan_serov]
    must_include: [Serov]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing needle."""
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(QuestionFileError) as raised:
        load_questions(list(paths))
    assert str(raised.value) == "\n".join(raised.value.problems)
    return raised.value.problems


def test_a_good_file_loads(tmp_path):
    (question,) = load_questions([write(tmp_path / "good.yaml", GOOD.format(id="q1"))])
    assert question.id == "q1" and question.lang == "en" and question.expect.must_include == ["Serov"]


def test_malformed_yaml_is_reported_with_its_line(tmp_path):
    text = GOOD.format(id="q1") + "\n- id: q2\n  question: Who signed it?\n  kind: factual\n   expect: 1\n"
    path = write(tmp_path / "bad.yaml", text)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:{line_of(text, '   expect: 1')}: malformed YAML")


def test_every_problem_is_reported_with_the_line_of_its_question(tmp_path):
    text = "\n".join([
        GOOD.format(id="fine"),
        GOOD.format(id="bad-kind").replace("kind: factual", "kind: trivia"),
        GOOD.format(id="bad-subject").replace("[serov_instructions, ivan_serov]", "[serov_instructions, stalin]"),
        GOOD.format(id="fine"),
        "- id: no-expect\n  question: Who signed it?\n  kind: factual\n",
        GOOD.format(id="typo").replace("  expect:", "  expected:"),
        GOOD.format(id="bad-status").replace("status: answered", "status: maybe"),
    ])
    path = write(tmp_path / "questions.yaml", text)
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if line.startswith("- id:")]
    fine, bad_kind, bad_subject, duplicate, no_expect, typo, bad_status = lines

    problems = problems_of(path)
    assert len(problems) == 6
    assert problems[0].startswith(f"{path}:{bad_kind}: kind: ")
    assert problems[1].startswith(f"{path}:{bad_subject}: expect.documents.1: ")
    assert problems[2] == f"{path}:{duplicate}: duplicate question id 'fine' (first in {path}:{fine})"
    assert problems[3] == f"{path}:{no_expect}: expect: Field required"
    assert problems[4].startswith(f"{path}:{typo}: ")  # expected: unknown field, expect: missing
    assert problems[5].startswith(f"{path}:{bad_status}: expect.status: ")


def test_problems_of_several_files_are_all_reported(tmp_path):
    first = write(tmp_path / "a.yaml", GOOD.format(id="q1"))
    second = write(tmp_path / "b.yaml", GOOD.format(id="q2") + "\n" + GOOD.format(id="q1"))
    broken = write(tmp_path / "c.yaml", "- id: [unclosed\n")
    problems = problems_of(first, second, broken, tmp_path / "missing.yaml")
    assert problems == [
        f"{second}:9: duplicate question id 'q1' (first in {first}:1)",
        *[p for p in problems if p.startswith(f"{broken}:")],
        f"{tmp_path / 'missing.yaml'}:1: file not found",
    ]
    assert len(problems) == 3 and "malformed YAML" in problems[1]


@pytest.mark.parametrize("text", ["id: q1\nquestion: not a list\n", "just a string\n", ""])
def test_a_file_that_is_not_a_list_is_reported_at_line_1(tmp_path, text):
    path = write(tmp_path / "questions.yaml", text)
    assert problems_of(path) == [f"{path}:1: expected a list of questions"]


def test_a_file_that_is_not_utf8_is_reported(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.format(id="q1").replace("Who", "Wh\xf6").encode("latin-1"))
    assert problems_of(path) == [f"{path}:1: not UTF-8 text"]


def test_cli_evaluate_with_a_bad_file_exits_2_with_file_and_line(tmp_path):
    text = GOOD.format(id="q1") + "\n" + GOOD.format(id="q2").replace("kind: factual", "kind: trivia")
    bad = write(tmp_path / "bad.yaml", text)
    report = tmp_path / "report"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEROV_QA_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "serov_qa.cli", "evaluate", "--questions", str(bad), "--report", str(report)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert f"{bad}:{line_of(text, '- id: q2')}: kind:" in done.stderr
    assert "error: 1 problem(s) in the question file(s)" in done.stderr
    assert "Traceback" not in output
    assert not report.exists(), "no report for a bad question file"


def test_cli_evaluate_prints_each_problem_whole_on_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    folder = tmp_path / "a-checkout-folder-as-deep-as-on-a-ci-runner" / "evaluation" / "from-the-other-team"
    folder.mkdir(parents=True)
    bad = write(folder / "questions.yaml", GOOD.format(id="q1").replace("kind: factual", "kind: trivia"))
    expected = problems_of(bad)

    def never_load(settings):
        raise AssertionError("the pipeline must not be loaded")

    assert run_cli(never_load, None, [bad], tmp_path / "report", None) == 2
    assert expected[0] in capsys.readouterr().err.splitlines()


def test_documents_are_checked_against_the_subjects_of_subjects_yaml(tmp_path):
    from corpus import subject_ids

    text = GOOD.format(id="q1").replace("ivan_serov]", "museum_visits]")
    path = write(tmp_path / "questions.yaml", text)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:1: expect.documents.1: ") and "'museum_visits'" in problem
    (question,) = load_questions([path], subjects=(*subject_ids(), "museum_visits"))
    assert question.expect.documents == ["serov_instructions", "museum_visits"]
