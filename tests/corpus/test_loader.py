"""The corpus loader and checker: the shipped corpus passes; each kind of error is reported with file:line."""

from __future__ import annotations

import re

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import yaml

from corpus import DEFAULT_CORPUS_DIR, DOCUMENTS, check_corpus, errors, load_corpus, mirror_host, subject_ids

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


def make_corpus(root: Path, passages: str, sources: str = SOURCES, subjects: str | None = None) -> Path:
    (root / "passages").mkdir(parents=True)
    if subjects is None:
        shutil.copy(DEFAULT_CORPUS_DIR / "subjects.yaml", root / "subjects.yaml")
    else:
        (root / "subjects.yaml").write_text(subjects, encoding="utf-8")
    (root / "sources.yaml").write_text(sources, encoding="utf-8")
    (root / "passages" / "topic.md").write_text(passages, encoding="utf-8")
    return root


def test_shipped_corpus_is_valid_and_large_enough():
    corpus = load_corpus()
    assert len(corpus.passages) >= 150
    assert len(corpus.sources) >= 20
    about = {s for p in corpus.passages for s in p.about}
    assert about == set(corpus.subjects), "every subject of subjects.yaml has passages"
    assert set(DOCUMENTS) <= set(corpus.subjects) and set(corpus.documents) == set(DOCUMENTS)
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


# -- subjects come from subjects.yaml --------------------------------------------------------------
SHIPPED_SUBJECTS = (DEFAULT_CORPUS_DIR / "subjects.yaml").read_text(encoding="utf-8")
NEW_SUBJECT = """
museum_visits:
  kind: topic
  name: Museum visits
  description: Opening hours and tickets.
  aliases:
    en: [museum visit]
    lt: [muziejaus lankymas]
    lv: [muzeja apmeklējums]
    et: [muuseumikülastus]
    ru: [посещение музея]
    de: [Museumsbesuch]
"""


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_subject_ids_are_those_of_subjects_yaml():
    data = yaml.safe_load(SHIPPED_SUBJECTS)
    assert subject_ids() == tuple(data)
    # issue 16: the topics of the June 1941 deportation are subjects of their own
    assert {"packing_and_property", "trains_and_destinations", "deportation_figures", "fates_of_deportees",
            "july_1941_deportation", "authenticity", "deportation_planning", "remembrance"} <= set(subject_ids())


def test_a_subject_added_to_subjects_yaml_can_be_used_in_about(tmp_path):
    passage = GOOD_PASSAGE.replace("ivan_serov]", "museum_visits]")
    corpus = load_corpus(make_corpus(tmp_path, passage, subjects=SHIPPED_SUBJECTS + NEW_SUBJECT))
    assert corpus.passages[0].about == ("serov_instructions", "museum_visits")
    assert corpus.subjects["museum_visits"].aliases[-1] == "Museumsbesuch"
    assert corpus.passages[0].documents == frozenset({"serov_instructions"})


# (change to the shipped subjects.yaml, the text of the line reported, words in the message)
BROKEN_SUBJECTS = {
    "missing language": (NEW_SUBJECT.replace("    de: [Museumsbesuch]\n", ""), "museum_visits:", "missing: de"),
    "missing description": (NEW_SUBJECT.replace("  description: Opening hours and tickets.\n", ""), "museum_visits:",
                            "is missing description"),
    "unknown kind": (NEW_SUBJECT.replace("kind: topic", "kind: hobby"), "museum_visits:", "kind must be one of"),
    "a fourth document": (NEW_SUBJECT.replace("kind: topic", "kind: document"), "museum_visits:",
                          "only serov_instructions, order_001223, order_0054 are documents"),
    "bad id": (NEW_SUBJECT.replace("museum_visits:", "Museum-Visits:"), "Museum-Visits:", "must be lower case words"),
    "unknown field": (NEW_SUBJECT.replace("  name:", "  colour: red\n  name:"), "museum_visits:", "unknown field(s): colour"),
    "defined twice": (NEW_SUBJECT + NEW_SUBJECT.replace("museum_visits:", "museum_visits:  # again"), "# again",
                      "subject museum_visits is defined again (first at line"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_SUBJECTS))
