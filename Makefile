# Everything a fresh machine with Python 3.11 needs: `make demo` and `make test` create
# the virtual environment and install hyoka into it on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hyoka-installed
DEMO_DB ?= out/demo.duckdb
# the sources laid out as they install (hyoka.extractors, ...) for mypy and import-linter
CHECK_TREE := build/check-tree

.PHONY: demo test bench editions clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## demo: ingest the bundled samples (and their generated later editions) into out/demo.duckdb and show what is in it
demo: $(STAMP)
	@mkdir -p out
	$(BIN)/hyoka ingest samples/*.pdf samples/editions/ samples/real/ikeda/ samples/real/kyoto/ samples/real/kobe/ samples/real/ofunato/ --db $(DEMO_DB)
	$(BIN)/hyoka sql "SELECT municipality, doc_type, results_fiscal_year, status, count(*) AS documents, sum(record_count) AS rows, sum(warning_count) AS warnings FROM documents GROUP BY ALL ORDER BY ALL" --db $(DEMO_DB)
	$(BIN)/hyoka sql "SELECT fiscal_year, stage, total_cost, edition_count, revised, total_cost_reported FROM project_budget_history WHERE project_code = '121101' ORDER BY fiscal_year, stage" --db $(DEMO_DB)
	$(BIN)/hyoka sql "SELECT kpi_name, slot, ref_fiscal_year, value, edition_count FROM kpi_history WHERE kpi_name = '観光客のリピート率' ORDER BY slot, ref_fiscal_year" --db $(DEMO_DB)
	$(BIN)/hyoka changes --from 2022 --to 2023 --db $(DEMO_DB)

## test: style (ruff), types (mypy), the import layers (import-linter), then the whole test suite on every core
# (pytest-xdist: a worker per core, at most 4; the tests that need a Prefect server share one
# worker and its one server, each other test file runs whole on one worker: tests/conftest.py).
# The sources are compiled once and their bytecode kept even where PYTHONDONTWRITEBYTECODE
# is set: every `hyoka` and worker process the tests start would compile them again.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python tools/check_tree.py $(CHECK_TREE)
	$(BIN)/mypy
	cd $(CHECK_TREE) && $(abspath $(BIN))/lint-imports --no-cache $(CURDIR)/pyproject.toml
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m compileall -q hyoka extractors schemas warehouse flows tests
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadgroup --no-loadscope-reorder

## bench: hyoka ingest beside pdfplumber and pypdfium2 text, on a generated 400-page book, the real dev sheets and 100 files made from them
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py --sheets 200

## editions: generate samples/editions/ again from the samples (tests/synth/demo_editions.py)
editions: $(STAMP)
	PYTHONPATH=tests $(BIN)/python -m synth.demo_editions samples/asahikawa_jimujigyo_R4_121101_reportlab.pdf samples/asahikawa_sogo_senryaku_kpi_R4.pdf samples/editions

clean:
	rm -rf out .pytest_cache
