# `make run` and `make test` install whatever is missing, then run. Re-running is fast.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
NODE_BIN := $(CURDIR)/$(TOOLS)/node_modules/.bin
export PATH := $(NODE_BIN):$(CURDIR)/$(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export PYTHONPATH := $(CURDIR)
PORT ?= 3000
export PORT

# TEST_DB, E2E_DB and TEST_REDIS let two checkouts run their suites side by side.
TEST_DB ?= coworking_test
E2E_DB ?= coworking_e2e
TEST_REDIS ?= redis://127.0.0.1:6379
export E2E_DB TEST_REDIS
TEST_ENV := APP_ENV=test \
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/$(TEST_DB) \
	REDIS_URL=$(TEST_REDIS)/3 RQ_REDIS_URL=$(TEST_REDIS)/4 \
	CACHE_REDIS_URL=$(TEST_REDIS)/5 MEDIA_ROOT=$(CURDIR)/var/media-test \
	SECRET_KEY=test-only-secret-key-not-for-production

.PHONY: run test test-fast messages setup deps db seed postgis chromium prometheus nginx pg-client cluster backup restore worker cron outbox bench bench-ops bench-booking bench-dashboard bench-market bench-telegram clean-web help

help:
	@echo "make run   - install what is missing, migrate, seed, serve on http://localhost:$(PORT)"
	@echo "make test  - install what is missing, run the whole suite on a separate test database"
	@echo "             (PYTEST_ARGS=\"-x tests/services/booking\", or -m 'not browser' to skip the browser tests)"
	@echo "make cluster - two app instances behind nginx on http://127.0.0.1:$${CLUSTER_PORT:-8080} (CLUSTER_PORT)"
	@echo "make test-fast - the unit tests only (tests/unit): no database, Redis or browser, a few seconds"
	@echo "make backup - dump the database into BACKUP_DIR (var/backups) or BACKUP_S3_BUCKET; prints the path or key"
	@echo "make restore FILE=<path or key> DB=<new database> [FORCE=1] - restore a dump into a new database and verify it"
	@echo "make outbox - the latest emails (sign-up codes, reset links) when no mail transport is set"
	@echo "make bench - seed 100k synthetic spaces into the bench database and measure search"
	@echo "make bench-booking - concurrent bookings through the API (BENCH_CLIENTS, BENCH_REQUESTS, BENCH_PORT)"
	@echo "make bench-dashboard - operator dashboard and bookings table on 1M bookings (BENCH_RUNS, BENCH_BOOKINGS)"
	@echo "make bench-ops - one instance's search requests/s and the metrics' CPU cost (after make bench)"
	@echo "make bench-market - a crawl of a generated 500-page site through the API (BENCH_MARKET_PAGES, BENCH_MARKET_RUNS)"

$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(TOOLS)/.installed:
	@mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund node@22 leaflet@1.9.4
	@$(NODE_BIN)/node --version | grep -q '^v2[2-9]' || { echo "Node >= 22 did not install"; exit 1; }
	@touch $@

assets/leaflet/leaflet.js: $(TOOLS)/.installed
	@mkdir -p assets/leaflet
	cp -r $(TOOLS)/node_modules/leaflet/dist/leaflet.js $(TOOLS)/node_modules/leaflet/dist/leaflet.css \
		$(TOOLS)/node_modules/leaflet/dist/images assets/leaflet/

# axe-core (npm): the accessibility scan that tests/browser/test_browser_walk.py injects into every page.
AXE := $(TOOLS)/node_modules/axe-core/axe.min.js
$(AXE): $(TOOLS)/.installed
	npm install --prefix $(TOOLS) --no-audit --no-fund axe-core@4.14.1

postgis:
	@if ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -qq postgresql-15-postgis-3 >/dev/null 2>&1 || \
		 (apt-get update -qq && apt-get install -y -qq postgresql-15-postgis-3)) ; \
	else echo "PostGIS is missing: install postgresql-15-postgis-3 (as root: apt-get install -y postgresql-15-postgis-3)"; exit 1; fi

# promtool checks the alert rules in the suite, and a real Prometheus scrapes a test app
# (tests/api/test_prometheus.py): Debian's `prometheus` package brings both.
prometheus:
	@if command -v promtool >/dev/null && command -v prometheus >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || \
		 (apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus)); \
	else echo "Prometheus is missing: install the Debian package prometheus"; exit 1; fi

