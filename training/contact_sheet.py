#!/usr/bin/env python3
"""Contact sheet for looking at colour by eye: one row per photo, gray | model A | model B ... | truth.

    /usr/bin/python3 training/contact_sheet.py --config training/config-hint.json \
        --split training/splits/hint_val_holdout.txt --model models/chroma-default.onnx [--model other.onnx] \
        [--hints 0 --hints 10] [--n 16] [--every 12] [--height 128] --out training/sheets/holdout.jpg

Models are ONNX files run in onnxruntime-node (as the app runs them) or training checkpoints, decoded at
T = 0.38 (the app's default) at the model's training size, as evaluate.py does. With --hints, hint-capable
models get one column per hint count (the simulated hints of evaluate.py, drawn as small white squares).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (eval_hint_points, hint_planes, image_path, input_size, lab_to_srgb, load_bins,  # noqa: E402
                    load_config, no_hints, repo_path, resize_planes, srgb_to_lab)
from evaluate import OrtModel  # noqa: E402
from propagate import propagate, seeds_from_planes  # noqa: E402
from filmlook import film_L  # noqa: E402
from export import load_net  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='training/config-hint.json')
    ap.add_argument('--split', required=True)
    ap.add_argument('--model', action='append', required=True)
    ap.add_argument('--hints', action='append', type=int)
    ap.add_argument('--n', type=int, default=16)
    ap.add_argument('--every', type=int, default=1, help='take every k-th name of the split')
    ap.add_argument('--height', type=int, default=128)
    ap.add_argument('--T', type=float, default=0.38)
    ap.add_argument('--propagate', help='SIGMA,LAM[,LC[,NET_SIGMA]]: hinted columns with the app\'s hint propagation (as evaluate.py)')
    ap.add_argument('--film', action='store_true',
                    help='also the film-look gray (evaluate.py --film\'s seed): columns gray | film gray | each model on '
                         'gray, then on film gray | truth')
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    cfg = load_config(args.config)
    bins_t = torch.from_numpy(load_bins(repo_path(cfg['bins'])))
    names_all = [n.strip() for n in open(args.split) if n.strip()]
    names = names_all[::args.every][:args.n]
    nets = []
    for m in args.model:
        if m.endswith('.onnx'):
            net = OrtModel(m, 2)
            size = json.load(open(m + '.json')).get('trainSize') if os.path.exists(m + '.json') else None
        else:
            net, ck, c = load_net(m)
            size = c.get('train_size')
        nets.append((m, net, size, getattr(net, 'hints', False)))
    rows = []
    for i, n in enumerate(names):
        rgb = np.asarray(Image.open(image_path(cfg, n)).convert('RGB'))
        lab = srgb_to_lab(rgb)
        H, W = lab.shape[:2]
        gray = np.rint(lab_to_srgb(np.concatenate([lab[..., :1], np.zeros_like(lab[..., 1:])], -1)) * 255).astype(np.uint8)
        tiles = [gray]
        inputs = [lab[..., :1]]
        if args.film:
            fL = film_L(rgb, np.random.RandomState(9000 + names_all.index(n)))[..., None]
            inputs.append(fL)
            tiles.append(np.repeat(np.rint(fL * 2.55).clip(0, 255).astype(np.uint8), 3, -1))
        for (m, net, size, takes_hints), Lin in ((nt, Li) for nt in nets for Li in inputs):
            H8, W8 = input_size(H, W, size)
            x = (resize_planes(Lin, H8, W8) - 50.0) / 100.0
            for nh in (args.hints or [0]) if takes_hints else [0]:
                pts, psz = eval_hint_points(H, W, nh, seed=i)
                hp = hint_planes(lab, pts, psz, H8, W8) if nh else no_hints(1, H8, W8)
                with torch.no_grad():
                    lg = net(x, hp) if takes_hints else net(x)
                    ab4 = torch.einsum('nqhw,qc->nchw', torch.softmax(lg / args.T, 1), bins_t)
                    if nh and args.propagate:
                        Ls, sab, seed, sL, Lr = seeds_from_planes(hp[0].numpy(), x[0, 0].numpy() * 100 + 50, H8 // ab4.shape[2])
                        pr = [float(v) for v in args.propagate.split(',')]
                        # A fourth value: the app's unhinted pass (the net's hinted change kept that far).
                        base = None if len(pr) < 4 else torch.einsum(
                            'nqhw,qc->nchw', torch.softmax(net(x, no_hints(1, H8, W8)) / args.T, 1), bins_t)[0].double().numpy()
                        ab4 = torch.from_numpy(propagate(ab4[0].double().numpy(), Ls, sab, seed, *pr, seed_L=sL, L_range=Lr,
                                                         base=base)).float()[None]
                    ab = F.interpolate(ab4, size=(H, W), mode='bilinear', align_corners=False)[0].permute(1, 2, 0).numpy()
                t = np.rint(lab_to_srgb(np.concatenate([lab[..., :1], ab], -1)) * 255).astype(np.uint8)
                if nh:
                    im = Image.fromarray(t); d = ImageDraw.Draw(im)
                    for y, x0 in pts:
                        d.rectangle([x0 - psz // 2 - 1, y - psz // 2 - 1, x0 + psz // 2 + 1, y + psz // 2 + 1], outline=(255, 255, 255))
                    t = np.asarray(im)
                tiles.append(t)
        tiles.append(rgb)
        s = args.height / H
        tiles = [np.asarray(Image.fromarray(t).resize((max(1, round(W * s)), args.height), Image.BILINEAR)) for t in tiles]
        rows.append(np.concatenate(tiles, 1))
    width = max(r.shape[1] for r in rows)
    sheet = np.full((sum(r.shape[0] + 4 for r in rows), width, 3), 255, np.uint8)
    y = 0
    for r in rows:
        sheet[y:y + r.shape[0], :r.shape[1]] = r
        y += r.shape[0] + 4
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    Image.fromarray(sheet).save(args.out, **({'quality': 85} if args.out.lower().endswith(('.jpg', '.jpeg')) else {}))
    for _, net, _, _ in nets:
        if isinstance(net, OrtModel):
            net.close()
    print('wrote', args.out, 'columns: gray |' + (' film gray |' if args.film else ''),
          ' | '.join(m + (' (gray, film gray)' if args.film else '') for m, *_ in nets), '| truth')


if __name__ == '__main__':
    main()
