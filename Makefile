# The two commands of the README. Each sets up .venv first (quick when it is current).
DATA_ROOT ?= $(or $(TRANSFERKIT_DATA_ROOT),../shared/data)
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint setup

setup:
	@./scripts/setup.sh

# Fine-tune MobileNetV2 (ImageNet) on the ants/bees photos; val/ is held out as the test set.
demo: setup
	.venv/bin/transferkit fit "$(DATA_ROOT)/hymenoptera" --model mobilenet_v2 --strategy finetune \
		--test-split val --out runs/demo-ants-bees --overwrite

# Every test: fast unit tests and integration tests on the real weights and data sets.
# One worker per core (pytest-xdist), a test file per worker at a time; TEST_WORKERS=0 runs
# them in this process (pdb, -x).
TEST_WORKERS ?= auto
test: setup
	TRANSFERKIT_DATA_ROOT="$(DATA_ROOT)" .venv/bin/python -m pytest -n $(TEST_WORKERS) \
		--dist loadfile $(PYTEST_ARGS)

test-fast: setup
	.venv/bin/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check src tests benchmarks tutorials && .venv/bin/ruff format --check src tests benchmarks tutorials