# Debian's nginx: the load balancer of `make cluster` and tests/browser/test_browser_cluster.py.
nginx:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -qq nginx >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nginx)); \
	else echo "nginx is missing: install the Debian package nginx"; exit 1; fi

chromium:
	@if command -v chromium >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)); \
	else echo "Chromium is missing: install the Debian package chromium"; exit 1; fi

# pg_dump / pg_restore of the server's version, for `make backup` / `make restore`.
pg-client:
	@if command -v pg_dump >/dev/null && command -v pg_restore >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -qq postgresql-client-15 >/dev/null 2>&1 || \
		 (apt-get update -qq && apt-get install -y -qq postgresql-client-15)); \
	else echo "pg_dump is missing: install postgresql-client-15 (as root: apt-get install -y postgresql-client-15)"; exit 1; fi

# The message catalogs (docs/i18n.md): extract the texts marked in the code, merge them into
# locales/{ru,en}/LC_MESSAGES/messages.po (new ones empty for the translator), compile the .mo files.
messages: $(BIN)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --no-default-keywords -k tr -k N_ -k t -k tc:1c,2 -k plural:2,4 \
		-k plural_word:2,4 --add-location=file --sort-by-file -o locales/messages.pot . >/dev/null
	for lang in ru en; do \
		$(BIN)/pybabel -q update -i locales/messages.pot -d locales -l $$lang --no-fuzzy-matching \
			--ignore-obsolete >/dev/null || exit 1; done
	$(BIN)/pybabel -q compile -d locales --use-fuzzy >/dev/null

# Compiled catalogs (git-ignored): made again when a .po changes.
MO_FILES := locales/ru/LC_MESSAGES/messages.mo locales/en/LC_MESSAGES/messages.mo
locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(BIN)/.installed
	$(BIN)/pybabel -q compile -d locales -l $* --use-fuzzy

deps: $(BIN)/.installed $(TOOLS)/.installed assets/leaflet/leaflet.js postgis $(MO_FILES)

db: deps
	$(BIN)/python -m coworking_app.cli create-db
	$(BIN)/alembic upgrade head

seed: db
	$(BIN)/python -m coworking_app.cli seed-demo

setup: seed

# Every process of `make run` writes its metrics into one emptied folder, and /metrics on any
# server process adds them all up (docs/operations.md).
METRICS_DIR := $(CURDIR)/var/metrics

