"""Load and validate the curated corpus, reporting every problem with file:line.

`load_corpus` returns a `Corpus` or raises `CorpusError` listing every problem
found (not just the first), so that a curator can fix a whole file in one go.
Some problems are only warnings (a source read through a mirror or over plain
http with no `canonical_url`): they are reported but do not stop the corpus
from loading. Nothing is ever rewritten: the loader only reads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from corpus.facts import check_states, load_facts
from corpus.model import DOCUMENTS, SUBJECT_KINDS, Attribute, Citation, Corpus, Passage, Source, Subject
from corpus.text import split_sentences

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent

MAX_PASSAGE_CHARS = 900
MAX_SENTENCES = 4
SOURCE_KINDS = ("primary", "secondary", "reference")
PASSAGE_FIELDS = {"id", "about", "sources", "questions", "questions_by_language", "disputed"}
# Curated questions in the other kiosk languages: matched against visitors' questions in that language.
QUESTION_LANGUAGES = ("lt", "lv", "et", "ru", "de")
REQUIRED_PASSAGE_FIELDS = ("id", "about", "sources")
SOURCE_FIELDS = {"id", "title", "author", "year", "url", "kind", "reliability", "canonical_url"}
SUBJECT_FIELDS = {"kind", "name", "description", "aliases", "attributes", "compatible", "confused_with"}
# Every subject names itself in the six kiosk languages.
ALIAS_LANGUAGES = ("en", *QUESTION_LANGUAGES)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SUBJECT_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
# Hosts that copy other sites' pages (Wikipedia mirrors, book scrapers, document dumps): a citation
# should point to the original, given as `canonical_url`. Matched against the end of the host name.
MIRROR_HOSTS = re.compile(
    r"(?:^|\.)(?:zxc\.wiki|wikizero\.com|wikiplanet\.click|wikisum\.wiki|piglix\.com|wikiclassic\.com|"
    r"wikimili\.com|fampeople\.com|russianwiki\.com|perceptio[a-z]*\.com|the-uncensored-wiki\.com|"
    r"clever-geek\.imtqy\.com|en-academic\.com|academic\.ru|bibliboba\.online|rulit\.me|readania\.com|"
    r"ebooksread\.com|litbaza\.com|bibliotekaonline\.com|litfond\.net|readboom\.net|chitka\.online|"
    r"9lib\.org|docslib\.org)$"
)
# A quoted sentence must name its subject: these openings need the previous sentence.
# (An opening quote mark starts a title, such as "These Names Accuse", not a pronoun.)
_BARE_OPENING = re.compile(
    r"^(?:(?:It|Its|This|That|These|Those|They|Their|Them|He|His|Him|She|Her|Such)\b"
    r"|The (?:document|order|text|instructions|former|latter)\b)"
)


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str
    warning: bool = False  # a warning is reported but does not stop the corpus from loading

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {'WARNING: ' if self.warning else ''}{self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that are not warnings."""
    return [p for p in problems if not p.warning]


class CorpusError(Exception):
    """The corpus has errors; `problems` lists each with its file and line (warnings too)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file whose content defines the corpus, in a stable order."""
    return [corpus_dir / "sources.yaml", corpus_dir / "subjects.yaml", corpus_dir / "facts.yaml",
            corpus_dir / "misconceptions.yaml", corpus_dir / "gaps.yaml", *sorted((corpus_dir / "passages").glob("*.md"))]


def content_hash(corpus_dir: Path) -> str:
    """Hash of the passage files: what the search index is built from (sources and subjects are read at start-up)."""
    digest = hashlib.sha256()
    for path in sorted((corpus_dir / "passages").glob("*.md")):
        if path.exists():
            digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# libyaml's parser when PyYAML was built with it: ten times faster (about 1 s of every server start).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_with_lines(text: str, path: Path, first_line: int, problems: list[Problem]) -> tuple[Any, yaml.Node | None]:
    """Parse YAML, returning (value, node) or (None, None) after recording the error."""
    try:
        node = yaml.compose(text, Loader=_SafeLoader)
        value = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(path, line, f"malformed YAML: {reason}"))
        return None, None
    return value, node


