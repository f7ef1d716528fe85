#!/usr/bin/env python3
"""Pick coarse ImageNet groups from ../shared/data/train file names; print a TSV (group, split, path).
imagen_<wnid>_<n>_<label>.jpg (ImageNet DET, ~5/synset) and inet_<wnid>_<label>.jpg (ILSVRC-1k, 1/class).
ILSVRC-1k classes are sorted by wnid, so class-index ranges are wnid ranges (endpoints named below)."""
import os, re, random, sys
D = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/data/train'
PER = int(sys.argv[2]) if len(sys.argv) > 2 else 50
files = sorted(os.listdir(D))
inet = [(re.match(r'inet_(n\d+)_(.*)\.jpg', f), f) for f in files if f.startswith('inet_')]
inet = [(m.group(1), m.group(2), f) for m, f in inet if m]
imagen = [(re.match(r'imagen_(n\d+)_\d+_(.*)\.jpg', f), f) for f in files if f.startswith('imagen_')]
imagen = [(m.group(1), m.group(2), f) for m, f in imagen if m]
IN = lambda w, *rs: any(a <= w <= b for a, b in rs)
VEH = set('''airliner ambulance beach_wagon bicycle-built-for-two cab convertible fire_engine forklift freight_car
garbage_truck go-kart golfcart harvester jeep jinrikisha limousine minibus minivan Model_T moped motor_scooter
mountain_bike moving_van passenger_car pickup police_van racer recreational_vehicle school_bus snowmobile snowplow
sports_car streetcar tank tow_truck tractor trailer_truck trolleybus electric_locomotive steam_locomotive
bullet_train tricycle unicycle horse_cart oxcart half_track
bus car bicycle motorcycle train cart'''.split())
MUS = set('''accordion acoustic_guitar banjo bassoon cello chime cornet drum electric_guitar flute French_horn
french_horn gong grand_piano harmonica harp maraca marimba oboe ocarina organ panpipe sax saxophone steel_drum
trombone upright violin guitar piano trumpet'''.split())
def group(src, w, lab):
    if src == 'inet':
        if IN(w, ('n02085620', 'n02113978')): return 'dog'  # 151 Chihuahua .. 268 Mexican hairless
        if IN(w, ('n01514668', 'n01622779'),  # 7 cock .. 24 great grey owl
                 ('n01795545', 'n01860187'),  # 80 black grouse .. 100 black swan
                 ('n02002724', 'n02058221')): return 'bird'  # 127 white stork .. 146 albatross
        if IN(w, ('n07583066', 'n07768694'),  # 924 guacamole .. 957 pomegranate
                 ('n07831146', 'n07880968')): return 'food'  # 959 carbonara .. 965 burrito
    else:
        if lab == 'dog': return 'dog'
        if lab == 'bird': return 'bird'
        if w.startswith('n07'): return 'food'
    if lab in VEH: return 'vehicle'
    if lab in MUS: return 'instrument'
    return None
G = {}
for src, lst in (('inet', inet), ('imagen', imagen)):
    for w, lab, f in lst:
        g = group(src, w, lab)
        if g: G.setdefault(g, []).append(f)
rng = random.Random(22); S = {}
for g in sorted(G):
    fs = sorted(G[g]); rng.shuffle(fs); fs = fs[:PER]
    print(f'# {g}: {len(G[g])} available, {len(fs)} used', file=sys.stderr)
    S[(g, 'train')], S[(g, 'test')] = fs[0::2], fs[1::2]
# interleaved (k-th train of every group, then k-th test of every group, ...): any prefix of 10k rows is balanced
for k in range(PER // 2):
    for split in ('train', 'test'):
        for g in sorted(G):
            print(f'{g}\t{split}\t{os.path.join(D, S[(g, split)][k])}')
