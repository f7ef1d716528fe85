#!/usr/bin/python3
"""Writes small ECCV16 / SIGGRAPH17 state dicts (real key names and layer structure, reduced
channel widths) in both PyTorch serialisations, plus PyTorch's outputs for a fixed input, under
test/fixtures/models/. Run with /usr/bin/python3 (torch 1.13). Deterministic (seeded).

    /usr/bin/python3 training/make_fixtures.py [--out test/fixtures/models]
"""
import argparse
import hashlib
import json
import os

import numpy as np
import torch
import torch.nn as nn

# Reduced widths: 64 -> 8, 128 -> 8, 256 -> 16, 512 -> 16. The class counts (313, 529) are kept.
SMALL = {64: 8, 128: 8, 256: 16, 512: 16}
FULL = {64: 64, 128: 128, 256: 256, 512: 512}


def conv(cin, cout, k=3, s=1, p=1, d=1):
    return nn.Conv2d(cin, cout, kernel_size=k, stride=s, padding=p, dilation=d, bias=True)


def block(cin, cout, n, s_last=1, d=1, bn=True):
    """n convs (the last with stride s_last), each followed by ReLU, then BatchNorm."""
    layers = []
    for i in range(n):
        stride = s_last if i == n - 1 else 1
        layers += [conv(cin if i == 0 else cout, cout, s=stride, p=d, d=d), nn.ReLU(True)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers)


class ECCV16(nn.Module):
    """The layer structure of the authors' ECCV16 PyTorch port, widths parameterised."""

    def __init__(self, w=FULL):
        super().__init__()
        c64, c128, c256, c512 = w[64], w[128], w[256], w[512]
        self.model1 = block(1, c64, 2, s_last=2)
        self.model2 = block(c64, c128, 2, s_last=2)
        self.model3 = block(c128, c256, 3, s_last=2)
        self.model4 = block(c256, c512, 3)
        self.model5 = block(c512, c512, 3, d=2)
        self.model6 = block(c512, c512, 3, d=2)
        self.model7 = block(c512, c512, 3)
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(c512, c256, kernel_size=4, stride=2, padding=1, bias=True), nn.ReLU(True),
            conv(c256, c256), nn.ReLU(True),
            conv(c256, c256), nn.ReLU(True),
            nn.Conv2d(c256, 313, kernel_size=1, stride=1, padding=0, bias=True),
        )
        self.model_out = nn.Conv2d(313, 2, kernel_size=1, padding=0, dilation=1, stride=1, bias=False)

    def logits(self, x):
        """x: normalised L, (L - 50) / 100. Returns model8's 313 logits at H/4."""
        for m in (self.model1, self.model2, self.model3, self.model4, self.model5, self.model6,
                  self.model7, self.model8):
            x = m(x)
        return x

    def forward(self, x):
        return self.logits(x)


class SIGGRAPH17(nn.Module):
    """The layer structure of the authors' SIGGRAPH17 PyTorch port, widths parameterised."""

    def __init__(self, w=FULL):
        super().__init__()
        c64, c128, c256, c512 = w[64], w[128], w[256], w[512]
        self.model1 = block(4, c64, 2)
        self.model2 = block(c64, c128, 2)
        self.model3 = block(c128, c256, 3)
        self.model4 = block(c256, c512, 3)
        self.model5 = block(c512, c512, 3, d=2)
        self.model6 = block(c512, c512, 3, d=2)
        self.model7 = block(c512, c512, 3)
        self.model8up = nn.Sequential(nn.ConvTranspose2d(c512, c256, kernel_size=4, stride=2, padding=1, bias=True))
        self.model3short8 = nn.Sequential(conv(c256, c256))
        self.model8 = nn.Sequential(nn.ReLU(True), conv(c256, c256), nn.ReLU(True), conv(c256, c256),
                                    nn.ReLU(True), nn.BatchNorm2d(c256))
        self.model9up = nn.Sequential(nn.ConvTranspose2d(c256, c128, kernel_size=4, stride=2, padding=1, bias=True))
        self.model2short9 = nn.Sequential(conv(c128, c128))
        self.model9 = nn.Sequential(nn.ReLU(True), conv(c128, c128), nn.ReLU(True), nn.BatchNorm2d(c128))
        self.model10up = nn.Sequential(nn.ConvTranspose2d(c128, c128, kernel_size=4, stride=2, padding=1, bias=True))
        self.model1short10 = nn.Sequential(conv(c64, c128))
        self.model10 = nn.Sequential(nn.ReLU(True), conv(c128, c128), nn.LeakyReLU(negative_slope=0.2))
        self.model_class = nn.Sequential(nn.Conv2d(c256, 529, kernel_size=1, padding=0, dilation=1, stride=1, bias=True))
        self.model_out = nn.Sequential(nn.Conv2d(c128, 2, kernel_size=1, padding=0, dilation=1, stride=1, bias=True), nn.Tanh())

    def forward(self, x):
        """x: N x 4 x H x W = normalised L, hint ab / 110, mask. Returns ab (x110) at full size."""
        c1 = self.model1(x)
        c2 = self.model2(c1[:, :, ::2, ::2])
        c3 = self.model3(c2[:, :, ::2, ::2])
        c4 = self.model4(c3[:, :, ::2, ::2])
        c7 = self.model7(self.model6(self.model5(c4)))
        c8 = self.model8(self.model8up(c7) + self.model3short8(c3))
        c9 = self.model9(self.model9up(c8) + self.model2short9(c2))
        c10 = self.model10(self.model10up(c9) + self.model1short10(c1))
        return self.model_out(c10) * 110.0


