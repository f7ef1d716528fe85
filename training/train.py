#!/usr/bin/env python3
"""Train the chroma colorization net (Zhang, Isola & Efros ECCV16 loss) on CPU.

    /usr/bin/python3 training/train.py --config training/config.json [--no-rebalance]
        [--run-dir DIR] [--resume] [--max-minutes M] [--max-steps S]

The dataset is decoded once into a cache (Lab at a fixed short side, uint8), the validation
split is written to training/splits/val.txt, and the run writes log.jsonl, last.pt (every few
minutes, for --resume), step snapshots and final.pt into the run dir.
"""
import argparse
import json
import math
import os
import sys
import time
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (HERE, build_model, image_path, load_bins, load_config, prior_compare, rebalance_weights,  # noqa: E402
                    repo_path, smooth_prior, soft_table, srgb_to_lab, ab_to_key, annealed_mean, no_hints,
                    place_hints, simulate_hints)
from filmlook import film_L, film_batch_L, lab_u8_to_rgb_u8  # noqa: E402


def log(*a):
    print(time.strftime('%H:%M:%S'), *a, flush=True)


# ---------------------------------------------------------------- data

def list_images(data_dir):
    exts = ('.jpg', '.jpeg', '.png')
    return sorted(f for f in os.listdir(data_dir) if f.lower().endswith(exts))


def list_split_images(cfg):
    """Full paths of the training split's images (for tools that need a few real photos)."""
    split_dir = repo_path(cfg.get('split_dir', os.path.join(HERE, 'splits')))
    pre = cfg.get('split_prefix', '')
    with open(os.path.join(split_dir, pre + 'train.txt')) as f:
        return [image_path(cfg, n) for n in f.read().split()]


