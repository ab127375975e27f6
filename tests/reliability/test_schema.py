"""Schemathesis against the app with the real pipeline: generated valid and invalid requests for every
operation of the OpenAPI schema, with every check schemathesis has (no 5xx; status codes, headers,
content types and bodies as the schema documents them; invalid input rejected)."""

from __future__ import annotations

import atexit
import queue
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.settings import Settings
from server.app import create_app

EXAMPLES_PER_OPERATION = 500  # 1000 passed as well, at half a minute more of a suite that must stay under 10

# The schema is read from an app made at import (schemathesis parametrizes at collection time); the real
# pipeline reaches that app through its loader, which waits for the fixture below to hand it over.
_LOG_DIR = Path(tempfile.mkdtemp(prefix="serov-qa-schema-"))
atexit.register(shutil.rmtree, _LOG_DIR, True)
_pipeline: queue.Queue = queue.Queue(maxsize=1)
# Generous time limits: schemathesis counts any 5xx, even the documented overload 503, as a failure, and
# this test is about the contract, not about a busy machine (test_bounded_work.py tests the 503s).
app = create_app(Settings(rate_limit="off", question_log=_LOG_DIR / "q.sqlite3", curator_token=None,
                          metrics_networks=[], metrics_token=None, database_url=None, trusted_proxies=[],
                          queue_wait_seconds=120, answer_budget_seconds=120, answer_hard_limit_seconds=120),
                 loader=lambda settings: _pipeline.get(timeout=600))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES_PER_OPERATION, deterministic=True)
# An invalid body that is also too big is refused with 413 before it is parsed: a rejection too.
_rejecting = schema.config.checks.negative_data_rejection
_rejecting.expected_statuses = [*_rejecting.expected_statuses, "413"]


@pytest.fixture(scope="module", autouse=True)
def _with_the_real_pipeline(assistant):
    if app.state.server.service is None:
        app.state.server.set_assistant(assistant)
    _pipeline.put_nowait(assistant)  # for the loader, if schemathesis's client ran the lifespan
    yield
    app.state.server.questions.close()


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case):
    # One check is off for POST /api/ask: "every request the schema allows is accepted". A question may be
    # refused (422) for what JSON Schema cannot say: more tokens than the limit (a few hundred emoji fit in
    # 1000 characters) or nothing but spaces and invisible characters. Invalid input must still be refused.
    excluded = [positive_data_acceptance] if case.operation.path == "/api/ask" else []
    case.call_and_validate(excluded_checks=excluded)