def test_each_subject_error_is_reported_with_its_line(tmp_path, kind):
    extra, needle, words = BROKEN_SUBJECTS[kind]
    text = SHIPPED_SUBJECTS + extra
    corpus, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, subjects=text))
    assert corpus is None
    line = len(SHIPPED_SUBJECTS.splitlines()) + line_of(extra, needle)
    rendered = [str(p) for p in errors(problems)]
    assert any(r.startswith(f"{tmp_path / 'subjects.yaml'}:{line}: ") and words in r for r in rendered), rendered


def test_the_three_documents_must_stay(tmp_path):
    data = yaml.safe_load(SHIPPED_SUBJECTS)
    del data["order_0054"]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    _, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, subjects=text))
    rendered = [str(p) for p in problems]
    assert f"{tmp_path / 'subjects.yaml'}:1: document order_0054 is missing" in rendered
    assert any("confused_with names unknown subject 'order_0054'" in r for r in rendered)


def test_a_document_must_keep_its_kind(tmp_path):
    text = SHIPPED_SUBJECTS.replace("order_0054:\n  kind: document", "order_0054:\n  kind: topic", 1)
    _, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, subjects=text))
    assert any(f":{line_of(text, 'order_0054:')}: subject order_0054 is one of the three documents" in str(p)
               for p in problems), [str(p) for p in problems]


# -- sources: mirrors, plain http and canonical_url ------------------------------------------------
MIRROR_SOURCE = """- id: S02
  title: "Iwan Alexandrowitsch Serow"
  author: German Wikipedia
  year: null
  url: https://de.zxc.wiki/wiki/Iwan_Alexandrowitsch_Serow
  kind: reference
"""


@pytest.mark.parametrize("url, mirror", [
    ("https://de.zxc.wiki/wiki/Iwan_Alexandrowitsch_Serow", "de.zxc.wiki"),
    ("http://the-uncensored-wiki.com:20141/2014-wikipedia_en_all_02_2014/A/html/V.html", "the-uncensored-wiki.com"),
    ("https://perceptionl.com/Июньская_депортация_1941_года", "perceptionl.com"),
    ("https://user.bibliboba.online/books/gulag/p/257", "user.bibliboba.online"),
    ("https://en.wikipedia.org/wiki/Serov_Instructions", None),
    ("https://www.lvarhivs.gov.lv/dep1941/aattels1.php?id=2001", None),
    ("https://notrulit.me.example.org/x", None),
])
def test_mirror_hosts(url, mirror):
    assert mirror_host(url) == mirror


def test_a_mirror_without_canonical_url_is_a_warning_with_its_line(tmp_path):
    sources = SOURCES + MIRROR_SOURCE
    corpus, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, sources=sources))
    assert corpus is not None, "a warning does not stop the corpus from loading"
    (warning,) = problems
    assert warning.warning
    assert str(warning) == (f"{tmp_path / 'sources.yaml'}:{line_of(sources, 'id: S02')}: WARNING: source S02: "
                            "the url is on the mirror de.zxc.wiki; give the original as canonical_url")


def test_plain_http_without_canonical_url_is_a_warning(tmp_path):
    sources = SOURCES.replace("https://en.wikipedia.org", "http://en.wikipedia.org")
    _, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, sources=sources))
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'sources.yaml'}:1: WARNING: source S01: the url is plain http; give the original as canonical_url"]


def test_canonical_url_silences_the_warning_and_is_kept(tmp_path):
    sources = SOURCES + MIRROR_SOURCE + "  canonical_url: https://de.wikipedia.org/wiki/Iwan_Alexandrowitsch_Serow\n"
    corpus, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, sources=sources))
    assert problems == []
    source = corpus.sources["S02"]
    assert source.canonical_url == "https://de.wikipedia.org/wiki/Iwan_Alexandrowitsch_Serow"
    assert source.best_url == source.canonical_url and corpus.sources["S01"].best_url == corpus.sources["S01"].url


@pytest.mark.parametrize("canonical, words", [
    ("http://de.wikipedia.org/wiki/Serow", "canonical_url is plain http"),
    ("https://wikizero.com/de/Serow", "canonical_url is itself on the mirror wikizero.com"),
])
def test_a_canonical_url_that_is_no_better_is_a_warning(tmp_path, canonical, words):
    sources = SOURCES + MIRROR_SOURCE + f"  canonical_url: {canonical}\n"
    corpus, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, sources=sources))
    assert corpus is not None and [p.warning for p in problems] == [True] and words in str(problems[0])