run: setup
	@rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	@export PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR); trap 'kill 0' EXIT INT TERM; \
	$(BIN)/rq worker -w coworking_app.worker.Worker --exception-handler coworking_app.alerts.job_failed \
		--url $${RQ_REDIS_URL:-redis://127.0.0.1:6379/1} --with-scheduler default & \
	$(BIN)/rq worker -w coworking_app.worker.Worker --exception-handler coworking_app.alerts.job_failed \
		--url $${RQ_REDIS_URL:-redis://127.0.0.1:6379/1} market ops & \
	$(BIN)/rq cron --url $${RQ_REDIS_URL:-redis://127.0.0.1:6379/1} jobs.cron & \
	if [ -n "$${TELEGRAM_BOT_TOKEN:-$$(grep -s '^TELEGRAM_BOT_TOKEN=.' .env)}" ]; then $(BIN)/python -m coworking_app.bot & fi; \
	GRANIAN_WORKERS=$${GRANIAN_WORKERS:-$$(( $$(nproc) + 1 ))} \
		$(BIN)/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT)

# Two instances of the app behind nginx on CLUSTER_PORT (default 8080), the worker and cron
# once, on the same database and Redis as `make run` (docs/operations.md).
CLUSTER_PORT ?= 8080
cluster: setup nginx
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/rq worker -w coworking_app.worker.Worker --exception-handler coworking_app.alerts.job_failed \
		--url $${RQ_REDIS_URL:-redis://127.0.0.1:6379/1} --with-scheduler default market ops & \
	$(BIN)/rq cron --url $${RQ_REDIS_URL:-redis://127.0.0.1:6379/1} jobs.cron & \
	$(BIN)/python deploy/cluster/run.py --port $(CLUSTER_PORT)

backup: $(BIN)/.installed pg-client
	$(BIN)/python -m coworking_app.cli backup

restore: $(BIN)/.installed pg-client
	@if [ -z "$(FILE)" ] || [ -z "$(DB)" ]; then echo "usage: make restore FILE=<path or key> DB=<new database> [FORCE=1]"; exit 2; fi
	$(BIN)/python -m coworking_app.cli restore "$(FILE)" --database "$(DB)" $(if $(FORCE),--force,)

outbox:
	@$(BIN)/python -m coworking_app.cli outbox --limit $${LIMIT:-5}

test: deps chromium prometheus nginx pg-client $(AXE)
	$(TEST_ENV) $(BIN)/python -m coworking_app.cli create-db
	$(TEST_ENV) $(BIN)/alembic upgrade head
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

# Unit tests: pure functions and static checks of the source. PostgreSQL and Redis are given
# as closed ports, so a unit test that reaches for either fails instead of passing here by luck.
UNIT_ENV := APP_ENV=test \
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:9/coworking_test_unit_no_database \
	REDIS_URL=redis://127.0.0.1:9/0 RQ_REDIS_URL=redis://127.0.0.1:9/1 \
	CACHE_REDIS_URL=redis://127.0.0.1:9/2 MEDIA_ROOT=$(CURDIR)/var/media-unit \
	SECRET_KEY=test-only-secret-key-not-for-production

test-fast: deps
	$(UNIT_ENV) $(BIN)/pytest tests/unit $(PYTEST_ARGS)

bench: deps
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench $(BIN)/python -m coworking_app.cli create-db
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench $(BIN)/alembic upgrade head
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench $(BIN)/python bench/search.py

BENCH_BOOKING_ENV := APP_ENV=development \
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench_booking \
	CACHE_REDIS_URL=redis://127.0.0.1:6379/9 RQ_REDIS_URL=redis://127.0.0.1:6379/10

BENCH_MARKET_ENV := APP_ENV=development \
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench_market \
	CACHE_REDIS_URL=redis://127.0.0.1:6379/9 RQ_REDIS_URL=redis://127.0.0.1:6379/10

bench-market: deps
	$(BENCH_MARKET_ENV) $(BIN)/python -m coworking_app.cli create-db
	$(BENCH_MARKET_ENV) $(BIN)/alembic upgrade head
	$(BENCH_MARKET_ENV) $(BIN)/python -m coworking_app.cli seed-demo
	$(BENCH_MARKET_ENV) $(BIN)/python bench/market.py

BENCH_TELEGRAM_ENV := APP_ENV=development \
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench_telegram \
	REDIS_URL=redis://127.0.0.1:6379/11 CACHE_REDIS_URL=redis://127.0.0.1:6379/12 RQ_REDIS_URL=redis://127.0.0.1:6379/13

bench-telegram: deps
	$(BENCH_TELEGRAM_ENV) $(BIN)/python -m coworking_app.cli create-db
	$(BENCH_TELEGRAM_ENV) $(BIN)/alembic upgrade head
	$(BENCH_TELEGRAM_ENV) $(BIN)/python bench/telegram_outbox.py

# One instance's search throughput with and without metrics (needs `make bench`'s database).
bench-ops: deps
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench $(BIN)/python bench/ops.py

bench-booking: deps
	$(BENCH_BOOKING_ENV) $(BIN)/python -m coworking_app.cli create-db
	$(BENCH_BOOKING_ENV) $(BIN)/alembic upgrade head
	$(BENCH_BOOKING_ENV) $(BIN)/python bench/booking.py

BENCH_DASHBOARD_ENV := APP_ENV=development \
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench_dashboard \
	CACHE_REDIS_URL=redis://127.0.0.1:6379/14 RQ_REDIS_URL=redis://127.0.0.1:6379/15

bench-dashboard: deps
	$(BENCH_DASHBOARD_ENV) $(BIN)/python -m coworking_app.cli create-db
	$(BENCH_DASHBOARD_ENV) $(BIN)/alembic upgrade head
	$(BENCH_DASHBOARD_ENV) $(BIN)/python bench/dashboard.py

clean-web:
	rm -rf .web
