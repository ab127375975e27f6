"""The curated corpus: data files in this folder, and the code that loads and checks them."""

from corpus.loader import (
    DEFAULT_CORPUS_DIR, CorpusError, Problem, check_corpus, content_hash, errors, load_corpus, mirror_host, subject_ids,
)
from corpus.model import DOCUMENTS, SUBJECT_KINDS, Corpus, Passage, Source, Subject

__all__ = [
    "DEFAULT_CORPUS_DIR", "DOCUMENTS", "SUBJECT_KINDS", "Corpus", "CorpusError", "Passage", "Problem", "Source",
    "Subject", "check_corpus", "content_hash", "errors", "load_corpus", "mirror_host", "subject_ids",
]
