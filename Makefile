# Two commands on a fresh machine: `make serve` and `make test`.
# The virtual environment is (re)installed only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test install index check evaluate bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch==2.13.0 is pinned in the same pip command so pip takes the local CPU wheel.
	$(BIN)/python -m pip install --quiet -e '.[test]' torch==2.13.0
	touch $(STAMP)

install: $(STAMP)

check: $(STAMP)
	$(BIN)/serov-qa corpus check

# Builds the index only when it is missing or the corpus changed (the manifest records the corpus hash).
index: $(STAMP)
	$(BIN)/python -m serov_qa.ensure_index

serve: index
	$(BIN)/serov-qa serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest -q

evaluate: index
	$(BIN)/serov-qa evaluate --report var/report --fail-under accuracy=0.85,false_abstention_rate=0.05,conflation_rate=0,citation_validity=1

bench: index
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/answer.py
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) var
