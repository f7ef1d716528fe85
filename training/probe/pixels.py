#!/usr/bin/env python3
"""No-net baseline in the feats format: python3 pixels.py IMGS.u8 N OUT.f32
gray (sRGB-encoded luminance) 8x8 block-mean thumbnail (64) + 16-bin gray histogram + 4x4 grid of local std (16)."""
import sys, json, numpy as np
imgs, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
X = np.fromfile(imgs, np.uint8, count=n * 224 * 224 * 3).reshape(n, 224, 224, 3) / 255.0
lin = np.where(X <= 0.04045, X / 12.92, ((X + 0.055) / 1.055) ** 2.4)
Y = lin @ np.array([0.2126, 0.7152, 0.0722]); g = np.where(Y <= 0.0031308, 12.92 * Y, 1.055 * Y ** (1 / 2.4) - 0.055)
thumb = g.reshape(n, 8, 28, 8, 28).mean((2, 4)).reshape(n, -1)
hist = np.stack([np.histogram(gi, 16, (0, 1))[0] / gi.size for gi in g])
lstd = g.reshape(n, 4, 56, 4, 56).std((2, 4)).reshape(n, -1)
F = np.concatenate([thumb, hist, lstd], 1).astype(np.float32); F.tofile(out)
json.dump({'layers': ['thumb+hist+std'], 'dims': [96], 'n': n, 'weights': 'no-net', 'input': 'gray', 'msPerImage': 0}, open(out + '.json', 'w'))
