// The editor on the whole film (issue 24, item 4): undo/redo of every hint edit, the shots and
// which shots a hint reaches, the new socket messages, and in real Chromium: undo/redo by keys and
// buttons, the frame at the film's own aspect ratio, the shot strip of a film cut from three real
// clips, and RENDER from the page (a valid colour video under the output name; cancel leaves
// nothing there).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { tempDir, probeStreams, readRgbFrames } from './helpers/media.js';
import { until } from './helpers/until.js';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';
import { fractalNoise } from './helpers/synthetic.js';
import { FFMPEG } from '../src/media/ffmpeg-paths.js';
import { srgbToLab } from '../src/color/lab.js';
import { probeMedia } from '../src/media/probe.js';
import { loadModel } from '../src/model/load-model.js';
import { EditSession } from '../src/editor/session.js';
import { HintStore } from '../src/editor/hint-store.js';
import { shotsFromCuts, shotsReached, withSetups } from '../src/editor/film-shots.js';
import { startEditServer, type EditServerHandle } from '../src/server/edit-server.js';
import { parseEditMessage } from '../src/server/edit-control.js';
import type { LoadedModel } from '../src/core/model-contract.js';
import { editOptionsFromArgv } from '../src/cli/edit-cli.js';
import { EXIT } from '../src/core/errors.js';

const W = 160, H = 120, FRAMES = 24;
const CLIPS = '/work/shared/data/videos';
/** X1 Y1 X2: a second of a static-camera clip, a second of another, the first again later on. */
const CUT_FROM: [string, number][] = [['intel_asl_book.mp4', 0], ['sam2_dog.mp4', 0], ['intel_asl_book.mp4', 2.2]];
const HAS_CLIPS = CUT_FROM.every(([c]) => existsSync(join(CLIPS, c)));

let tmp: ReturnType<typeof tempDir>;
let model: LoadedModel;
let reel: string;

