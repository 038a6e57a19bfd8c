# Two commands for a newcomer:  make run  (set up and start the app)  and  make test  (set up and test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
HOST ?= 127.0.0.1
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
RAY_STAMP := $(VENV)/.installed-ray
# pip byte-compiles what it installs, and that stays: where PYTHONDONTWRITEBYTECODE is set (as on this
# machine) a venv installed with --no-compile recompiles torch and TensorFlow in every process that imports them.
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off
# A local Ray head for trying the Ray backend on one machine (make ray-up, make run-ray, make ray-down).
RAY_CPUS ?= $(shell nproc 2>/dev/null || echo 2)
RAY_DASHBOARD_PORT ?= 8265
RAY_ADDRESS ?= http://127.0.0.1:$(RAY_DASHBOARD_PORT)
# What the browser tests and the offline defaults need from Debian (skipped where present).
DEBIAN_PACKAGES := chromium dataset-fashion-mnist opencv-doc fonts-dejavu-core gnome-backgrounds \
  plasma-workspace-wallpapers propaganda-debian ukui-wallpapers lomiri-wallpapers-20.04 librsvg2-bin
# The tools' built-in data (GAN Studio's Fashion-MNIST and abstract art, Style Transfer's default painting and the
# sample photos and clips): `make run` installs them where it can, and otherwise says what is missing.
DATA_PACKAGES := dataset-fashion-mnist opencv-doc gnome-backgrounds plasma-workspace-wallpapers propaganda-debian \
  ukui-wallpapers lomiri-wallpapers-20.04 librsvg2-bin
APT_GET ?= apt-get
# The tests run one after another: on 2 cores two pytest-xdist workers gained a minute or two at best, and
# browser walks timed out under the load (docs/testing.md), the browser tests' worker being the long pole.
# Where there are more cores, `make test PYTEST_WORKERS="--numprocesses=4"` spreads them (tests/conftest.py
# keeps the browser tests on one worker and the Ray tests on one, each worker on one thread).
PYTEST_WORKERS ?=
# What the benches add: the peers bench/ascii.py runs beside ours.
BENCH_PACKAGES := chafa jp2a

.PHONY: run run-ray ray-up ray-down test test-fast test-quick screenshots lint format bench system-deps data thumbnails clean clean-runs

# Streamlit starts the file service (core/api: every download, owner-checked) beside itself on PORT + 1.
run: $(APP_STAMP) data
	@echo "Atelier on http://$(HOST):$(PORT) (its file service starts on port $$(($(PORT) + 1)))"
	$(BIN)/python -m streamlit run Home.py --server.address $(HOST) --server.port $(PORT)

# The lint gate runs first: a new finding or an unformatted file fails `make test` (and CI) in seconds.
test: lint $(RAY_STAMP) system-deps
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

# ruff's rules and its formatter, configured in pyproject.toml; `make format` fixes what it can.
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The browser walks again, saving a screenshot at each step in tests/artifacts/screenshots/ (to
# look at before calling a page done; `make test` takes them only of a walk that fails).
screenshots: $(TEST_STAMP) $(RAY_STAMP) system-deps
	ATELIER_SCREENSHOTS=1 $(BIN)/python -m pytest -m browser

test-fast: lint $(RAY_STAMP)  ## everything but the real-browser tests
	$(BIN)/python -m pytest $(PYTEST_WORKERS) -m "not browser"

test-quick: lint  ## the unit tests only: no browser, no training, no child-process CLI, no Ray
	$(BIN)/python -m pytest -m "not browser and not slow"

# The app with its jobs on a Ray cluster (by default the local head of `make ray-up`).
run-ray: $(RAY_STAMP)
	ATELIER_JOBS_BACKEND=ray ATELIER_RAY_ADDRESS=$(RAY_ADDRESS) \
	  $(BIN)/python -m streamlit run Home.py --server.address $(HOST) --server.port $(PORT)

ray-up: $(RAY_STAMP)
	RAY_USAGE_STATS_ENABLED=0 $(BIN)/ray start --head --num-cpus=$(RAY_CPUS) --disable-usage-stats \
	  --dashboard-host=127.0.0.1 --dashboard-port=$(RAY_DASHBOARD_PORT)
	@echo "Ray head up; its dashboard (and ATELIER_RAY_ADDRESS) is $(RAY_ADDRESS). Now: make run-ray"

ray-down: $(RAY_STAMP)
	$(BIN)/ray stop

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(TEST_STAMP): requirements-test.txt $(APP_STAMP)
	$(PIP_INSTALL) -r requirements-test.txt
	touch $@

# Ray is only for the Ray backend: `make run` never installs it, `make test` does.
$(RAY_STAMP): requirements-ray.txt $(APP_STAMP)
	$(PIP_INSTALL) -r requirements-ray.txt
	touch $@

# Installs the Debian packages above when they are missing and apt-get can run (as root or via sudo).
system-deps:
	@missing=""; for package in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then echo "Please install:$$missing (no apt-get here)"; \
	  elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Please install:$$missing"; fi; fi

# Never fails: the app works without these packages and each page says what it is missing.
data:
	@missing=""; for package in $(DATA_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v $(APT_GET) >/dev/null; then installer=""; \
	  elif [ "$$(id -u)" = 0 ]; then installer="$(APT_GET)"; \
	  elif command -v sudo >/dev/null; then installer="sudo $(APT_GET)"; \
	  else installer=""; fi; \
	  echo "Installing the tools' built-in data:$$missing"; \
	  if [ -z "$$installer" ] || ! { $$installer update -qq && DEBIAN_FRONTEND=noninteractive $$installer install -y -qq $$missing; }; then \
	    echo "Note: could not install$$missing (install them as root for Fashion-MNIST, abstract art, the default painting and sample clips); the app runs without them and each page says what is missing."; \
	  fi; fi

bench: $(APP_STAMP) $(RAY_STAMP) system-deps
	@$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="$(BENCH_PACKAGES)"
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/sharing.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/ascii.py
	$(BIN)/python bench/ascii_command.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/style.py
	$(BIN)/python bench/gan.py
	$(BIN)/python bench/sketch.py
	$(BIN)/python bench/video.py
	$(BIN)/python bench/keras_backends.py
	$(BIN)/python bench/gpu.py bench/results/gpu-quick --quick  # the full check needs a GPU: bench/gpu.py OUT_DIR

thumbnails: $(APP_STAMP)
	$(BIN)/python ui/thumbnails/make_thumbnails.py

clean-runs:
	rm -rf runs

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
