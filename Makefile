# The two commands of the README: `make demo` and `make test`. Both install what they need on a
# fresh Debian machine that has only Python, pip, make and apt.
SHELL := /bin/bash
# Evaluated at each use, so it finds the uv that `bootstrap` has just installed.
UV = $(shell command -v uv 2>/dev/null || { [ -x "$(HOME)/.local/bin/uv" ] && echo "$(HOME)/.local/bin/uv"; } || echo python3 -m uv)
DEB_PACKAGES := libldap2-dev libsasl2-dev slapd ldap-utils postgresql chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bootstrap deps debs

demo: deps
	$(UV) run idsync demo

test: deps
	$(UV) run ruff check src tests bench
	$(UV) run mypy
	$(UV) run pytest -q -p no:cacheprovider -n 4

lint: deps
	$(UV) run ruff check src tests bench
	$(UV) run mypy

deps: bootstrap debs
	$(UV) sync --frozen

bootstrap:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || python3 -m uv --version >/dev/null 2>&1 || \
	  python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv || \
	  python3 -m pip install --quiet --break-system-packages uv

# Debian packages: headers for python-ldap, slapd for the LDAP tests, PostgreSQL for the store tests,
# Chromium for the admin UI tests (Playwright drives it; its own browser download is not used).
debs:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
