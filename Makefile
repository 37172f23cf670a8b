# Two entry points (see README): `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system run test lint bench clean

setup: $(VENV)/.installed

# Debian/Ubuntu packages the project needs (python3-venv for the virtual environment).
system:
	@command -v apt-get >/dev/null || { echo "apt-get not found: install python3-venv yourself"; exit 0; }
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	@# Chromium and Vietnamese-complete fonts for the browser tests (tests/test_browser.py), Debian's own build
	@# (also used by kaleido for chart images), and LibreOffice + poppler to check exported reports as a reader sees them
	@if { [ ! -x /usr/bin/chromium ] || ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null; } && \
		command -v apt-get >/dev/null; then $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y chromium fonts-noto-core fonts-dejavu-core libreoffice-writer-nogui poppler-utils; fi

$(VENV)/.installed: requirements.txt | system
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

run: setup
	$(PY) app.py

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest

bench: setup
	$(PY) tests/benchmarks/bench_loaders.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
