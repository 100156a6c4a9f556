#!/usr/bin/env bash
# Quality on held-out content at the sizes users run (assets/reports/heldout_quality.md).
#
#   scripts/heldout-eval.sh render                 # render the held-out sequences once
#   scripts/heldout-eval.sh eval TAG [WEIGHTS]     # score taau and every rung with WEIGHTS
#                                                  # (default: the built-in networks)
#   scripts/heldout-eval.sh table [OUT.json [WEIGHTS]]  # the joint controller's quality table:
#                                                  # PSNR of every rung at render scales 1, 0.85,
#                                                  # 0.7, 0.5, mean over the held-out families at
#                                                  # 960x540 (default OUT:
#                                                  # assets/reports/adapt/quality_table.json)
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

# Both `eval` and `table` take an optional weight file as their third argument.
weights=()
[ -n "${3:-}" ] && weights=(--weights "$3")

case "${1:-}" in
  render)
    for s in $ORDER; do
      [ -f "$DIR/$s/sequence.json" ] || "$BIN" render ${SPEC[$s]} --frames 32 --out "$DIR/$s"
    done
    ;;
  eval)
    tag=${2:?usage: heldout-eval.sh eval TAG [WEIGHTS]}
    mkdir -p "$DIR/results"
    for s in $ORDER; do
      "$BIN" eval --seq "$DIR/$s" --method taau,neural-f32,neural-int8,neural-lite-int8 \
        "${weights[@]}" --json "$DIR/results/$s.$tag.json"
    done
    ;;
  table)
    out=${2:-assets/reports/adapt/quality_table.json}
    mkdir -p "$DIR/table"
    # Ratios whose render sizes are 1, 0.85, 0.7 and 0.5 of the 2x render size per axis.
    declare -A RATIO=([1.0]=2 [0.85]=2.352941 [0.7]=2.857143 [0.5]=4)
    declare -A SRC=(
      [level]="--scene level"
      [patterns]="--scene patterns"
      [clearcoat]="--gltf $G/ClearCoatTest/ClearCoatTest.gltf"
    )
    for seq in level patterns clearcoat; do
      for scale in 1.0 0.85 0.7 0.5; do
        d="$DIR/table/${seq}_$scale"
        [ -f "$d/sequence.json" ] ||
          "$BIN" render ${SRC[$seq]} --display 960x540 --scale "${RATIO[$scale]}" --frames 32 --out "$d"
        [ -f "$d.json" ] || "$BIN" eval --seq "$d" --method taau,neural-f32,neural-int8,neural-lite-int8 \
          "${weights[@]}" --json "$d.json.tmp"
        [ -f "$d.json" ] || mv "$d.json.tmp" "$d.json"
      done
    done
    python3 - "$DIR/table" "$out" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
scales = ["1.0", "0.85", "0.7", "0.5"]
names = {"taau": "taau", "neural-f32": "f32", "neural-int8": "int8", "neural-lite-int8": "lite-int8"}
rows = {}
for seq in ("level", "patterns", "clearcoat"):
    for i, s in enumerate(scales):
        for r in json.load(open(f"{d}/{seq}_{s}.json"))["results"]:
            key = names[r["method"] if r["precision"] is None else "neural-" + r["precision"]]
            rows.setdefault(key, [[] for _ in scales])[i].append(r["psnr"])
mean = {k: [round(sum(v) / len(v), 3) for v in cols] for k, cols in rows.items()}
# f16 differs from f32 by under 0.01 dB wherever measured: it gets f32's row.
order = ["f32", "f16", "int8", "lite-int8", "taau"]
table = {"scales": [float(s) for s in scales], "psnr": [[k, mean["f32" if k == "f16" else k]] for k in order]}
with open(out + ".tmp", "w") as f:
    json.dump(table, f, indent=1)
    f.write("\n")
import os
os.replace(out + ".tmp", out)
print(json.dumps(table))
PY
    ;;
  *)
    sed -n 2,14p "$0"
    exit 2
    ;;
esac