def _item_lines(node: yaml.Node | None, first_line: int) -> list[int]:
    if isinstance(node, yaml.SequenceNode):
        return [first_line + item.start_mark.line for item in node.value]
    return []


def _key_lines(node: yaml.Node | None, first_line: int) -> dict[str, int]:
    if isinstance(node, yaml.MappingNode):
        return {k.value: first_line + k.start_mark.line for k, _ in node.value}
    return {}


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(path, 1, "file is missing"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
    return None


def _read_yaml(path: Path, expected: type, what: str, problems: list[Problem]) -> tuple[Any, yaml.Node | None]:
    """A whole YAML file whose top level must be `expected`; (None, None) after recording a problem."""
    text = _read(path, problems)
    if text is None:
        return None, None
    data, node = _yaml_with_lines(text, path, 1, problems)
    if data is not None and not isinstance(data, expected):
        problems.append(Problem(path, 1, f"expected {what}"))
        return None, None
    return data, node


def _load_sources(path: Path, problems: list[Problem]) -> dict[str, Source]:
    data, node = _read_yaml(path, list, "a list of sources", problems)
    if data is None:
        return {}
    sources: dict[str, Source] = {}
    for line, item in zip(_item_lines(node, 1), data):
        if not isinstance(item, dict):
            problems.append(Problem(path, line, "a source must be a mapping with id, title, author, year, url, kind"))
            continue
        missing = [f for f in ("id", "title", "author", "year", "url", "kind") if f not in item]
        unknown = sorted(set(item) - SOURCE_FIELDS)
        if missing:
            problems.append(Problem(path, line, f"source is missing {', '.join(missing)}"))
        if unknown:
            problems.append(Problem(path, line, f"unknown source field(s): {', '.join(unknown)}"))
        sid = str(item.get("id", ""))
        if item.get("kind") not in SOURCE_KINDS and "kind" in item:
            problems.append(Problem(path, line, f"source {sid}: kind must be one of {', '.join(SOURCE_KINDS)}"))
        if sid in sources:
            problems.append(Problem(path, line, f"duplicate source id {sid!r}"))
        if missing or unknown or not sid:
            continue
        year = item["year"]
        if year is not None and not isinstance(year, int):
            problems.append(Problem(path, line, f"source {sid}: year must be a whole number or null"))
            year = None
        url, canonical = str(item["url"]), item.get("canonical_url")
        if canonical is not None and not (isinstance(canonical, str) and _is_web_address(canonical)):
            problems.append(Problem(path, line, f"source {sid}: canonical_url must be an http(s) address"))
            canonical = None
        problems.extend(Problem(path, line, f"source {sid}: {message}", warning=True)
                        for message in _url_warnings(url, canonical))
        sources[sid] = Source(
            id=sid, title=str(item["title"]), author=str(item["author"]), year=year,
            url=url, kind=str(item["kind"]), reliability=item.get("reliability"), canonical_url=canonical,
        )
    return sources


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def mirror_host(url: str) -> str | None:
    """The host of `url` when it is a known mirror or scraper of other sites' pages, else None."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    return host if MIRROR_HOSTS.search(host) else None


def _url_warnings(url: str, canonical: str | None) -> list[str]:
    """Why a visitor should be sent elsewhere than `url` (a mirror, plain http) when no original is given;
    and whether the original given is itself a mirror or plain http."""
    if canonical is None:
        reasons = [f"on the mirror {host}" for host in [mirror_host(url)] if host]
        reasons += ["plain http"] if urlsplit(url).scheme == "http" else []
        return [f"the url is {' and '.join(reasons)}; give the original as canonical_url"] if reasons else []
    warnings = [f"canonical_url is itself on the mirror {host}" for host in [mirror_host(canonical)] if host]
    warnings += ["canonical_url is plain http"] if urlsplit(canonical).scheme == "http" else []
    return warnings


def _strings(value: Any) -> tuple[str, ...]:
    """A list of strings, or a mapping of language -> list of strings, flattened."""
    if isinstance(value, dict):
        return tuple(str(v) for values in value.values() if isinstance(values, list) for v in values)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _aliases(value: Any) -> tuple[tuple[str, ...], list[str]]:
    """The aliases (one list per language, flattened) and the languages that have none."""
    if not isinstance(value, dict):
        return _strings(value), list(ALIAS_LANGUAGES)
    missing = [language for language in ALIAS_LANGUAGES if not _strings(value.get(language))]
    return _strings(value), missing


def _load_subjects(path: Path, problems: list[Problem]) -> dict[str, Subject]:
    """The subjects of subjects.yaml: any ids; the three DOCUMENTS must be there, as documents."""
    data, node = _read_yaml(path, dict, "a mapping of subject id to subject", problems)
    if data is None:
        return {}
    lines = _key_lines(node, 1)
    for key, first, again in _duplicate_keys(node):
        problems.append(Problem(path, again, f"subject {key} is defined again (first at line {first})"))
    subjects: dict[str, Subject] = {}
    for sid, item in data.items():
        sid = str(sid)
        line = lines.get(sid, 1)
        if not _SUBJECT_ID.match(sid):
            problems.append(Problem(path, line, f"subject id {sid!r} must be lower case words joined by '_' (a-z, 0-9)"))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(path, line, f"subject {sid} must be a mapping (kind, name, description, aliases)"))
            continue
        missing = [f for f in ("kind", "name", "description", "aliases") if not item.get(f)]
        unknown = sorted(str(f) for f in set(item) - SUBJECT_FIELDS)
        if missing:
            problems.append(Problem(path, line, f"subject {sid} is missing {', '.join(missing)}"))
        if unknown:
            problems.append(Problem(path, line, f"subject {sid}: unknown field(s): {', '.join(unknown)}"))
        kind = str(item.get("kind", ""))
        if kind and kind not in SUBJECT_KINDS:
            problems.append(Problem(path, line, f"subject {sid}: kind must be one of {', '.join(SUBJECT_KINDS)}"))
        elif kind == "document" and sid not in DOCUMENTS:
            problems.append(Problem(path, line, f"subject {sid}: only {', '.join(DOCUMENTS)} are documents"))
        elif sid in DOCUMENTS and kind and kind != "document":
            problems.append(Problem(path, line, f"subject {sid} is one of the three documents: its kind must be document"))
        aliases, languages_missing = _aliases(item.get("aliases"))
        if item.get("aliases") and languages_missing:
            problems.append(Problem(path, line, f"subject {sid}: aliases need a list in each of {', '.join(ALIAS_LANGUAGES)}"
                                                f" (missing: {', '.join(languages_missing)})"))
        attributes = {}
        for name, attr in (item.get("attributes") or {}).items():
            if not isinstance(attr, dict) or "value" not in attr:
                problems.append(Problem(path, line, f"subject {sid}: attribute {name} needs a value"))
                continue
            attributes[name] = Attribute(value=str(attr["value"]), mentions=_strings(attr.get("mentions") or []))
        if kind == "document" and not attributes:
            problems.append(Problem(path, line, f"document {sid} needs attributes (signer, date, ...)"))
        subjects[sid] = Subject(
            id=sid, kind=kind, name=str(item.get("name", "")), description=str(item.get("description", "")).strip(),
            aliases=aliases, attributes=attributes, compatible=_strings(item.get("compatible") or []),
            confused_with=tuple(str(c.get("subject")) for c in item.get("confused_with") or [] if isinstance(c, dict)),
        )
    for sid in DOCUMENTS:
        if sid not in data:
            problems.append(Problem(path, 1, f"document {sid} is missing"))
    for sid, subject in subjects.items():
        for other in subject.confused_with:
            if other not in subjects:
                problems.append(Problem(path, lines.get(sid, 1), f"subject {sid}: confused_with names unknown subject {other!r}"))
    return subjects


def _duplicate_keys(node: yaml.Node | None) -> list[tuple[str, int, int]]:
    """(key, 1-based line of the first, of the repeat) for each key a mapping gives again: YAML keeps the last."""
    if not isinstance(node, yaml.MappingNode):
        return []
    first: dict[str, int] = {}
    repeats = []
    for key, _ in node.value:
        line = key.start_mark.line + 1
        if key.value in first:
            repeats.append((key.value, first[key.value], line))
        first.setdefault(key.value, line)
    return repeats


def subject_ids(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> tuple[str, ...]:
    """The subject ids of a corpus's subjects.yaml (whatever else is wrong with it: `check_corpus` says that)."""
    return tuple(_load_subjects(Path(corpus_dir) / "subjects.yaml", []))


def _blocks(lines: list[str]) -> tuple[list[tuple[int, int, int, int]], int | None]:
    """Split a passage file into (fm_start, fm_end, text_start, text_end) line ranges (0-based, end exclusive).

    Returns the blocks and, if the layout is wrong, the 0-based line where it goes wrong.
    """
    delimiters = [i for i, line in enumerate(lines) if line.rstrip() == "---"]
    first_content = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_content is None:
        return [], None
    if not delimiters or delimiters[0] != first_content:
        return [], first_content
    blocks = []
    index = 0
    while index < len(delimiters):
        if index + 1 >= len(delimiters):
            return blocks, delimiters[index]
        open_line, close_line = delimiters[index], delimiters[index + 1]
        text_end = delimiters[index + 2] if index + 2 < len(delimiters) else len(lines)
        blocks.append((open_line + 1, close_line, close_line + 1, text_end))
        index += 2
    return blocks, None


def _sentence_line(lines: list[str], text_start: int, sentence: str) -> int:
    """1-based line on which a sentence starts (its first few words are searched)."""
    probe = " ".join(sentence.split()[:3])
    for offset, line in enumerate(lines[text_start:]):
        if probe and probe in " ".join(line.split()):
            return text_start + offset + 1
    return text_start + 1


def _load_passage_file(path: Path, subjects: set[str], sources: set[str], problems: list[Problem]) -> list[Passage]:
    text = _read(path, problems)
    if text is None:
        return []
    lines = text.splitlines()
    blocks, bad_line = _blocks(lines)
    if bad_line is not None:
        problems.append(Problem(path, bad_line + 1, "expected front matter between two '---' lines before each passage text"))
    passages = []
    for fm_start, fm_end, text_start, text_end in blocks:
        first_line = fm_start + 1
        meta, node = _yaml_with_lines("\n".join(lines[fm_start:fm_end]), path, first_line, problems)
        if meta is None and node is None:
            continue
        if not isinstance(meta, dict):
            problems.append(Problem(path, first_line, "front matter must be a mapping (id, about, sources, ...)"))
            continue
        key_lines = _key_lines(node, first_line)
        pid = str(meta.get("id", ""))
        label = f"passage {pid}" if pid else "passage"
        before = len(problems)
        for field_name in REQUIRED_PASSAGE_FIELDS:
            if not meta.get(field_name):
                problems.append(Problem(path, first_line, f"{label}: missing {field_name!r}"))
        for field_name in sorted(set(meta) - PASSAGE_FIELDS):
            problems.append(Problem(path, key_lines.get(field_name, first_line), f"{label}: unknown field {field_name!r}"))
        if pid and not _SLUG.match(pid):
            problems.append(Problem(path, key_lines.get("id", first_line), f"{label}: id must be a lower-case slug (a-z, 0-9, -)"))
        about = meta.get("about") or []
        if not isinstance(about, list):
            problems.append(Problem(path, key_lines.get("about", first_line), f"{label}: about must be a list of subject ids"))
            about = []
        for subject in about:
            if subject not in subjects:
                problems.append(Problem(path, key_lines.get("about", first_line), f"{label}: unknown subject id {subject!r}"))
        citations = []
        cited = meta.get("sources") or []
        if not isinstance(cited, list):
            problems.append(Problem(path, key_lines.get("sources", first_line), f"{label}: sources must be a list of {{id, locator}}"))
            cited = []
        for line, entry in zip(_item_lines(_mapping_value(node, "sources"), first_line), cited):
            if not isinstance(entry, dict) or not entry.get("id"):
                problems.append(Problem(path, line, f"{label}: each source needs an id and a locator"))
                continue
            if str(entry["id"]) not in sources:
                problems.append(Problem(path, line, f"{label}: unknown source id {entry['id']!r}"))
            if not str(entry.get("locator") or "").strip():
                problems.append(Problem(path, line, f"{label}: source {entry['id']} has no locator"))
            citations.append(Citation(str(entry["id"]), str(entry.get("locator") or "")))
        body = " ".join(line.strip() for line in lines[text_start:text_end] if line.strip())
        body_line = text_start + 1
        if not body:
            problems.append(Problem(path, body_line, f"{label}: empty text"))
        elif len(body) > MAX_PASSAGE_CHARS:
            problems.append(Problem(path, body_line, f"{label}: text is {len(body)} characters; the limit is {MAX_PASSAGE_CHARS}"))
        sentences = split_sentences(body)
        if len(sentences) > MAX_SENTENCES:
            problems.append(Problem(path, body_line, f"{label}: {len(sentences)} sentences; the limit is {MAX_SENTENCES}"))
        for sentence in sentences:
            if _BARE_OPENING.match(sentence):
                opening = " ".join(sentence.split()[:2])
                problems.append(Problem(
                    path, _sentence_line(lines, text_start, sentence),
                    f"{label}: sentence starts with a bare pronoun ({opening!r}); name the subject so it stands alone when quoted",
                ))
        questions = meta.get("questions") or []
        disputed = meta.get("disputed", False)
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            problems.append(Problem(path, key_lines.get("questions", first_line), f"{label}: questions must be a list of strings"))
            questions = []
        by_language = meta.get("questions_by_language") or {}
        if not isinstance(by_language, dict) or not all(
            language in QUESTION_LANGUAGES and isinstance(qs, list) and all(isinstance(q, str) and q.strip() for q in qs)
            for language, qs in by_language.items()
        ):
            problems.append(Problem(
                path, key_lines.get("questions_by_language", first_line),
                f"{label}: questions_by_language must map a language ({', '.join(QUESTION_LANGUAGES)}) to a list of questions",
            ))
            by_language = {}
        if not isinstance(disputed, bool):
            problems.append(Problem(path, key_lines.get("disputed", first_line), f"{label}: disputed must be true or false"))
        if len(problems) > before:
            continue
        passages.append(Passage(
            id=pid, about=tuple(about), sources=tuple(citations), text=body, sentences=tuple(sentences),
            questions=tuple(questions), disputed=bool(disputed), file=path, line=first_line,
            questions_by_language={language: tuple(qs) for language, qs in by_language.items()},
        ))
    return passages


def _mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def check_corpus(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> tuple[Corpus | None, list[Problem]]:
    """Validate the corpus; returns (corpus, problems), the corpus None when any problem is an error."""
    corpus_dir = Path(corpus_dir)
    problems: list[Problem] = []
    sources = _load_sources(corpus_dir / "sources.yaml", problems)
    subjects = _load_subjects(corpus_dir / "subjects.yaml", problems)
    passages: list[Passage] = []
    seen: dict[str, Passage] = {}
    files = sorted((corpus_dir / "passages").glob("*.md"))
    if not files:
        problems.append(Problem(corpus_dir / "passages", 1, "no passage files (*.md) found"))
    for path in files:
        for passage in _load_passage_file(path, set(subjects), set(sources), problems):
            if passage.id in seen:
                first = seen[passage.id]
                problems.append(Problem(path, passage.line, f"duplicate passage id {passage.id!r} (first at {first.file}:{first.line})"))
                continue
            seen[passage.id] = passage
            passages.append(passage)
    facts = load_facts(corpus_dir, set(subjects), set(seen), problems)
    fact_sentences = check_states(facts, subjects, seen, problems, corpus_dir / "facts.yaml") if not errors(problems) else {}
    if errors(problems):
        return None, problems
    return Corpus(sources=sources, subjects=subjects, passages=tuple(passages), content_hash=content_hash(corpus_dir),
                  facts=facts, fact_sentences=fact_sentences), problems


def load_corpus(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> Corpus:
    corpus, problems = check_corpus(corpus_dir)
    if corpus is None:
        raise CorpusError(errors(problems))
    return corpus
