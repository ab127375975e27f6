"""A damaged index is reported (log line, /readyz reason, CLI message) and rebuilt only when the settings
allow it, with each step said; folders of crashed builds are removed; a broken corpus is a clear failed
state, not an endless "loading"."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from config.settings import DEFAULT_CORPUS_DIR, PROJECT_DIR
from index.store import (
    PRIMARY, IndexCorrupt, IndexMissing, check_index, file_checksums, prepare_index, read_manifest,
    remove_leftovers,
)
from server.app import create_app

# One passage is enough: these tests are about the files, not about what is in them.
TINY = """\
---
id: tiny-only
about: [serov_instructions]
sources:
  - id: S01
    locator: "lead section"
---
The Serov Instructions set out how the deportations of June 1941 were to be carried out.
"""


class FakeEncoder:
    """Deterministic vectors without a model: an index builds in milliseconds."""

    name = "fake-encoder"
    dim = 8

    def encode_passages(self, texts, progress=False):
        rng = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).standard_normal(self.dim)
               for t in texts]
        vectors = np.array(rng, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    encode_queries = encode_passages


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    from corpus import load_corpus

    root = tmp_path_factory.mktemp("tiny-corpus")
    (root / "passages").mkdir()
    for name in ("subjects.yaml", "sources.yaml"):
        shutil.copy(DEFAULT_CORPUS_DIR / name, root / name)
    (root / "passages" / "tiny.md").write_text(TINY, encoding="utf-8")
    return load_corpus(root)


MODELS = {PRIMARY: FakeEncoder.name}


def no_build():
    raise AssertionError("the index was rebuilt although the policy does not allow it")


@pytest.fixture
def tiny_index(tmp_path, tiny_corpus) -> Path:
    index_dir = tmp_path / "index"
    prepare_index(tiny_corpus, MODELS, index_dir, rebuild="stale", encoders=lambda: {PRIMARY: FakeEncoder()},
                  report=lambda message: None)
    return index_dir


def test_a_truncated_faiss_file_is_reported_and_not_rebuilt_by_default(tiny_index, tiny_corpus):
    path = tiny_index / "dense-primary.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCorrupt) as raised:
        prepare_index(tiny_corpus, MODELS, tiny_index, rebuild="stale", encoders=no_build)
    message = str(raised.value)
    assert "dense-primary.faiss" in message and "bytes instead of" in message and "serov-qa build" in message


def test_replaced_vectors_of_the_same_shape_are_detected(tiny_index, tiny_corpus):
    path = tiny_index / "vectors-primary.npy"
    vectors = np.load(path)
    np.save(path, -vectors)  # same shape, same size, other content
    with pytest.raises(IndexCorrupt, match="vectors-primary.npy: its content changed after the build"):
        check_index(tiny_index, tiny_corpus, MODELS)


def test_a_damaged_index_is_rebuilt_when_the_policy_allows_and_each_step_is_said(tiny_index, tiny_corpus):
    (tiny_index / "units.json").write_text("[]", encoding="utf-8")
    said: list[str] = []
    building = threading.Event()
    prepare_index(tiny_corpus, MODELS, tiny_index, rebuild="always", encoders=lambda: {PRIMARY: FakeEncoder()},
                  report=said.append, on_build=building.set)
    assert building.is_set()
    assert "damaged: units.json" in said[0] and "(rebuild policy 'always'): building it now" in said[0]
    assert any("to embed with fake-encoder (1 of 1)" in line for line in said)
    assert said[-1].startswith("built the index at")
    check_index(tiny_index, tiny_corpus, MODELS)


def test_a_missing_index_is_built_by_default_and_reported_under_never(tmp_path, tiny_corpus):
    with pytest.raises(IndexMissing):
        prepare_index(tiny_corpus, MODELS, tmp_path / "none", rebuild="never", encoders=no_build)
    prepare_index(tiny_corpus, MODELS, tmp_path / "built", rebuild="stale", encoders=lambda: {PRIMARY: FakeEncoder()})
    assert set(read_manifest(tmp_path / "built")["files"]) >= {"units.json", "dense-primary.faiss", "vectors-primary.npy"}


def test_folders_of_crashed_builds_are_removed_but_not_a_build_in_progress(tiny_index, tiny_corpus):
    crashed = tiny_index.parent / ".index.building-crashed"
    crashed.mkdir()
    (tiny_index.parent / ".index.old-123").mkdir()
    prepare_index(tiny_corpus, MODELS, tiny_index, rebuild="never", encoders=no_build)
    assert not crashed.exists() and not (tiny_index.parent / ".index.old-123").exists()
    running = tiny_index.parent / ".index.building-running"
    running.mkdir()
    with open(tiny_index.parent / ".index-build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is building right now
        assert remove_leftovers(tiny_index) == []
    assert running.exists()
    assert remove_leftovers(tiny_index) == [running.name]


def test_an_index_built_before_checksums_loads_with_a_warning(tiny_index, tiny_corpus, caplog):
    manifest = read_manifest(tiny_index)
    del manifest["files"]
    (tiny_index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        check_index(tiny_index, tiny_corpus, MODELS)
    assert "records no checksums" in caplog.text


# -- the server and the CLI, over a damaged copy of the real index ------------------------------------
@pytest.fixture
def damaged_index(tmp_path, assistant_settings) -> Path:
    """A copy of the session's real index (checksums recorded if it predates them), then truncated."""
    index_dir = tmp_path / "index"
    shutil.copytree(assistant_settings.index_dir, index_dir)
    manifest = read_manifest(index_dir)
    if "files" not in manifest:
        manifest["files"] = file_checksums(index_dir)
        (index_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    path = index_dir / "dense-multilingual.faiss"
    path.write_bytes(path.read_bytes()[:1000])
    return index_dir


def wait_until_loaded(client, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get("/readyz").json()
        if body["status"] not in ("loading", "building_index"):
            return body
        time.sleep(0.05)
    raise AssertionError("still loading")


def test_the_server_says_the_index_is_damaged_on_readyz_and_in_the_log(tmp_path, assistant_settings, damaged_index,
                                                                        caplog):
    settings = assistant_settings.model_copy(update={"index_dir": damaged_index, "index_rebuild": "stale",
                                                     "question_log": tmp_path / "q.sqlite3"})
    with TestClient(create_app(settings)) as client:
        body = wait_until_loaded(client)
        assert body["status"] == "failed" and body["reason"] == "index_damaged"
        assert str(tmp_path) not in json.dumps(body) and "/" not in body["detail"]
        ask = client.post("/api/ask", json={"question": "Who signed the Serov Instructions?"})
        assert ask.status_code == 503 and ask.json()["reason"] == "unavailable" and "Retry-After" not in ask.headers
        assert client.get("/healthz").status_code == 200
        assert "serov_qa_load_failed 1.0" in client.get("/metrics").text
    assert "dense-multilingual.faiss: 1000 bytes instead of" in caplog.text and str(damaged_index) in caplog.text


def test_the_cli_says_the_index_is_damaged_and_how_to_fix_it(damaged_index, monkeypatch):
    from typer.testing import CliRunner

    from serov_qa.cli import app

    monkeypatch.delenv("SEROV_QA_INDEX_REBUILD", raising=False)
    result = CliRunner().invoke(app, ["ask", "Who signed the Serov Instructions?", "--index", str(damaged_index)])
    assert result.exit_code == 1
    assert "damaged: dense-multilingual.faiss" in result.output and "serov-qa build" in result.output
    assert "SEROV_QA_INDEX_REBUILD=always" in result.output
    assert "Traceback" not in result.output


# -- a broken corpus -------------------------------------------------------------------------------------
def test_a_broken_corpus_is_a_failed_state_with_a_short_public_reason(tmp_path, assistant_settings, caplog):
    corpus_dir = tmp_path / "corpus"
    shutil.copytree(PROJECT_DIR / "corpus", corpus_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    broken = corpus_dir / "passages" / "trains.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("  - id: S59", "  - id: S9999", 1), encoding="utf-8")
    settings = assistant_settings.model_copy(update={"corpus_dir": corpus_dir, "question_log": tmp_path / "q.sqlite3"})
    with TestClient(create_app(settings)) as client:
        body = wait_until_loaded(client)
        assert client.get("/readyz").status_code == 503
        assert body == {"status": "failed", "reason": "corpus_invalid",
                        "detail": "the curated corpus has errors; the server log lists them"}
        ask = client.post("/api/ask", json={"question": "Who signed the Serov Instructions?"})
        assert ask.status_code == 503 and ask.json()["reason"] == "unavailable"
        assert "still loading" not in ask.text and "Retry-After" not in ask.headers
        assert client.get("/healthz").status_code == 200
    assert "trains.md:" in caplog.text and "S9999" in caplog.text  # the curators' file:line in the log
