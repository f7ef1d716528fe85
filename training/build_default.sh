#!/bin/sh
# Rebuilds models/chroma-default.onnx from the photos in ../shared/data/train (npm run train):
#   1. stage 1: the U-Net trunk (training/config.json, 74 min);
#   2. stage 2: the context branch grown onto the stage-1 weights (training/config-ctx.json, 95 min);
#   3. the decode sweep on the tuning half of the validation split (size, prior correction, T, tilt);
#   4. export with the chosen setting folded into the head, check in onnxruntime-node, and score the
#      untouched half of the validation split.
# A stage whose final.pt exists is skipped, and an interrupted stage resumes from its last.pt, so the
# script can simply be run again after a stop. Training budgets are wall-clock minutes: on a busier
# machine the runs take fewer steps. Logs go to training/runs/*.log.
set -e
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
mkdir -p training/runs

stage() { # name config
  if [ -f "training/runs/$1/final.pt" ]; then
    echo "stage $1: training/runs/$1/final.pt exists, skipped"
  else
    echo "stage $1: training (log: training/runs/$1.log)"
    $PY training/train.py --config "$2" --resume >>"training/runs/$1.log" 2>&1
  fi
}
stage main training/config.json
stage ctx training/config-ctx.json

# Two passes, as it was done: the first grid's frontier pointed to smaller sizes, more prior correction and
# lower T, which the second explores; the choice is made over the rows of both.
$PY training/sweep.py --ckpt training/runs/ctx/final.pt --size 144 --size 176 --size 208 --size 256 \
  --pc 0.4 --pc 0.5 --pc 0.6 --pc 0.7 --T 0.25 --T 0.3 --T 0.38 --json training/runs/sweep_ctx_a.json
$PY training/sweep.py --ckpt training/runs/ctx/final.pt --size 128 --size 144 --size 160 \
  --pc 0.7 --pc 0.8 --pc 0.9 --pc 1.0 --T 0.2 --T 0.25 --T 0.3 --T 0.38 \
  --rows-from training/runs/sweep_ctx_a.json --json training/sweep_ctx.json
$PY training/export.py --ckpt training/runs/ctx/final.pt --sweep training/sweep_ctx.json
node training/check_onnx.mjs models/chroma-default.onnx /tmp/chroma_export_x.npy /tmp/chroma_export_y.npy
$PY training/evaluate.py --model gray --model models/chroma-default.onnx \
  --split training/splits/val_holdout.txt --threads 2 --size "$($PY -c "import json; print(json.load(open('models/chroma-default.onnx.json'))['trainSize'])")"