def calibrate(model, make_input):
    """Gives BatchNorm layers realistic statistics (so activations stay O(1) through the net), then
    perturbs the affine parameters, and switches to eval mode."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None  # cumulative average
            m.reset_running_stats()
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(make_input(4))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
            m.momentum = 0.1
    model.eval()
    return model


def smooth_l(n, h, w, gen):
    """A smooth random L image in [0, 100], N x 1 x H x W."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing='ij')
    out = []
    for _ in range(n):
        a, b, c = torch.rand(3, generator=gen) * 6
        img = 50 + 35 * torch.sin(a * xx + b * yy + c) + 10 * torch.rand(h, w, generator=gen)
        out.append(img.clamp(0, 100))
    return torch.stack(out)[:, None]


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def save_both(sd, out, stem, manifest):
    zip_path = os.path.join(out, f'{stem}.zip.pth')
    legacy_path = os.path.join(out, f'{stem}.legacy.pth')
    torch.save(sd, zip_path)
    torch.save(sd, legacy_path, _use_new_zipfile_serialization=False)
    for kind, p in (('zip', zip_path), ('legacy', legacy_path)):
        manifest['files'][os.path.basename(p)] = {'format': kind, 'sha256': sha256(p), 'bytes': os.path.getsize(p)}


def write_bin(out, name, t):
    arr = t.detach().to(torch.float32).contiguous().numpy().astype('<f4')
    arr.tofile(os.path.join(out, name))
    return {'file': name, 'dims': list(arr.shape)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'models'))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(99)
    manifest = {'torch': torch.__version__, 'files': {}, 'models': {}}

    N, H, W = 2, 32, 48
    L = smooth_l(N, H, W, gen)
    x = (L - 50) / 100
    manifest['input'] = write_bin(out, 'input_norm_l.bin', x)

    # ECCV16
    eccv = ECCV16(SMALL)
    calibrate(eccv, lambda n: (smooth_l(n, H, W, gen) - 50) / 100)
    with torch.no_grad():
        eccv.model8[6].weight.mul_(20)  # logits of a few units, like the real net's
    with torch.no_grad():
        logits = eccv.logits(x)
    save_both(eccv.state_dict(), out, 'eccv16_small', manifest)
    manifest['models']['eccv16'] = {'stem': 'eccv16_small', 'output': write_bin(out, 'eccv16_small_logits.bin', logits),
                                    'widths': SMALL}

    # SIGGRAPH17 (automatic mode: zero hints and mask)
    sig = SIGGRAPH17(SMALL)
    zeros3 = lambda n: torch.zeros(n, 3, H, W)
    calibrate(sig, lambda n: torch.cat([(smooth_l(n, H, W, gen) - 50) / 100, torch.randn(n, 2, H, W) * 0.2,
                                        (torch.rand(n, 1, H, W) > 0.9).float()], 1))
    with torch.no_grad():
        ab = sig(torch.cat([x, zeros3(N)], 1))
    save_both(sig.state_dict(), out, 'siggraph17_small', manifest)
    manifest['models']['siggraph17'] = {'stem': 'siggraph17_small', 'output': write_bin(out, 'siggraph17_small_ab.bin', ab),
                                        'widths': SMALL}

    # Dtypes and views: float16/bfloat16/float64 tensors, a view with a storage offset and strides that
    # shares its storage with another entry, a transposed tensor, an int64 counter, a 0-d scalar.
    base = torch.randn(4, 6, generator=gen)
    misc = {
        'base': base,
        'view': base[1:, 2:5],            # storage offset 8, strides (6, 1)
        'transposed': base.t(),           # strides (1, 6)
        'half': torch.randn(3, 5, generator=gen).half(),
        'bf16': torch.randn(7, generator=gen).bfloat16(),
        'double': torch.randn(2, 3, generator=gen).double(),
        'scalar': torch.tensor(3.25),
        'num_batches_tracked': torch.tensor(17, dtype=torch.long),
    }
    from collections import OrderedDict
    misc = OrderedDict(misc)
    save_both(misc, out, 'misc', manifest)
    manifest['misc'] = {k: {'dims': list(v.shape), 'values': v.detach().to(torch.float64).flatten().tolist(),
                            'dtype': str(v.dtype)} for k, v in misc.items()}

    # The same archive re-packed with deflate-compressed members (PyTorch itself writes them stored).
    import zipfile
    src = os.path.join(out, 'misc.zip.pth')
    dst = os.path.join(out, 'misc.deflate.pth')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', compression=zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, zin.read(info.filename))
    manifest['files']['misc.deflate.pth'] = {'format': 'zip-deflate', 'sha256': sha256(dst), 'bytes': os.path.getsize(dst)}

    # Not a state dict: a list.
    torch.save([1, 2, 3], os.path.join(out, 'not_a_state_dict.pth'))
    manifest['files']['not_a_state_dict.pth'] = {'format': 'zip', 'sha256': sha256(os.path.join(out, 'not_a_state_dict.pth'))}

    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f'wrote {len(os.listdir(out))} files, {total / 1e6:.2f} MB to {out}')
    print('eccv16 logits: mean %.3f std %.3f' % (logits.mean(), logits.std()))
    print('siggraph17 ab: mean %.3f std %.3f min %.3f max %.3f' % (ab.mean(), ab.std(), ab.min(), ab.max()))


if __name__ == '__main__':
    main()
