# formcam: `make setup` once, then `make test`. See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SHARED := $(abspath ../shared)

# Developers of this project have the offline model and the test clips in ../shared;
# elsewhere set FORMCAM_MODEL_DIR / FORMCAM_VIDEOS_DIR yourself, or `formcam models fetch`.
ifneq ($(wildcard $(SHARED)/models/pose_landmarker_full.task),)
export FORMCAM_MODEL_DIR ?= $(SHARED)/models
endif
ifneq ($(wildcard $(SHARED)/videos),)
export FORMCAM_VIDEOS_DIR ?= $(SHARED)/videos
endif

.PHONY: setup system-deps test test-fast lint bench demo validate accuracy trust clean

setup: system-deps $(BIN)/formcam
	@$(BIN)/formcam models path full >/dev/null 2>&1 || $(BIN)/formcam models fetch full
	@echo "formcam is set up: model at $$($(BIN)/formcam models path full)"

# ffmpeg/ffprobe and chromium are only needed by the tests (to check outputs independently of
# formcam, and to render report.html in a headless browser).
SYSTEM_PACKAGES := ffmpeg chromium
system-deps:
	@{ command -v ffprobe && command -v chromium; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "Install $(SYSTEM_PACKAGES) with your package manager to run the tests."; fi; }

# constraints.txt holds the exact versions the tests ran with; pyproject.toml says which versions formcam accepts.
$(BIN)/formcam: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test,dev]"
	@touch $@

test:
	$(BIN)/python -m pytest -q

test-fast:
	$(BIN)/python -m pytest -q -m "not e2e"

# All three checks run, and the target fails if any found something.
LINTED := formcam tests bench
lint:
	@status=0; \
	$(BIN)/ruff check $(LINTED) || status=1; \
	$(BIN)/ruff format --check $(LINTED) || status=1; \
	$(BIN)/mypy $(LINTED) || status=1; \
	exit $$status

bench:
	$(BIN)/python bench/run.py
	$(BIN)/python bench/batch.py

# Renders the sample runners (sample_videos/*.mp4 with their .truth.json; known answers) and analyses
# one into formcam-out/demo/: needs nothing but the installed model, no video of your own and no network.
demo:
	$(BIN)/formcam demo

# End-to-end accuracy on rendered runners; writes the tables of docs/validation.md.
validate:
	$(BIN)/formcam validate --markdown formcam-out/validation/validation.md

# Expected errors of every metric on synthetic gaits, clean and noisy (about 20 s); updates
# formcam/data/accuracy.json (read by formcam.gait.metrics) and docs/accuracy.md.
accuracy:
	$(BIN)/python -m formcam.synthetic.accuracy --write

# The trust table of docs/validation.md: every real clip of FORMCAM_VIDEOS_DIR as it is, and the degraded
# copies (dark, 360 px, 24 fps, CRF 35, blur) of those formcam analyses; one analysis at a time, niced
# (about 40 runs of 20-60 s each on two cores; an interrupted run goes on where it stopped).
trust:
	nice -n 10 $(BIN)/python -m tests.helpers.trust_table --markdown formcam-out/trust/trust.md

clean:
	rm -rf formcam-out .pytest_cache
