#!/usr/bin/env python3
"""Load run for `digits serve`: the figures in the README's serve section come from this script.

  python3 tools/serve_load.py --digits "dotnet src/Digits.Cli/bin/Release/net10.0/digits.dll" --model m.safetensors

Starts the server, then:
  1. load: wrk (apt-get install wrk) posts a digit PNG with --connections clients for --seconds while --idle silent
     TCP connections are held open (reopened when the server closes them) and --slow uploads trickle at 10 bytes/s;
     a probe posts the same PNG once a second on a fresh connection and records whether and how fast it is answered;
  2. large images: six 16384x4000 PNGs one after another, then two at once;
  3. uploads: --rounds rounds of eight 16 MB bodies at once;
  4. stop: SIGINT, and the exit code.
It prints requests, throughput, p50/p99 latency, errors, the probe's answers and the server's resident memory
(VmRSS; VmHWM for the peak, from /proc) before and after each phase. Python standard library and wrk only.
"""
import argparse, http.client, os, re, shlex, signal, socket, struct, subprocess, sys, tempfile, threading, time, zlib


def rss(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024  # MB
    return -1


def large_png(width, height):
    """White 8-bit gray with a black bar (a "1"), compressed row by row (about 70 KB for 16384x4000)."""
    z = zlib.compressobj(9)
    white = b"\0" + b"\xff" * width
    bar0, bar1 = 1 + width * 49 // 100, 1 + width * 49 // 100 + width // 50
    barred = white[:bar0] + b"\0" * (bar1 - bar0) + white[bar1:]
    data = b"".join(z.compress(barred if height // 5 <= y < height * 4 // 5 else white) for y in range(height)) + z.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def post(port, body, timeout=120):
    start = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", "/predict", body=body, headers={"Content-Type": "image/png"})
        r = c.getresponse()
        text = r.read().decode(errors="replace")
        return r.status, time.time() - start, text
    finally:
        c.close()


class Hostile:
    """Idle connections and slow uploads, each reopened when the server closes it."""

    def __init__(self, port, idle, slow):
        self.port, self.stop, self.closed_idle, self.closed_slow = port, threading.Event(), 0, 0
        self.threads = [threading.Thread(target=self.idle_one, daemon=True) for _ in range(idle)]
        self.threads += [threading.Thread(target=self.slow_one, daemon=True) for _ in range(slow)]
        for t in self.threads:
            t.start()

    def idle_one(self):
        while not self.stop.is_set():
            try:
                s = socket.create_connection(("127.0.0.1", self.port))
                s.settimeout(0.5)
                while not self.stop.is_set():
                    try:
                        if s.recv(4096) == b"":
                            self.closed_idle += 1
                            break
                    except socket.timeout:
                        pass
                s.close()
            except OSError:
                time.sleep(0.2)

    def slow_one(self):
        while not self.stop.is_set():
            try:
                s = socket.create_connection(("127.0.0.1", self.port))
                s.sendall(f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Length: 100000\r\n\r\n".encode())
                while not self.stop.is_set():
                    s.sendall(b"x")
                    time.sleep(0.1)
            except OSError:
                self.closed_slow += 1
                time.sleep(0.2)

    def end(self):
        self.stop.set()
        for t in self.threads:
            t.join(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--digits", default="dotnet src/Digits.Cli/bin/Release/net10.0/digits.dll")
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", default="tests/Digits.Tests/Fixtures/fonts/7_DejaVu-Sans.png")
    ap.add_argument("--port", type=int, default=5199)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--idle", type=int, default=300)
    ap.add_argument("--slow", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=8, help="rounds of eight 16 MB uploads")
    a = ap.parse_args()

    server = subprocess.Popen(shlex.split(a.digits) + ["serve", "--model", a.model, "--port", str(a.port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    print("server:", server.stdout.readline().strip())
    pid, port, small = server.pid, a.port, open(a.image, "rb").read()
    for _ in range(20):
        post(port, small)
    print(f"resident after 20 warm-up requests: {rss(pid)} MB")

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(f'wrk.method = "POST"\nlocal f = io.open("{os.path.abspath(a.image)}", "rb")\n'
                  'wrk.body = f:read("*all")\nf:close()\nwrk.headers["Content-Type"] = "image/png"\n')
    before = rss(pid)
    hostile = Hostile(port, a.idle, a.slow)
    time.sleep(2)
    probes, probing = [], threading.Event()

    def probe():
        while not probing.is_set():
            try:
                status, seconds, _ = post(port, small, timeout=10)
                probes.append((status, seconds))
            except OSError as e:
                probes.append((type(e).__name__, None))
            time.sleep(1)
    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    wrk = subprocess.run(["wrk", "-t2", f"-c{a.connections}", f"-d{a.seconds}s", "--latency", "-s", lua.name,
                          f"http://127.0.0.1:{port}/predict"], capture_output=True, text=True)
    probing.set()
    prober.join(15)
    hostile.end()
    os.unlink(lua.name)
    print(f"\n== load: wrk {a.connections} connections for {a.seconds} s, with {a.idle} idle connections and "
          f"{a.slow} uploads at 10 B/s held open ==")
    print(wrk.stdout.strip())
    answered = [s for s, t in probes if s == 200]
    times = sorted(t for s, t in probes if s == 200)
    print(f"probe (a fresh connection once a second): {len(answered)}/{len(probes)} answered 200"
          + (f", slowest {times[-1]:.2f} s, median {times[len(times) // 2]:.3f} s" if times else "")
          + f"; others: {[s for s, _ in probes if s != 200]}")
    print(f"connections the server closed: {hostile.closed_idle} idle, {hostile.closed_slow} slow uploads")
    print(f"resident: {before} MB before, {rss(pid)} MB after")

    big = large_png(16384, 4000)
    print(f"\n== large images: 16384x4000 PNG, {len(big)} bytes ==")
    before = rss(pid)
    for i in range(6):
        status, seconds, text = post(port, big)
        print(f"  {i + 1}: {status} in {seconds:.2f} s, {re.sub(',.field.*', '', text)[:60]}, resident {rss(pid)} MB")
    pair = [None, None]
    ts = [threading.Thread(target=lambda k=k: pair.__setitem__(k, post(port, big))) for k in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"  two at once: {[p[0] for p in pair]} in {max(p[1] for p in pair):.2f} s, resident {rss(pid)} MB")
    time.sleep(20)
    print(f"resident: {before} MB before, {rss(pid)} MB 20 s after, peak {rss(pid, 'VmHWM')} MB")

    noise = b"x" + os.urandom(16 * 1024 * 1024 - 2)  # as large as allowed, and no image format starts with "x"
    print(f"\n== uploads: {a.rounds} rounds of eight {len(noise)}-byte bodies at once (refused after reading: not images) ==")
    before = rss(pid)
    for _ in range(a.rounds):
        statuses = [None] * 8
        ts = [threading.Thread(target=lambda k=k: statuses.__setitem__(k, post(port, noise)[0])) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print(f"  {statuses}, resident {rss(pid)} MB")
    time.sleep(20)
    print(f"resident: {before} MB before, {rss(pid)} MB 20 s after, peak {rss(pid, 'VmHWM')} MB")

    server.send_signal(signal.SIGINT)
    code = server.wait(30)
    print(f"\nSIGINT: exit code {code}; stderr: {server.stderr.read().strip()!r}")


if __name__ == "__main__":
    main()
