#!/usr/bin/env python3
"""Evaluate colorization models on the validation split at full image size.

    /usr/bin/python3 training/evaluate.py --model gray --model training/runs/main/final.pt \
        --model models/chroma-default.onnx [--T 0.38 --T 0.3] [--prior-correct 0 --prior-correct 0.5] \
        [--split training/splits/val.txt] [--limit N] [--json out.json]

A model is `gray` (ab = 0), a training checkpoint (.pt, EMA weights unless --weights model) or an
ONNX file (run in onnxruntime-node through training/ort_runner.mjs). Model input: the L plane of the
full image resized to H, W rounded to multiples of 8, normalised (L - 50) / 100; the 1/4-res output is
decoded by the annealed mean (softmax(logits / T) . bins) and upsampled bilinearly to full size; the
true L is kept.

Metrics (pooled over all pixels of the split unless said):
  AuC     area under the cumulative curve of per-pixel ab L2 error, thresholds 0..150, in %.
  CB-AuC  the same with every pixel weighted by 1 / (count of its true ab bin in the eval set).
  PSNR    sRGB 8-bit, mean over images.
  colourfulness (Hasler & Suesstrunk 2003): mean over images of pred/true, and ratio of the means.
  mean ab of the prediction vs the truth (hue balance).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (HERE, REPO, ab_to_key, eval_hint_points, hint_planes, image_path, input_size, resize_planes,  # noqa: E402
                    lab_to_srgb, load_bins, load_config, nearest_bins, no_hints, repo_path, srgb_to_lab)
from export import load_net  # noqa: E402
from propagate import propagate, seeds_from_planes  # noqa: E402
from filmlook import film_L  # noqa: E402


def restraint_scale(logits, h0, h1, smin):
    """Per-pixel chroma scale (N,1,h,w): 1 where the T=1 distribution is concentrated (normalised entropy <= h0),
    falling linearly to smin at h1, so a spread distribution does not commit to a vivid guess."""
    lp = torch.log_softmax(logits, 1)
    hn = -(lp.exp() * lp).sum(1, keepdim=True) / np.log(logits.shape[1])
    return ((h1 - hn) / (h1 - h0)).clamp(smin, 1.0)


def restrain(ab4, logits, rs, bins_t):
    """ab4 (N,2,h,w) under a restraint: (H0, H1, SMIN) scales chroma by restraint_scale; (K,) caps the decoded
    chroma at K times the expected chroma of the T=1 distribution (a distribution sure of its hue but spread in
    chroma, e.g. a wall between beige and orange, does not decode to its most saturated mode)."""
    if len(rs) == 3:
        return ab4 * restraint_scale(logits, *rs)
    p = torch.softmax(logits, 1)
    ec = torch.einsum('nqhw,q->nhw', p, bins_t.norm(dim=1)).unsqueeze(1)
    c = ab4.norm(dim=1, keepdim=True).clamp(min=1e-6)
    return ab4 * (rs[0] * ec / c).clamp(max=1.0)


def colourfulness(rgb):
    rgb = rgb.astype(np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


class OrtModel:
    def __init__(self, path, threads):
        self.tmp = tempfile.mkdtemp(prefix='chroma_eval_')
        self.p = subprocess.Popen(['node', os.path.join(HERE, 'ort_runner.mjs'), os.path.abspath(path), str(threads)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
        ready = self.p.stdout.readline().split()
        assert ready[0] == 'ready', ready
        self.hints = len(ready) > 1 and ready[1] == 'hints'
        self.ms = []

    def __call__(self, x, h=None):
        x = x.numpy().astype(np.float32)
        H, W = x.shape[2], x.shape[3]
        ip, op, hp = (os.path.join(self.tmp, n) for n in ('in.f32', 'out.f32', 'hints.f32'))
        x.tofile(ip)
        if self.hints:
            (h if h is not None else no_hints(1, H, W)).numpy().astype(np.float32).tofile(hp)
        self.p.stdin.write(f'{ip} {H} {W} {op}' + (f' {hp}' if self.hints else '') + '\n'); self.p.stdin.flush()
        parts = self.p.stdout.readline().split()
        assert parts[0] == 'ok', parts
        C, h, w = int(parts[1]), int(parts[2]), int(parts[3])
        self.ms.append(float(parts[4]))
        return torch.from_numpy(np.fromfile(op, np.float32).reshape(1, C, h, w))

    def close(self):
        self.p.stdin.close(); self.p.wait()


class Acc:
    """Pools error histograms per true bin so that AuC and CB-AuC come out of one pass."""

    def __init__(self):
        self.H = np.zeros((313, 152))
        self.psnr, self.cf_pred, self.cf_true = [], [], []
        self.sum_pab = np.zeros(2); self.sum_tab = np.zeros(2); self.n = 0
        self.vivid_wrong = 0

    def add(self, ab_pred, ab_true, tbin, rgb_pred, rgb_true):
        e = np.hypot(ab_pred[..., 0] - ab_true[..., 0], ab_pred[..., 1] - ab_true[..., 1]).ravel()
        # a vivid wrong colour: the prediction commits (chroma >= 15) and misses by >= 25 (a red lawn, an orange sky)
        self.vivid_wrong += int(np.count_nonzero((np.hypot(ab_pred[..., 0], ab_pred[..., 1]).ravel() >= 15) & (e >= 25)))
        bucket = np.minimum(np.ceil(e), 151).astype(np.int64)
        self.H += np.bincount(tbin.ravel() * 152 + bucket, minlength=313 * 152).reshape(313, 152)
        mse = np.mean((rgb_pred.astype(np.float64) - rgb_true.astype(np.float64)) ** 2)
        self.psnr.append(10 * np.log10(255.0 ** 2 / max(mse, 1e-10)))
        self.cf_pred.append(colourfulness(rgb_pred)); self.cf_true.append(colourfulness(rgb_true))
        self.sum_pab += ab_pred.reshape(-1, 2).sum(0); self.sum_tab += ab_true.reshape(-1, 2).sum(0)
        self.n += ab_pred.shape[0] * ab_pred.shape[1]

    def result(self):
        cum = np.cumsum(self.H[:, :151], 1)  # (313,151): count with error <= t, t = 0..150
        tot = self.H.sum(1)
        auc = cum.sum(0).mean() / tot.sum() * 100
        present = tot > 0
        cb = (cum[present] / tot[present, None]).mean(0).mean() * 100
        cp, ct = np.array(self.cf_pred), np.array(self.cf_true)
        ok = ct > 1.0
        return {'auc': auc, 'cb_auc': cb, 'psnr': float(np.mean(self.psnr)),
                'colourfulness_mean_ratio': float(np.mean(cp[ok] / ct[ok])) if ok.any() else 0.0,
                'colourfulness_ratio_of_means': float(cp.mean() / ct.mean()),
                'mean_ab_pred': (self.sum_pab / self.n).round(2).tolist(),
                'mean_ab_true': (self.sum_tab / self.n).round(2).tolist(), 'images': len(self.psnr),
                'vivid_wrong_pct': 100.0 * self.vivid_wrong / max(self.n, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', action='append', required=True)
    ap.add_argument('--config', default=os.path.join(HERE, 'config.json'))
    ap.add_argument('--split', default=os.path.join(HERE, 'splits', 'val.txt'))
    ap.add_argument('--data-dir')
    ap.add_argument('--T', action='append', type=float)
    ap.add_argument('--prior-correct', action='append', type=float, help='checkpoints only')
    ap.add_argument('--weights', default='ema')
    ap.add_argument('--calib', action='append', help='CKPT=calib.json: also evaluate that ckpt with each fitted bias (or CKPT=sweep.json: with its chosen '
                         'decode; --restraint applies to these too)')
    ap.add_argument('--limit', type=int)
    ap.add_argument('--size', type=int, help='resize the model input to this short side (default: full size)')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--hints', action='append', type=int,
                    help='also score with N simulated hints per image (uniform points, true ab, the app\'s default size)')
    ap.add_argument('--propagate', action='append', default=[],
                    help='SIGMA,LAM[,LC[,NET_SIGMA]]: (NET_SIGMA: keep the net\'s hinted change only that far, against its unhinted prediction) also score hinted variants with the app\'s hint propagation (training/propagate.py)')
    ap.add_argument('--film', action='store_true',
                    help='the film-look split: each photo\'s model input is its film-look gray (filmlook.py, seeded by '
                         'the photo\'s index); the truth and the composed L stay the photo\'s own (PSNR is then not a '
                         'like-for-like figure)')
    ap.add_argument('--restraint', action='append', default=[],
                    help='H0,H1,SMIN: also score each model with its chroma scaled by s = clip((H1 - Hn) / (H1 - H0), '
                         'SMIN, 1), Hn the normalised entropy of the T=1 distribution (restraint where unsure); K (one number): '
                         'the decoded chroma at most K times the T=1 distribution\'s expected chroma')
    ap.add_argument('--blend-size', type=int,
                    help='also run every model at this short side and average its logits (resampled) with the --size ones')
    ap.add_argument('--json')
    args = ap.parse_args()
    props = [tuple(float(v) for v in p.split(',')) for p in args.propagate]
    restraints = [None] + [tuple(float(v) for v in r.split(',')) for r in args.restraint]
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    if args.data_dir:
        cfg = {**cfg, 'data_dir': args.data_dir}
        cfg.pop('data_dirs', None)
    names = [l.strip() for l in open(args.split) if l.strip()]
    if args.limit:
        names = names[:args.limit]
    bins = load_bins(repo_path(cfg['bins']))
    bins_t = torch.from_numpy(bins)
    nearest = nearest_bins(repo_path(cfg['cache_dir']), bins)
    Ts = args.T or [cfg['T']]
    pcs = args.prior_correct or [0.0]

    # variants: (label, model key, T, bias, number of hints)
    nets, variants = {}, []
    hint_counts = args.hints or [0]
    for m in args.model:
        if m == 'gray':
            variants.append(('gray', None, None, None, (0, None, None)))
        elif m.endswith('.onnx'):
            nets[m] = OrtModel(m, args.threads)
            for nh in (hint_counts if nets[m].hints else [0]):
                for T in Ts:
                    for pr in [None] + (props if nh else []):
                        for rs in (restraints if not nh else [None]):
                            variants.append((f'{m} T={T}' + (f' hints={nh}' if nh else '') + (f' propagate={pr}' if pr else '')
                                             + (f' restraint={rs}' if rs else ''), m, T, None, (nh, pr, rs)))
        else:
            net, ck, _ = load_net(m, args.weights)
            nets[m] = net
            w = np.load(os.path.join(os.path.dirname(os.path.abspath(m)), 'rebal_weights.npy'))
            for nh in (hint_counts if getattr(net, 'hints', False) else [0]):
                for pc in pcs:
                    bias = None if pc == 0 else torch.from_numpy(-pc * np.log(w)).float()
                    for T in Ts:
                        for pr in [None] + (props if nh else []):
                            for rs in (restraints if not nh else [None]):
                                variants.append((f'{m} (step {ck["step"]}) T={T}' + (f' pc={pc}' if pc else '')
                                                 + (f' hints={nh}' if nh else '') + (f' propagate={pr}' if pr else '')
                                                 + (f' restraint={rs}' if rs else ''), m, T, bias, (nh, pr, rs)))
    for spec in args.calib or []:
        m, cj = spec.split('=')
        c = json.load(open(cj))
        if 'chosen' in c:  # a sweep.py file: its chosen decode
            c = {'T': c['chosen']['T'], 'fits': [c['chosen']]}
        if m not in nets:
            nets[m] = load_net(m, args.weights)[0]
        w = np.load(os.path.join(os.path.dirname(os.path.abspath(m)), 'rebal_weights.npy'))
        for fit in c['fits']:
            bias = torch.from_numpy(-fit['pc'] * np.log(w)).float() + bins_t @ torch.tensor(fit['g'], dtype=torch.float32)
            for rs in restraints:
                variants.append((f"{m} T={c['T']} pc={fit['pc']} tilt={[round(v, 4) for v in fit['g']]}"
                                 + (f' restraint={rs}' if rs else ''), m, c['T'], bias, (0, None, rs)))
    accs = [Acc() for _ in variants]
    t0 = time.time()
    for i, n in enumerate(names):
        rgb = np.asarray(Image.open(image_path(cfg, n)).convert('RGB'))
        lab = srgb_to_lab(rgb)
        H, W = lab.shape[:2]
        H8, W8 = input_size(H, W, args.size)
        Lin = lab[..., :1]
        if args.film:
            Lin = film_L(rgb, np.random.RandomState(9000 + i))[..., None]
        x = (resize_planes(Lin, H8, W8) - 50.0) / 100.0
        tbin = nearest[ab_to_key(lab[..., 1], lab[..., 2])]
        logits = {}
        with torch.no_grad():
            planes = {}
            for (label, k, T, bias, (nh, pr, rs)) in variants:
                if k is None or (k, nh) in logits:
                    continue
                net = nets[k]
                if getattr(net, 'hints', False):
                    pts, size = eval_hint_points(H, W, nh, seed=i)
                    planes[nh] = hint_planes(lab, pts, size, H8, W8) if nh else no_hints(1, H8, W8)
                    logits[k, nh] = net(x, planes[nh])
                    if nh and (k, 0) not in logits and any(len(v[4][1] or ()) > 3 for v in variants):
                        logits[k, 0] = net(x, no_hints(1, H8, W8))
                else:
                    logits[k, nh] = net(x)
                if args.blend_size and nh == 0:
                    # Multi-scale: the same input at another size, its logits brought to this grid and averaged.
                    xb = (resize_planes(Lin, *input_size(H, W, args.blend_size)) - 50.0) / 100.0
                    lb = net(xb, no_hints(1, *xb.shape[2:])) if getattr(net, 'hints', False) else net(xb)
                    lb = F.interpolate(lb, size=logits[k, 0].shape[2:], mode='bilinear', align_corners=False)
                    logits[k, 0] = (logits[k, 0] + lb) / 2
            for (label, k, T, bias, (nh, pr, rs)), acc in zip(variants, accs):
                if k is None:
                    ab = np.zeros((H, W, 2), np.float32)
                else:
                    z = logits[k, nh] / T
                    if bias is not None:
                        z = z + bias.view(1, -1, 1, 1) / T
                    p = torch.softmax(z, 1)
                    ab4 = torch.einsum('nqhw,qc->nchw', p, bins_t)
                    if rs:
                        ab4 = restrain(ab4, logits[k, nh], rs, bins_t)
                    if pr:
                        f = H8 // ab4.shape[2]
                        Ls, sab, seed, sL, Lr = seeds_from_planes(planes[nh][0].numpy(), x[0, 0].numpy() * 100 + 50, f)
                        base = None
                        if len(pr) > 3:
                            z0 = logits[k, 0] / T + (bias.view(1, -1, 1, 1) / T if bias is not None else 0)
                            base = torch.einsum('nqhw,qc->nchw', torch.softmax(z0, 1), bins_t)[0].double().numpy()
                        ab4 = torch.from_numpy(propagate(ab4[0].double().numpy(), Ls, sab, seed, *pr, seed_L=sL, L_range=Lr,
                                                         base=base)).float()[None]
                    ab = F.interpolate(ab4, size=(H, W), mode='bilinear', align_corners=False)[0].permute(1, 2, 0).numpy()
                pred = np.concatenate([lab[..., :1], ab], -1)
                rgb_pred = np.rint(lab_to_srgb(pred) * 255).astype(np.uint8)
                acc.add(ab, lab[..., 1:], tbin, rgb_pred, rgb)
        if i % 50 == 0:
            print(f'{i}/{len(names)} {time.time() - t0:.0f}s', file=sys.stderr, flush=True)
    rows = []
    for (label, k, T, bias, (nh, pr, rs)), acc in zip(variants, accs):
        r = acc.result(); r['model'] = label; r['hints'] = nh; r['propagate'] = pr
        if k in nets and isinstance(nets[k], OrtModel):
            r['ort_ms_median'] = float(np.median(nets[k].ms))
        rows.append(r)
    for net in nets.values():
        if isinstance(net, OrtModel):
            net.close()
    print('| model | AuC | CB-AuC | PSNR | colourf. mean ratio | colourf. ratio of means | vivid wrong % | mean ab pred | mean ab true |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['model']} | {r['auc']:.2f} | {r['cb_auc']:.2f} | {r['psnr']:.2f} | {r['colourfulness_mean_ratio']:.3f} | "
              f"{r['colourfulness_ratio_of_means']:.3f} | {r['vivid_wrong_pct']:.2f} | {r['mean_ab_pred']} | {r['mean_ab_true']} |")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'rows': rows, 'images': len(names), 'split': args.split, 'size': args.size, 'film': args.film}, f, indent=1)


if __name__ == '__main__':
    main()