@pytest.mark.parametrize("canonical", ["de.wikipedia.org/wiki/Serow", "[1, 2]", "ftp://example.org/x"])
def test_a_canonical_url_that_is_not_a_web_address_is_an_error(tmp_path, canonical):
    sources = SOURCES + MIRROR_SOURCE + f"  canonical_url: {canonical}\n"
    corpus, problems = check_corpus(make_corpus(tmp_path, GOOD_PASSAGE, sources=sources))
    assert corpus is None
    assert any(not p.warning and "canonical_url must be an http(s) address" in str(p) for p in problems)


def test_cli_check_prints_warnings_and_exits_0(tmp_path):
    root = make_corpus(tmp_path, GOOD_PASSAGE, sources=SOURCES + MIRROR_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "serov_qa.cli", "corpus", "check", "--corpus", str(root)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"{root / 'sources.yaml'}:7: WARNING: source S02:" in result.stderr
    assert "1 warning(s)" in result.stdout


def test_cli_check_with_errors_and_warnings_exits_1_counting_the_errors(tmp_path):
    root = make_corpus(tmp_path, BROKEN["bare pronoun"][0], sources=SOURCES + MIRROR_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "serov_qa.cli", "corpus", "check", "--corpus", str(root)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "WARNING: source S02" in result.stderr and "1 problem(s)" in result.stderr


def test_shipped_sources_have_a_kind_and_canonical_urls_are_originals():
    corpus = load_corpus()
    assert all(s.kind in ("primary", "secondary", "reference") for s in corpus.sources.values())
    for source in corpus.sources.values():
        if source.canonical_url:
            assert source.canonical_url.startswith("https://") and mirror_host(source.canonical_url) is None, source.id


# --- known gaps (corpus/gaps.yaml) -------------------------------------------------------------------------

def test_known_gaps_load_with_their_questions_per_language(tmp_path):
    root = make_corpus(tmp_path, GOOD_PASSAGE)
    (root / "gaps.yaml").write_text(textwrap.dedent("""\
        - id: wagon-markings
          fact: F155
          questions:
            en: ["were the wagons marked with chalk?"]
            de: ["Gab es Kreidezeichen an den Waggons?"]
        """), encoding="utf-8")
    corpus = load_corpus(root)
    (gap,) = corpus.facts.gaps
    assert (gap.id, gap.fact, gap.line) == ("wagon-markings", "F155", 1)
    assert gap.phrasings == ("were the wagons marked with chalk?", "Gab es Kreidezeichen an den Waggons?")


@pytest.mark.parametrize(("text", "line", "words"), [
    ("- id: a\n  fact: F1\n", 1, "a gap needs an id and questions"),
    ("- id: a\n  questions:\n    de: [Was?]\n", 1, "gap a: questions need English phrasings"),
    ("- id: a\n  questions: {en: [What?]}\n- id: a\n  questions: {en: [Why?]}\n", 3, "duplicate gap id 'a'"),
    ("id: a\n", 1, "expected a list of gaps"),
])
def test_each_gap_error_is_reported_with_its_line(tmp_path, text, line, words):
    root = make_corpus(tmp_path, GOOD_PASSAGE)
    (root / "gaps.yaml").write_text(text, encoding="utf-8")
    corpus, problems = check_corpus(root)
    assert corpus is None
    assert any(str(p).startswith(f"{root / 'gaps.yaml'}:{line}: ") and words in str(p) for p in problems), problems


def test_the_shipped_gaps_name_their_fact_sheet_line_and_ask_in_six_languages():
    gaps = load_corpus().facts.gaps
    # A NOT VERIFIED point names its fact-sheet line; a point no line speaks of says "none".
    assert gaps and all(re.fullmatch(r"F\d{3}|none", g.fact) for g in gaps)
    assert any(g.fact.startswith("F") for g in gaps)
    assert all(set(g.questions) == {"en", "lt", "lv", "et", "ru", "de"} for g in gaps)
