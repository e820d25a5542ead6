# LEC: two commands. `make run` serves the demo, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
export FLASK_APP := run

.PHONY: run test translations lint clean catalog benchmark benchmark-national

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d app/translations

run: export LEC_DEMO = 1
run: translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask lec sync-roles
	$(BIN)/flask lec seed-demo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff, and the layering (.importlinter): web edge above the domain above the models, no cycles.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

clean:
	rm -rf $(VENV) instance tests/artifacts

# After adding user-visible strings: refresh the template and the English catalog; then add the
# Thai entries to app/translations/th/LC_MESSAGES/messages.po by hand (tests/test_translations.py
# lists any that are missing). `pybabel update` is not run on th: it would drop FAB's strings.
catalog: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -l en

# Benchmarks print a table; figures are quoted in docs/performance.md.
benchmark: translations
	taskset -c 0 $(BIN)/python benchmarks/credentials.py
	taskset -c 0 $(BIN)/python benchmarks/workflow.py
	taskset -c 0 $(BIN)/python benchmarks/importer.py

# National size on PostgreSQL: 1.5 million learners generated once into schema lec_national (kept),
# then the data-quality checks over a province and the whole country, the learner lists and the REST API.
benchmark-national: translations
	taskset -c 0 $(BIN)/python benchmarks/generate.py --keep lec_national || true
	taskset -c 0 $(BIN)/python benchmarks/quality.py --schema lec_national
	taskset -c 0 $(BIN)/python benchmarks/lists.py --schema lec_national
	taskset -c 0 $(BIN)/python benchmarks/api.py --schema lec_national
	taskset -c 0 $(BIN)/python benchmarks/reports.py --schema lec_national

# Deadline-day load test (docs/performance.md): 300 users for 3 minutes against gunicorn on PostgreSQL
# (TEST_DATABASE_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test), then the database is
# checked against every answer. About 4 minutes; e.g. LOADTEST_ARGS="--users 100 --minutes 1".
.PHONY: loadtest
loadtest: translations
	$(BIN)/python benchmarks/loadtest.py $(LOADTEST_ARGS)

# Schemathesis over every operation of the OpenAPI document, as central and as a school clerk, on a
# database of its own: 2,000 examples per operation and generation mode (make test runs 2).
.PHONY: fuzz
FUZZ_EXAMPLES ?= 2000
fuzz: translations
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_api_fuzz.py $(PYTEST_ARGS)
