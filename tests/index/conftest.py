"""Fixtures of the index tests: the MiniLM encoder, and a tiny corpus with its index built once."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus import DEFAULT_CORPUS_DIR, Corpus, content_hash, load_corpus

# Four passages in one file; the shipped subjects.yaml and sources.yaml are copied next to it.
TINY_PASSAGES = """\
---
id: tiny-chair
about: [kersten_committee]
sources:
  - id: S16
    locator: "lead section"
questions:
  - Who chaired the Kersten Committee?
---
The Kersten Committee was chaired by Rep. Charles J. Kersten, a member of the U.S. House of Representatives from Wisconsin.

---
id: tiny-hearings
about: [kersten_committee]
sources:
  - id: S16
    locator: "section 'Investigation', second paragraph"
---
The Kersten Committee held its hearings from 30 November to 11 December 1953.
The Kersten Committee heard about 100 witnesses during its investigation.

---
id: tiny-signer
about: [serov_instructions, ivan_serov]
sources:
  - id: S01
    locator: "lead section"
---
The Serov Instructions were signed by Ivan Serov, deputy head of the NKGB.

---
id: tiny-trains
about: [june_1941_deportation]
sources:
  - id: S01
    locator: "section 'Deportation'"
---
Deported families were loaded into freight wagons at railway stations and sent east to Siberia.
"""
TINY_FILE = "passages/tiny.md"
_LOADED: dict[str, Corpus] = {}


def make_tiny_corpus(root: Path) -> Path:
    (root / "passages").mkdir(parents=True)
    shutil.copy(DEFAULT_CORPUS_DIR / "subjects.yaml", root / "subjects.yaml")
    shutil.copy(DEFAULT_CORPUS_DIR / "sources.yaml", root / "sources.yaml")
    (root / TINY_FILE).write_text(TINY_PASSAGES, encoding="utf-8")
    return root


@dataclass
class Tiny:
    """A private copy of the tiny corpus and of its freshly built index."""

    corpus_dir: Path
    index_dir: Path

    @property
    def passage_file(self) -> Path:
        return self.corpus_dir / TINY_FILE

    def corpus(self) -> Corpus:
        """The corpus as it is now on disk (loaded once per content: the YAML files take a while to parse)."""
        key = content_hash(self.corpus_dir)  # the passages; subjects.yaml and sources.yaml are never changed
        if key not in _LOADED:
            _LOADED[key] = load_corpus(self.corpus_dir)
        return _LOADED[key]

    def leftovers(self) -> list[str]:
        """Hidden build or swap folders next to the index (there should never be any)."""
        return sorted(p.name for p in self.index_dir.parent.iterdir() if p.name.startswith(f".{self.index_dir.name}."))


@pytest.fixture(scope="session")
def minilm():
    """The primary encoder (all-MiniLM-L6-v2 from its package), loaded once."""
    from index import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def tiny_master(tmp_path_factory: pytest.TempPathFactory, minilm) -> Tiny:
    """The tiny corpus and its index, built once; tests work on copies (see `tiny`)."""
    from index import build_index

    root = tmp_path_factory.mktemp("tiny")
    corpus_dir = make_tiny_corpus(root / "corpus")
    build_index(load_corpus(corpus_dir), minilm, root / "index")
    return Tiny(corpus_dir, root / "index")


@pytest.fixture
def tiny(tmp_path: Path, tiny_master: Tiny) -> Tiny:
    """A private copy of the tiny corpus and its up-to-date index (the corpus hash survives the copy)."""
    shutil.copytree(tiny_master.corpus_dir, tmp_path / "corpus")
    shutil.copytree(tiny_master.index_dir, tmp_path / "index")
    return Tiny(tmp_path / "corpus", tmp_path / "index")
