"""nsfwjs's InceptionV3 (ImageNet, the frozen part through mixed5) in PyTorch, from the dump of dump-keras.cjs
(NET inception).

Rebuilt from the dumped layer list with BatchNorm folded into the convolutions; the weights are buffers, never
trained. Input: the colour net's L, (L - 50) / 100, seen as Keras InceptionV3 expects a gray photo (as in mnv2.py:
L* -> Y -> sRGB, replicated to RGB, scaled to [-1, 1]). Output: the taps (mixed2, 288 ch at ~1/9, and mixed5, 768
ch at ~1/19, enlarged to mixed2's grid) concatenated on channels.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from encoder.mnv2 import l_to_srgb_gray, load_dump


class InceptionV3Taps(nn.Module):
    def __init__(self, folder):
        super().__init__()
        meta, w = load_dump(folder, 'inception')
        self.source = meta['source']
        self.taps = meta['taps']
        self.ops = []  # (name, kind, inbound names, params)
        pending = {}

        for layer in meta['layers']:
            cls, name, inb = layer['cls'], layer['name'], layer['inbound']
            if cls == 'InputLayer':
                continue
            if cls == 'Conv2D':
                assert len(layer['weights']) == 1 and layer['activation'] == 'linear', name
                k = w(layer['weights'][0]).permute(3, 2, 0, 1).contiguous()  # [kh,kw,cin,cout] -> [cout,cin,kh,kw]
                if layer['padding'] == 'same':
                    assert layer['strides'] == [1, 1], name  # stride-1 'same' with odd kernels is symmetric
                    pad = (k.shape[2] // 2, k.shape[3] // 2)
                else:
                    pad = (0, 0)
                op = [name, 'conv', inb, [k, torch.zeros(k.shape[0]), tuple(layer['strides']), pad]]
                pending[name] = op
                self.ops.append(op)
            elif cls == 'BatchNormalization':
                # scale=False in Keras InceptionV3: beta, moving mean, moving variance (no gamma)
                op = pending.pop(inb[0])
                beta, mean, var = (w(s) for s in layer['weights'])
                s = 1.0 / torch.sqrt(var + layer['epsilon'])
                op[3][0] = op[3][0] * s.view(-1, 1, 1, 1)
                op[3][1] = -mean * s + beta
                self.ops.append((name, 'id', [op[0]], None))
            elif cls == 'Activation':
                assert layer['activation'] == 'relu', name
                self.ops.append((name, 'relu', inb, None))
            elif cls == 'MaxPooling2D':
                assert layer['padding'] == 'valid', name
                self.ops.append((name, 'max', inb, (tuple(layer['pool']), tuple(layer['strides']))))
            elif cls == 'AveragePooling2D':
                assert layer['padding'] == 'same' and layer['strides'] == [1, 1], name
                self.ops.append((name, 'avg', inb, tuple(layer['pool'])))
            elif cls == 'Concatenate':
                assert layer['axis'] in (3, -1), name
                self.ops.append((name, 'cat', inb, None))
            else:
                raise ValueError(f'unsupported layer {cls} {name}')
        for i, op in enumerate(self.ops):
            if op[1] == 'conv':
                # not persistent: checkpoints stay small and never round the ImageNet weights to fp16
                self.register_buffer(f'k{i}', op[3][0], persistent=False)
                self.register_buffer(f'b{i}', op[3][1], persistent=False)
        self.first = self.ops[0][2][0]

    def tap_values(self, x):
        """x: (N,1,H,W) colour-net L -> [mixed2, mixed5], each at its own grid."""
        g = l_to_srgb_gray(x) * 2.0 - 1.0
        vals = {self.first: g.expand(-1, 3, -1, -1)}
        for i, (name, kind, inb, p) in enumerate(self.ops):
            a = vals[inb[0]]
            if kind == 'conv':
                y = F.conv2d(a, getattr(self, f'k{i}'), getattr(self, f'b{i}'), stride=p[2], padding=p[3])
            elif kind == 'relu':
                y = F.relu(a)
            elif kind == 'max':
                y = F.max_pool2d(a, p[0], p[1])
            elif kind == 'avg':
                # Keras 'same' average pooling leaves the padding out of the count
                y = F.avg_pool2d(a, p, 1, (p[0] // 2, p[1] // 2), count_include_pad=False)
            elif kind == 'cat':
                y = torch.cat([vals[n] for n in inb], 1)
            else:
                y = a
            vals[name] = y
        return [vals[t] for t in self.taps]

    def forward(self, x):
        """x: (N,1,H,W) colour-net L -> (N, 288 + 768, h, w) on mixed2's grid (mixed5 enlarged to it)."""
        m2, m5 = self.tap_values(x)
        return torch.cat([m2, F.interpolate(m5, size=m2.shape[-2:], mode='bilinear', align_corners=False)], 1)

    def train(self, mode=True):
        return super().train(False)  # frozen: no BatchNorm statistics to update (they are folded anyway)
