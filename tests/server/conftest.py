"""Fixtures of the web server tests: apps built around the one real Assistant of the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config.settings import Settings
from server.app import create_app


@pytest.fixture
def server_settings(assistant_settings: Settings, tmp_path: Path) -> Settings:
    """Each test gets its own question log."""
    return assistant_settings.model_copy(update={"question_log": tmp_path / "questions.sqlite3"})


@pytest.fixture
def make_app(server_settings: Settings, assistant) -> Callable[..., FastAPI]:
    """make_app(rate_limit="off", curator_token="t", ...): a fresh app (own cache, metrics, limiter, log)."""

    def factory(**overrides) -> FastAPI:
        return create_app(server_settings.model_copy(update=overrides), assistant=assistant)

    return factory


@pytest.fixture
def client(make_app) -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client
