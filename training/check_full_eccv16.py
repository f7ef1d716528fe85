#!/usr/bin/python3
"""Full-width ECCV16 check of chroma's converter: builds the net with random (seeded) weights and
calibrated BatchNorm statistics, saves the state dict to /tmp (zip format, or legacy with
--legacy), runs PyTorch on a fixed 256 x 256 input, then runs chroma's loader + converter +
onnxruntime-node (src/model/convert-cli-check.ts) and compares the logits.

    /usr/bin/python3 training/check_full_eccv16.py [--legacy] [--size 256] [--tol 1e-3]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import ECCV16, FULL, calibrate, smooth_l  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--legacy', action='store_true', help='save in the pre-1.6 single-stream format')
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--tol', type=float, default=1e-3)
    ap.add_argument('--tmp', default='/tmp/chroma-eccv16-check')
    args = ap.parse_args()
    os.makedirs(args.tmp, exist_ok=True)
    torch.manual_seed(7)
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(8)
    S = args.size

    net = ECCV16(FULL)
    calibrate(net, lambda n: (smooth_l(n, 64, 64, gen) - 50) / 100)
    with torch.no_grad():
        net.model8[6].weight.mul_(20)
    # Learnable parameters without model_out (MODELS.md: 32,235,385).
    n_params = sum(p.numel() for n, p in net.named_parameters() if not n.startswith('model_out'))
    pth = os.path.join(args.tmp, 'eccv16_full_random.pth')
    torch.save(net.state_dict(), pth, _use_new_zipfile_serialization=not args.legacy)

    x = (smooth_l(1, S, S, gen) - 50) / 100
    t0 = time.time()
    with torch.no_grad():
        logits = net.logits(x)
    torch_s = time.time() - t0
    x.numpy().astype('<f4').tofile(os.path.join(args.tmp, 'input.bin'))
    logits.numpy().astype('<f4').tofile(os.path.join(args.tmp, 'logits.bin'))

    t0 = time.time()
    out = subprocess.run(
        ['node', '--import', 'tsx', 'src/model/convert-cli-check.ts', pth, os.path.join(args.tmp, 'input.bin'),
         f'1x1x{S}x{S}', os.path.join(args.tmp, 'logits.bin')],
        cwd=REPO, capture_output=True, text=True)
    node_s = time.time() - t0
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        sys.exit(1)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res.update({'params': n_params, 'pthBytes': os.path.getsize(pth), 'format': 'legacy' if args.legacy else 'zip',
                'torchForwardS': round(torch_s, 2), 'nodeTotalS': round(node_s, 2), 'logitStd': float(logits.std())})
    print(json.dumps(res))
    ok = res['maxAbsDiff'] <= args.tol
    print(('OK' if ok else 'FAIL') + f": max |onnx - torch| = {res['maxAbsDiff']:.3g} (tol {args.tol})")
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
