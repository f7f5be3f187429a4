# Two commands do everything from a fresh clone:
#   make ask [Q="问题"]   answer a question about the seeds (sets up .venv on first use)
#   make test             run the test suite
# and make lint checks the code (ruff, then mypy strict) as CI does before the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
Q ?= 边境党员干部受到了哪些教育？

.PHONY: ask test test-all lint bench-peers bench-scale clean

# torch comes first and pinned: any other torch requirement would pull the CUDA build.
$(VENV)/.installed: pyproject.toml
	@echo "Setting up $(VENV) (first run only; torch and sentence-transformers take a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# The question reaches seedqa through the environment, never through the shell: quotes,
# backticks and $HOME in it are asked as written.
unexport Q
ask: export SEEDQA_ASK = $(value Q)
ask: $(VENV)/.installed
	@$(BIN)/seedqa ask "$$SEEDQA_ASK"

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-all: $(VENV)/.installed
	$(BIN)/python -m pytest -m "" $(PYTEST_ARGS)

# ruff and mypy come with the test extra; mypy's settings (packages, per-module overrides) are in
# pyproject.toml.
LINTED := bot retrieval embeddings tests bench
lint: $(VENV)/.installed
	$(BIN)/python -m ruff check $(LINTED)
	$(BIN)/python -m ruff format --check $(LINTED)
	$(BIN)/python -m mypy

# The peer benchmark gets an environment of its own, so that seedqa's never holds the peers.
BENCH := .venv-bench
$(BENCH)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH)/bin/python -m pip install --quiet torch==2.13.0
	$(BENCH)/bin/python -m pip install --quiet -e '.[bench]'
	@touch $@

bench-peers: $(BENCH)/.installed
	$(BENCH)/bin/python -m bench.peers

# 10k, 100k and 1M synthetic paragraphs (about an hour and a half, 10 GB under /tmp/seedqa-scale).
bench-scale: $(BENCH)/.installed
	$(BENCH)/bin/python -m bench.scale

clean:
	rm -rf $(VENV) $(BENCH) index .pytest_cache
