#!/bin/sh
# Continues the training campaign of the built-in model and rebuilds models/chroma-default.onnx from it
# (npm run train). Every run is one more session of the campaign:
#   1. the first session only: recover trainable weights from the shipped ONNX (init_from_onnx.py), the
#      warm start of the hint-capable net (its hint inputs start at zero weight);
#   2. train for max_minutes (training/config-hint.json) from the committed checkpoint
#      training/checkpoint/hint-campaign.pt (fp16 weights + EMA, replaced in place), appending to
#      training/campaign-log.jsonl; an interrupted session resumes from training/runs/hint/last.pt;
#   3. the decode sweep on the tuning half of the validation split (rule in sweep.py);
#   4. export with the chosen setting folded into the head, check it in onnxruntime-node, and score the
#      untouched half against gray, with 0..20 simulated hints.
# Commit training/checkpoint/, training/campaign-log.jsonl and models/ afterwards.
set -e
cd "$(dirname "$0")/.."
PY=${CHROMA_PYTHON:-/usr/bin/python3}
CFG=training/config-hint.json
mkdir -p training/runs
if [ ! -f training/checkpoint/hint-campaign.pt ] && [ ! -f training/runs/init-from-onnx.pt ]; then
  $PY training/init_from_onnx.py --onnx models/chroma-default.onnx --config $CFG --out training/runs/init-from-onnx.pt
fi
$PY training/train.py --config $CFG --resume >>training/runs/hint.log 2>&1
$PY training/sweep.py --config $CFG --ckpt training/runs/hint/best.pt --split training/splits/hint_val_tune.txt \
  --size 144 --size 176 --pc 0 --pc 0.3 --pc 0.6 --T 0.3 --T 0.38 --threads 2 --json training/sweep_hint.json
$PY training/export.py --ckpt training/runs/hint/best.pt --sweep training/sweep_hint.json --out models/chroma-default.onnx
node training/check_onnx.mjs models/chroma-default.onnx /tmp/chroma_export_x.npy /tmp/chroma_export_y.npy
$PY training/evaluate.py --config $CFG --split training/splits/hint_val_holdout_half.txt --threads 2 \
  --model gray --model models/chroma-default.onnx --hints 0 --hints 1 --hints 2 --hints 5 --hints 10 --hints 20 \
  --propagate 24,0.3 --json training/runs/eval_holdout.json \
  --size "$($PY -c "import json; print(json.load(open('models/chroma-default.onnx.json'))['trainSize'])")"
