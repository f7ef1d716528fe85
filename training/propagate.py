"""Edge-aware hint propagation at the model's output resolution: the reference for src/hints/propagate.ts.

The net sees the hints as input, but a small net trained for minutes on 2 cores learns to spread them only a
little. This pulls the decoded ab towards each hint's colour over the region it belongs to: a geodesic
distance transform from the hinted cells (step cost = 1 per cell + lam * |delta L|, chamfer sweeps over the
8-neighbourhood) carries the nearest hint's ab and lightness, and
ab' = ab + exp(-d / sigma - gap * |ab_hint| / lc) * (ab_hint - ab), gap = how far L_hint lies outside the cell's L range
(over its block of model pixels, at least 4 a side): a saturated hint stays on its own lightness, a near-neutral one
spreads wide.

    propagate(ab (2,h,w), L (h,w) at the same resolution, seed_ab (2,h,w), seed (h,w) bool, sigma, lam, lc,
              seed_L (h,w): the hinted pixels' own mean L per seed cell, default L; L_range: per-cell (min, max) L,
              net_sigma, base (2,h,w): the net's unhinted prediction; its hinted change ab - base is first kept
              only as far as net_sigma reaches, with the same gate)
"""
import numpy as np

SQRT2 = 2 ** 0.5
GATE_BLOCK = 4
FORWARD = ((-1, -1, SQRT2), (-1, 0, 1.0), (-1, 1, SQRT2), (0, -1, 1.0))
BACKWARD = ((1, 1, SQRT2), (1, 0, 1.0), (1, -1, SQRT2), (0, 1, 1.0))


def propagate(ab, L, seed_ab, seed, sigma=4.0, lam=0.25, lc=np.inf, net_sigma=None, seed_L=None, L_range=None,
              base=None, passes=2):
    h, w = L.shape
    if not seed.any():
        return ab if base is None else base
    d = np.where(seed, 0.0, np.inf)
    # Carried with the nearest seed: its ab (rows 0, 1) and its lightness (row 2).
    lab = np.where(seed[None], np.concatenate([seed_ab, (L if seed_L is None else seed_L)[None]]), 0.0).astype(np.float64)
    for _ in range(passes):
        for sweep, ys, xs in ((FORWARD, range(h), range(w)), (BACKWARD, range(h - 1, -1, -1), range(w - 1, -1, -1))):
            for y in ys:
                for x in xs:
                    best = d[y, x]
                    for dy, dx, step in sweep:
                        yy, xx = y + dy, x + dx
                        if 0 <= yy < h and 0 <= xx < w:
                            c = d[yy, xx] + step + lam * abs(float(L[y, x]) - float(L[yy, xx]))
                            if c < best:
                                best = c
                                lab[:, y, x] = lab[:, yy, xx]
                    d[y, x] = best
    # The lightness gap is to each cell's range of L (L_range = (min, max), default the mean): a cell across the
    # object's edge holds some of the object, a hinted cell its own hinted pixels.
    lo, hi = (L, L) if L_range is None else L_range
    gap = np.maximum(0.0, np.maximum(lo - lab[2], lab[2] - hi))
    held = gap * np.hypot(lab[0], lab[1]) / lc if np.isfinite(lc) else 0.0
    if base is not None:
        ab = base + np.exp(-d / net_sigma - held)[None] * (ab - base)
    wgt = np.exp(-d / sigma - held)
    return ab + wgt[None] * (lab[:2] - ab)


def seeds_from_planes(hints, L_model, factor):
    """Hint planes (3,H,W) (a/110, b/110, mask - 0.5) and L (H,W) at model resolution -> the output-resolution
    (H/factor, W/factor) L, seed ab, seed mask, seed L and cell L range: a cell is a seed when any of its pixels
    is hinted, with the mean hint ab and mean L of those pixels; the range is over the cell's block of model
    pixels, widened to GATE_BLOCK a side (as src/hints/propagate.ts)."""
    H, W = L_model.shape
    h, w = H // factor, W // factor
    Ls = L_model[:h * factor, :w * factor].reshape(h, factor, w, factor).mean((1, 3))
    m = (hints[2] > 0)[:h * factor, :w * factor].reshape(h, factor, w, factor)
    cnt = m.sum((1, 3))
    ab = np.zeros((2, h, w))
    for c in range(2):
        v = (hints[c] * 110.0)[:h * factor, :w * factor].reshape(h, factor, w, factor)
        ab[c] = np.where(cnt > 0, (v * m).sum((1, 3)) / np.maximum(cnt, 1), 0.0)
    Lm = L_model[:h * factor, :w * factor].reshape(h, factor, w, factor)
    seed_L = np.where(cnt > 0, (Lm * m).sum((1, 3)) / np.maximum(cnt, 1), Ls)
    if factor >= GATE_BLOCK:
        return Ls, ab, cnt > 0, seed_L, (Lm.min((1, 3)), Lm.max((1, 3)))
    lo, hi = np.empty((h, w)), np.empty((h, w))
    for cy in range(h):
        y0 = max(0, cy * factor + (factor - GATE_BLOCK) // 2)
        for cx in range(w):
            x0 = max(0, cx * factor + (factor - GATE_BLOCK) // 2)
            blk = L_model[y0:y0 + GATE_BLOCK, x0:x0 + GATE_BLOCK]
            lo[cy, cx], hi[cy, cx] = blk.min(), blk.max()
    return Ls, ab, cnt > 0, seed_L, (lo, hi)
