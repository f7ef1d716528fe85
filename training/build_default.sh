#!/bin/sh
# Continues the training campaign of the built-in model and rebuilds models/chroma-default.onnx from it
# (npm run train). Every run is one more session of the campaign:
#   1. train for max_minutes (training/config-sem.json: the colour net with the frozen MobileNetV2 encoder,
#      training/encoder/weights) from the committed checkpoint training/checkpoint/sem-campaign.pt (fp16
#      weights + EMA, replaced in place), appending to training/campaign-sem-log.jsonl; an interrupted session
#      resumes from training/runs/sem/last.pt;
#   2. the decode sweep on the tuning half of the validation split, clean and film look (rule in sweep.py);
#   3. export with the chosen setting folded into the head, check it in onnxruntime-node, keep the EMA as
#      training/checkpoint/default.pt (what `chroma train` fine-tunes), and score the untouched half against
#      gray, with 0..20 simulated hints, clean and film look.
# Commit training/checkpoint/, training/campaign-sem-log.jsonl, training/sweep_sem.json and models/ afterwards.
set -e
cd "$(dirname "$0")/.."
PY=${CHROMA_PYTHON:-/usr/bin/python3}
CFG=training/config-sem.json
mkdir -p training/runs
$PY training/train.py --config $CFG --resume >>training/runs/sem.log 2>&1
$PY training/sweep.py --config $CFG --ckpt training/runs/sem/best.pt --split training/splits/hint_val_tune.txt \
  --size 144 --film --every 2 --pc 0 --pc 0.2 --pc 0.4 --T 0.22 --T 0.28 --T 0.34 --threads 2 --json training/sweep_sem.json
$PY training/export.py --ckpt training/runs/sem/best.pt --sweep training/sweep_sem.json --live-size 120 --out models/chroma-default.onnx
node training/check_onnx.mjs models/chroma-default.onnx /tmp/chroma_export_x.npy /tmp/chroma_export_y.npy
$PY - <<'PY'
import torch
s = torch.load('training/runs/sem/best.pt', map_location='cpu')
half = {k: v.half() if v.is_floating_point() else v for k, v in s['ema'].items()}
torch.save({'ema': half, 'step': s['step'], 'config': s.get('config')}, 'training/checkpoint/default.pt')
PY
for film in "" "--film"; do
  $PY training/evaluate.py --config $CFG --split training/splits/hint_val_holdout_half.txt --threads 2 $film \
    --model gray --model models/chroma-default.onnx --hints 0 --hints 1 --hints 2 --hints 5 --hints 10 --hints 20 --propagate 24,0.3 \
    --json "training/runs/eval_holdout$film.json" \
    --size "$($PY -c "import json; print(json.load(open('models/chroma-default.onnx.json'))['trainSize'])")"
done
