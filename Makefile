# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
AZURITE := node_modules/.bin/azurite-table

.PHONY: run test validate bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP) $@

run: $(STAMP)
	$(PY) -m hunting run --workspace samples/workspace

validate: $(STAMP)
	$(PY) -m hunting validate --workspace samples/workspace

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Azurite (the Azure Storage emulator, from npm) serves the state-store tests on a free port,
# found through AZURITE_TABLE_PORT, and is stopped afterwards even when tests fail.
test: $(DEV_STAMP) $(NODE_STAMP)
	@mkdir -p .azurite; \
	port=$$($(PY) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	$(AZURITE) --silent --inMemoryPersistence --disableTelemetry --skipApiVersionCheck \
		--tableHost 127.0.0.1 --tablePort $$port > .azurite/azurite.log 2>&1 & azurite=$$!; \
	trap 'kill $$azurite 2>/dev/null' INT TERM; \
	AZURITE_TABLE_PORT=$$port $(PY) -m pytest -q $(PYTEST_ARGS); status=$$?; \
	kill $$azurite 2>/dev/null; wait $$azurite 2>/dev/null; \
	exit $$status

bench: $(DEV_STAMP)
	$(PY) benchmarks/enrichment.py

clean:
	rm -rf $(VENV) .pytest_cache
