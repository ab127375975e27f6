"""Build the search index if it is missing, stale or damaged; do nothing otherwise.

Why: `make serve` must be fast when nothing changed, and correct when the corpus did.
Usage: python -m serov_qa.ensure_index
"""

from __future__ import annotations

import sys

from corpus import CorpusError, load_corpus
from index import IndexProblem, build_index
from index.encoders import load_encoders
from index.store import MULTILINGUAL, PRIMARY, read_manifest
from config import Settings


def main() -> int:
    settings = Settings()
    try:
        corpus = load_corpus(settings.corpus_dir)
    except CorpusError as exc:
        print(exc, file=sys.stderr)
        return 1
    wanted = {PRIMARY: settings.model}
    if settings.multilingual_model not in ("", "off", "none"):
        wanted[MULTILINGUAL] = settings.multilingual_model
    try:
        manifest = read_manifest(settings.index_dir)
        if manifest.get("corpus_hash") == corpus.content_hash and manifest.get("models") == wanted:
            print(f"index is up to date: {settings.index_dir}")
            return 0
        print("the corpus or the models changed: rebuilding the index")
    except IndexProblem as problem:
        print(f"building the index ({problem})")
    encoders = load_encoders(settings.model, settings.multilingual_model)
    build_index(corpus, encoders, settings.index_dir, progress=sys.stderr.isatty())
    print(f"built {settings.index_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
