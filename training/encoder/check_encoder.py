"""Check a PyTorch port against the package's own TF.js forward on real photos (issue 22, item 1).
  /usr/bin/python3 training/encoder/check_encoder.py NET DUMP_DIR SCRATCH_NODE_MODULES PHOTO...
NET: mnv2 or inception (dump-keras.cjs's names). Prints the largest absolute and relative difference of every tap."""
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import srgb_to_lab  # noqa: E402
from encoder.inception import InceptionV3Taps  # noqa: E402
from encoder.mnv2 import MobileNetV2Taps, l_to_srgb_gray  # noqa: E402

net_name, dump, node_modules, photos = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
H, W = 144, 192
L = []
for p in photos:
    im = np.asarray(Image.open(p).convert('RGB').resize((W, H), Image.BILINEAR), np.float32) / 255.0
    L.append(srgb_to_lab(im)[..., 0])
x = torch.from_numpy((np.stack(L)[:, None] - 50.0) / 100.0).float()
g = (l_to_srgb_gray(x) * 2 - 1).expand(-1, 3, -1, -1).permute(0, 2, 3, 1).contiguous().numpy()
inp = os.path.join(dump, 'input.f32')
g.astype(np.float32).tofile(inp)
here = os.path.dirname(os.path.abspath(__file__))
subprocess.run(['node', os.path.join(here, 'dump-keras.cjs'), net_name, dump, inp, str(len(photos)), str(H), str(W)],
               check=True, env={**os.environ, 'NODE_PATH': node_modules}, stdout=subprocess.DEVNULL)
net = {'mnv2': MobileNetV2Taps, 'inception': InceptionV3Taps}[net_name](dump)
with torch.no_grad():
    ours = net.tap_values(x)
ref = np.fromfile(os.path.join(dump, 'ref.f32'), np.float32)
offset = 0
for name, y in zip(net.taps, ours):
    o = y.permute(0, 2, 3, 1).numpy()
    theirs = ref[offset:offset + o.size].reshape(o.shape)
    offset += o.size
    d = np.abs(o - theirs)
    print(f'{name}: shape {theirs.shape}, max |diff| {d.max():.2e}, max |ref| {np.abs(theirs).max():.2f}, '
          f'relative RMS {np.sqrt((d ** 2).mean() / (theirs ** 2).mean()):.2e}')
assert offset == ref.size, 'the reference holds more than the taps'
