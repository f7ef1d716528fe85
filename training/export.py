#!/usr/bin/env python3
"""Export a training checkpoint to the chroma ONNX model contract (src/model/contract.ts).

    /usr/bin/python3 training/export.py --ckpt training/runs/ctx/final.pt --sweep training/sweep_ctx.json \
        [--out models/chroma-default.onnx] [--weights ema|model] [--name chroma-default]
    (or --prior-correct B [--calib calib.json | --tilt GA GB] [--train-size S] instead of --sweep)

input  `L`      float32 N x 1 x H x W, (L - 50) / 100, H and W multiples of 8 (dynamic N, H, W)
output `logits` float32 N x 313 x H/4 x W/4 (ECCV16 bins, released order)
Metadata is written as ONNX metadata_props (needs the `onnx` package) and always as the sidecar
`<out>.json` with the camelCase keys.

--prior-correct beta adds -beta * log(w_rebalance) to the head bias (beta = 0: the net as trained;
beta = 1: undoes the class-rebalancing shift of the logits). The tilt adds g . (a_q, b_q) (hue balance), and
the logits are scaled by app_T / T so that the app's default temperature decodes at the chosen T. All three
are folded into the head's weights, so the graph is the bare net. Chosen on validation, see RESULTS.md.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO, build_model, load_bins, no_hints, repo_path  # noqa: E402


def load_net(ckpt_path, which='ema', prior_correct=0.0, tilt=None, logit_scale=1.0):
    ck = torch.load(ckpt_path, map_location='cpu')
    cfg = ck['config']
    net = build_model(cfg)
    net.load_state_dict(ck[which] if which in ck else ck['model'])
    net.eval()
    if prior_correct:
        wpath = os.path.join(os.path.dirname(os.path.abspath(ckpt_path)), 'rebal_weights.npy')
        w = np.load(wpath)
        with torch.no_grad():
            net.head.bias -= float(prior_correct) * torch.from_numpy(np.log(w)).float()
    if tilt is not None:
        bins = torch.from_numpy(load_bins(repo_path(cfg['bins'])))
        with torch.no_grad():
            net.head.bias += bins @ torch.tensor(tilt, dtype=torch.float32)
    if logit_scale != 1.0:  # decode at T_app on the scaled logits == decode at T_app / scale on the originals
        with torch.no_grad():
            net.head.weight *= logit_scale
            net.head.bias *= logit_scale
    return net, ck, cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', required=True)
    ap.add_argument('--out', default=os.path.join(REPO, 'models', 'chroma-default.onnx'))
    ap.add_argument('--weights', default='ema', choices=['ema', 'model'])
    ap.add_argument('--prior-correct', type=float, default=0.0)
    ap.add_argument('--tilt', type=float, nargs=2, help='g_a g_b from calibrate.py')
    ap.add_argument('--calib', help='calib.json from calibrate.py: takes T and (g_a, g_b) of the fit with --prior-correct')
    ap.add_argument('--live-size', type=int, help='short side chroma serve runs the model at by default (default: the training size)')
    ap.add_argument('--sweep', help='sweep.json from sweep.py: takes the chosen size (train_size), pc, T and tilt')
    ap.add_argument('--app-T', type=float, default=0.38, help='temperature the app decodes with')
    ap.add_argument('--name', default='chroma-default')
    ap.add_argument('--train-size', type=int)
    args = ap.parse_args()

    torch.set_num_threads(2)
    tilt, scale, fitT = args.tilt, 1.0, None
    if args.sweep:
        c = json.load(open(args.sweep))['chosen']
        if c.get('restraint'):
            sys.exit(f'{args.sweep}: the chosen decode has restraint {c["restraint"]}, which the app does not have')
        tilt, fitT, args.prior_correct = c['g'], c['T'], c['pc']
        args.train_size = args.train_size or c['size'] or None
        scale = args.app_T / fitT
    elif args.calib:
        c = json.load(open(args.calib))
        fit = [f for f in c['fits'] if abs(f['pc'] - args.prior_correct) < 1e-9][0]
        tilt, fitT = fit['g'], c['T']
        scale = args.app_T / fitT  # so that the app's T reproduces the calibrated T
    net, ck, cfg = load_net(args.ckpt, args.weights, args.prior_correct, tilt, scale)
    train_size = args.train_size or cfg.get('train_size', 256)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    x = torch.zeros(1, 1, 256, 256)
    hints = bool(getattr(net, 'hints', False))
    if hints:  # second input: hint a/110, hint b/110, mask - 0.5 (SIGGRAPH17's normalisation)
        torch.onnx.export(net, (x, no_hints(1, 256, 256)), args.out, opset_version=17, input_names=['L', 'hints'],
                          output_names=['logits'],
                          dynamic_axes={'L': {0: 'N', 2: 'H', 3: 'W'}, 'hints': {0: 'N', 2: 'H', 3: 'W'},
                                        'logits': {0: 'N', 2: 'h', 3: 'w'}}, do_constant_folding=True)
    else:
        torch.onnx.export(net, x, args.out, opset_version=17, input_names=['L'], output_names=['logits'],
                          dynamic_axes={'L': {0: 'N', 2: 'H', 3: 'W'}, 'logits': {0: 'N', 2: 'h', 3: 'w'}},
                          do_constant_folding=True)
    meta = {'kind': 'logits313', 'lOffset': 50, 'lScale': 0.01, 'trainSize': int(train_size),
            'sizeMultiple': 8, 'abScale': 1, 'name': args.name}
    if args.live_size:
        meta['liveSize'] = args.live_size
    keys = {'kind': 'chroma.kind', 'lOffset': 'chroma.l_offset', 'lScale': 'chroma.l_scale',
            'trainSize': 'chroma.train_size', 'liveSize': 'chroma.live_size', 'sizeMultiple': 'chroma.size_multiple', 'abScale': 'chroma.ab_scale',
            'name': 'chroma.name', 'hints': 'chroma.hints'}
    if hints:
        meta['hints'] = 'ab-mask'
    extra = {'chroma.source_step': str(ck.get('step')), 'chroma.rebalance': str(ck.get('rebalance')),
             'chroma.prior_correct': str(args.prior_correct), 'chroma.weights': args.weights,
             'chroma.tilt': json.dumps(tilt), 'chroma.logit_scale': str(scale), 'chroma.calibrated_T': str(fitT)}
    try:
        import onnx
        m = onnx.load(args.out)
        del m.metadata_props[:]
        for k, v in list(meta.items()):
            p = m.metadata_props.add(); p.key = keys[k]; p.value = str(v)
        for k, v in extra.items():
            p = m.metadata_props.add(); p.key = k; p.value = v
        m.producer_name = 'chroma/training/export.py'
        onnx.checker.check_model(m)
        onnx.save(m, args.out)
        print('metadata_props written')
    except ImportError:
        print('onnx package not available: metadata only in the sidecar')
    with open(args.out + '.json', 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')
    print(f'wrote {args.out} ({os.path.getsize(args.out) / 1e6:.2f} MB) step {ck.get("step")} and {args.out}.json')
    # reference output for the node check
    with torch.no_grad():
        g = torch.Generator().manual_seed(0)
        xt = torch.rand(1, 1, 256, 256, generator=g) - 0.5
        y = net(xt, no_hints(1, 256, 256)) if hints else net(xt)
    np.save('/tmp/chroma_export_x.npy', xt.numpy()); np.save('/tmp/chroma_export_y.npy', y.numpy())


if __name__ == '__main__':
    main()
