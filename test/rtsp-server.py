#!/usr/bin/env python3
"""A real RTSP camera for the tests and the live benchmark (GStreamer's gst-rtsp-server).

Serves a synthetic gray H.264 stream (RTP over UDP or TCP, whichever the client asks for) on a
loopback port. Every frame carries its wall-clock capture time in a barcode along its top rows
(40 blocks: the low 32 bits of epoch milliseconds, then an 8-bit checksum), so a viewer can
measure latency from the source itself, not from some point inside the server under test. The
barcode is black and white, which colorization keeps (it only adds chroma).

Prints one JSON line on stdout when listening: {"port": N, "url": "rtsp://127.0.0.1:N/path"}.
Runs until killed.

  rtsp-server.py [--port 0] [--path /cam] [--size 640x480] [--fps 15]
                 [--user U --password P [--auth basic|digest]]
                 [--resize-after SECONDS --resize-to WxH]
"""
import argparse
import json
import sys
import threading
import time

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

BITS = 40
STRIPE_ROWS = 16
ONE, ZERO = 235, 16


def size(text):
    w, h = text.lower().split('x')
    return int(w), int(h)


def barcode_row(width, ms):
    """One row of the stripe: 32 bits of ms, 8 bits of checksum (sum of its bytes), MSB first."""
    low = ms & 0xFFFFFFFF
    check = sum(low.to_bytes(4, 'big')) & 0xFF
    value = (low << 8) | check
    block = width // BITS
    row = bytearray(width)
    for i in range(BITS):
        bit = (value >> (BITS - 1 - i)) & 1
        row[i * block:(i + 1) * block] = bytes([ONE if bit else ZERO]) * block
    return bytes(row)


class Frames:
    """I420 frames: a scrolling gray pattern (so frames differ) under the barcode stripe."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        ys = bytearray()
        for y in range(2 * height):
            ys += bytes(((x * 255) // max(1, width - 1) + y * 3) % 256 for x in range(width))
        self.pattern = bytes(ys)
        self.chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)

    def frame(self, n, ms):
        w, h = self.width, self.height
        off = (n * 4 % h) * w
        body = self.pattern[off + STRIPE_ROWS * w:off + h * w]
        return barcode_row(w, ms) * STRIPE_ROWS + body + self.chroma


class Feeder:
    """Pushes frames into the shared media's appsrc at the frame rate, on wall-clock deadlines."""

    def __init__(self, args):
        self.args = args
        self.appsrc = None
        self.lock = threading.Lock()
        threading.Thread(target=self.run, daemon=True).start()

    def attach(self, appsrc):
        with self.lock:
            self.appsrc = appsrc
            self.started = time.monotonic()
            self.current = None

    def caps(self, w, h):
        fps = self.args.fps
        return Gst.Caps.from_string(f'video/x-raw,format=I420,width={w},height={h},framerate={fps}/1')

    def run(self):
        period = 1.0 / self.args.fps
        n = 0
        frames = {}
        next_at = time.monotonic()
        while True:
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()  # fell behind (loaded machine): skip, do not burst
            with self.lock:
                src = self.appsrc
                if src is None:
                    continue
                want = self.args.size
                if self.args.resize_after is not None and time.monotonic() - self.started >= self.args.resize_after:
                    want = self.args.resize_to
                if want != self.current:
                    src.set_property('caps', self.caps(*want))
                    self.current = want
            if want not in frames:
                frames[want] = Frames(*want)
            data = frames[want].frame(n, int(time.time() * 1000))
            n += 1
            buf = Gst.Buffer.new_wrapped(data)
            if src.emit('push-buffer', buf) != Gst.FlowReturn.OK:
                with self.lock:
                    if self.appsrc is src:
                        self.appsrc = None


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--path', default='/cam')
    p.add_argument('--size', type=size, default=(640, 480))
    p.add_argument('--fps', type=int, default=15)
    p.add_argument('--user')
    p.add_argument('--password')
    p.add_argument('--auth', choices=['basic', 'digest'], default='basic')
    p.add_argument('--resize-after', type=float)
    p.add_argument('--resize-to', type=size, default=(320, 240))
    args = p.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        '( appsrc name=src is-live=true format=time do-timestamp=true '
        '! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=1500 '
        '! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )')
    factory.set_shared(True)
    feeder = Feeder(args)

    def configure(_factory, media):
        appsrc = media.get_element().get_child_by_name('src')
        appsrc.set_property('caps', feeder.caps(*args.size))
        feeder.attach(appsrc)

    factory.connect('media-configure', configure)

    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'user')
        if args.auth == 'digest':
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password or '', token)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ''), token)
        server.set_auth(auth)
        factory.add_role_from_structure(Gst.Structure.from_string(
            'user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true')[0])

    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f'cannot listen on 127.0.0.1:{args.port}', file=sys.stderr)
        sys.exit(1)
    port = server.get_bound_port()
    print(json.dumps({'port': port, 'url': f'rtsp://127.0.0.1:{port}{args.path}'}), flush=True)
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
