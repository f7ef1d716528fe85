#!/usr/bin/env python3
"""Fit the decode-time logit bias on the tuning half of the validation split.

    /usr/bin/python3 training/calibrate.py --ckpt training/runs/main/final.pt --T 0.5 --pc 0.3 --pc 0.45 \
        [--split training/splits/val_tune.txt] [--out training/runs/main/calib.json]

bias_q = -pc * log(w_q) + g_a * a_q + g_b * b_q is added to the logits (w = the rebalancing weights the
net was trained with, (a_q, b_q) the bin centres). pc undoes part of the rebalancing shift (less
saturation); (g_a, g_b) is an exponential tilt fitted so that the mean annealed-mean ab over the tuning
images equals the truth's (hue balance). export.py bakes the bias into the head.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HERE, input_size, resize_planes, load_bins, load_config, repo_path, srgb_to_lab  # noqa: E402
from export import load_net  # noqa: E402


def fit_tilt(Lg, AB, logw, bins, pc, T):
    """Lg (P,313) logits and AB (P,2) true ab at the same positions -> the tilt g that matches the mean ab."""
    target = AB.mean(0)
    g = torch.zeros(2, requires_grad=True)
    opt = torch.optim.LBFGS([g], lr=0.5, max_iter=50, line_search_fn='strong_wolfe')

    def mean_ab():
        p = torch.softmax((Lg - pc * logw + bins @ g) / T, 1)
        return p @ bins

    def closure():
        opt.zero_grad()
        loss = ((mean_ab().mean(0) - target) ** 2).sum()
        loss.backward()
        return loss
    with torch.no_grad():
        before = mean_ab().mean(0)
    opt.step(closure)
    with torch.no_grad():
        ab = mean_ab()
        after = ab.mean(0)
        chroma_p = ab.norm(dim=1).mean(); chroma_t = AB.norm(dim=1).mean()
    return {'pc': pc, 'g': g.detach().tolist(), 'mean_ab_before': before.tolist(), 'mean_ab_after': after.tolist(),
            'chroma_pred': float(chroma_p), 'chroma_true': float(chroma_t)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', required=True)
    ap.add_argument('--config', default=os.path.join(HERE, 'config.json'))
    ap.add_argument('--split', default=os.path.join(HERE, 'splits', 'val_tune.txt'))
    ap.add_argument('--T', type=float, default=0.5)
    ap.add_argument('--pc', action='append', type=float)
    ap.add_argument('--size', type=int, help='model input short side (default: full size), as in evaluate.py')
    ap.add_argument('--every', type=int, default=3, help='keep every n-th pixel (1/4-res grid)')
    ap.add_argument('--out')
    args = ap.parse_args()
    torch.set_num_threads(2)
    cfg = load_config(args.config)
    bins = torch.from_numpy(load_bins(repo_path(cfg['bins'])))
    net, ck, _ = load_net(args.ckpt)
    w = np.load(os.path.join(os.path.dirname(os.path.abspath(args.ckpt)), 'rebal_weights.npy'))
    logw = torch.from_numpy(np.log(w)).float()
    names = [l.strip() for l in open(args.split) if l.strip()]
    Ls, abs_ = [], []
    with torch.no_grad():
        for n in names:
            lab = srgb_to_lab(np.asarray(Image.open(os.path.join(repo_path(cfg['data_dir']), n)).convert('RGB')))
            H, W = lab.shape[:2]
            H8, W8 = input_size(H, W, args.size)
            t = resize_planes(lab, H8, W8)
            lg = net((t[:, :1] - 50.0) / 100.0)[0]  # (313,h,w)
            ab4 = F.avg_pool2d(t[:, 1:], 4)[0]
            Ls.append(lg.reshape(313, -1)[:, ::args.every].T.contiguous())
            abs_.append(ab4.reshape(2, -1)[:, ::args.every].T.contiguous())
    Lg = torch.cat(Ls); AB = torch.cat(abs_)
    target = AB.mean(0)
    res = {'ckpt': args.ckpt, 'step': ck['step'], 'T': args.T, 'size': args.size, 'split': args.split, 'target_mean_ab': target.tolist(),
           'fits': []}
    for pc in (args.pc or [0.0, 0.3, 0.45, 0.6]):
        fit = fit_tilt(Lg, AB, logw, bins, pc, args.T)
        res['fits'].append(fit)
        print(json.dumps(fit), flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(res, f, indent=1)


if __name__ == '__main__':
    main()
