# Two commands: `make demo` runs the whole system, `make test` passes every test.
# Both install what they need: Debian packages (once), a virtual environment, the package.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# libatomic1: Playwright's bundled node driver links against it; a bare system lacks it.
# libportaudio2: the PortAudio library sounddevice loads for the microphone (speech input).
# cups, printer-driver-cups-pdf: the A4 printer's CUPS and the PDF printer its tests print on;
# libcups2-dev: the headers pycups is built against.
# nginx: the reverse proxy the deployment test runs in front of two server processes.
DEBIAN_PACKAGES := fonts-noto-cjk espeak-ng xvfb xauth libgl1 libgl1-mesa-dri libegl1 \
	libmtdev1 libsdl2-2.0-0 sox python3-venv \
	postgresql chromium zip libatomic1 libportaudio2 \
	cups printer-driver-cups-pdf libcups2-dev gcc libc6-dev python3-dev nginx

.PHONY: demo test lint screenshots bench system venv clean fresh-check

demo: venv
	$(VENV)/bin/hallkiosk demo

test: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) -m pytest -p no:cacheprovider

lint: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

screenshots: venv
	$(VENV)/bin/hallkiosk demo --headless --screenshots demo-screens

bench: venv
	for script in bench/bench_*.py; do $(PY) $$script || exit 1; done

system: $(STAMPS)/system
$(STAMPS)/system: Makefile
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: $(STAMPS)/system pyproject.toml
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[terminal,server,dev]'
	@mkdir -p $(STAMPS) && touch $@

# For contributors, as root: both commands above on a bare Debian 12 built with debootstrap.
fresh-check:
	bash scripts/fresh-check.sh

clean:
	rm -rf $(VENV) $(STAMPS) var demo-screens
