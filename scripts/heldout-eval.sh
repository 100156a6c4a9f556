#!/usr/bin/env bash
# Quality on held-out content at the sizes users run (assets/reports/heldout_quality.md).
#
#   scripts/heldout-eval.sh render                 # render the held-out sequences once
#   scripts/heldout-eval.sh eval TAG [WEIGHTS]     # score taau and every rung with WEIGHTS
#                                                  # (default: the built-in networks)
#
# Sequences go to $HELDOUT_DIR (default out/heldout), results to $HELDOUT_DIR/results/SEQ.TAG.json.
# Uses target/release/quantsr (built when missing). Kernels are not autotuned, so runs compare.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${QUANTSR:-target/release/quantsr}
DIR=${HELDOUT_DIR:-out/heldout}
G=assets/gltf
export QUANTSR_AUTOTUNE=off
[ -x "$BIN" ] || cargo build --release -p quantsr_cli

declare -A SPEC=(
  [level_960]="--scene level --display 960x540 --scale 2"
  [level_f20_960]="--scene level --display 960x540 --scale 2 --fps 20"
  [patterns_960]="--scene patterns --display 960x540 --scale 2"
  [clearcoat_960]="--gltf $G/ClearCoatTest/ClearCoatTest.gltf --display 960x540 --scale 2"
  [morphcube_960]="--gltf $G/AnimatedMorphCube/AnimatedMorphCube.gltf --display 960x540 --scale 2"
  [level_480]="--scene level --display 480x270 --scale 2"
  [patterns_480]="--scene patterns --display 480x270 --scale 2"
  [clearcoat_480]="--gltf $G/ClearCoatTest/ClearCoatTest.gltf --display 480x270 --scale 2"
  [level_x1.5_960]="--scene level --display 960x540 --scale 1.5"
  [level_x3_960]="--scene level --display 960x540 --scale 3"
)
ORDER="level_960 level_f20_960 patterns_960 clearcoat_960 morphcube_960 level_480 patterns_480 clearcoat_480 level_x1.5_960 level_x3_960"

case "${1:-}" in
  render)
    for s in $ORDER; do
      [ -f "$DIR/$s/sequence.json" ] || "$BIN" render ${SPEC[$s]} --frames 32 --out "$DIR/$s"
    done
    ;;
  eval)
    tag=${2:?usage: heldout-eval.sh eval TAG [WEIGHTS]}
    weights=()
    [ -n "${3:-}" ] && weights=(--weights "$3")
    mkdir -p "$DIR/results"
    for s in $ORDER; do
      "$BIN" eval --seq "$DIR/$s" --method taau,neural-f32,neural-int8,neural-lite-int8 \
        "${weights[@]}" --json "$DIR/results/$s.$tag.json"
    done
    ;;
  *)
    sed -n 2,9p "$0"
    exit 2
    ;;
esac
