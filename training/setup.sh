#!/usr/bin/env bash
# Creates training/.venv and installs the pinned requirements into it.
# Usage: training/setup.sh   (idempotent; re-run after requirements.txt changes)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating $venv"
    "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "training/.venv is up to date"
    exit 0
fi
"$venv/bin/python" -m pip install --upgrade --quiet pip
"$venv/bin/python" -m pip install --progress-bar off -r "$here/requirements.txt"
"$venv/bin/python" -c "import torch, numpy, safetensors, OpenEXR, matplotlib, tqdm; print('torch', torch.__version__, 'threads', torch.get_num_threads())"
echo "$want" > "$stamp"
