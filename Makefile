# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/consent
PYTEST_ARGS ?=
# pytest-xdist workers per database run (0: one process). Test ids are stable and each worker gets
# its own test database, so the suite is safe in parallel; on a 2-core machine two workers spread
# its ~90 s of CPU over both cores.
TEST_WORKERS ?= 2

.PHONY: install demo serve lint test test-sqlite test-postgres messages screenshots

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Set up the service on SQLite with demo data (it prints logins and hosted-page links) and run
# it on http://127.0.0.1:8000.
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	env -u DATABASE_URL $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

test-sqlite: install
	env -u DATABASE_URL $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Lint, then the whole suite on SQLite and on PostgreSQL.
test: lint test-sqlite test-postgres

# After changing a translated string: refresh the German catalogue, translate, compile. Needs GNU
# gettext (Debian: apt-get install gettext). The compiled .mo is committed, so nothing else does.
messages: install
	$(PY) manage.py makemessages -l de --ignore=.venv --ignore=staticfiles --ignore=bench \
		--no-location --no-wrap
	$(PY) manage.py compilemessages -l de

# Re-take the screenshots in docs/pages/ and docs/admin/ (needs chromium and chromium-driver).
screenshots: install
	SAVE_PAGE_SCREENSHOTS=1 env -u DATABASE_URL $(PY) -m pytest -q pages/tests/test_browser.py tests/test_admin_browser.py
