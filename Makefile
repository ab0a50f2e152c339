# The two commands of the README: `make demo` and `make test`. Both install what they need on a
# fresh Debian machine that has only Python, pip, make and apt.
SHELL := /bin/bash
# Evaluated at each use, so it finds the uv that `bootstrap` has just installed.
UV = $(shell command -v uv 2>/dev/null || { [ -x "$(HOME)/.local/bin/uv" ] && echo "$(HOME)/.local/bin/uv"; } || echo python3 -m uv)
DEB_PACKAGES := libldap2-dev libsasl2-dev slapd ldap-utils postgresql chromium samba-ad-dc samba-ad-provision
# Samba's system services: the tests run their own `samba` in a temp dir (tests/fixtures/samba.py), so
# installing the packages must neither start nor enable these.
SAMBA_UNITS := samba-ad-dc smbd nmbd winbind
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
# Chromium for the admin UI tests (Playwright drives it; its own browser download is not used), Samba's
# AD DC for the Active Directory tests (samba-ad-provision holds what `samba-tool domain provision` needs;
# Debian only recommends it). While installing, a policy-rc.d (unless the machine has one) refuses to
# start Samba's services; afterwards they are disabled, and stopped where systemd runs.
debs:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=/usr/sbin/policy-rc.d; \
	    printf '#!/bin/sh\ncase "$$1" in %s) exit 101;; esac\nexit 0\n' "$$(echo $(SAMBA_UNITS) | sed 's/\([^ ]*\)/\1|\1.service/g' | tr ' ' '|')" \
	      | $(SUDO) tee $$policy >/dev/null && $(SUDO) chmod 755 $$policy; fi; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	  status=$$?; [ -z "$$policy" ] || $(SUDO) rm -f $$policy; \
	  case " $$missing " in *" samba-ad-dc "*) \
	    $(SUDO) systemctl disable --quiet $(SAMBA_UNITS) 2>/dev/null || true; \
	    [ ! -d /run/systemd/system ] || $(SUDO) systemctl stop $(SAMBA_UNITS) 2>/dev/null || true;; \
	  esac; \
	  exit $$status; \
	fi
