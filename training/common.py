"""Shared pieces for chroma training / export / evaluation.

Colour: CIE Lab from sRGB with the D65 white point. Quantisation: the ECCV16 313 ab bins
(grid 10, order exactly as in ab_bins_313.npy). Net: small U-Net, L in, 313 logits out at 1/4 res.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# ---------------------------------------------------------------- config


def load_config(path):
    with open(path) as f:
        cfg = json.load(f)
    return cfg


def repo_path(p):
    """Paths in the config are relative to the repo root unless absolute."""
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(REPO, p))


def image_path(cfg, name):
    """A split name is a file of cfg['data_dir'], or 'folder/file' under cfg['data_root'] (several folders)."""
    if 'data_dirs' in cfg:
        return os.path.join(repo_path(cfg['data_root']), name)
    return os.path.join(repo_path(cfg['data_dir']), name)


# ---------------------------------------------------------------- colour

_M_RGB2XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]], dtype=np.float64)
_M_XYZ2RGB = np.linalg.inv(_M_RGB2XYZ)
_WHITE = np.array([0.95047, 1.0, 1.08883])  # D65


def srgb_to_lab(rgb):
    """rgb: uint8 or float in [0,1], shape (...,3) -> Lab float32 (...,3)."""
    x = np.asarray(rgb)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    x = x.astype(np.float32)
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    xyz = lin @ _M_RGB2XYZ.T.astype(np.float32)
    xyz = xyz / _WHITE.astype(np.float32)
    eps = 216.0 / 24389.0
    kappa = 24389.0 / 27.0
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16.0) / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1).astype(np.float32)


def lab_to_srgb(lab):
    """Lab float (...,3) -> sRGB float in [0,1] (clipped)."""
    lab = np.asarray(lab, dtype=np.float32)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = fy - b / 200.0
    eps = 216.0 / 24389.0
    kappa = 24389.0 / 27.0

    def finv(t):
        t3 = t ** 3
        return np.where(t3 > eps, t3, (116.0 * t - 16.0) / kappa)

    xr = finv(fx)
    yr = np.where(L > kappa * eps, ((L + 16.0) / 116.0) ** 3, L / kappa)
    zr = finv(fz)
    xyz = np.stack([xr, yr, zr], axis=-1) * _WHITE.astype(np.float32)
    lin = xyz @ _M_XYZ2RGB.T.astype(np.float32)
    lin = np.clip(lin, 0.0, 1.0)
    srgb = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.power(lin, 1.0 / 2.4) - 0.055)
    return np.clip(srgb, 0.0, 1.0).astype(np.float32)


# ---------------------------------------------------------------- bins / tables

def load_bins(path):
    """(313,2) a, b in the released order, from the reference .npy or a JSON list of pairs."""
    if path.endswith('.json'):
        with open(path) as f:
            d = json.load(f)
        return np.array(d['ab'] if isinstance(d, dict) else d, np.float32).reshape(313, 2)
    return np.load(path).astype(np.float32)


def soft_table(bins, k=5, sigma=5.0):
    """For every integer (a,b) in [-128,127]^2: k nearest bin indices and Gaussian weights.

    Index into the table with (a+128)*256 + (b+128). Returns idx int16 (65536,k), wt float32 (65536,k).
    """
    g = np.arange(-128, 128, dtype=np.float32)
    aa, bb = np.meshgrid(g, g, indexing='ij')
    pts = np.stack([aa.ravel(), bb.ravel()], 1)  # (65536,2)
    idx = np.empty((pts.shape[0], k), np.int16)
    wt = np.empty((pts.shape[0], k), np.float32)
    for s in range(0, pts.shape[0], 8192):
        p = pts[s:s + 8192]
        d2 = ((p[:, None, :] - bins[None, :, :]) ** 2).sum(-1)
        nn_ = np.argpartition(d2, k, axis=1)[:, :k]
        dk = np.take_along_axis(d2, nn_, 1)
        order = np.argsort(dk, 1)
        nn_ = np.take_along_axis(nn_, order, 1)
        dk = np.take_along_axis(dk, order, 1)
        w = np.exp(-(dk - dk[:, :1]) / (2 * sigma * sigma))  # shift: no underflow far from the gamut
        w /= w.sum(1, keepdims=True)
        idx[s:s + 8192] = nn_
        wt[s:s + 8192] = w
    return idx, wt


def nearest_bins(cache_dir, bins):
    """(65536,) the nearest bin of every integer (a, b): the cached soft-encoding table's first column, so that
    evaluation assigns ties between bins exactly as training did."""
    tab = os.path.join(cache_dir, 'soft_table.npz')
    return (np.load(tab)['idx'] if os.path.exists(tab) else soft_table(bins, 1)[0])[:, 0].astype(np.int64)


def ab_to_key(a, b):
    """a, b: arrays (any numeric) -> table key int64."""
    ai = np.clip(np.rint(a), -128, 127).astype(np.int64) + 128
    bi = np.clip(np.rint(b), -128, 127).astype(np.int64) + 128
    return ai * 256 + bi


def smooth_prior(p, bins, sigma=5.0):
    d2 = ((bins[:, None, :] - bins[None, :, :]) ** 2).sum(-1)
    K = np.exp(-d2 / (2 * sigma * sigma))
    ps = K @ p
    return ps / ps.sum()


def rebalance_weights(p_smooth, lam=0.5):
    Q = p_smooth.shape[0]
    w = 1.0 / ((1 - lam) * p_smooth + lam / Q)
    w = w / (p_smooth * w).sum()  # E_p~[w] = 1
    return w.astype(np.float32)


def prior_compare(p, q, top=30):
    p = np.asarray(p, np.float64); q = np.asarray(q, np.float64)
    p = p / p.sum(); q = q / q.sum()
    m = 0.5 * (p + q)

    def kl(x, y):
        mask = x > 0
        return float((x[mask] * np.log2(x[mask] / y[mask])).sum())

    js = 0.5 * kl(p, m) + 0.5 * kl(q, m)
    corr = float(np.corrcoef(p, q)[0, 1])
    lcorr = float(np.corrcoef(np.log(p + 1e-6), np.log(q + 1e-6))[0, 1])
    tp = set(np.argsort(-p)[:top].tolist()); tq = set(np.argsort(-q)[:top].tolist())
    return {'js_bits': js, 'pearson': corr, 'pearson_log': lcorr,
            f'top{top}_overlap': len(tp & tq) / top,
            'l1': float(np.abs(p - q).sum())}


# ---------------------------------------------------------------- model

def cbr(cin, cout, stride=1, dil=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dil, dilation=dil, bias=False),
        nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def zero_conv(cin, cout):
    """A 1x1 projection that starts at zero: a branch added through it leaves a trained trunk unchanged."""
    c = nn.Conv2d(cin, cout, 1)
    nn.init.zeros_(c.weight)
    nn.init.zeros_(c.bias)
    return c


def fuse(y, f, local, glob):
    """y plus a branch's features f through its local (enlarged to y's grid) and global (pooled) projections."""
    return y + F.interpolate(local(f), size=y.shape[-2:], mode='bilinear', align_corners=False) \
        + glob(f.mean((2, 3), keepdim=True))


class ColorNet(nn.Module):
    """L (N,1,H,W) -> logits (N,313,H/4,W/4). H, W multiples of 8."""

    def __init__(self, c1=24, c2=48, c3=96, c4=160, cd=112, q=313, c5=0, hints=False, sem=0, encoder=None,
                 encoder_tune=None, sem2=0, encoder2=None):
        super().__init__()
        # hints (SIGGRAPH17 user guidance): 3 more input planes, hint a/110, hint b/110 and mask - 0.5, seen by the
        # stem and, pooled to 1/4, by the decoder so that a hint reaches the output through a short path too.
        self.hints = hints
        self.stem = nn.Sequential(cbr(4 if hints else 1, c1), cbr(c1, c2, stride=2))  # 1/2
        self.e3 = nn.Sequential(cbr(c2, c3, stride=2), cbr(c3, c3))             # 1/4
        self.e4 = nn.Sequential(cbr(c3, c4, stride=2), cbr(c4, c4, dil=2),      # 1/8
                                cbr(c4, c4, dil=4), cbr(c4, c4, dil=1))
        if c5:
            # Context branch: 1/16 and 1/32 features plus a global average, added onto the 1/8 map. Its two
            # projections start at zero, so a trunk trained without it is unchanged when the branch is added.
            self.e5 = nn.Sequential(cbr(c4, c5, stride=2), cbr(c5, c5), cbr(c5, c5, stride=2), cbr(c5, c5))
            self.ctx_local = zero_conv(c5, c4)
            self.ctx_global = zero_conv(c5, c4)
        self.c5 = c5
        if sem:
            # Semantic branch (issue 22): a frozen ImageNet MobileNetV2 (training/encoder) looks at the gray; its
            # 1/16 features, through a small trained adapter, are added onto the 1/8 map locally and globally.
            # Both projections start at zero, so a trunk trained without the branch is unchanged when it is added.
            from encoder.mnv2 import MobileNetV2Taps
            self.enc = MobileNetV2Taps(repo_path(encoder), encoder_tune)
            self.sem_in = nn.Sequential(nn.Conv2d(160, sem, 1, bias=False), nn.BatchNorm2d(sem), nn.ReLU(inplace=True),
                                        cbr(sem, sem))
            self.sem_local = zero_conv(sem, c4)
            self.sem_global = zero_conv(sem, c4)
        self.sem = sem
        if sem2:
            # A second semantic branch (issue 22, session 16): nsfwjs's frozen ImageNet InceptionV3 through mixed5
            # (training/encoder/inception.py), mixed2 + mixed5 (1,056 ch at ~1/9) through its own adapter, added
            # the same way; its projections start at zero, so a net trained without it starts unchanged.
            from encoder.inception import InceptionV3Taps
            self.enc2 = InceptionV3Taps(repo_path(encoder2))
            self.sem2_in = nn.Sequential(nn.Conv2d(288 + 768, sem2, 1, bias=False), nn.BatchNorm2d(sem2),
                                         nn.ReLU(inplace=True), cbr(sem2, sem2))
            self.sem2_local = zero_conv(sem2, c4)
            self.sem2_global = zero_conv(sem2, c4)
        self.sem2 = sem2
        self.red = nn.Sequential(nn.Conv2d(c4, c3, 1, bias=False), nn.BatchNorm2d(c3), nn.ReLU(inplace=True))
        self.d3 = nn.Sequential(cbr(2 * c3 + (3 if hints else 0), cd), cbr(cd, cd))
        self.head = nn.Conv2d(cd, q, 1)

    def forward(self, x, h=None):
        """x: L (N,1,H,W); h: hint planes (N,3,H,W), required when the net takes hints."""
        gray = x
        if self.hints:
            x = torch.cat([x, h], 1)
        x = self.stem(x)
        s3 = self.e3(x)
        y = self.e4(s3)
        if self.c5:
            z = self.e5(y)
            y = y + F.interpolate(self.ctx_local(z), size=y.shape[-2:], mode='bilinear', align_corners=False) \
                + self.ctx_global(z.mean((2, 3), keepdim=True))
        if self.sem:
            y = fuse(y, self.sem_in(self.enc(gray)), self.sem_local, self.sem_global)
        if self.sem2:
            y = fuse(y, self.sem2_in(self.enc2(gray)), self.sem2_local, self.sem2_global)
        y = self.red(y)
        y = F.interpolate(y, scale_factor=2.0, mode='bilinear', align_corners=False)
        y = torch.cat([y, s3, F.avg_pool2d(h, 4)] if self.hints else [y, s3], 1)
        y = self.d3(y)
        return self.head(y)


def input_size(H, W, short=None, multiple=8):
    """Model input size for an H x W image: short side `short` (None: keep the size), rounded to multiples."""
    s = short / min(H, W) if short else 1.0
    return max(multiple, int(round(H * s / multiple)) * multiple), max(multiple, int(round(W * s / multiple)) * multiple)


def resize_planes(lab, H, W):
    """(h,w,C) float -> (1,C,H,W) torch, resampled as the app does (src/color/resample.ts): an exact box
    filter when shrinking, bilinear when enlarging."""
    h, w = lab.shape[:2]
    f = Image.BOX if H <= h and W <= w else Image.BILINEAR
    out = [np.asarray(Image.fromarray(np.ascontiguousarray(lab[..., c], dtype=np.float32), 'F').resize((W, H), f))
           for c in range(lab.shape[2])]
    return torch.from_numpy(np.stack(out)[None].copy())


def build_model(cfg):
    m = cfg.get('model', {})
    return ColorNet(**{k: v for k, v in m.items() if k in ('c1', 'c2', 'c3', 'c4', 'cd', 'c5', 'hints', 'sem', 'encoder',
                                                      'encoder_tune', 'sem2', 'encoder2')})


def no_hints(n, H, W):
    """The hint planes of an image without hints: ab 0, mask 0 (centred: -0.5)."""
    h = torch.zeros(n, 3, H, W)
    h[:, 2] = -0.5
    return h


def simulate_hints(ab, rng, p_free=1 / 3, p_geom=1 / 8, max_points=64, sizes=(1, 9), out=None):
    """Simulated user hints as in the SIGGRAPH17 training (numpy).

    ab: (B,H,W,2) true ab at model resolution. A share p_free of the samples gets no hint; the others a
    geometric number of points (p = p_geom, at least 1), each a square patch of side 1..9 px placed around the
    centre (Gaussian, sd a quarter of the side), coloured with the mean true ab of its patch.
    Returns (B,3,H,W) float32: a/110, b/110, mask - 0.5.
    """
    B, H, W = ab.shape[:3]
    h = out if out is not None else np.empty((B, 3, H, W), np.float32)
    h[:, :2] = 0.0
    h[:, 2] = -0.5
    for j in range(B):
        if rng.rand() < p_free:
            continue
        for _ in range(min(int(rng.geometric(p_geom)), max_points)):
            s = rng.randint(sizes[0], sizes[1] + 1)
            y = int(np.clip(rng.normal(H / 2, H / 4), 0, H - s))
            x = int(np.clip(rng.normal(W / 2, W / 4), 0, W - s))
            m = ab[j, y:y + s, x:x + s].reshape(-1, 2).mean(0)
            h[j, 0, y:y + s, x:x + s] = m[0] / 110.0
            h[j, 1, y:y + s, x:x + s] = m[1] / 110.0
            h[j, 2, y:y + s, x:x + s] = 0.5
    return h


def eval_hint_points(H, W, n, seed):
    """n hint points for evaluation: uniform over an H x W image (input pixels), fixed by the seed, and the
    patch side the app uses by default for a hint without a size (round(short / 48), 3..25 px)."""
    rng = np.random.RandomState(seed)
    pts = [(int(rng.randint(0, H)), int(rng.randint(0, W))) for _ in range(n)]
    return pts, int(min(25, max(3, round(min(H, W) / 48))))


def hint_planes(lab, points, size, H8, W8):
    """The hint planes (1,3,H8,W8) the app would build for hints given in input pixels: each hint is the mean
    true ab of its size x size patch of the full image, drawn at model resolution as a patch of side
    max(1, round(size * scale)) centred on the scaled point."""
    H, W = lab.shape[:2]
    h = no_hints(1, H8, W8)
    sy, sx = H8 / H, W8 / W
    for y, x in points:
        y0, x0 = max(0, min(H - size, y - size // 2)), max(0, min(W - size, x - size // 2))
        m = lab[y0:y0 + size, x0:x0 + size, 1:].reshape(-1, 2).mean(0)
        s = max(1, int(round(size * sy)))
        cy, cx = int(y * sy), int(x * sx)
        y1, x1 = max(0, min(H8 - s, cy - s // 2)), max(0, min(W8 - s, cx - s // 2))
        h[0, 0, y1:y1 + s, x1:x1 + s] = float(m[0]) / 110.0
        h[0, 1, y1:y1 + s, x1:x1 + s] = float(m[1]) / 110.0
        h[0, 2, y1:y1 + s, x1:x1 + s] = 0.5
    return h


def place_hints(ab, points, size):
    """Hint planes (1,3,H,W) torch for given points: ab (H,W,2) truth at model resolution, points [(y, x)],
    patches of side `size` coloured with the mean true ab of the patch (as simulated in training)."""
    H, W = ab.shape[:2]
    h = no_hints(1, H, W)
    for y, x in points:
        y0, x0 = max(0, min(H - size, y - size // 2)), max(0, min(W - size, x - size // 2))
        m = ab[y0:y0 + size, x0:x0 + size].reshape(-1, 2).mean(0)
        h[0, 0, y0:y0 + size, x0:x0 + size] = float(m[0]) / 110.0
        h[0, 1, y0:y0 + size, x0:x0 + size] = float(m[1]) / 110.0
        h[0, 2, y0:y0 + size, x0:x0 + size] = 0.5
    return h


def annealed_mean(logits, bins_t, T=0.38, bias=None):
    """logits (N,313,h,w) torch -> ab (N,2,h,w). bias: optional (313,) added to logits/T."""
    z = logits / T
    if bias is not None:
        z = z + bias.view(1, -1, 1, 1)
    p = torch.softmax(z, 1)
    return torch.einsum('nqhw,qc->nchw', p, bins_t)
