# Xiaoer (店小二): one Makefile for setup, the assistant and its tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)
# The backend suite also runs against this PostgreSQL; it skips (saying why) where none answers.
export SHOP_TEST_DB_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/test
# Rasa 3.6 supports Python 3.8–3.10 only: find a 3.10 interpreter (pyenv shims can lie).
PYTHON310 = $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python /root/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo "$$p"; break; }; done)

.PHONY: help setup lock test lint db demo-db train shell serve actions demo-traffic report

help:
	@echo "make setup   create .venv (Python 3.10) with the pinned dependency set"
	@echo "make shell   set up, seed the demo DB, train if needed, start actions, open rasa shell"
	@echo "make serve   the same, serving REST and socket.io on localhost:5005, the web app on localhost:8080"
	@echo "make test    run every test (sets up first when needed)"
	@echo "make demo-traffic  play two weeks of demo shoppers for the dashboard and the weekly report"
	@echo "make report  the weekly report of last week (WEEK=2026-W49 for another) into var/reports/"
	@echo "make bench   benchmarks against a stock Rasa bot (slow)"
	@echo "make bench-smoke  the bench harness on a few messages (reuses models)"
	@echo "make train   retrain models/current.tar.gz if config, domain/, data/ or addons/ changed"
	@echo "make actions  run the action server alone (on the port of action_endpoint in endpoints.yml)"
	@echo "make db      create and seed the demo shop database var/shop.db if missing or stale"
	@echo "make demo-db  seed the demo shop database afresh"
	@echo "make lint    ruff over shop, actions, tests and bench"
	@echo "make lock    regenerate requirements.lock after editing requirements.in"
	@echo "make help    this list"

setup: $(STAMP)

# --no-compile: no bytecode for the ~13,000 installed modules up front (~40 s of a fresh install);
# Python compiles the ones imported, once.
$(STAMP): requirements.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (Rasa 3.6 needs 3.8–3.10)"; exit 1; }
	test -x $(PY) || "$(PYTHON310)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<24"
	$(PY) -m pip install --quiet --no-deps --no-compile --disable-pip-version-check -r requirements.lock
	$(PY) -m pip check
	touch $(STAMP)

# Regenerate the lock after editing requirements.in.
lock: $(STAMP)
	$(PY) -m pip install --quiet -r requirements.in
	$(PY) -m pip freeze --all --exclude-editable | grep -v "^pip==" > requirements.lock

# The demo shop database: created and seeded once, and afresh when the schema or the demo data
# changes (a checkout that brings a new table would otherwise meet an old file); `make demo-db`
# seeds it afresh at any time.
DB_FILE := var/shop.db
db: $(DB_FILE)
$(DB_FILE): shop/models.py shop/seed.py | $(STAMP)
	$(PY) -m shop --db sqlite:///$(abspath $(DB_FILE)) reset  # this file only, whatever SHOP_DB_URL says

demo-db: $(STAMP)
	$(PY) -m shop reset

# A realistic fortnight (and this week so far) of shoppers played through the real assistant, so the
# dashboard (/dashboard/) and the weekly report show something true on a fresh clone: the demo shop
# is seeded afresh and earlier demo conversations leave the tracker store first (docs/analytics.md).
demo-traffic: $(STAMP) $(MODEL)
	$(PY) -m shop reset
	$(PY) scripts/demo_traffic.py --replace-demo

# The weekly report of WEEK (ISO, default: last week) into var/reports/WEEK/: report.html, report.pdf.
WEEK ?= $(shell date -d '7 days ago' +%G-W%V)
report: $(STAMP)
	$(PY) -m shop report --week $(WEEK) --out var/reports/$(WEEK)

# Retrain only when the model is missing or older than what it is trained from.
MODEL := models/current.tar.gz
# The pipeline's own components (addons/) are part of what a model is trained from.
TRAIN_INPUTS := config.yml $(shell find domain data -type f 2>/dev/null) $(wildcard addons/*.py)
train: $(MODEL)
$(MODEL): $(TRAIN_INPUTS) | $(STAMP)
	$(RASA) train --domain domain --fixed-model-name current --out models

actions: $(STAMP) db
	$(PY) -m shop check
	SANIC_HOST="$${XIAOER_ACTIONS_BIND:-127.0.0.1}" $(RASA) run actions --actions actions --port $$($(PY) scripts/actions_port.py)

shell: $(STAMP) db $(MODEL)
	scripts/with_actions.sh $(PY) scripts/rasa_quiet.py shell -m $(MODEL) --endpoints endpoints.yml

serve: $(STAMP) db $(MODEL)
	scripts/with_web.sh scripts/serve.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check shop actions tests bench

# Rasa's data validation (a core for ~15 s) runs beside pytest, which mostly waits on its test servers;
# its output is shown when it fails. The 15 slowest tests are listed, so a slow new one is seen.
test: $(STAMP) $(MODEL)
	$(VENV)/bin/ruff check .
	@log=$$(mktemp); $(RASA) data validate --domain domain >"$$log" 2>&1 & validating=$$!; \
	$(VENV)/bin/pytest --durations=15; tests=$$?; \
	if wait $$validating; then echo "rasa data validate: passed"; rm -f "$$log"; \
	else tail -n 60 "$$log"; echo "rasa data validate: FAILED (above)"; rm -f "$$log"; exit 1; fi; \
	exit $$tests

# Benchmarks against a stock Rasa bot (bench/, docs/benchmarks.md). Slow: trains both
# configurations, then quality, latency, throughput, start-up and memory; not part of `make test`.
.PHONY: bench bench-smoke
bench: $(STAMP)
	$(PY) -m bench all

# The same harness on a few messages (reuses models when present); tests/bench runs it too.
bench-smoke: $(STAMP)
	$(PY) -m bench smoke