/** A gray 4:3 clip (FFV1): a textured square moving right over a textured background. */
function writeReel(path: string): string {
  const data = Buffer.alloc(W * H * FRAMES);
  for (let t = 0; t < FRAMES; t++) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const inside = x >= 30 + 2 * t && x < 58 + 2 * t && y >= 46 && y < 74;
      data[t * W * H + y * W + x] = Math.round(inside ? 150 + 60 * fractalNoise(x, y, 7) : 30 + 100 * fractalNoise(x, y, 1));
    }
  }
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${W}x${H}`, '-r', '10', '-i', 'pipe:0', '-c:v', 'ffv1', path], { input: data });
  return path;
}

/** A 16:9 film of three shots: a second of each piece, one after another (FFV1, 320x180, 25 fps). */
function writeCutFilm(path: string): string {
  const args = ['-v', 'error', '-y'];
  for (const [c, ss] of CUT_FROM) args.push('-ss', String(ss), '-t', '1', '-i', join(CLIPS, c));
  const chains = CUT_FROM.map((_, i) => `[${i}:v]scale=320:180,fps=25,setsar=1,format=yuv420p[v${i}]`).join(';');
  args.push('-filter_complex', `${chains};${CUT_FROM.map((_, i) => `[v${i}]`).join('')}concat=n=${CUT_FROM.length}:v=1:a=0[o]`, '-map', '[o]', '-c:v', 'ffv1', path);
  execFileSync(FFMPEG, args);
  return path;
}

before(async () => {
  tmp = tempDir('chroma-editor-film-');
  reel = writeReel(join(tmp.dir, 'reel.mkv'));
  model = await loadModel('default', { device: 'cpu', log: () => {} });
});
after(async () => {
  await model?.release();
  tmp.cleanup();
});

test('hint store: add, move, recolour, scope change and delete each undo and redo; a new edit drops the redo', () => {
  const store = new HintStore({ width: W, height: H, media: 'video', frameCount: FRAMES, source: 'hints' }, null);
  const snap = () => JSON.stringify(store.hints.hints);
  const states = [snap()];
  const id = store.edit({ type: 'add', frame: 3, x: 10, y: 20, color: '#ff0000' })!;
  states.push(snap());
  for (const e of [{ x: 40, y: 50, frame: 5 }, { color: '#00ff00' }, { until: 'frame' as const }]) {
    store.edit({ type: 'update', id, ...e });
    states.push(snap());
  }
  store.edit({ type: 'delete', id });
  states.push(snap());
  for (let i = 1; i < states.length; i++) assert.notEqual(states[i], states[i - 1], `edit ${i} changed the hints`);
  // A refused edit is not an edit: nothing to undo for it.
  assert.throws(() => store.edit({ type: 'add', frame: 0, x: W + 1, y: 0, color: '#fff' }), /outside the picture/);
  assert.deepEqual(store.history, { undo: 5, redo: 0 });
  for (let i = states.length - 2; i >= 0; i--) {
    assert.ok(store.undo());
    assert.equal(snap(), states[i], `undo to state ${i}`);
  }
  assert.equal(store.undo(), false, 'nothing left to undo');
  for (let i = 1; i < states.length; i++) {
    assert.ok(store.redo());
    assert.equal(snap(), states[i], `redo to state ${i}`);
  }
  assert.equal(store.redo(), false);
  store.undo();
  store.undo();
  store.edit({ type: 'update', id, color: '#0000ff' });
  assert.deepEqual(store.history, { undo: 4, redo: 0 }, 'the edit after undo drops what was undone');
});

test('shots from the scene cuts, and the shots a hint reaches', () => {
  const map = shotsFromCuts(75, [25, 50]);
  assert.deepEqual(map.shots.map((s) => [s.start, s.end, s.setup]), [[0, 25, 0], [25, 50, 1], [50, 75, 2]]);
  assert.ok(map.shots.every((s) => s.posterFrame >= s.start && s.posterFrame < s.end));
  assert.deepEqual(shotsReached(map, 30, 'shot'), [1]);
  assert.deepEqual(shotsReached(map, 74, 'frame'), [2]);
  assert.deepEqual(shotsFromCuts(10, []).shots.length, 1);
  // A setup of shots 0 and 2 (as the shots layer groups them): a setup hint reaches both.
  const grouped = withSetups(map, { shots: [{ index: 0, start: 0, end: 26, posterFrame: 12, setup: 4 }, { index: 1, start: 26, end: 49, posterFrame: 37, setup: 7 }, { index: 2, start: 49, end: 75, posterFrame: 62, setup: 4 }] });
  assert.deepEqual(grouped.shots.map((s) => [s.start, s.setup]), [[0, 0], [25, 1], [50, 0]], 'the cut shots, the map\'s setups renumbered');
  assert.deepEqual(grouped.setups, [{ index: 0, shots: [0, 2] }, { index: 1, shots: [1] }]);
  assert.deepEqual(shotsReached(grouped, 60, 'setup' as never), [0, 2]);
  assert.deepEqual(shotsReached(grouped, 60, 'shot'), [2]);
});

test('edit messages: undo, redo, render and cancel; until "setup" reaches the hints file check', () => {
  const ok = (m: unknown) => parseEditMessage(Buffer.from(JSON.stringify(m)), false);
  for (const m of [{ type: 'undo' }, { type: 'redo' }, { type: 'render' }, { type: 'render', smooth: false, overwrite: true }, { type: 'cancel' },
    { type: 'update', id: 'h1', until: 'setup' }]) assert.ok(ok(m).ok, JSON.stringify(m));
  for (const [m, why] of [[{ type: 'render', output: '/etc/passwd' }, 'unknown field "output"'], [{ type: 'render', smooth: 'yes' }, '"smooth" must be true or false'],
    [{ type: 'undo', steps: 3 }, 'unknown field "steps"']] as const) {
    const r = ok(m);
    assert.ok(!r.ok && r.error.includes(why), JSON.stringify(r));
  }
});

test('serve --edit --output: the render goes beside the film by default; a name chroma cannot write is refused at start', () => {
  const o = editOptionsFromArgv(['--input', '/films/reel.mkv', '--edit'], {});
  assert.ok(!o.help && o.output === '/films/reel-colour.mp4');
  const named = editOptionsFromArgv(['--input', 'reel.mkv', '--edit', '-o', 'out.mov'], {});
  assert.ok(!named.help && named.output === 'out.mov');
  assert.throws(() => editOptionsFromArgv(['--input', 'reel.mkv', '--edit', '--output', 'out.png'], {}),
    (e: Error & { exitCode?: number }) => /a video needs a video output/.test(e.message) && e.exitCode === EXIT.output);
});

/** The editor over `film`, rendering to `dir`. */
async function startEditor(film: string, dir: string): Promise<EditServerHandle> {
  const info = await probeMedia(film);
  const session = await EditSession.open(model, info, { hintsPath: join(dir, 'film.hints.json'), renderPath: join(dir, 'film-colour.mp4') });
  return startEditServer(session, { port: 0 });
}

type Ed = { chromaEditor: { shown: number; frame: number; history: { undo: number; redo: number }; render: { state: string; frames: number } | null } };
const shownCount = (page: Page) => page.evaluate(() => (window as unknown as Ed).chromaEditor.shown);
const hintCount = (page: Page) => page.locator('#hints li').count();

async function openPage(browser: Browser, srv: EditServerHandle, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => problems.push(e.message));
  assert.equal((await page.goto(srv.url))?.status(), 200);
  await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.shown >= 1, null, { timeout: 30_000 });
  return page;
}

let browser: Browser | null = null;
test('editor page in Chromium: undo/redo by keys and buttons; render the film to a file from the page', { skip: !HAS_CHROMIUM && 'no /usr/bin/chromium' }, async () => {
  browser = await launchChromium();
  const dir = tempDir('chroma-editor-render-');
  const srv = await startEditor(reel, dir.dir);
  const problems: string[] = [];
  try {
    const page = await openPage(browser, srv, problems);
    // Nothing to undo yet: the button is off and says why.
    assert.equal(await page.locator('#undo').isDisabled(), true);
    assert.equal(await page.locator('#undo').getAttribute('title'), 'nothing to undo');
    assert.equal(await page.locator('#cancel').getAttribute('title'), 'no render is running');
    // The frame at the film's own aspect ratio (4:3 here).
    const box = (await page.locator('#view').boundingBox())!;
    assert.ok(Math.abs(box.width / box.height - W / H) < 0.01, `canvas ${box.width}x${box.height}`);
    // Add a hint on the moving square (the canvas maps film pixels to its box).
    await page.evaluate(() => { (document.getElementById('color') as HTMLInputElement).value = '#1e88e5'; });
    await page.mouse.click(box.x + (44 * box.width) / W, box.y + (60 * box.height) / H);
    await page.waitForFunction(() => document.querySelectorAll('#hints li').length === 1, null, { timeout: 20_000 });
    // Recolour it and widen it to "this frame" through its menu: two more edits.
    await page.locator('#hints li').first().click();
    await page.evaluate(() => {
      const c = document.getElementById('color') as HTMLInputElement;
      c.value = '#e53935';
      c.dispatchEvent(new Event('change'));
    });
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.history.undo === 2, null, { timeout: 10_000 });
    await page.locator('#hints li select.scope').selectOption('frame');
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.history.undo === 3, null, { timeout: 10_000 });
    assert.deepEqual(srv.session.hintsFile().hints.map((h) => [h.color, h.until]), [['#e53935', 'frame']]);
    // Ctrl+Z twice: back to the blue "shot" hint; Ctrl+Shift+Z: the red one again; the undo button: blue.
    await page.locator('#view').focus();
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.history.undo === 1, null, { timeout: 10_000 });
    assert.deepEqual(srv.session.hintsFile().hints.map((h) => [h.color, h.until ?? 'shot']), [['#1e88e5', 'shot']]);
    await page.keyboard.press('Control+Shift+z');
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.history.redo === 1, null, { timeout: 10_000 });
    assert.equal(srv.session.hintsFile().hints[0].color, '#e53935');
    await page.click('#undo');
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.history.redo === 2, null, { timeout: 10_000 });
    assert.equal(srv.session.hintsFile().hints[0].color, '#1e88e5');
    // Undo the add: no hints; redo it: the hint is back (the list says which shot it reaches).
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => document.querySelectorAll('#hints li').length === 0, null, { timeout: 10_000 });
    await page.click('#redo');
    await page.waitForFunction(() => document.querySelectorAll('#hints li').length === 1, null, { timeout: 10_000 });
    assert.match(await page.locator('#hints li .what').first().textContent() ?? '', /shot 1\b/);
    assert.equal(await hintCount(page), 1);

    // RENDER without smoothing: the file under the output name, a valid video in colour.
    const out = join(dir.dir, 'film-colour.mp4');
    await page.locator('#smooth').uncheck();
    await page.click('#render');
    await page.waitForFunction(() => /rendered to/.test(document.getElementById('result')!.textContent ?? ''), null, { timeout: 120_000 });
    assert.ok(existsSync(out));
    assert.match(await page.locator('#result').textContent() ?? '', new RegExp(`rendered to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const [v] = probeStreams(out).filter((s) => s.codec_type === 'video');
    assert.equal(v.codec_name, 'h264');
    assert.deepEqual([v.width, v.height, Number(v.nb_read_frames)], [W, H, FRAMES]);
    const frames = readRgbFrames(out, W, H);
    const chroma = (rgb: Buffer, x: number, y: number) => {
      const i = (y * W + x) * 3;
      const [, a, b] = srgbToLab(rgb[i], rgb[i + 1], rgb[i + 2]);
      return [a, b];
    };
    // The hint (blue) on the square where the page put it: b well below zero.
    const [a0, b0] = chroma(frames[0], 44, 60);
    assert.ok(b0 < -15, `frame 0 at the hint: ab ${a0.toFixed(1)}, ${b0.toFixed(1)}`);
    let sat = 0;
    for (let y = 0; y < H; y += 4) for (let x = 0; x < W; x += 4) sat += Math.hypot(...chroma(frames[12], x, y));
    assert.ok(sat / ((W / 4) * (H / 4)) > 3, `mean chroma ${(sat / ((W / 4) * (H / 4))).toFixed(1)}`);
    assert.deepEqual(readdirSync(dir.dir).filter((f) => f.includes('partial')), [], 'no temporary file left');
    // The download is the same file, behind the token.
    assert.equal((await fetch(`http://127.0.0.1:${srv.port}/rendered`)).status, 401);
    const dl = await fetch(`http://127.0.0.1:${srv.port}/rendered?token=${srv.token}`);
    assert.equal(dl.status, 200);
    assert.equal((await dl.arrayBuffer()).byteLength, probeSize(out));
    assert.equal(await page.locator('#rendered').getAttribute('aria-disabled'), 'false');
    // A second render refuses to replace the file unless asked, and says how.
    await page.click('#render');
    await page.waitForFunction(() => /render failed: .*exists/.test(document.getElementById('result')!.textContent ?? ''), null, { timeout: 30_000 });
    assert.match(await page.locator('#result').textContent() ?? '', /replace an existing file/);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await srv.close();
    dir.cleanup();
  }
});

