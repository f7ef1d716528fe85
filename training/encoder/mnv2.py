"""nsfwjs's MobileNetV2 (ImageNet, frozen part through block_10) in PyTorch, from the dump of dump-keras.cjs (NET mnv2).

The net is rebuilt from the dumped layer list, BatchNorm folded into the convolutions, weights as buffers (never
trained). Input: the colour net's L, (L - 50) / 100; the encoder sees it as Keras MobileNetV2 expects a gray
photo: CIE L* -> luminance Y -> sRGB-encoded, replicated to RGB, scaled to [-1, 1]. Output: the taps
(block_6_project_BN, 64 ch, and block_10_project_BN, 96 ch, both at 1/16) concatenated on channels.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def l_to_srgb_gray(x):
    """(L - 50) / 100 -> sRGB-encoded gray in [0, 1] (D65: a = b = 0 gives R = G = B = sRGB(Y))."""
    L = (x * 100.0 + 50.0).clamp(0.0, 100.0)
    fy = (L + 16.0) / 116.0
    Y = torch.where(L > 8.0, fy * fy * fy, L / 903.2963)
    Y = Y.clamp(min=0.0)
    return torch.where(Y > 0.0031308, 1.055 * Y.clamp(min=1e-8).pow(1.0 / 2.4) - 0.055, 12.92 * Y)


def load_dump(folder, net):
    """dump-keras.cjs's dump of `net`: its layer list and a reader of one weight (its spec) as a tensor."""
    meta = json.load(open(os.path.join(folder, f'{net}.json')))
    flat = np.fromfile(os.path.join(folder, f'{net}.f32'), dtype=np.float32)

    def weight(spec):
        n = int(np.prod(spec['shape']))
        return torch.from_numpy(flat[spec['offset']:spec['offset'] + n].reshape(spec['shape']).copy())

    return meta, weight


class MobileNetV2Taps(nn.Module):
    def __init__(self, folder, tune_from=None):
        """tune_from: the name prefix of the first block whose convolutions train (e.g. 'block_8'); before it
        and by default every weight is a frozen buffer."""
        super().__init__()
        meta, w = load_dump(folder, 'mnv2')
        self.source = meta['source']
        self.taps = meta['taps']
        self.ops = []  # (name, kind, inbound names, params)
        pending = None  # a conv waiting for its BatchNorm, folded into it
        names = {}

        for layer in meta['layers']:
            cls, name, inb = layer['cls'], layer['name'], layer['inbound']
            inb = [names.get(i, i) for i in inb]
            if cls == 'InputLayer':
                continue
            if cls == 'ZeroPadding2D':
                (t, b), (l, r) = layer['padding']
                self.ops.append((name, 'pad', inb, (l, r, t, b)))
            elif cls in ('Conv2D', 'DepthwiseConv2D'):
                k = w(layer['weights'][0])
                if cls == 'Conv2D':
                    k = k.permute(3, 2, 0, 1).contiguous()  # [kh,kw,cin,cout] -> [cout,cin,kh,kw]
                    groups = 1
                else:
                    k = k.permute(2, 3, 0, 1).contiguous()  # [kh,kw,c,1] -> [c,1,kh,kw]
                    groups = k.shape[0]
                assert len(layer['weights']) == 1, name  # no bias: the BatchNorm after it brings one
                pad = (k.shape[-1] // 2) if layer['padding'] == 'same' else 0
                pending = [name, 'conv', inb, [k, torch.zeros(k.shape[0]), layer['strides'][0], pad, groups]]
                self.ops.append(pending)
            elif cls == 'BatchNormalization':
                assert pending is not None and inb == [pending[0]], name
                g, beta, mean, var = (w(s) for s in layer['weights'])
                s = g / torch.sqrt(var + layer['epsilon'])
                p = pending[3]
                p[0] = p[0] * s.view(-1, 1, 1, 1)
                p[1] = beta - mean * s
                names[name] = pending[0]  # the folded conv's output stands for the BatchNorm's
                if name in self.taps:
                    self.ops.append((name, 'id', [pending[0]], None))
                    names[name] = name
                pending = None
            elif cls == 'ReLU':
                self.ops.append((name, 'relu6', inb, float(layer['max'])))
            elif cls == 'Add':
                self.ops.append((name, 'add', inb, None))
            else:
                raise ValueError(f'unsupported layer {cls} {name}')
        first_tuned = next((i for i, op in enumerate(self.ops) if tune_from and op[0].startswith(tune_from)),
                           len(self.ops))
        assert not tune_from or first_tuned < len(self.ops), f'no layer named {tune_from}*'
        for i, op in enumerate(self.ops):
            if op[1] == 'conv' and i >= first_tuned:
                # tuned: a parameter, saved in the checkpoint (it starts from the ImageNet weights)
                self.register_parameter(f'k{i}', nn.Parameter(op[3][0]))
                self.register_parameter(f'b{i}', nn.Parameter(op[3][1]))
            elif op[1] == 'conv':
                # not persistent: checkpoints stay small and never round the ImageNet weights to fp16
                self.register_buffer(f'k{i}', op[3][0], persistent=False)
                self.register_buffer(f'b{i}', op[3][1], persistent=False)
        self.first = self.ops[0][2][0]

    def forward(self, x):
        """x: (N,1,H,W) colour-net L -> (N, 64 + 96, ~H/16, ~W/16)."""
        return torch.cat(self.tap_values(x), 1)

    def tap_values(self, x):
        """x: (N,1,H,W) colour-net L -> [block_6, block_10]."""
        g = l_to_srgb_gray(x) * 2.0 - 1.0
        vals = {self.first: g.expand(-1, 3, -1, -1)}
        for i, (name, kind, inb, p) in enumerate(self.ops):
            a = vals[inb[0]]
            if kind == 'pad':
                y = F.pad(a, p)
            elif kind == 'conv':
                y = F.conv2d(a, getattr(self, f'k{i}'), getattr(self, f'b{i}'), stride=p[2], padding=p[3], groups=p[4])
            elif kind == 'relu6':
                y = a.clamp(0.0, p)
            elif kind == 'add':
                y = a + vals[inb[1]]
            else:
                y = a
            vals[name] = y
        return [vals[t] for t in self.taps]

    def train(self, mode=True):
        return super().train(False)  # frozen: no BatchNorm statistics to update (they are folded anyway)
