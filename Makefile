# The two commands of the README. Each one installs what it needs first.
SHELL := /bin/bash
# Mesa's window-system probing complains when this is unset, even headless.
export XDG_RUNTIME_DIR ?= /tmp/quantsr-runtime-$(shell id -u)
CARGO ?= cargo

.PHONY: demo test vulkan runtime-dir lint

runtime-dir:
	@mkdir -p -m 700 $(XDG_RUNTIME_DIR)

vulkan: runtime-dir
	@scripts/ensure-vulkan.sh

## make demo: run quantsr on its built-in default and print the result
demo: vulkan
	$(CARGO) run --release -p quantsr_cli -- info

## make test: the full test suite on the machine's GPU (lavapipe when there is none)
test: vulkan
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

## make lint: formatting and clippy, as required before every commit
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