function probeSize(path: string): number {
  return Number(execFileSync('stat', ['-c', '%s', path]).toString());
}

test('editor page in Chromium: a film of three real shots: the strip shows three and their setups, jumps, 16:9 at its own ratio; cancel leaves no file', { skip: (!HAS_CHROMIUM && 'no /usr/bin/chromium') || (!HAS_CLIPS && `no clips in ${CLIPS}`) }, async () => {
  browser = await launchChromium();
  const dir = tempDir('chroma-editor-shots-');
  const film = writeCutFilm(join(dir.dir, 'cut.mkv'));
  const srv = await startEditor(film, dir.dir);
  const problems: string[] = [];
  try {
    const page = await openPage(browser, srv, problems);
    assert.equal(await page.locator('#shots button').count(), CUT_FROM.length);
    // Every thumbnail loads (behind the token, like everything else).
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#shots img')).every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0), null, { timeout: 20_000 });
    assert.equal((await fetch(`http://127.0.0.1:${srv.port}/shot.jpg?shot=0`)).status, 401);
    // 16:9 on the canvas: its pixels and its box, no band.
    const dims = await page.evaluate(() => { const c = document.getElementById('view') as HTMLCanvasElement; return [c.width, c.height]; });
    assert.deepEqual(dims, [320, 180]);
    const box = (await page.locator('#view').boundingBox())!;
    assert.ok(Math.abs(box.width / box.height - 16 / 9) < 0.01, `canvas box ${box.width}x${box.height}`);
    // Jump to the third shot: its first frame is shown and its button marked.
    const n = await shownCount(page);
    await page.locator('#shots button').nth(2).click();
    await page.waitForFunction((k) => (window as unknown as Ed).chromaEditor.shown > k && (window as unknown as Ed).chromaEditor.frame === 50, n, { timeout: 20_000 });
    assert.match(await page.locator('#shots button').nth(2).getAttribute('class') ?? '', /here/);
    // Shots 1 and 3 are one camera setup (the same bar colour and label), shot 2 another.
    const marks = await page.locator('#shots button').evaluateAll((bs) => bs.map((b) => [(b as HTMLElement).style.getPropertyValue('--setup'), b.textContent]));
    assert.equal(marks[0][0], marks[2][0], JSON.stringify(marks));
    assert.notEqual(marks[0][0], marks[1][0], JSON.stringify(marks));
    assert.deepEqual(marks.map((m) => m[1]), ['1 · setup 1', '2 · setup 2', '3 · setup 1']);
    // On shot 3 "every shot of this setup" can be chosen; a hint placed with it reaches shots 1 and 3.
    const setupOption = () => page.locator('#until option[value="setup"]').evaluate((o) => [(o as HTMLOptionElement).disabled, (o as HTMLOptionElement).title] as const);
    const [off3, why3] = await setupOption();
    assert.equal(off3, false, why3);
    await page.locator('#until').selectOption('setup');
    const vb = (await page.locator('#view').boundingBox())!;
    await page.mouse.click(vb.x + (40 * vb.width) / 320, vb.y + (40 * vb.height) / 180);
    await page.waitForFunction(() => document.querySelectorAll('#hints li').length === 1, null, { timeout: 20_000 });
    await until('the setup hint tracked', () => srv.session.untracked === 0 && !srv.session.busy, 60_000);
    await page.waitForFunction(() => /shots 1, 3/.test(document.querySelector('#hints li .what')?.textContent ?? ''), null, { timeout: 20_000 });
    assert.equal(await page.locator('#hints li select.scope').inputValue(), 'setup');
    assert.deepEqual(srv.session.view(50)[0].shots, [0, 2]);
    // The hint is drawn on shot 1 too (re-found there), not on shot 2.
    assert.ok(Array.from({ length: 25 }, (_, f) => srv.session.view(f)[0].at).some((at) => at !== null), 'the setup hint on shot 1');
    assert.equal(srv.session.view(30)[0].at, null);
    // A setup hint on a shot alone in its setup is refused with one line, and nothing changes.
    assert.throws(() => srv.session.edit({ type: 'add', frame: 30, x: 10, y: 10, color: '#ff0000', until: 'setup' }), /no other shot of the film shows the camera setup of shot 2/);
    assert.equal(srv.session.hintsFile().hints.length, 1);
    const n2 = await shownCount(page);
    await page.locator('#shots button').nth(1).click();
    await page.waitForFunction((k) => (window as unknown as Ed).chromaEditor.shown > k && (window as unknown as Ed).chromaEditor.frame === 25, n2, { timeout: 20_000 });
    const [off2, why2] = await setupOption();
    assert.equal(off2, true);
    assert.match(why2, /setup has no other shot|needs setup hints/);
    assert.match(await page.locator('#until-why').textContent() ?? '', /every shot of this setup: /);
    // Render, cancel as soon as frames are being written: nothing under the output name, no temporary.
    const out = join(dir.dir, 'film-colour.mp4');
    await page.click('#render');
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.render?.state === 'colour', null, { timeout: 60_000 });
    assert.equal(await page.locator('#render').isDisabled(), true);
    assert.match(await page.locator('#render').getAttribute('title') ?? '', /a render is running/);
    await page.click('#cancel');
    await page.waitForFunction(() => (window as unknown as Ed).chromaEditor.render?.state === 'cancelled', null, { timeout: 30_000 });
    assert.ok(!existsSync(out), 'cancel left a file under the output name');
    assert.deepEqual(readdirSync(dir.dir).filter((f) => f.includes('partial')), [], 'cancel left a temporary file');
    assert.equal(await page.locator('#render').isDisabled(), false);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await srv.close();
    dir.cleanup();
  }
});
