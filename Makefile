# Partner Portal. `make run` serves it; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app.py

.PHONY: run test lint format bench bench-mail bench-enumeration clean install install-dev screenshots

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The browser checks' tools (axe-core, vnu-jar), from the npm registry, when npm is present.
tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility and HTML checks will be skipped"; fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev tests/browser/node_modules/.installed

## run: install, migrate the SQLite database, load the demo when empty, serve on :5000
## with the mail worker beside the web server (both stop together on Ctrl-C)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	@echo
	@echo "  Partner Portal: http://127.0.0.1:5000  (development mailbox: http://127.0.0.1:5000/dev/mailbox)"
	@echo "  Demo partners: alice@acme.example, bob@globex.example, carol@initech.example"
	@echo "  Admin console: http://127.0.0.1:5000/admin  (first create a staff account: .venv/bin/flask admin create EMAIL)"
	@echo
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask mail worker & worker=$$!; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## test: install, lint, run the whole suite on SQLite, and again on PostgreSQL if TEST_DATABASE_URL is set
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== The suite again, on PostgreSQL"; \
		$(BIN)/pytest --engine=postgresql; \
	else \
		echo "== TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

$(VENV)/.installed-bench: bench/requirements.txt $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

# The Flask-Security-Too peer has a virtualenv of its own: its pins never meet the portal's.
PEER_VENV := bench/peer/.venv
$(PEER_VENV)/.installed: bench/peer/requirements.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/pip install --quiet -r bench/peer/requirements.txt
	touch $@

## bench: gunicorn + wrk on SQLite and PostgreSQL, the portal beside a minimal app and the
##        Flask-Security-Too peer (bench/peer/, own virtualenv); table and chart in bench/results/
##        (BENCH_ARGS=--quick for a quick run, --no-peer without the peer; bench/run.py --help)
bench: $(VENV)/.installed-bench $(PEER_VENV)/.installed
	.ci/provision wrk postgresql
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## screenshots: retake the README's screenshots (docs/screenshots/*.png) in Chromium
screenshots: install-dev
	$(BIN)/pytest -m screenshots tests/browser/test_screenshots.py -q

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(PEER_VENV) .pytest_cache .ruff_cache

## bench-mail: POST /partner/login with healthy/stalled/dead mail, and worker throughput
bench-mail: install-dev
	$(BIN)/python bench/mail_path.py

## bench-enumeration: medians of 100 requests per kind of address (registered, unknown, inactive)
bench-enumeration: install-dev
	$(BIN)/python bench/enumeration.py
