#!/usr/bin/env python3
"""Train the blotch inpainting net (src/restore/blotch-net.ts runs it) and export it to ONNX.

    nohup nice -n 5 /usr/bin/python3 training/inpaint/train.py --minutes 20 > training/inpaint/train.log 2>&1 &

A small gated-convolution net (Yu et al., free-form inpainting) on L only: 64 x 64 windows of
photos from the training split, holes shaped like film blotches and emulsion tears, L1 loss on
the hole. It refines the directional fill (src/restore/inpaint.ts, given as an input), so that a
short training on two shared cores starts from the classical fill and only has to learn the rest. Restore resamples each blotch's window to 64 x 64 (a blotch fills at most about half of
it), so one size serves blotches of 25 to 100 px. One CPU thread: the machine is shared.

ONNX contract (models/blotch-inpaint.onnx):
  input  `L`     float32 N x 1 x 64 x 64, (L - 50) / 50, any value in the hole
  input  `mask`  float32 N x 1 x 64 x 64, 1 in the hole, 0 elsewhere
  input  `guess` float32 N x 1 x 64 x 64, the directional fill of the hole (src/restore/inpaint.ts)
  input  `near`  float32 N x 1 x 64 x 64, (L - 50) / 50 of the frames around (two and three away,
                 warped onto this one): their mean, everywhere in the window, hole included
  input  `spread` float32 N x 1 x 64 x 64, how far those frames disagree (max - min) / 50
  output `filled` float32 N x 1 x 64 x 64, (L - 50) / 50: the input outside the hole, the net's fill in it
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SIZE = 64


def srgb_to_l(rgb):
    """CIE L* (0..100) of an sRGB uint8 image, D65."""
    c = rgb.astype(np.float32) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = 0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]
    f = np.where(y > 216 / 24389, np.cbrt(y), (24389 / 27 * y + 16) / 116)
    return 116 * f - 16


def load_split(data, names, limit):
    out = []
    for name in names[:limit]:
        try:
            im = Image.open(os.path.join(data, name)).convert('RGB')
        except OSError:
            continue
        L = srgb_to_l(np.asarray(im))
        if min(L.shape) >= SIZE:
            out.append(torch.from_numpy(L.astype(np.float32)))
    return out


# ---- hole shapes -------------------------------------------------------------------------------

def blotch_mask(rng, n):
    """A blob with a wobbling outline, stretched and turned: dirt, a chemical stain, a tape hit."""
    extent = rng.uniform(10, 36)
    cx, cy = n / 2 + rng.uniform(-8, 8), n / 2 + rng.uniform(-8, 8)
    ax = extent / 2
    ay = ax * rng.uniform(0.45, 1.0)
    ang = rng.uniform(0, math.pi)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) + 0.5
    dx, dy = xx - cx, yy - cy
    u = (dx * math.cos(ang) + dy * math.sin(ang)) / ax
    v = (-dx * math.sin(ang) + dy * math.cos(ang)) / ay
    th = np.arctan2(v, u)
    edge = 1.0
    for k in range(2, 7):
        edge = edge + rng.uniform(0, 0.3 / (k - 1)) * np.sin(k * th + rng.uniform(0, 6.28))
    return np.sqrt(u * u + v * v) <= edge


def tear_mask(rng, n):
    """A jagged band along a wandering line: an emulsion tear or a crease."""
    length = rng.uniform(18, 40)
    ang = rng.uniform(0, math.pi)
    cx, cy = n / 2 + rng.uniform(-6, 6), n / 2 + rng.uniform(-6, 6)
    width = rng.uniform(2.5, 8)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) + 0.5
    m = np.zeros((n, n), bool)
    steps = int(length)
    heading = ang
    x, y = cx - math.cos(ang) * length / 2, cy - math.sin(ang) * length / 2
    for s in range(steps):
        heading += rng.normal(0, 0.15)
        x += math.cos(heading)
        y += math.sin(heading)
        r = width / 2 * (0.6 + 0.8 * rng.random()) * math.sin(math.pi * (s + 1) / (steps + 1)) ** 0.3
        m |= (xx - x) ** 2 + (yy - y) ** 2 <= r * r
    return m


def make_mask(rng, n):
    m = blotch_mask(rng, n) if rng.random() < 0.65 else tear_mask(rng, n)
    if rng.random() < 0.2:  # a second, smaller piece beside it
        m2 = blotch_mask(rng, n)
        sx, sy = rng.integers(-12, 13, size=2)
        m |= np.roll(np.roll(m2, sx, 1), sy, 0)
    # Restore grows each blotch by two pixels for its soft edge; the hole here is the same.
    t = torch.from_numpy(m.astype(np.float32))[None, None]
    t = F.max_pool2d(t, 5, 1, 2)
    return t[0]


def warp_random(x, rng, amp):
    """x (N x 1 x S x S) resampled along a smooth random displacement of up to about `amp` px."""
    n = x.shape[0]
    d = torch.from_numpy(rng.normal(0, 1, size=(n, 2, 3, 3)).astype(np.float32)) * torch.from_numpy(amp.astype(np.float32)).view(n, 1, 1, 1)
    d = F.interpolate(d, size=(SIZE, SIZE), mode='bicubic', align_corners=True) * (2 / SIZE)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, SIZE), torch.linspace(-1, 1, SIZE), indexing='ij')
    grid = torch.stack([xx, yy], -1)[None] + d.permute(0, 2, 3, 1)
    return F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=True)


def witnesses(x, rng):
    """Two frames around, as restore sees them after motion compensation: the window displaced a
    little (the flow's error), with grain and a small brightness change; sometimes a region of one
    shows other content (occlusion, parallax the flow missed), sometimes both are far off (a pan
    the flow lost). Returns their mean and spread, as restore gives them to the net."""
    n = x.shape[0]
    out = []
    far = rng.random(n) < 0.15
    for _ in range(2):
        amp = np.where(far, rng.uniform(3, 8, n), rng.uniform(0, 2.5, n))
        wx = warp_random(x, rng, amp)
        other = x.roll((int(rng.integers(6, 20)), int(rng.integers(-12, 13))), (2, 3))
        for i in range(n):
            if rng.random() < 0.25:
                r = torch.from_numpy(blotch_mask(rng, SIZE).astype(np.float32))
                wx[i, 0] = wx[i, 0] * (1 - r) + other[i, 0] * r
        wx = wx + torch.randn_like(wx) * torch.from_numpy(rng.uniform(0, 3, (n, 1, 1, 1)).astype(np.float32)) / 50
        wx = wx + torch.from_numpy(rng.uniform(-2, 2, (n, 1, 1, 1)).astype(np.float32)) / 50
        out.append(wx)
    return (out[0] + out[1]) / 2, (out[0] - out[1]).abs()


def sample_batch(images, rng, batch, noise=True):
    xs, ms = [], []
    for _ in range(batch):
        img = images[rng.integers(len(images))]
        h, w = img.shape
        # A window of 64 to 3 x 64 source pixels: big blotches are filled at a reduced scale.
        side = int(min(h, w, SIZE * rng.uniform(1.0, 3.0)))
        y0, x0 = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = img[y0:y0 + side, x0:x0 + side][None, None]
        if side != SIZE:
            crop = F.interpolate(crop, size=(SIZE, SIZE), mode='area')
        if rng.random() < 0.5:
            crop = crop.flip(3)
        xs.append(crop[0])
        ms.append(make_mask(rng, SIZE))
    x = (torch.stack(xs) - 50) / 50
    m = torch.stack(ms)
    inp = x.clone()
    if noise:
        # Film grain on the context: the target stays clean (the restored frame is compared with
        # the clean original).
        sig = torch.from_numpy(rng.uniform(0, 4, size=(batch, 1, 1, 1)).astype(np.float32)) / 50
        g = torch.randn_like(inp)
        g = F.avg_pool2d(g, 3, 1, 1) * 3
        inp = inp + g * sig * (torch.from_numpy(rng.random(size=(batch, 1, 1, 1)) < 0.5).float())
    near, spread = witnesses(x, rng)
    return inp, m, x, near, spread


# ---- the net -----------------------------------------------------------------------------------

class GatedConv(nn.Module):
    """Conv whose output is ELU(features) * sigmoid(gate): the gate learns where the input is valid."""

    def __init__(self, cin, cout, k=3, stride=1, dilation=1):
        super().__init__()
        pad = dilation * (k - 1) // 2
        self.conv = nn.Conv2d(cin, 2 * cout, k, stride, pad, dilation)
        self.cout = cout

    def forward(self, x):
        f, g = torch.split(self.conv(x), self.cout, 1)
        return F.elu(f) * torch.sigmoid(g)


def _nearest_before(x, valid, dim):
    """For every pixel, the value of and distance to the nearest valid pixel before it along `dim`."""
    size = x.shape[dim]
    shape = [1, 1, 1, 1]
    shape[dim] = size
    idx = torch.arange(size).view(shape).expand_as(x)
    pos, _ = torch.cummax(torch.where(valid, idx, torch.full_like(idx, -(1 << 20))), dim)
    has = pos >= 0
    val = torch.gather(x, dim, pos.clamp(min=0))
    return val, (idx - pos).float(), has


def directional_guess(x, mask):
    """src/restore/inpaint.ts on the net's window (reach: the whole window, four directions): each
    hole pixel is the inverse-distance mean of the nearest valid pixel left, right, up and down;
    0 where there is none. Restore computes it in TypeScript and gives it to the net."""
    valid = mask < 0.5
    num = torch.zeros_like(x)
    den = torch.zeros_like(x)
    for dim in (2, 3):
        for flip in (False, True):
            xs, vs = (x.flip(dim), valid.flip(dim)) if flip else (x, valid)
            val, d, has = _nearest_before(xs, vs, dim)
            if flip:
                val, d, has = val.flip(dim), d.flip(dim), has.flip(dim)
            wgt = torch.where(has, 1 / d.clamp(min=1), torch.zeros_like(d))
            num = num + val * wgt
            den = den + wgt
    fill = torch.where(den > 0, num / den.clamp(min=1e-9), torch.zeros_like(x))
    return torch.where(valid, x, fill)


class BlotchNet(nn.Module):
    """Gated convolutions at half and quarter size on (masked L, mask, directional fill, the frames
    around: their mean and spread); the output is a correction to the directional fill in the hole
    (zero at the start of training)."""

    def __init__(self, c1=16, c2=32, c0=8):
        super().__init__()
        self.e1 = GatedConv(5, c1, 5, 2)
        self.e2 = GatedConv(c1, c2, 3, 2)
        self.mid = nn.Sequential(*[GatedConv(c2, c2, 3, 1, d) for d in (1, 2, 4, 8)])
        self.d2 = GatedConv(c2 + c1, 24)
        self.d1 = GatedConv(24 + 5, c0)
        self.out = nn.Conv2d(c0, 1, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, L, mask, guess, near, spread):
        x = L * (1 - mask)
        inp = torch.cat([x, mask, guess, near, spread], 1)
        h1 = self.e1(inp)
        h2 = self.mid(self.e2(h1))
        u2 = self.d2(torch.cat([F.interpolate(h2, scale_factor=2.0, mode='nearest'), h1], 1))
        u1 = self.d1(torch.cat([F.interpolate(u2, scale_factor=2.0, mode='nearest'), inp], 1))
        return x + (guess + self.out(u1)) * mask


def hole_psnr(pred, target, m):
    err = ((pred - target) ** 2)[m > 0.5].mean()
    return 10 * math.log10(100 ** 2 / max(err, 1e-6))


def evaluate(net, val):
    """Mean hole PSNR (dB) of the net's fill on the validation windows."""
    inp, m, x, near, spread = val
    with torch.no_grad():
        y = net(inp, m, directional_guess(inp * (1 - m), m), near, spread)
    return float(np.mean([hole_psnr(y[i, 0].numpy() * 50 + 50, x[i, 0].numpy() * 50 + 50, m[i, 0].numpy())
                          for i in range(inp.shape[0])]))


def evaluate_classical(val, frames=False):
    """The directional fill's hole PSNR, or with `frames` the frames' mean (near) alone."""
    inp, m, x, near, _ = val
    g = near if frames else directional_guess(inp * (1 - m), m)
    return float(np.mean([hole_psnr(g[i, 0].numpy() * 50 + 50, x[i, 0].numpy() * 50 + 50, m[i, 0].numpy())
                          for i in range(inp.shape[0])]))


def export(net, path):
    net.eval()
    z = torch.zeros(1, 1, SIZE, SIZE)
    names = ['L', 'mask', 'guess', 'near', 'spread']
    torch.onnx.export(net, (z, z, z, z, z), path, input_names=names, output_names=['filled'],
                      dynamic_axes={k: {0: 'n'} for k in names + ['filled']}, opset_version=17)


def write_check(net, path):
    """A fixed input and torch's output, for the test that onnxruntime-node agrees."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    L = 0.6 * np.sin(0.21 * yy) * np.cos(0.13 * xx) + 0.2 * np.sin(0.05 * (yy + 2 * xx))
    m = (((xx - 34) ** 2 + (yy - 30) ** 2) <= 14 ** 2).astype(np.float32)
    near = L + 0.05 * np.cos(0.3 * xx)
    spread = 0.04 + 0.03 * np.sin(0.2 * yy) ** 2
    Lt, mt = torch.from_numpy(L)[None, None], torch.from_numpy(m)[None, None]
    nt, st = torch.from_numpy(near.astype(np.float32))[None, None], torch.from_numpy(spread.astype(np.float32))[None, None]
    with torch.no_grad():
        g = directional_guess(Lt * (1 - mt), mt)
        out = net(Lt, mt, g, nt, st)[0, 0].numpy()
    with open(path, 'w') as f:
        json.dump({'size': SIZE, 'L': [round(float(v), 6) for v in L.ravel()],
                   'mask': [int(v) for v in m.ravel()],
                   'guess': [round(float(v), 6) for v in g[0, 0].numpy().ravel()],
                   'near': [round(float(v), 6) for v in near.ravel()],
                   'spread': [round(float(v), 6) for v in spread.ravel()],
                   'filled': [round(float(v), 6) for v in out.ravel()]}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--minutes', type=float, default=20)
    # The photos sit in shared/ beside the checkout (main) or beside the worktrees' folder.
    shared = [os.path.join(REPO, *up, 'shared', 'data', 'train') for up in (('..',), ('..', '..'))]
    ap.add_argument('--data', default=next((d for d in shared if os.path.isdir(d)), shared[0]))
    ap.add_argument('--images', type=int, default=2000)
    ap.add_argument('--batch', type=int, default=12)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--out', default=os.path.join(REPO, 'models', 'blotch-inpaint.onnx'))
    ap.add_argument('--check', default=os.path.join(REPO, 'test', 'fixtures', 'blotch-inpaint-check.json'))
    ap.add_argument('--ckpt', default=os.path.join(HERE, 'runs', 'blotch.pt'))
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    splits = os.path.join(REPO, 'training', 'splits')
    train_names = open(os.path.join(splits, 'train.txt')).read().split()
    val_names = open(os.path.join(splits, 'val.txt')).read().split()
    t0 = time.time()
    train = load_split(a.data, train_names, a.images)
    val_imgs = load_split(a.data, val_names, 200)
    print(f'loaded {len(train)} train, {len(val_imgs)} val images in {time.time() - t0:.0f} s', flush=True)
    val = sample_batch(val_imgs, np.random.default_rng(1234), 192, noise=False)
    pc = evaluate_classical(val)
    pf = evaluate_classical(val, frames=True)
    print(f'val hole PSNR of the directional fill {pc:.2f} dB, of the frames around (mean) {pf:.2f} dB', flush=True)

    net = BlotchNet()
    print('parameters', sum(p.numel() for p in net.parameters()), flush=True)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    os.makedirs(os.path.dirname(a.ckpt), exist_ok=True)
    budget = a.minutes * 60
    start = time.time()
    step = 0
    last_eval = start
    while True:
        el = time.time() - start
        if el > budget:
            break
        for g in opt.param_groups:  # cosine decay over the wall-clock budget
            g['lr'] = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * el / budget)))
        net.train()
        inp, m, x, near, spread = sample_batch(train, rng, a.batch)
        y = net(inp, m, directional_guess(inp * (1 - m), m), near, spread)
        hole = (m * (y - x).abs()).sum() / m.sum().clamp(min=1)
        loss = hole
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if time.time() - last_eval > 150:
            last_eval = time.time()
            net.eval()
            pn = evaluate(net, val)
            print(f'step {step} {el / 60:.1f} min loss {loss.item():.4f} val hole PSNR net {pn:.2f} dB', flush=True)
            torch.save({'model': net.state_dict(), 'step': step}, a.ckpt)
    net.eval()
    pn = evaluate(net, val)
    print(f'final step {step} val hole PSNR net {pn:.2f} dB directional {pc:.2f} dB frames {pf:.2f} dB', flush=True)
    torch.save({'model': net.state_dict(), 'step': step}, a.ckpt)
    export(net, a.out)
    os.makedirs(os.path.dirname(a.check), exist_ok=True)
    write_check(net, a.check)
    print('exported', a.out, os.path.getsize(a.out), 'bytes', flush=True)


if __name__ == '__main__':
    main()
