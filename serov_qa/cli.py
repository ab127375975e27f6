"""serov-qa: check the corpus, build the index, ask, evaluate and serve.

Usage: serov-qa [corpus check | build | ask QUESTION [--json] | evaluate | serve]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from config import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n")[0])
corpus_app = typer.Typer(no_args_is_help=True, help="Work with the curated corpus.")
app.add_typer(corpus_app, name="corpus")

CorpusOption = Annotated[Optional[Path], typer.Option("--corpus", help="Corpus folder (default: the shipped corpus).")]
IndexOption = Annotated[Optional[Path], typer.Option("--index", help="Index folder (default: var/index).")]


def _settings(corpus: Path | None = None, index: Path | None = None) -> Settings:
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:  # a SEROV_QA_* variable is wrong: say which, no traceback
        problems = "; ".join(f"SEROV_QA_{'_'.join(map(str, e['loc'])).upper() or '?'}: {e['msg']}" for e in exc.errors())
        _fail(f"the settings are not valid: {problems}")
    updates = {k: v for k, v in (("corpus_dir", corpus), ("index_dir", index)) if v is not None}
    return settings.model_copy(update=updates)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _load_corpus(settings: Settings):
    from corpus import CorpusError, load_corpus

    try:
        return load_corpus(settings.corpus_dir)
    except CorpusError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        _fail(f"the corpus has {len(exc.problems)} problem(s); run `serov-qa corpus check` after fixing them")


@corpus_app.command("check")
def corpus_check(corpus: CorpusOption = None) -> None:
    """Validate the corpus; every problem is printed as file:line: message."""
    from corpus import check_corpus, errors

    settings = _settings(corpus)
    checked, problems = check_corpus(settings.corpus_dir)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if errors(problems):
        _fail(f"{len(errors(problems))} problem(s) in {settings.corpus_dir}")
    counts: dict[str, int] = {}
    for passage in checked.passages:
        for subject in passage.about:
            counts[subject] = counts.get(subject, 0) + 1
    canonical = sum(s.canonical_url is not None for s in checked.sources.values())
    typer.echo(f"ok: {len(checked.passages)} passages, {len(checked.sources)} sources ({canonical} with canonical_url)"
               + (f", {len(problems)} warning(s)" if problems else ""))
    for subject in checked.subjects:
        typer.echo(f"  {subject:24} {counts.get(subject, 0):4} passages")


@app.command()
def build(corpus: CorpusOption = None, index: IndexOption = None) -> None:
    """Embed the corpus and write the search index (atomically)."""
    from index import build_index
    from index.encoders import configured_encoders

    settings = _settings(corpus, index)
    loaded_corpus = _load_corpus(settings)
    encoders = configured_encoders(settings)
    build_index(loaded_corpus, encoders, settings.index_dir, progress=sys.stderr.isatty(),
                report=lambda message: typer.echo(message, err=True))
    names = ", ".join(e.name for e in encoders.values())
    typer.echo(f"built {settings.index_dir} ({len(loaded_corpus.passages)} passages, models {names})")


def prepare_index_or_exit(settings: Settings, corpus) -> None:
    """Check the index; build it when the rebuild policy allows (saying so, with progress), else explain and exit."""
    from index import IndexProblem
    from index.encoders import configured_encoders, configured_models
    from index.store import prepare_index

    def say(message: str) -> None:
        typer.echo(message, err=True)

    try:
        prepare_index(corpus, configured_models(settings), settings.index_dir,
                      rebuild=settings.index_rebuild, report=say, progress=sys.stderr.isatty(),
                      encoders=lambda: configured_encoders(settings))
    except IndexProblem as problem:
        _fail(f"{problem} (or set SEROV_QA_INDEX_REBUILD=always to let commands rebuild it; "
              f"the rebuild policy now is '{settings.index_rebuild}')")


def load_assistant_or_exit(settings: Settings):
    """assistant.pipeline.load, with every load failure as a readable message and a non-zero exit."""
    from assistant.pipeline import load
    from index import IndexProblem

    try:
        prepare_index_or_exit(settings, _load_corpus(settings))
        return load(settings)
    except IndexProblem as exc:
        _fail(str(exc))
    except ValueError as exc:  # the answering policy file
        _fail(str(exc))
    except OSError as exc:
        where = Path(exc.filename) if getattr(exc, "filename", None) else None
        if where is not None and (where == settings.index_dir or settings.index_dir in where.parents
                                  or where in settings.index_dir.parents):
            _fail(f"cannot build or read the index at {settings.index_dir}: {exc.strerror or exc}")
        _fail(f"cannot load the model {settings.model!r} or the index at {settings.index_dir}: {exc}")


def render_answer(answer) -> str:
    lines = [answer.answer, ""]
    for number, quote in enumerate(answer.quotes, start=1):
        for source in quote.sources:
            lines.append(f"[{number}] {source.title}, {source.locator} ({quote.passage_id}) {source.url}")
    if answer.suggestions:
        lines += ["", "You could also ask:", *(f"  - {s}" for s in answer.suggestions)]
    return "\n".join(lines).rstrip()


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer contract as JSON.")] = False,
    lang: Annotated[Optional[str], typer.Option(help="Language of the question (default: detected).")] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Answer one question with quotes and citations."""
    from assistant import QuestionError
    from server.security import clean_argument

    # Bytes that are not UTF-8 (`serov-qa ask $'\xff'`), control and invisible characters: cleaned
    # before anything prints or matches them.
    question = clean_argument(question)
    lang = clean_argument(lang) or None if lang else None
    if not question:
        _fail("the question is empty (or has only invisible characters); please type a question", code=2)
    assistant = load_assistant_or_exit(_settings(corpus, index))
    try:
        answer = assistant.answer(question, lang=lang)
    except QuestionError as exc:
        _fail(str(exc), code=2)
    typer.echo(answer.model_dump_json(indent=2) if as_json else render_answer(answer))


@app.command()
def evaluate(
    questions: Annotated[Optional[list[Path]], typer.Option(
        "--questions", help="A question file; repeat for several. Default: every shipped file (gold and independent).",
    )] = None,
    report: Annotated[Path, typer.Option("--report", help="Folder for report.html, results.json, junit.xml.")] = Path("var/report"),
    fail_under: Annotated[Optional[str], typer.Option("--fail-under", help="Thresholds, e.g. accuracy=0.9,citation_validity=1")] = None,
    corpus: CorpusOption = None,
    index: IndexOption = None,
) -> None:
    """Run the gold questions and write a report; exit 1 if a threshold is missed, 2 on a bad question file."""
    from evaluation.runner import run_cli

    code = run_cli(load_assistant_or_exit, _settings(corpus, index), questions, report, fail_under)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port.")] = None,
) -> None:
    """Serve the kiosk, the widget and the API (the index is built first if needed and allowed)."""
    import uvicorn

    settings = _settings()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from server.app import create_app
    from server.serving import uvicorn_options

    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                **uvicorn_options(settings))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
