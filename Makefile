# authq: `make run` starts the product with the demo practice, `make test` runs the tests.
# Both install everything first (into .tools and .venv) and start an embedded PostgreSQL
# and Redis under var/ unless DATABASE_URL / REDIS_URL name servers to use.

UV_VERSION := 0.13.8
PORT ?= 8000
ARGS ?=
CMD ?=

PY := .venv/bin/python
MANAGE := $(PY) manage.py
SERVICES := $(PY) scripts/services.py
UV := .tools/bin/uv

# uv must use the Python that scripts/find-python.sh found, never download one.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
# These targets are for development: DEBUG on (so no secret key is needed) unless told.
export DJANGO_DEBUG ?= 1
export AUTHQ_DEMO_PASSWORD ?= authq-demo-2026

define BANNER

authq is running at http://127.0.0.1:$(PORT)/  (admin: /admin/, API: /api/schema/)
Sign in with password "$(AUTHQ_DEMO_PASSWORD)" as:
  specialist     authorization specialist
  specialist2    a second authorization specialist
  scheduler      scheduler
  manager        manager
  admin-demo     administrator
  integration    REST API client (token: make manage CMD='issue_token integration')
On first sign-in each user sets up an authenticator app (scan the QR code, or type the
key into one; without a phone: oathtool --totp -b KEY) and gets recovery codes.
The HL7 v2 feed listens for MLLP on 127.0.0.1:2575 (AUTHQ_HL7_PORT); admins see it under Interfaces.
Ctrl-C stops the web server, the Celery worker and beat, the HL7 listener and the embedded servers.

endef
export BANNER

.PHONY: help install browser test lint run manage bench clean

help:
	@echo "make run               start authq with the demo practice on http://127.0.0.1:$(PORT)/"
	@echo "make test [ARGS=...]   run the test suite (ARGS go to pytest, e.g. ARGS='-k scan')"
	@echo "make lint              ruff check, ruff format --check and mypy (pyproject.toml)"
	@echo "make manage CMD='...'  run a manage.py command with the servers, e.g. CMD=createsuperuser"
	@echo "make bench [ARGS=...]  measure the scan, pages and API at 50,000 patients (docs/performance.md)"
	@echo "make install           install into .tools (uv) and .venv (the project)"
	@echo "make clean             remove .tools and .venv (keeps the data in var/)"

# A private virtualenv holding only the pinned uv, made with the Python found here.
.tools/uv-$(UV_VERSION).stamp:
	@python=$$(scripts/find-python.sh) && echo "Python: $$python" && \
		rm -rf .tools && "$$python" -m venv .tools && \
		.tools/bin/pip install --quiet "uv==$(UV_VERSION)"
	@touch $@

.venv/.installed: pyproject.toml uv.lock .tools/uv-$(UV_VERSION).stamp
	$(UV) sync --locked --python "$$(scripts/find-python.sh)"
	@touch $@

install: .venv/.installed

# The browser tests drive Debian's chromium (Playwright cannot download its own browser here).
browser:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

test: install browser
	$(SERVICES) run -- $(PY) -m pytest $(ARGS)

# mypy (with django-stubs) loads the settings but connects to nothing: placeholder URLs do.
lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	DJANGO_DEBUG=1 DATABASE_URL=postgres://lint@127.0.0.1:5432/lint \
		REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/mypy

run: install
	$(SERVICES) up \
		--step "$(MANAGE) migrate --noinput" \
		--step "$(MANAGE) collectstatic --noinput --verbosity 0" \
		--step "$(MANAGE) seed_demo --if-empty" \
		--step "$(MANAGE) scan_authorizations" \
		--step "$(MANAGE) refresh_dashboard" \
		--proc "web=env DATABASE_CONN_MAX_AGE=0 $(MANAGE) runserver 127.0.0.1:$(PORT)" \
		--proc "worker=.venv/bin/celery -A authq worker -l info --concurrency 2" \
		--proc "beat=.venv/bin/celery -A authq beat -l info" \
		--proc "hl7=$(MANAGE) hl7_listener" \
		--ready 127.0.0.1:$(PORT) --banner "$$BANNER"

manage: install
	$(SERVICES) run -- $(MANAGE) $(CMD)

# The 50,000-patient practice in a database of its own (authq_bench), every workload
# beside its floor; writes bench/results.json and the table in docs/performance.md.
bench: install
	$(SERVICES) run -- $(PY) bench/run.py $(ARGS)

clean:
	rm -rf .tools .venv
