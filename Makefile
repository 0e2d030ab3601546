# undersign: `make run` and `make test` do all set-up that is missing on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv installs exactly what uv.lock pins (the same resolution for make, CI and the image).
UV_VERSION := 0.13.9
APT_PACKAGES := python3-venv python3-dev build-essential poppler-utils qpdf chromium \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo libffi-dev \
	fonts-dejavu-core fonts-liberation2 fonts-dancingscript fontconfig libreoffice-writer-nogui
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint system-packages venv postgres bench clean

# `make run PORT=8080 DATA_DIR=/srv/undersign` (or UNDERSIGN_SERVER__PORT / UNDERSIGN_DATA_DIR) override the defaults.
run: venv
	$(BIN)/undersign dev $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST)) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

test: venv postgres lint
	UNDERSIGN_TEST_DATABASE_URL=$${UNDERSIGN_TEST_DATABASE_URL:-$(TEST_DATABASE_URL)} \
		$(BIN)/pytest -n 2 --dist loadgroup -p no:cacheprovider --durations=25
	$(BIN)/python tools/wheel_smoke.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian packages: installed when running as root, otherwise the exact command is printed.
system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing Debian packages. Run as root:"; \
			echo "  sudo apt-get update && sudo apt-get install -y $$missing"; exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml uv.lock | system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q uv==$(UV_VERSION)
	$(BIN)/uv sync --frozen --inexact --all-extras
	touch $(STAMP)

venv: system-packages $(STAMP)

# The tests need PostgreSQL; start the local cluster if it is installed but down.
postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		if [ "$$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then \
			echo "Starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
		fi; \
	fi

bench: venv
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache var
