"""Film-look gray: renders a colour crop the way old film would have recorded it.

The net's input becomes this gray while its target ab stays the photo's true colour, so it learns to read
film's gray rather than exact CIE L*. Per image, at random:
  - spectral response: orthochromatic (blind to red), early or late panchromatic, or panchromatic behind a
    yellow, orange/red or green filter, applied to linear RGB (the weights sum to 1, so neutral gray stays put);
  - tone: gamma, S-shaped contrast, black lift and white crush (a print's curve);
  - softness (Gaussian blur), grain (luminance-dependent, slightly clumped), vignetting, dust specks.
A share of images (p_clean) stays clean L* so photographs keep working. All of it is numpy on the crop.

Used by train.py (training batches) and evaluate.py (--film: a fixed, seeded film-look split).
"""
import numpy as np
from scipy.ndimage import gaussian_filter

# weights on linear (R, G, B), each row: low, high per channel; normalised to sum 1 after drawing
RESPONSES = {
    'ortho': ((0.0, 0.06), (0.35, 0.6), (0.45, 0.7)),
    'early_pan': ((0.12, 0.25), (0.4, 0.55), (0.3, 0.45)),
    'pan': ((0.2, 0.32), (0.55, 0.7), (0.06, 0.16)),
    'yellow_filter': ((0.28, 0.4), (0.55, 0.68), (0.0, 0.05)),
    'red_filter': ((0.55, 0.8), (0.2, 0.4), (0.0, 0.03)),
    'green_filter': ((0.1, 0.2), (0.7, 0.85), (0.03, 0.1)),
}
KINDS = list(RESPONSES)
KIND_P = np.array([0.22, 0.2, 0.3, 0.12, 0.08, 0.08])


_X = np.arange(256, dtype=np.float32) / 255.0
_LIN = np.where(_X <= 0.04045, _X / 12.92, ((_X + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _lin(rgb):
    """sRGB uint8 -> linear float32 (a table); float input is taken as linear already."""
    return _LIN[rgb] if rgb.dtype == np.uint8 else rgb


def _y_to_L(y):
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    f = np.where(y > eps, np.cbrt(np.maximum(y, 0)), (kappa * y + 16.0) / 116.0)
    return 116.0 * f - 16.0


def film_L(rgb_u8, rng, strength=1.0):
    """rgb_u8: (H,W,3) uint8 sRGB (or float32 linear RGB) -> L (H,W) float32 in 0..100, rendered as film. strength scales the damage."""
    h, w = rgb_u8.shape[:2]
    kind = KINDS[rng.choice(len(KINDS), p=KIND_P)]
    wts = np.array([rng.uniform(lo, hi) for lo, hi in RESPONSES[kind]], np.float32)
    wts /= wts.sum()
    y = _lin(rgb_u8) @ wts
    # exposure (film was often over- or under-exposed a little), then L*
    y = np.clip(y * rng.uniform(0.8, 1.25), 0, 1)
    L = _y_to_L(y) / 100.0
    # print's tone curve: gamma, S-curve contrast, black lift, white crush
    L = np.power(np.clip(L, 0, 1), rng.uniform(0.8, 1.25))
    c = rng.uniform(-0.25, 0.45) * strength
    if c:
        s = 1.0 / (1.0 + np.exp(-(L - 0.5) * (4.0 + 8.0 * abs(c))))
        s0, s1 = 1.0 / (1.0 + np.exp((4.0 + 8.0 * abs(c)) * 0.5)), 1.0 / (1.0 + np.exp(-(4.0 + 8.0 * abs(c)) * 0.5))
        s = (s - s0) / (s1 - s0)
        L = L + c * (s - L) if c > 0 else L + c * (L - 0.5) * 0.5
    lift = rng.uniform(0, 0.12) * strength
    crush = 1.0 - rng.uniform(0, 0.12) * strength
    L = lift + (crush - lift) * np.clip(L, 0, 1)
    # softness of old lenses and prints
    sig = rng.uniform(0, 1.3) * strength
    if sig > 0.25:
        L = gaussian_filter(L, sig, mode='nearest')
    # vignetting
    if rng.rand() < 0.6:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cy, cx = h / 2 + rng.uniform(-0.1, 0.1) * h, w / 2 + rng.uniform(-0.1, 0.1) * w
        r2 = ((yy - cy) / (0.5 * h)) ** 2 + ((xx - cx) / (0.5 * w)) ** 2
        L = L * (1.0 - rng.uniform(0, 0.3) * strength * np.clip(r2 / 2.0, 0, 1))
    # grain: strongest in the midtones, a little clumped
    g = rng.uniform(0, 0.03) * strength
    if g > 0.004:
        n = rng.standard_normal((h, w)).astype(np.float32)
        cl = rng.uniform(0, 0.9)
        if cl > 0.3:
            n = gaussian_filter(n, cl) * (1.0 + cl)
        L = L + g * n * (0.35 + 2.6 * L * (1.0 - L))
    # dust and specks: a few dark or bright dots
    if rng.rand() < 0.35 * strength:
        for _ in range(rng.randint(1, 6)):
            r = rng.uniform(0.6, 2.2)
            py, px = rng.uniform(0, h), rng.uniform(0, w)
            yy, xx = np.ogrid[0:h, 0:w]
            m = ((yy - py) ** 2 + (xx - px) ** 2) <= r * r
            L[m] = rng.uniform(0.0, 0.08) if rng.rand() < 0.7 else rng.uniform(0.9, 1.0)
    return (np.clip(L, 0, 1) * 100.0).astype(np.float32)


def lab_u8_to_rgb_u8(lab_u8):
    """The training cache's (L*2.55, a+128, b+128) uint8 -> sRGB uint8 (any leading shape)."""
    from common import lab_to_srgb
    lab = lab_u8.astype(np.float32)
    lab[..., 0] /= 2.55
    lab[..., 1:] -= 128.0
    return np.clip(np.rint(lab_to_srgb(lab) * 255.0), 0, 255).astype(np.uint8)


def lab_u8_to_linear(lab_u8):
    """The cache's uint8 Lab -> linear RGB float32 in 0..1 (skips the sRGB round trip of lab_u8_to_rgb_u8)."""
    from common import _M_XYZ2RGB, _WHITE
    lab = lab_u8.astype(np.float32)
    fy = (lab[..., 0] / 2.55 + 16.0) / 116.0
    f = np.stack([fy + (lab[..., 1] - 128.0) / 500.0, fy, fy - (lab[..., 2] - 128.0) / 200.0], -1)
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    xyz = np.where(f ** 3 > eps, f ** 3, (116.0 * f - 16.0) / kappa) * _WHITE.astype(np.float32)
    return np.clip(xyz @ _M_XYZ2RGB.T.astype(np.float32), 0.0, 1.0)


def film_batch_L(lab_u8_batch, rng, p_clean=1 / 3, strength=1.0):
    """(B,H,W,3) cache crops -> (B,H,W) L float32 and a mask of which images took the film look.

    The batch's colour conversion runs once for all filmed crops (per-crop calls cost more than the net's step).
    """
    B = lab_u8_batch.shape[0]
    L = lab_u8_batch[..., 0].astype(np.float32) / 2.55
    filmed = rng.rand(B) >= p_clean
    idx = np.flatnonzero(filmed)
    if len(idx):
        rgb = lab_u8_to_linear(lab_u8_batch[idx])
        for j, i in enumerate(idx):
            L[i] = film_L(rgb[j], rng, strength)
    return L, filmed
