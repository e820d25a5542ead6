# LEC: two commands. `make run` serves the demo, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
export FLASK_APP := run

.PHONY: run test translations lint clean catalog benchmark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d app/translations

run: translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask lec sync-roles
	$(BIN)/flask lec seed-demo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance tests/artifacts

# After adding user-visible strings: refresh the template and the English catalog; then add the
# Thai entries to app/translations/th/LC_MESSAGES/messages.po by hand (tests/test_translations.py
# lists any that are missing). `pybabel update` is not run on th: it would drop FAB's strings.
catalog: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -l en

# Benchmarks print a table; figures are quoted in the README.
benchmark: translations
	taskset -c 0 $(BIN)/python benchmarks/credentials.py
	taskset -c 0 $(BIN)/python benchmarks/workflow.py
