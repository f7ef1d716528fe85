#!/usr/bin/env python3
"""Frames of the real B&W development clips colorized by each model, side by side, for looking at by eye.

    /usr/bin/python3 training/bw_sheet.py --model models/chroma-default.onnx --model NEW.onnx \
        [--clips ../shared/data/videos/bw] [--at 1.0] [--height 180] --out docs/bw-clips.jpg

One row per clip (a frame at --at seconds, through the app: `chroma colorize frame.png --model M`),
columns gray | model 1 | model 2 ... Nothing of the clips is kept but the sheet.
"""
import argparse
import glob
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FFMPEG = os.path.join(REPO, 'node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', action='append', required=True)
    ap.add_argument('--label', action='append', help='column titles, one per model')
    ap.add_argument('--clips', default=os.path.join(REPO, '..', 'shared', 'data', 'videos', 'bw'))
    ap.add_argument('--at', type=float, default=1.0)
    ap.add_argument('--height', type=int, default=180)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    labels = args.label or [os.path.basename(m) for m in args.model]
    tmp = tempfile.mkdtemp(prefix='chroma_bw_')
    rows = []
    for clip in sorted(glob.glob(os.path.join(args.clips, '*.mp4'))):
        name = os.path.splitext(os.path.basename(clip))[0]
        frame = os.path.join(tmp, f'{name}.png')
        subprocess.run([FFMPEG, '-v', 'error', '-y', '-ss', str(args.at), '-i', clip, '-frames:v', '1', frame], check=True)
        tiles = [Image.open(frame).convert('L').convert('RGB')]
        for i, m in enumerate(args.model):
            out = os.path.join(tmp, f'{name}-{i}.png')
            subprocess.run([os.path.join(REPO, 'chroma'), 'colorize', frame, '-o', out, '--model', m, '-y', '-q'],
                           check=True, cwd=REPO)
            tiles.append(Image.open(out).convert('RGB'))
        w = round(tiles[0].width * args.height / tiles[0].height)
        tiles = [t.resize((w, args.height), Image.BILINEAR) for t in tiles]
        row = Image.new('RGB', (w * len(tiles), args.height + 16), 'white')
        d = ImageDraw.Draw(row)
        for j, t in enumerate(tiles):
            row.paste(t, (j * w, 16))
            d.text((j * w + 4, 2), name if j == 0 else labels[j - 1], fill='black')
        rows.append(row)
    W = max(r.width for r in rows)
    sheet = Image.new('RGB', (W, sum(r.height for r in rows)), 'white')
    y = 0
    for r in rows:
        sheet.paste(r, (0, y)); y += r.height
    sheet.save(args.out, quality=88)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
