# keras-models: two commands do all set-up on a fresh Debian/Ubuntu machine.
#   make lab    open the series in JupyterLab
#   make test   run every test (unit tests + nbval over every notebook)
# Both create .venv if needed, install the pinned packages once (a second run
# reinstalls nothing), and install Graphviz and the Fashion-MNIST package.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
# Committed outputs are made and checked in the default profile.
export KERAS_MODELS_PROFILE := class
export PYTHONHASHSEED := 0
# ISA=AVX2 (with make test or make nbval) limits oneDNN, TensorFlow's CPU kernel library, to
# that instruction set and older ones through its documented ONEDNN_MAX_CPU_ISA variable
# (SSE41, AVX, AVX2, AVX2_VNNI, AVX512_CORE, AVX512_CORE_VNNI, AVX512_CORE_BF16, ...), so one
# machine checks that the committed outputs hold on CPUs with fewer instruction sets.
ISA ?=
ifneq ($(strip $(ISA)),)
test nbval: export ONEDNN_MAX_CPU_ISA := $(strip $(ISA))
endif
NBVAL_FLAGS := --junitxml=build/test-report.xml --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600
# Two pytest workers (pytest-xdist), one per core: most notebooks keep only one core busy.
# --dist loadscope keeps each notebook's cells, in order, on one worker (nbval needs that).
# PARALLEL= runs everything in one process.
PARALLEL ?= -n 2 --dist loadscope

.PHONY: lab test unit nbval lint notebooks student system-deps venv clean help
help:
	@echo "make lab        open the notebooks in JupyterLab"
	@echo "make test       lint, unit tests + nbval over every notebook"
	@echo "make nbval      nbval over every notebook (compares the committed outputs)"
	@echo "  ISA=AVX2      with make test / make nbval: oneDNN limited to AVX2 (ONEDNN_MAX_CPU_ISA)"
	@echo "make lint       ruff check + ruff format --check (settings in pyproject.toml)"
	@echo "make notebooks  re-execute every notebook in place (regenerates committed outputs)"
	@echo "make student    build the student edition (no solutions, outputs cleared) in student/"

venv: $(STAMP) $(LAB_SETTINGS)

$(STAMP): requirements.txt pyproject.toml
	@py="$(PYTHON)"; \
	$$py -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "Python 3.11 is required (found $$($$py --version 2>&1) at $$py)."; \
	  echo "Install it (e.g. apt install python3.11 python3.11-venv) or pass PYTHON=/path/to/python3.11."; exit 1; }; \
	if [ ! -x $(BIN)/python ]; then echo "creating $(VENV) with $$py"; $$py -m venv $(VENV); fi
	@echo "installing pinned packages from requirements.txt into $(VENV)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# JupyterLab opens without first-run prompts (news / update check).
$(LAB_SETTINGS): tools/lab-overrides.json
	@mkdir -p $(dir $@)
	cp tools/lab-overrides.json $@

system-deps:
	@bash tools/system-deps.sh

lab: venv system-deps
	@echo "opening JupyterLab on notebooks/ (Ctrl-C to stop)"
	$(BIN)/jupyter lab --notebook-dir=notebooks

test: venv system-deps lint
	@echo "running unit tests and nbval over every notebook"
	$(BIN)/python -m pytest -p no:cacheprovider $(PARALLEL) tests notebooks $(NBVAL_FLAGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: venv
	$(BIN)/python -m pytest -p no:cacheprovider $(PARALLEL) tests

nbval: venv system-deps
	$(BIN)/python -m pytest -p no:cacheprovider $(PARALLEL) notebooks $(NBVAL_FLAGS)

# Rebuild each notebook from its jupytext source (notebooks/src/*.py) and execute
# it top to bottom in a fresh kernel; the outputs become the expected outputs.
# NB=01 limits it to the notebooks whose names start with 01.
notebooks: venv system-deps
	$(BIN)/python tools/execute_notebooks.py $(NB)

# The student edition: lessons with outputs cleared and no solutions, in student/.
student: venv
	$(BIN)/python tools/make_student_edition.py student

clean:
	rm -rf $(VENV) student