def make_split(cfg):
    """-> train, val name lists; written to training/splits/<split_prefix>{train,val,val_tune,val_holdout}.txt.

    Several folders (cfg['data_dirs']): the first folder keeps the validation images of its own split file
    (cfg['keep_val'], so figures stay comparable with earlier runs) and every other folder gives
    cfg['val_count_per_dir'] more, drawn with the seed. val_tune is the first half of each folder's share,
    val_holdout the second: the decode sweep chooses on val_tune only.
    """
    split_dir = repo_path(cfg.get('split_dir', os.path.join(HERE, 'splits')))
    os.makedirs(split_dir, exist_ok=True)
    rng = np.random.RandomState(cfg['seed'])
    if 'data_dirs' in cfg:
        root = repo_path(cfg['data_root'])
        val, train, tune, hold = [], [], [], []
        for i, d in enumerate(cfg['data_dirs']):
            names = [d + '/' + n for n in list_images(os.path.join(root, d))]
            if i == 0 and cfg.get('keep_val'):
                with open(repo_path(cfg['keep_val'])) as f:
                    kv = [d + '/' + n for n in f.read().split()]
                v = kv
            else:
                perm = rng.permutation(len(names))
                v = sorted(names[j] for j in perm[:int(cfg['val_count_per_dir'])])
            vs = set(v)
            train += [n for n in names if n not in vs]
            val += v
            tune += v[:len(v) // 2]
            hold += v[len(v) // 2:]
        lists = (('val', val), ('train', train), ('val_tune', tune), ('val_holdout', hold))
    else:
        names = list_images(repo_path(cfg['data_dir']))
        perm = rng.permutation(len(names))
        nval = int(cfg['val_count'])
        val = sorted(names[i] for i in perm[:nval])
        train = sorted(names[i] for i in perm[nval:])
        lists = (('val', val), ('train', train))
    for nm, lst in lists:
        p = os.path.join(split_dir, cfg.get('split_prefix', '') + nm + '.txt')
        txt = '\n'.join(lst) + '\n'
        if not os.path.exists(p) or open(p).read() != txt:
            with open(p, 'w') as f:
                f.write(txt)
    return train, val


def load_resized_lab(path, short):
    im = Image.open(path).convert('RGB')
    w, h = im.size
    s = short / min(w, h)
    nw, nh = max(short, round(w * s)), max(short, round(h * s))
    im = im.resize((nw, nh), Image.BICUBIC)
    return srgb_to_lab(np.asarray(im))


def build_cache(cfg, names):
    """Lab at short side cfg['cache_short'] -> one flat uint8 buffer (L*2.55, a+128, b+128)."""
    short = int(cfg['cache_short'])
    cdir = repo_path(cfg['cache_dir'])
    os.makedirs(cdir, exist_ok=True)
    path = os.path.join(cdir, cfg.get('cache_name', f'lab_s{short}.npz'))
    if os.path.exists(path):
        z = np.load(path, allow_pickle=False)
        if list(z['names']) == list(names):
            return z['buf'], z['shapes'], z['offsets']
        log('cache name list differs; rebuilding')
    t0 = time.time()
    chunks, shapes = [], []
    for i, n in enumerate(names):
        lab = load_resized_lab(image_path(cfg, n), short)
        u = np.empty(lab.shape, np.uint8)
        u[..., 0] = np.clip(np.rint(lab[..., 0] * 2.55), 0, 255)
        u[..., 1:] = np.clip(np.rint(lab[..., 1:]) + 128, 0, 255)
        chunks.append(u.ravel())
        shapes.append(u.shape[:2])
        if i % 500 == 0:
            log(f'cache {i}/{len(names)} {time.time() - t0:.0f}s')
    shapes = np.array(shapes, np.int32)
    sizes = shapes[:, 0].astype(np.int64) * shapes[:, 1] * 3
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    buf = np.concatenate(chunks)
    np.savez(path, buf=buf, shapes=shapes, offsets=offsets, names=np.array(names))
    log(f'cache written {path} ({buf.nbytes / 1e6:.0f} MB, {time.time() - t0:.0f}s)')
    return buf, shapes, offsets


class Dataset:
    def __init__(self, buf, shapes, offsets, names):
        self.imgs = [buf[o:o + h * w * 3].reshape(h, w, 3) for o, (h, w) in zip(offsets, shapes)]
        self.names = list(names)

    def __len__(self):
        return len(self.imgs)


def sample_batch(ds, idxs, crop, rng, jitter, zoom=0.0, hints=None, film=None):
    """-> L input (B,1,c,c) float32 normalised, ab keys at 1/4 (B,c/4,c/4) int64, hint planes (B,3,c,c) or None.

    hints: None, or the keyword arguments of common.simulate_hints (simulated user points from the true ab).

    zoom: the share of crops taken at a random larger side (up to the image's short side) and scaled down
    to `crop`, so that the net also sees whole scenes at the size it will run at.

    film: None, or {'p_clean': share kept as clean L*, 'strength': 0..1}: the other crops' L is rendered as old
    film would record them (filmlook.py); the jitter then applies to the clean ones only.
    """
    B = len(idxs)
    out = np.empty((B, crop, crop, 3), np.uint8)
    for j, i in enumerate(idxs):
        im = ds.imgs[i]
        h, w = im.shape[:2]
        side = crop
        if zoom and rng.rand() < zoom:
            side = rng.randint(crop, min(h, w) + 1)
        y = rng.randint(0, h - side + 1)
        x = rng.randint(0, w - side + 1)
        c = im[y:y + side, x:x + side]
        if side != crop:
            c = np.asarray(Image.fromarray(np.ascontiguousarray(c)).resize((crop, crop), Image.BILINEAR))
        if rng.rand() < 0.5:
            c = c[:, ::-1]
        out[j] = c
    if film:
        L, filmed = film_batch_L(out, rng, film.get('p_clean', 1 / 3), film.get('strength', 1.0))
    else:
        L, filmed = out[..., 0].astype(np.float32) / 2.55, np.zeros(B, bool)
    if jitter:
        g = rng.uniform(1 - jitter['gain'], 1 + jitter['gain'], (B, 1, 1)).astype(np.float32)
        o = rng.uniform(-jitter['offset'], jitter['offset'], (B, 1, 1)).astype(np.float32)
        gm = rng.uniform(1 - jitter['gamma'], 1 + jitter['gamma'], (B, 1, 1)).astype(np.float32)
        Lj = 100.0 * np.power(np.clip(L / 100.0, 0, 1), gm)
        Lj = np.clip((Lj - 50.0) * g + 50.0 + o, 0, 100)
        L = np.where(filmed[:, None, None], L, Lj)
    x = ((L - 50.0) / 100.0)[:, None]
    ab = out[..., 1:].astype(np.float32) - 128.0
    h4 = crop // 4
    ab4 = ab.reshape(B, h4, 4, h4, 4, 2).mean((2, 4))
    keys = ab_to_key(ab4[..., 0], ab4[..., 1])
    h = simulate_hints(ab, rng, **hints) if hints is not None else None
    return np.ascontiguousarray(x), keys, h


def compute_prior(ds, nearest):
    hist = np.zeros(65536, np.float64)
    for im in ds.imgs:
        ab = im[..., 1:].reshape(-1, 2).astype(np.int64)
        k = ab[:, 0] * 256 + ab[:, 1]  # a+128, b+128 already offset
        hist += np.bincount(k, minlength=65536)
    p = np.bincount(nearest, weights=hist, minlength=313)
    return p / p.sum()


# ---------------------------------------------------------------- loss

class SoftLoss:
    def __init__(self, tab_idx, tab_wt, w_bins):
        self.idx = torch.from_numpy(tab_idx.astype(np.int64))
        self.wt = torch.from_numpy(tab_wt)
        self.w = None if w_bins is None else torch.from_numpy(w_bins)

    def __call__(self, logits, keys):
        k = torch.from_numpy(keys)
        idx = self.idx[k].permute(0, 3, 1, 2)  # (B,5,h,w)
        wt = self.wt[k].permute(0, 3, 1, 2)
        logp = F.log_softmax(logits, 1)
        ce = -(logp.gather(1, idx) * wt).sum(1)  # (B,h,w)
        if self.w is not None:
            pw = self.w[idx[:, 0]]
            return (ce * pw).mean(), ce.mean()
        return ce.mean(), ce.mean()


# ---------------------------------------------------------------- validation

@torch.no_grad()
def quick_val(model, vds, loss_fn, loss_plain, bins_t, T, nearest, cb_w, film=False):
    """film: read each photo's L through the film look (seeded per photo, the same every validation)."""
    model.eval()
    tot, totp, n = 0.0, 0.0, 0
    sum_pab = np.zeros(2); sum_tab = np.zeros(2); cnt = 0
    chroma_p = 0.0; chroma_t = 0.0
    errs, ws = [], []
    se0, se10, npx = 0.0, 0.0, 0
    hrng = np.random.RandomState(7)  # the same 10 hint points every validation
    for vi, im in enumerate(vds.imgs):
        h, w = (im.shape[0] // 8) * 8, (im.shape[1] // 8) * 8
        c = im[:h, :w]
        if film:
            L = film_L(lab_u8_to_rgb_u8(c), np.random.RandomState(9000 + vi))
        else:
            L = c[..., 0].astype(np.float32) / 2.55
        x = torch.from_numpy(((L - 50.0) / 100.0)[None, None])
        ab = c[..., 1:].astype(np.float32) - 128.0
        ab4 = ab.reshape(h // 4, 4, w // 4, 4, 2).mean((1, 3))
        keys = ab_to_key(ab4[..., 0], ab4[..., 1])[None]
        hints = getattr(model, 'hints', False)
        logits = model(x, no_hints(1, h, w)) if hints else model(x)
        l1, _ = loss_fn(logits, keys)
        l2, _ = loss_plain(logits, keys)
        tot += float(l1); totp += float(l2); n += 1
        pab = annealed_mean(logits, bins_t, T)[0].permute(1, 2, 0).numpy()
        sum_pab += pab.reshape(-1, 2).sum(0); sum_tab += ab4.reshape(-1, 2).sum(0); cnt += pab.shape[0] * pab.shape[1]
        chroma_p += np.hypot(pab[..., 0], pab[..., 1]).sum(); chroma_t += np.hypot(ab4[..., 0], ab4[..., 1]).sum()
        e = np.hypot(*(pab - ab4).reshape(-1, 2).T)
        errs.append(e); ws.append(cb_w[nearest[keys.ravel()]])
        if hints:  # ab error with 10 simulated points (7x7 patches) against none
            pts = [(int(hrng.randint(0, h)), int(hrng.randint(0, w))) for _ in range(10)]
            p10 = annealed_mean(model(x, place_hints(ab, pts, 7)), bins_t, T)[0].permute(1, 2, 0).numpy()
            se0 += float(((pab - ab4) ** 2).sum()); se10 += float(((p10 - ab4) ** 2).sum()); npx += pab.size
    e = np.concatenate(errs); wv = np.concatenate(ws)
    th = np.arange(0, 151)
    es = np.sort(e); auc = np.mean(np.searchsorted(es, th, side='right') / len(es)) * 100
    order = np.argsort(e); cw = np.cumsum(wv[order]) / wv.sum()
    pos = np.searchsorted(e[order], th, side='right')
    cb = np.mean(np.where(pos > 0, cw[np.maximum(pos - 1, 0)], 0.0)) * 100
    model.train()
    return {'val_loss': tot / n, 'val_ce': totp / n, 'pred_ab': (sum_pab / cnt).round(2).tolist(),
            'true_ab': (sum_tab / cnt).round(2).tolist(), 'pred_chroma': chroma_p / cnt, 'true_chroma': chroma_t / cnt,
            'auc_q': auc, 'cb_auc_q': cb,
            **({'ab_rmse_0': math.sqrt(se0 / npx), 'ab_rmse_10': math.sqrt(se10 / npx)} if npx else {})}


def prepare(cfg):
    """What training and validation share: the bins, the soft-encoding table, the cached photos split into
    training and quick validation, the training prior and its rebalancing weights, the class weights of the
    quick validation's class-balanced AuC."""
    bins = load_bins(repo_path(cfg['bins']))
    tab_path = os.path.join(repo_path(cfg['cache_dir']), 'soft_table.npz')
    if os.path.exists(tab_path):
        z = np.load(tab_path); tab_idx, tab_wt = z['idx'], z['wt']
    else:
        os.makedirs(os.path.dirname(tab_path), exist_ok=True)
        tab_idx, tab_wt = soft_table(bins, cfg['soft_k'], cfg['soft_sigma'])
        np.savez(tab_path, idx=tab_idx, wt=tab_wt)
    nearest = tab_idx[:, 0].astype(np.int64)

    train_names, val_names = make_split(cfg)
    names = train_names + val_names
    buf, shapes, offsets = build_cache(cfg, names)
    nt = len(train_names)
    ds = Dataset(buf, shapes[:nt], offsets[:nt], train_names)
    vsub = cfg.get('quick_val_count', 64)
    vi = np.unique(np.linspace(0, len(val_names) - 1, min(vsub, len(val_names))).round().astype(int)) + nt  # spread over every folder's share
    vds = Dataset(buf, shapes[vi], offsets[vi], [names[i] for i in vi])

    # class rebalancing from the training split
    p = compute_prior(ds, nearest)
    ps = smooth_prior(p, bins, cfg['prior_sigma'])
    w = rebalance_weights(ps, cfg['lambda'])
    stats = {'weights_min': float(w.min()), 'weights_max': float(w.max()), 'nonzero_bins_ours': int((p > 0).sum())}
    if cfg.get('imagenet_prior'):  # a comparison only (see RESULTS.md); `chroma train` runs without it
        imnet = np.load(repo_path(cfg['imagenet_prior']))
        stats.update({'ours_vs_imagenet_raw': prior_compare(p, imnet),
                      'ours_smoothed_vs_imagenet_smoothed': prior_compare(ps, smooth_prior(imnet, bins, cfg['prior_sigma'])),
                      'nonzero_bins_imagenet': int((imnet > 0).sum())})
    # class-balanced weights for quick val AuC: 1/freq of true bin among val pixels
    cbh = np.zeros(313)
    for im in vds.imgs:
        ab = im[..., 1:].astype(np.float32) - 128
        h4, w4 = im.shape[0] // 4, im.shape[1] // 4
        ab4 = ab[:h4 * 4, :w4 * 4].reshape(h4, 4, w4, 4, 2).mean((1, 3))
        cbh += np.bincount(nearest[ab_to_key(ab4[..., 0], ab4[..., 1]).ravel()], minlength=313)
    cb_w = np.where(cbh > 0, 1.0 / np.maximum(cbh, 1), 0.0)
    return SimpleNamespace(bins=bins, bins_t=torch.from_numpy(bins), tab_idx=tab_idx, tab_wt=tab_wt, nearest=nearest,
                           ds=ds, vds=vds, n_val=len(val_names), p=p, w=w, stats=stats, cb_w=cb_w)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default=os.path.join(HERE, 'config.json'))
    ap.add_argument('--no-rebalance', action='store_true')
    ap.add_argument('--run-dir')
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--max-minutes', type=float)
    ap.add_argument('--max-steps', type=int, help='also makes the lr schedule step-based')
    ap.add_argument('--threads', type=int)
    ap.add_argument('--init-from', help='start from the EMA weights of this checkpoint (layers it lacks keep their init)')
    ap.add_argument('--constant-lr', action='store_true', help='warmup then constant lr (for step-matched ablations)')
    args = ap.parse_args()

    cfg = load_config(args.config)
    if args.max_minutes is not None:
        cfg['max_minutes'] = args.max_minutes
    if args.max_steps is not None:
        cfg['max_steps'] = args.max_steps
    rebalance = cfg.get('rebalance', True) and not args.no_rebalance
    run_dir = args.run_dir or repo_path(os.path.join(cfg['out_dir'], cfg['run_name'] + ('' if rebalance else '-norebal')))
    run_dir = repo_path(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    torch.set_num_threads(args.threads or cfg.get('threads', 2))
    torch.manual_seed(cfg['seed'])
    rng = np.random.RandomState(cfg['seed'])  # same init and crop sequence with and without rebalancing

    d = prepare(cfg)
    bins_t, tab_idx, tab_wt, nearest, ds, vds, w, cb_w = d.bins_t, d.tab_idx, d.tab_wt, d.nearest, d.ds, d.vds, d.w, d.cb_w
    log(f'train {len(ds)} val {d.n_val} (quick val {len(vds)}) run_dir {run_dir} rebalance {rebalance}')
    np.save(os.path.join(run_dir, 'prior_train.npy'), d.p)
    np.save(os.path.join(run_dir, 'rebal_weights.npy'), w)
    with open(os.path.join(run_dir, 'prior_stats.json'), 'w') as f:
        json.dump(d.stats, f, indent=1)
    log('prior stats', json.dumps(d.stats))

    loss_fn = SoftLoss(tab_idx, tab_wt, w if rebalance else None)
    loss_plain = SoftLoss(tab_idx, tab_wt, None)

    model = build_model(cfg)
    ema = build_model(cfg)
    ema.load_state_dict(model.state_dict())
    for q in ema.parameters():
        q.requires_grad_(False)
    nparam = sum(q.numel() for q in model.parameters())
    log(f'model params {nparam}')
    # tuned encoder blocks (model.encoder_tune) learn at encoder_lr_mult x the rate: they start from ImageNet
    # layers named in new_layers (a branch added to a trained net) learn at new_lr_mult x the rate; those named in
    # frozen_layers do not learn at all (their BatchNorm statistics still follow the data)
    frozen = tuple(cfg.get('frozen_layers', ()))
    for n, q in model.named_parameters():
        if frozen and n.startswith(frozen):
            q.requires_grad_(False)
    if frozen:
        log(f'frozen layers {frozen}: {sum(q.numel() for q in model.parameters() if not q.requires_grad)} parameters')
    enc_params = [q for n, q in model.named_parameters() if n.startswith('enc.')]
    new_names = tuple(cfg.get('new_layers', ()))
    new_params = [q for n, q in model.named_parameters() if new_names and n.startswith(new_names)]
    rest = [q for n, q in model.named_parameters() if q.requires_grad and not n.startswith('enc.')
            and not (new_names and n.startswith(new_names))]
    groups = [{'params': rest, 'mult': 1.0}]
    if enc_params:
        groups.append({'params': enc_params, 'mult': cfg.get('encoder_lr_mult', 0.1)})
        log(f'encoder: {sum(q.numel() for q in enc_params)} parameters tuned at {groups[-1]["mult"]} x lr')
    if new_params:
        groups.append({'params': new_params, 'mult': cfg.get('new_lr_mult', 1.0)})
        log(f'new layers {new_names}: {sum(q.numel() for q in new_params)} parameters at {groups[-1]["mult"]} x lr')
    opt = torch.optim.Adam(groups, lr=cfg['lr'], betas=(0.9, 0.99), weight_decay=cfg.get('weight_decay', 0))
    hint_cfg = cfg.get('hint_sim') if cfg.get('model', {}).get('hints') else None

    # A campaign (cfg['campaign']) goes on across sessions and machines: its committed checkpoint holds the
    # weights and EMA in fp16, the step, the campaign's minutes and its best validation loss. A session
    # trains for max_minutes with its own warmup and cosine (a warm restart), so every session ends on a
    # low learning rate; the optimizer's moments are kept only in the local last.pt.
    camp = cfg.get('campaign')
    camp_path = repo_path(camp['checkpoint']) if camp else None
    camp_state = {'step': 0, 'minutes': 0.0, 'best_val': None, 'sessions': 0}
    step, elapsed = 0, 0.0
    last_path = os.path.join(run_dir, 'last.pt')
    local = torch.load(last_path) if args.resume and os.path.exists(last_path) else None
    committed = torch.load(camp_path, map_location='cpu') if camp_path and os.path.exists(camp_path) else None
    if committed and (local is None or local.get('campaign', {}).get('step', -1) < committed['campaign']['step']):
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in committed['model'].items()})
        ema.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in committed['ema'].items()})
        camp_state = dict(committed['campaign'])
        rng = np.random.RandomState(cfg['seed'] + 1000 * (camp_state['sessions'] + 1))  # new crops each session
        torch.manual_seed(cfg['seed'] + camp_state['sessions'] + 1)
        log(f'campaign: continued from {camp["checkpoint"]} at step {camp_state["step"]}, '
            f'{camp_state["minutes"]:.1f} min over {camp_state["sessions"]} sessions, best val {camp_state["best_val"]}')
        camp_state['sessions'] += 1
        if cfg.get('film_look') and not camp_state.get('film_look'):
            # the best-so-far was clean-only validation loss; the film-look campaign scores clean and film together
            camp_state['best_val'] = None
            camp_state['film_look'] = True
    elif local is not None:
        model.load_state_dict(local['model']); ema.load_state_dict(local['ema']); opt.load_state_dict(local['opt'])
        step, elapsed = local['step'], local['elapsed']
        rng.set_state(local['np_rng']); torch.set_rng_state(local['torch_rng'])
        camp_state = local.get('campaign', camp_state)
        log(f'resumed at step {step}, {elapsed / 60:.1f} min')
    else:
        init_from = args.init_from or cfg.get('init_from')
        if init_from:
            src = torch.load(repo_path(init_from), map_location='cpu')
            missing, unexpected = model.load_state_dict(src['ema'], strict=False)
            assert not unexpected, unexpected
            ema.load_state_dict(model.state_dict())
            log(f'init from {init_from} (step {src["step"]}); new layers: {sorted({k.split(".")[0] for k in missing})}')
        if camp:
            camp_state['sessions'] = 1
    camp_step0, camp_min0 = camp_state['step'] - step, camp_state['minutes'] - elapsed / 60

    budget = cfg['max_minutes'] * 60.0
    max_steps = cfg.get('max_steps') or 0
    B, crop = cfg['batch'], cfg['crop']
    jitter = cfg.get('l_jitter')
    logf = open(os.path.join(run_dir, 'log.jsonl'), 'a')
    camp_log = open(repo_path(camp['log']), 'a') if camp else None

    def lr_at(step, elapsed):
        if args.constant_lr:
            return cfg['lr'] * min(1.0, (step + 1) / cfg['warmup_steps'])
        prog = step / max_steps if max_steps else elapsed / budget
        prog = min(max(prog, 0.0), 1.0)
        base = cfg['lr_min'] + 0.5 * (cfg['lr'] - cfg['lr_min']) * (1 + math.cos(math.pi * prog))
        return base * min(1.0, (step + 1) / cfg['warmup_steps'])

    def atomic_save(obj, path):
        tmp = path + '.tmp'
        torch.save(obj, tmp)
        os.replace(tmp, path)

    def save(path, final=False):
        ck = {'model': model.state_dict(), 'ema': ema.state_dict(), 'opt': opt.state_dict(), 'step': step,
              'elapsed': elapsed, 'np_rng': rng.get_state(), 'torch_rng': torch.get_rng_state(), 'config': cfg,
              'rebalance': rebalance, 'campaign': camp_state}
        if final:
            ck.pop('opt')
        atomic_save(ck, path)

    def save_campaign():
        """The committed checkpoint: replaced in place, fp16 weights and EMA only (about 8 MB)."""
        if not camp:
            return
        half = lambda sd: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}  # noqa: E731
        os.makedirs(os.path.dirname(camp_path), exist_ok=True)
        atomic_save({'model': half(model.state_dict()), 'ema': half(ema.state_dict()), 'config': cfg,
                     'rebalance': rebalance, 'campaign': camp_state, 'step': camp_state['step']}, camp_path)

    def export_best(v):
        """Validation improved: keep the EMA as best.pt and export it (training/export.py, decode setting of
        cfg['campaign']['decode'] when that file exists)."""
        best = os.path.join(run_dir, 'best.pt')
        atomic_save({'ema': ema.state_dict(), 'config': cfg, 'step': camp_state['step'], 'rebalance': rebalance}, best)
        if not camp.get('export'):
            return
        cmd = [sys.executable, os.path.join(HERE, 'export.py'), '--ckpt', best, '--out', repo_path(camp['export'])]
        dec = camp.get('decode')
        if dec and os.path.exists(repo_path(dec)):
            cmd += ['--sweep', repo_path(dec)]
        import subprocess
        r = subprocess.run(cmd, capture_output=True, text=True)
        log('export', 'ok' if r.returncode == 0 else 'FAILED', camp['export'], r.stdout.strip().splitlines()[-1:] if r.returncode == 0 else r.stderr[-500:])

    def write(rec):
        logf.write(json.dumps(rec) + '\n'); logf.flush()
        if camp_log:
            camp_log.write(json.dumps({**rec, 'campaign_step': camp_state['step'],
                                       'campaign_min': round(camp_state['minutes'], 2),
                                       'session': camp_state['sessions'], 'time': time.strftime('%Y-%m-%dT%H:%M:%S')}) + '\n')
            camp_log.flush()

    def validate(kind):
        t0 = time.time()
        v = quick_val(ema, vds, loss_fn, loss_plain, bins_t, cfg['T'], nearest, cb_w)
        score = v['val_loss']
        if cfg.get('film_look'):  # the net is judged on clean and film-look gray alike
            vf = quick_val(ema, vds, loss_fn, loss_plain, bins_t, cfg['T'], nearest, cb_w, film=True)
            v.update({f'film_{k}': vf[k] for k in ('val_loss', 'val_ce', 'pred_chroma', 'auc_q', 'cb_auc_q')})
            score = 0.5 * (v['val_loss'] + vf['val_loss'])
        v.update({'step': step, 'elapsed_min': elapsed / 60, 'val_s': time.time() - t0, 'kind': kind})
        improved = camp and (camp_state['best_val'] is None or score < camp_state['best_val'])
        if improved:
            camp_state['best_val'] = score
            v['best'] = True
        write(v)
        log(json.dumps(v))
        if improved:
            export_best(v)
            save(last_path)  # keeps the local state as new as the committed one, so a resume continues this session
            save_campaign()

    model.train()
    t_last = time.time()
    t_ck = time.time()
    last_val = elapsed
    run_loss, run_ce, run_n, img_t0, img_n = 0.0, 0.0, 0, time.time(), 0
    ema_decay = cfg.get('ema', 0.999)
    if camp and camp_state['best_val'] is None:
        validate('val_ema_start')
        t_last = time.time()
    while True:
        if elapsed >= budget or (max_steps and step >= max_steps):
            break
        lr = lr_at(step, elapsed)
        for g in opt.param_groups:
            g['lr'] = lr * g.get('mult', 1.0)
        idxs = rng.randint(0, len(ds), B)
        x, keys, hp = sample_batch(ds, idxs, crop, rng, jitter, cfg.get('zoom', 0.0), hint_cfg, cfg.get('film_look'))
        logits = model(torch.from_numpy(x), torch.from_numpy(hp)) if hp is not None else model(torch.from_numpy(x))
        loss, ce = loss_fn(logits, keys)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.get('grad_clip', 5.0))
        opt.step()
        step += 1
        with torch.no_grad():
            d = min(ema_decay, (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
            for be, bm in zip(ema.buffers(), model.buffers()):
                be.copy_(bm)
        now = time.time()
        elapsed += now - t_last
        t_last = now
        camp_state['step'] = camp_step0 + step
        camp_state['minutes'] = camp_min0 + elapsed / 60
        run_loss += float(loss); run_ce += float(ce); run_n += 1; img_n += B
        if step % cfg['log_every'] == 0:
            ips = img_n / (now - img_t0)
            rec = {'step': step, 'loss': run_loss / run_n, 'ce': run_ce / run_n, 'lr': lr, 'img_s': ips,
                   'elapsed_min': elapsed / 60}
            write(rec)
            log(json.dumps(rec))
            run_loss, run_ce, run_n, img_t0, img_n = 0.0, 0.0, 0, time.time(), 0
        if cfg.get('snapshot_every_steps') and step % cfg['snapshot_every_steps'] == 0:
            save(os.path.join(run_dir, f'step{step:06d}.pt'), final=True)
        if elapsed - last_val >= cfg['val_every_minutes'] * 60:
            validate('val_ema')
            last_val = elapsed
            img_t0 += time.time() - t_last  # validation counts in neither the budget nor images/s
            t_last = time.time()
        if time.time() - t_ck >= cfg['checkpoint_every_minutes'] * 60:
            save(last_path)
            save_campaign()
            t_ck = time.time()
            img_t0 += t_ck - t_last
            t_last = time.time()
    save(last_path)
    validate('val_ema_final')
    save_campaign()
    save(os.path.join(run_dir, 'final.pt'), final=True)
    log(f'done: {step} steps, {elapsed / 60:.1f} min')


if __name__ == '__main__':
    main()
