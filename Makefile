# The two commands of the README's quick start: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STORE  ?= var/store
UI_DIR := server/tfatlas/web/static/yasgui
UI_ASSETS := $(UI_DIR)/yasgui.min.js

.PHONY: run test install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python $(UI_ASSETS)
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python $(UI_ASSETS)
	$(BIN)/pip install --quiet -e '.[test]'

# The SPARQL query UI (YASGUI) from npm, served by the atlas itself (no CDN).
$(UI_ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(UI_DIR)
	cp node_modules/@zazuko/yasgui/build/yasgui.min.js node_modules/@zazuko/yasgui/build/yasgui.min.css $(UI_DIR)/

run: install
	$(BIN)/tfatlas --store $(STORE) serve

# pytest exits 5 when it collected no test: that must fail, never pass silently.
test: install-test
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var build dist
