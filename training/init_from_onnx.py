#!/usr/bin/env python3
"""Recover trainable weights from an exported chroma ONNX model (BatchNorm folded into the convs).

    /usr/bin/python3 training/init_from_onnx.py --onnx models/chroma-default.onnx --config training/config-hint.json \
        --out training/runs/init-from-onnx.pt

Why: the campaign starts from the shipped model's knowledge, and the previous sessions' .pt checkpoints are
gone. Every conv+BN pair of the net gets the folded conv weights, and its BatchNorm is set so that in eval
mode it adds the folded bias exactly (running stats = the statistics of its input on a batch of training
crops, weight = their standard deviation), so batch statistics in training start close to identity.
The head's exported decode setting (logit scale, prior correction, tilt) is undone from the ONNX metadata.
Inputs the ONNX net lacks (the hint planes) get zero weights: with no hints the new net equals the old one.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import build_model, load_config, no_hints, repo_path  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--onnx', required=True)
    ap.add_argument('--config', required=True)
    ap.add_argument('--rebal-weights', help='rebal_weights.npy of the run that made the ONNX (undoes its prior correction)')
    ap.add_argument('--calib-images', type=int, default=64)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    cfg = load_config(args.config)
    m = onnx.load(args.onnx)
    meta = {p.key: p.value for p in m.metadata_props}
    inits = [(i.name, numpy_helper.to_array(i)) for i in m.graph.initializer]
    named = {n: a for n, a in inits}
    anon = [a for n, a in inits if n.startswith('onnx::')]  # folded conv weight, bias pairs, in module order
    net = build_model(cfg)
    net.eval()
    convbn = []
    for mod in net.modules():
        if isinstance(mod, torch.nn.Sequential) and len(mod) >= 2 and isinstance(mod[0], torch.nn.Conv2d) \
                and isinstance(mod[1], torch.nn.BatchNorm2d):
            convbn.append((mod[0], mod[1]))
    assert len(anon) == 2 * len(convbn), (len(anon), len(convbn))
    biases = []
    with torch.no_grad():
        for (conv, bn), (w, b) in zip(convbn, zip(anon[0::2], anon[1::2])):
            wt = torch.from_numpy(w.copy())
            conv.weight.zero_()
            conv.weight[:wt.shape[0], :wt.shape[1]] = wt  # extra input channels (hints) stay zero
            bn.running_mean.zero_(); bn.running_var.fill_(1 - bn.eps); bn.weight.fill_(1); bn.bias.copy_(torch.from_numpy(b))
            biases.append(torch.from_numpy(b.copy()))
        for name in ('ctx_local', 'ctx_global', 'head'):
            getattr(net, name).weight.copy_(torch.from_numpy(named[name + '.weight']))
            getattr(net, name).bias.copy_(torch.from_numpy(named[name + '.bias']))
        scale = float(meta.get('chroma.logit_scale', '1'))
        net.head.weight /= scale
        net.head.bias /= scale
        tilt = json.loads(meta.get('chroma.tilt', 'null'))
        bins = torch.from_numpy(np.load(repo_path(cfg['bins'])).astype(np.float32))
        if tilt:
            net.head.bias -= bins @ torch.tensor(tilt, dtype=torch.float32)
        pc = float(meta.get('chroma.prior_correct', '0'))
        if pc and args.rebal_weights:
            net.head.bias += pc * torch.from_numpy(np.log(np.load(args.rebal_weights))).float()
        elif pc:
            print(f'note: prior correction {pc} left in the head (no --rebal-weights)')

    # Input statistics of every BatchNorm on real crops, with the net in its exact folded form.
    from train import list_split_images, load_resized_lab, make_split  # noqa: E402
    make_split(cfg)
    names = list_split_images(cfg)[:args.calib_images]
    xs = []
    for n in names:
        lab = load_resized_lab(n, 128)
        c = lab[:128, :128, 0]
        xs.append((c - 50.0) / 100.0)
    x = torch.from_numpy(np.stack(xs)[:, None].astype(np.float32))
    stats = {}
    hooks = [bn.register_forward_hook(lambda mod, inp, out, i=i: stats.__setitem__(i, inp[0]))
             for i, (_, bn) in enumerate(convbn)]
    with torch.no_grad():
        ref = net(x, no_hints(x.shape[0], 128, 128)) if net.hints else net(x)
    for h in hooks:
        h.remove()
    with torch.no_grad():
        for i, (_, bn) in enumerate(convbn):
            t = stats[i]
            mu = t.mean((0, 2, 3)); var = t.var((0, 2, 3), unbiased=False)
            bn.running_mean.copy_(mu); bn.running_var.copy_(var)
            bn.weight.copy_(torch.sqrt(var + bn.eps)); bn.bias.copy_(mu + biases[i])
        out = net(x, no_hints(x.shape[0], 128, 128)) if net.hints else net(x)
        net.train()
        out_train = net(x, no_hints(x.shape[0], 128, 128)) if net.hints else net(x)
    print(f'eval-mode max |diff| after stats: {float((out - ref).abs().max()):.2e}; '
          f'train-mode (batch stats) mean |diff| {float((out_train - ref).abs().mean()):.3f} (logit scale {float(ref.abs().mean()):.3f})')
    sd = net.state_dict()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.save({'ema': sd, 'model': sd, 'step': int(meta.get('chroma.source_step', '0')), 'source': args.onnx}, args.out)
    print('wrote', args.out)


if __name__ == '__main__':
    main()
