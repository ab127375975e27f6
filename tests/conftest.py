"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import shutil

import pytest

from serov_qa.settings import PROJECT_DIR, Settings


@pytest.fixture(scope="session")
def assistant_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the real pipeline over the shipped corpus, with the index in a temporary folder.

    The project's own index (var/index), if there is one, is copied in as a warm start: the loader
    rebuilds it anyway when it is stale, and the tests never write to var/.
    """
    root = tmp_path_factory.mktemp("serov-qa")
    index_dir = root / "index"
    shipped = PROJECT_DIR / "var" / "index"
    if (shipped / "manifest.json").is_file():
        try:
            shutil.copytree(shipped, index_dir)
        except (OSError, shutil.Error):
            shutil.rmtree(index_dir, ignore_errors=True)  # being rebuilt right now: build our own
    # Explicit values, so that SEROV_QA_* variables of the developer's shell cannot change the tests.
    return Settings(
        index_dir=index_dir,
        question_log=root / "questions.sqlite3",
        curator_token=None,
        allowed_origins=[],
        rate_limit="30/minute",
        frame_ancestors="'self'",
        idle_seconds=90,
        idle_warning_seconds=30,
        log_retention_days=30,
        cache_size=512,
        max_body_bytes=4096,
    )


@pytest.fixture(scope="session")
def assistant(assistant_settings: Settings):
    """The real Assistant (model, index, corpus), loaded once per test session."""
    from server.app import load_from_settings

    return load_from_settings(assistant_settings)
