#!/usr/bin/env python3
"""Re-estimate a checkpoint's BatchNorm statistics as exact averages over many training batches, and compare the
quick validation before and after.

    /usr/bin/python3 training/recal_bn.py --config training/config-sem.json --ckpt training/checkpoint/default.pt \
        [--batches 300] [--seed 5] [--no-hints] [--crop C] [--out recal.pt] [--threads 2]

Why: training keeps BatchNorm's running statistics as an exponential average over the last ~10 batches of 24
crops (momentum 0.1), and the EMA weights take the raw net's latest statistics. So every checkpoint carries
statistics of a few hundred crops, and picking the best checkpoint by validation also picks lucky statistics.
Here the statistics are reset and averaged over --batches batches drawn as training draws them (crops, zoom, film
look, simulated hints; the config's settings), the weights untouched. --out writes the EMA with the new
statistics in the form export.py and sweep.py read (`ema`, `config`, `step`, `rebalance`).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import build_model, load_config  # noqa: E402
from train import SoftLoss, prepare, quick_val, sample_batch  # noqa: E402


def validate(net, d, cfg, loss_fn, loss_plain):
    out = {}
    for film in (False, True):
        v = quick_val(net, d.vds, loss_fn, loss_plain, d.bins_t, cfg['T'], d.nearest, d.cb_w, film=film)
        out['film' if film else 'clean'] = {k: v[k] for k in ('val_loss', 'cb_auc_q', 'auc_q', 'pred_ab')}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', required=True)
    ap.add_argument('--ckpt', required=True, help='a checkpoint with an `ema` state (a campaign or best.pt)')
    ap.add_argument('--batches', type=int, default=300)
    ap.add_argument('--seed', type=int, default=5)
    ap.add_argument('--out')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--no-hints', action='store_true', help='batches without simulated hints, as the net mostly runs')
    ap.add_argument('--crop', type=int, help="crop side (default: the config's)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    ck = torch.load(args.ckpt, map_location='cpu')
    net = build_model(cfg)
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck['ema'].items()})
    d = prepare(cfg)
    loss_fn, loss_plain = SoftLoss(d.tab_idx, d.tab_wt, d.w), SoftLoss(d.tab_idx, d.tab_wt, None)
    before = validate(net, d, cfg, loss_fn, loss_plain)
    print(json.dumps({'before': before}), flush=True)

    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over every batch from here
    rng = np.random.RandomState(args.seed)
    hint_cfg = cfg.get('hint_sim') if cfg.get('model', {}).get('hints') else None
    if hint_cfg and args.no_hints:
        hint_cfg = {**hint_cfg, 'p_free': 1.0}
    net.train()
    with torch.no_grad():
        for _ in range(args.batches):
            idxs = rng.randint(0, len(d.ds), cfg['batch'])
            x, _, hp = sample_batch(d.ds, idxs, args.crop or cfg['crop'], rng, cfg.get('l_jitter'), cfg.get('zoom', 0.0), hint_cfg,
                                    cfg.get('film_look'))
            net(torch.from_numpy(x), torch.from_numpy(hp)) if hp is not None else net(torch.from_numpy(x))
    for m in bns:
        m.momentum = 0.1
    after = validate(net, d, cfg, loss_fn, loss_plain)
    print(json.dumps({'after': after, 'batches': args.batches, 'no_hints': args.no_hints, 'crop': args.crop}), flush=True)
    if args.out:
        torch.save({'ema': net.state_dict(), 'config': cfg, 'step': ck.get('step'), 'rebalance': ck.get('rebalance', True),
                    'recalibrated_bn': args.batches}, args.out)


if __name__ == '__main__':
    main()
