#!/usr/bin/env python3
"""How sure is a net on the real B&W development clips, and where does its probability go, region by region.

    /usr/bin/python3 training/bw_entropy.py --model /tmp/sem/best.pt --model models/chroma-default.onnx \
        [--box oldfilm_001:wall=0.26,0.03,0.66,0.38 ...] [--at 1.0] [--size 144]

For the frame at --at seconds of every clip: the net's 313-bin distribution at T = 1 (a checkpoint's raw logits,
as evaluate.py --restraint reads them; an ONNX file's logits, its decode folded in), per pixel of the 1/4-res
output: the normalised entropy Hn (0: one bin, 1: uniform), the top bin's probability, and the probability mass
on warm red-orange bins (hue 0-75 degrees, chroma >= 15: the orange-red walls). Prints Hn's 10/50/90th
percentiles per clip, and the means over every --box (fractions of the frame: x0,y0,x1,y1).
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bw_sheet import FFMPEG  # noqa: E402
from common import HERE, input_size, load_bins, load_config, no_hints, repo_path, resize_planes, srgb_to_lab  # noqa: E402
from evaluate import OrtModel  # noqa: E402
from export import load_net  # noqa: E402


def stats(logits, bins):
    """(1,313,h,w) logits -> per-pixel normalised entropy, top-bin probability, warm red-orange mass (h,w)."""
    lp = torch.log_softmax(logits, 1)[0]
    p = lp.exp()
    hn = -(p * lp).sum(0) / np.log(lp.shape[0])
    hue = np.degrees(np.arctan2(bins[:, 1], bins[:, 0]))
    warm = torch.from_numpy(((hue >= 0) & (hue <= 75) & (np.hypot(bins[:, 0], bins[:, 1]) >= 15)).astype(np.float32))
    return hn.numpy(), p.max(0).values.numpy(), torch.einsum('qhw,q->hw', p, warm).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', action='append', required=True, help='a checkpoint (.pt) or an ONNX file')
    ap.add_argument('--box', action='append', default=[], help='CLIP:NAME=x0,y0,x1,y1 in fractions of the frame')
    ap.add_argument('--clips', default=os.path.join(HERE, '..', '..', 'shared', 'data', 'videos', 'bw'))
    ap.add_argument('--at', type=float, default=1.0)
    ap.add_argument('--size', type=int, default=144, help='model input short side (the nets\' trainSize)')
    args = ap.parse_args()
    torch.set_num_threads(1)
    boxes = {}
    for b in args.box:
        clip, rest = b.split(':', 1)
        name, xy = rest.split('=')
        boxes.setdefault(clip, []).append((name, [float(v) for v in xy.split(',')]))
    bins = load_bins(repo_path(load_config(os.path.join(HERE, 'config-sem.json'))['bins']))
    nets = {}
    for m in args.model:
        if m.endswith('.onnx'):
            nets[m] = OrtModel(m, 1)
        else:
            nets[m] = load_net(m)[0]
    tmp = tempfile.mkdtemp(prefix='chroma_bwent_')
    for clip in sorted(glob.glob(os.path.join(args.clips, '*.mp4'))):
        name = os.path.splitext(os.path.basename(clip))[0]
        frame = os.path.join(tmp, f'{name}.png')
        subprocess.run([FFMPEG, '-v', 'error', '-y', '-ss', str(args.at), '-i', clip, '-frames:v', '1', frame], check=True)
        rgb = np.asarray(Image.open(frame).convert('L').convert('RGB'))
        L = srgb_to_lab(rgb)[..., :1]
        H8, W8 = input_size(*L.shape[:2], args.size)
        x = (resize_planes(L, H8, W8) - 50.0) / 100.0
        for m, net in nets.items():
            with torch.no_grad():
                lg = net(x, no_hints(1, H8, W8)) if getattr(net, 'hints', False) else net(x)
            hn, top, warm = stats(lg, bins)
            q = np.percentile(hn, [10, 50, 90])
            print(f'{name} | {os.path.basename(m)} | Hn p10/p50/p90 {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}')
            h, w = hn.shape
            for bname, (x0, y0, x1, y1) in boxes.get(name, []):
                sl = (slice(int(y0 * h), max(int(y1 * h), int(y0 * h) + 1)), slice(int(x0 * w), max(int(x1 * w), int(x0 * w) + 1)))
                print(f'{name} | {os.path.basename(m)} | {bname}: Hn {hn[sl].mean():.2f} (its percentile in the frame '
                      f'{(hn < hn[sl].mean()).mean() * 100:.0f}), top bin p {top[sl].mean():.3f}, '
                      f'red-orange mass {warm[sl].mean():.2f} (frame {warm.mean():.2f})')
    for net in nets.values():
        if isinstance(net, OrtModel):
            net.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
