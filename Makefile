# passerelle: two commands set up everything (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lock demo serve benchmark-operations test lint typecheck contracts pytest system benchmark benchmark-matching benchmark-web benchmark-web-cpu screenshots messages clean benchmark-simulation benchmark-indicators benchmark-referrals benchmark-linkage benchmark-linkage-ceiling benchmark-linkage-robustness benchmark-overlaps-audit benchmark-disclosure benchmark-analytics benchmark-linkage-blocking benchmark-demo-activity

# Debian's python3 needs python3-venv for `-m venv`; install it when missing (as root in CI).
$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "installing python3-venv"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs come from the lock files, every package pinned with its hashes (docs/operations.md,
# "Installing"): requirements/dev.lock for the tests and CI, demo.lock for `make demo` (the
# engines it shows, no test tools), base.lock for a server without the heavy engines.
$(STAMP): $(BIN)/python pyproject.toml requirements/dev.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

DEMO_STAMP := $(VENV)/.installed-demo
$(DEMO_STAMP): $(BIN)/python pyproject.toml requirements/demo.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements/demo.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(DEMO_STAMP)

# After a change of the dependencies in pyproject.toml: the three lock files again, keeping
# every pin that still fits (`UPGRADE=1`: the newest versions allowed). Linux x86-64, Python
# 3.11 (Debian 12's), as CI and the servers run.
LOCK_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --generate-hashes --annotation-style line \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: $(STAMP)
	$(LOCK_COMPILE) -o requirements/base.lock
	$(LOCK_COMPILE) --extra demo -o requirements/demo.lock
	$(LOCK_COMPILE) --extra dev -o requirements/dev.lock

AXE := node_modules/axe-core/axe.min.js

$(AXE): package.json
	npm install --no-audit --no-fund --silent
	touch $(AXE)

# Debian packages (PostgreSQL, Chromium, gettext, npm) when missing.
system:
	scripts/ensure-system.sh

messages: $(STAMP)
	$(BIN)/pybabel --quiet compile -d src/passerelle/locale -D django

# The demo's three years of synthetic activity, recorded through the services on the first
# run (a progress bar; 300 persons took 68 s on 2 busy cores: some 20 minutes for 5 000);
# later runs find it there and skip it. `make demo DEMO_PERSONS=500` for a quicker first start.
DEMO_PERSONS ?= 5000
demo: $(DEMO_STAMP)
	$(BIN)/pybabel --quiet compile -d src/passerelle/locale -D django
	$(BIN)/passerelle check-knowledge
	$(BIN)/passerelle options examples/profile-asylum-seeker.json --on 2018-06-01
	$(BIN)/passerelle load
	$(BIN)/passerelle demo-data
	$(BIN)/passerelle demo-activity --persons $(DEMO_PERSONS)
	@echo "passerelle is at http://127.0.0.1:8000, with a worker and the scheduler (Ctrl-C to stop)"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.demo start

# The production stack on PostgreSQL (docs/operations.md, "Running the stack"): gunicorn, the
# worker and the scheduler under honcho, settings from the environment. DATABASE_URL defaults
# to the project's own PostgreSQL (scripts/ensure-postgres.sh); DJANGO_SECRET_KEY is required.
serve: $(STAMP) messages
	@[ $${#DJANGO_SECRET_KEY} -ge 50 ] || { echo "make serve: set DJANGO_SECRET_KEY (50+ random characters; see docs/operations.md)" >&2; exit 1; }
	url=$${DATABASE_URL:-$$(scripts/ensure-postgres.sh)} && [ -n "$$url" ] || { echo "PostgreSQL is not available" >&2; exit 1; }; \
	export DATABASE_URL=$$url DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-passerelle.web.config.settings.production}; \
	export DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}; \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0 && \
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho -f Procfile start

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# The suite runs on PostgreSQL, as CI and production do (scripts/ensure-postgres.sh starts
# the project's own instance). pytest's exit code 5 (no test ran) fails the target too.
# The tests are spread over every core (pytest-xdist: one test database per worker, the
# slow linkage and browser tests taken by whichever worker is free); TEST_WORKERS=0 runs
# them in one process. The 25 slowest tests are listed at the end, to keep the suite under 20 minutes.
TEST_WORKERS ?= auto
pytest: $(STAMP) system messages $(AXE)
	url=$$(scripts/ensure-postgres.sh) && [ -n "$$url" ] || { echo "PostgreSQL is not available" >&2; exit 1; }; \
	DATABASE_URL=$$url $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal --durations=25

test: lint typecheck contracts pytest

benchmark: $(STAMP)
	$(BIN)/python benchmarks/eligibility.py

# The task queue: tasks/s, and transition-to-webhook delay under the referral load
# (docs/operations.md); QUICK=1 for a one-minute run.
benchmark-operations: $(STAMP)
	$(BIN)/python benchmarks/operations.py $(if $(QUICK),--quick)

# Matching rounds of 10 000, 100 000 and 1 000 000 synthetic persons (docs/matching.md).
benchmark-matching: $(STAMP)
	$(BIN)/python benchmarks/matching.py

# The sector simulation: agent-months per second, beside the same model in Mesa.
benchmark-simulation: $(STAMP)
	$(BIN)/python benchmarks/simulation.py

# The indicator set on 1 000 000 synthetic persons and 5 000 000 events (docs/indicators.md).
benchmark-indicators: $(STAMP)
	$(BIN)/python benchmarks/indicators.py

# The analysis side on the platform's records in PostgreSQL (docs/benchmarks.md), in its own
# database (PASSERELLE_BENCH_DATABASE_URL, a name with "bench"), emptied first.
benchmark-analytics: $(STAMP)
	$(BIN)/python benchmarks/analytics.py

# The demo's activity through the services: queries per person and per service call
# (docs/benchmarks.md); PERSONS=300 by default.
benchmark-demo-activity: $(STAMP)
	$(BIN)/python benchmarks/demo_activity.py --persons $(or $(PERSONS),300)

# Record linkage: FEBRL4 and both synthetic populations (ours and the independent one) at
# 200 000 and 1 000 000 records (docs/linkage.md); QUICK=1 for 20 000 records.
benchmark-linkage: $(STAMP)
	$(BIN)/python benchmarks/linkage.py $(if $(QUICK),--quick) $(if $(NAMES),--names $(NAMES))

# Blocking alone: recall, candidate pairs and blocks split or dropped by the caps, on FEBRL4
# and both populations (docs/linkage.md, "Blocking").
benchmark-linkage-blocking: $(STAMP)
	$(BIN)/python benchmarks/linkage_blocking.py

# Our unsupervised model beside classifiers trained on the truth, on the same candidate
# pairs (docs/linkage.md, "How far pairwise comparisons go"); RECORDS=1000000 for a million.
benchmark-linkage-ceiling: $(STAMP)
	$(BIN)/python benchmarks/linkage_ceiling.py --records $(or $(RECORDS),200000) $(if $(NAMES),--names $(NAMES))

# Threshold and candidate adjustment chosen on one side (FEBRL4 + our generator) and measured
# on the other (the independent population), and back (docs/linkage.md, "Robust settings").
benchmark-linkage-robustness: $(STAMP)
	$(BIN)/python benchmarks/linkage_robustness.py --records $(or $(RECORDS),20000)

# The disclosure audit of the overlaps on synthetic tables (docs/linkage.md); QUICK=1 for small.
benchmark-overlaps-audit: $(STAMP)
	$(BIN)/python benchmarks/overlaps_audit.py $(if $(QUICK),--quick)

benchmark-disclosure: $(STAMP)
	$(BIN)/python benchmarks/disclosure.py

# The site under load: gunicorn on PostgreSQL, driven by benchmarks/web_load.py (docs/benchmarks.md).
benchmark-web: $(STAMP) system messages
	scripts/ensure-postgres.sh > /dev/null
	$(BIN)/python benchmarks/web.py

# CPU per request of the same mix, one request at a time in one process (less noisy on a
# shared machine); PROFILE=1 adds the cProfile (docs/benchmarks.md).
benchmark-web-cpu: $(STAMP) system messages
	scripts/ensure-postgres.sh > /dev/null
	$(BIN)/python benchmarks/web_cpu.py $(if $(PROFILE),--profile)

# Referrals under load and after a SIGKILL: gunicorn on PostgreSQL (docs/referrals-api.md).
benchmark-referrals: $(STAMP) system
	scripts/ensure-postgres.sh > /dev/null
	$(BIN)/python benchmarks/referrals.py

screenshots: $(STAMP) system messages
	$(BIN)/python -m passerelle.cli.screenshots var/screenshots

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis node_modules
