# The two commands of the README. Each one installs what it needs first.
SHELL := /bin/bash
# Mesa's window-system probing complains when this is unset, even headless.
export XDG_RUNTIME_DIR ?= /tmp/quantsr-runtime-$(shell id -u)
CARGO ?= cargo

.PHONY: demo test train vulkan toolchain runtime-dir lint parity

runtime-dir:
	@mkdir -p -m 700 $(XDG_RUNTIME_DIR)

## The Rust toolchain rust-toolchain.toml pins (Bevy 0.20 needs 1.97.1), installed by rustup
## when missing.
toolchain:
	@rustup toolchain install --no-self-update >/dev/null

vulkan: runtime-dir toolchain
	@scripts/ensure-vulkan.sh

DEMO ?= out/demo
QUANTSR := target/release/quantsr

## make demo: render a built-in scene, upscale it, and print the comparison table
demo: vulkan
	$(CARGO) build --release -p quantsr_cli
	$(QUANTSR) info --no-selftest
	$(QUANTSR) render --scene level --frames 48 --display 640x360 --mode performance --out $(DEMO)/level
	$(QUANTSR) upscale --seq $(DEMO)/level --method neural --format png --out $(DEMO)/neural
	$(QUANTSR) eval --seq $(DEMO)/level --json $(DEMO)/eval.json
	@echo "upscaled frames: $(DEMO)/neural/*.png   metrics: $(DEMO)/eval.json"

## make test: the full test suite on the machine's GPU (lavapipe when there is none). The
## kernels the tests' upscalers tune (timed while other tests load the device) are cached apart
## from the user's own autotune cache.
test: export QUANTSR_CACHE_DIR = $(CURDIR)/target/test-autotune-cache
test: vulkan
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

## make train: regenerate training data, train every network and export assets/models (about
## an hour on a 2-core CPU: ~20 min rendering, ~37 min training; run it on an idle machine,
## never while cargo builds).
## TRAIN_DEVICE=cuda (or auto) trains on a GPU; the default, the CPU, is what the weights
## in assets/models reproduce.
TRAIN_DEVICE ?= cpu
train: vulkan
	$(CARGO) build --release -p quantsr_cli
	training/setup.sh
	training/.venv/bin/python -m training --device $(TRAIN_DEVICE) all

## make parity: the torch training graph against the Rust CPU reference's fixture
## (training/fixtures/rust_parity.safetensors: prepare, network input, resolve with kernel logits)
parity:
	training/setup.sh
	training/.venv/bin/python -m training parity training/fixtures/rust_parity.safetensors

## make lint: formatting and clippy, as required before every commit
lint: toolchain
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
