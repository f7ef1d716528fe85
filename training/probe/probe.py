#!/usr/bin/env python3
"""Linear probe on pooled features: python3 probe.py list.tsv feats/*.f32
Multinomial logistic regression (L2, strength picked by 5-fold CV on the train half) and nearest
centroid (cosine), both on features z-scored with train statistics. Test accuracy + Wilson 95% CI."""
import sys, json, numpy as np
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
metas = {f: json.load(open(f + '.json')) for f in sys.argv[2:]}
rows = rows[:min(m['n'] for m in metas.values())]  # common (balanced, interleaved) prefix
groups = sorted(set(r[0] for r in rows)); y = np.array([groups.index(r[0]) for r in rows])
tr = np.array([r[1] == 'train' for r in rows]); te = ~tr; K = len(groups)

def wilson(k, n, z=1.96):
    p = k / n; d = 1 + z * z / n; c = (p + z * z / (2 * n)) / d; h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h

def zs(Xa, Xb):
    m, s = Xa.mean(0), Xa.std(0) + 1e-6
    return (Xa - m) / s, (Xb - m) / s

def logreg(X, y, lam, it=500):
    n, d = X.shape; W = np.zeros((d, K)); b = np.zeros(K); Y = np.eye(K)[y]; lr = 0.5
    for _ in range(it):  # full-batch gradient descent (convex; enough for a few hundred samples)
        Z = X @ W + b; Z -= Z.max(1, keepdims=True); P = np.exp(Z); P /= P.sum(1, keepdims=True)
        G = (P - Y) / n; W -= lr * (X.T @ G + lam * W); b -= lr * G.sum(0)
    return W, b

def fit_predict(Xtr, ytr, Xte, lam):
    A, B = zs(Xtr, Xte); W, b = logreg(A, ytr, lam); return (B @ W + b).argmax(1)

def cv_lam(X, y, lams=(1e-3, 1e-2, 1e-1), folds=5):
    idx = np.arange(len(y)); rng = np.random.default_rng(22); rng.shuffle(idx)
    best = None
    for lam in lams:
        acc = np.mean([np.mean(fit_predict(X[np.setdiff1d(idx, f)], y[np.setdiff1d(idx, f)], X[f], lam) == y[f])
                       for f in np.array_split(idx, folds)])
        if best is None or acc > best[1]: best = (lam, acc)
    return best[0]

def centroid(Xtr, ytr, Xte):
    A, B = zs(Xtr, Xte); C = np.stack([A[ytr == k].mean(0) for k in range(K)])
    C /= np.linalg.norm(C, axis=1, keepdims=True); B = B / np.linalg.norm(B, axis=1, keepdims=True)
    return (B @ C.T).argmax(1)

print(f'groups {groups}; train {tr.sum()}, test {te.sum()}, chance {1 / K:.0%}')
print(f'{"features":<22}{"layer":<22}{"logreg acc [95% CI]":<26}{"centroid":<10}{"lambda":<8}{"ms/img"}')
for f in sys.argv[2:]:
    meta = metas[f]; D = sum(meta['dims'])
    X = np.fromfile(f, np.float32, count=len(rows) * D).reshape(len(rows), D).astype(np.float64)
    offs = np.cumsum([0] + meta['dims']); sets = [(l, slice(offs[i], offs[i + 1])) for i, l in enumerate(meta['layers'])]
    pass  # (concatenated layers: no better than block_10 alone in a first run)
    for name, sl in sets:
        Xs = X[:, sl]; lam = cv_lam(Xs[tr], y[tr])
        k = int(np.sum(fit_predict(Xs[tr], y[tr], Xs[te], lam) == y[te])); n = int(te.sum())
        lo, hi = wilson(k, n); kc = int(np.sum(centroid(Xs[tr], y[tr], Xs[te]) == y[te]))
        print(f'{meta["weights"] + " " + meta["input"]:<22}{name:<22}{k / n:5.1%} [{lo:.0%}-{hi:.0%}]{"":<9}{kc / n:<10.1%}{lam:<8g}{meta["msPerImage"]:.0f}')
