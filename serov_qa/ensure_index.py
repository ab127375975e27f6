"""Build the search index if it is missing or stale (or damaged, if the settings allow); do nothing otherwise.

Why: `make serve` must be fast when nothing changed, and correct when the corpus did.
An index built by a version that recorded no checksums is rebuilt once, so that damage to it can be
detected from then on (the server and `serov-qa ask` accept it as it is, with a warning).
Usage: python -m serov_qa.ensure_index
"""

from __future__ import annotations

import sys

from assistant import realwords as real_words
from config import Settings
from corpus import CorpusError, load_corpus
from index import IndexProblem, build_index
from index.encoders import configured_encoders, configured_models
from index.store import prepare_index, read_manifest


def main() -> int:
    settings = Settings()
    try:
        corpus = load_corpus(settings.corpus_dir)
    except CorpusError as exc:
        print(exc, file=sys.stderr)
        return 1

    def encoders():
        return configured_encoders(settings)

    try:
        prepare_index(corpus, configured_models(settings), settings.index_dir,
                      rebuild=settings.index_rebuild, encoders=encoders, report=print, progress=sys.stderr.isatty())
    except IndexProblem as problem:
        print(f"error: {problem} (or set SEROV_QA_INDEX_REBUILD=always)", file=sys.stderr)
        return 1
    if "files" not in read_manifest(settings.index_dir) and settings.index_rebuild != "never":
        print("the index records no checksums (built by an older version): rebuilding it once")
        build_index(corpus, encoders(), settings.index_dir, progress=sys.stderr.isatty(), report=print)
    else:
        print(f"index is up to date: {settings.index_dir}")
    try:
        real_words.prepare(settings.index_dir)  # the normaliser's word lists: else the first start makes them
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
