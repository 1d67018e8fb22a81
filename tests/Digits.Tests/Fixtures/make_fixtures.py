#!/usr/bin/env python3
"""Regenerates the image fixtures from real MNIST test digits with ImageMagick 6 (Debian: apt-get install -y
imagemagick). Run from this folder: DIGITS_DATA=/path/to/data python3 make_fixtures.py

redrawn/  40 MNIST test digits (the first 4 of each class), each re-drawn twice the way a user's picture might
          be: black on white, 200-odd pixels, off-center, thicker or thinner strokes, as PNG of several colour
          types (palette, RGB, RGBA, 16-bit gray, 1-bit, interlaced) and as PGM/PBM. labels.csv: file, label,
          MNIST test index (the original, to compare the model on).
fonts/    the digits 0-9 typed in three fonts, black on white 200x200 PNG. Labels: the first character.
kat/      one digit as an 8-bit PGM reference and as PNGs of every colour type, bit depth, filter type and
          interlacing, each of which must decode to the reference's pixels.
"""
import gzip, os, subprocess, sys

data = os.environ.get("DIGITS_DATA") or sys.exit("make_fixtures.py: set DIGITS_DATA to the folder holding mnist/")
with gzip.open(os.path.join(data, "mnist", "t10k-images-idx3-ubyte.gz")) as f:
    images = f.read()[16:]
with gzip.open(os.path.join(data, "mnist", "t10k-labels-idx1-ubyte.gz")) as f:
    labels = f.read()[8:]

def im(*args):
    subprocess.run(["convert", *args], check=True)

def write_pgm(path, index):
    with open(path, "wb") as f:
        f.write(b"P5\n28 28\n255\n" + images[index * 784:(index + 1) * 784])

# (suffix, ImageMagick options applied to the white-on-black 28x28 original, output prefix)
variants = [
    ("rgb.png", ["-negate", "-filter", "Triangle", "-resize", "200x200", "-type", "TrueColor"], "PNG24:"),
    ("offcenter.png", ["-negate", "-resize", "120x120", "-background", "white", "-gravity", "NorthWest",
                       "-extent", "200x200"], "PNG8:"),
    ("thick.png", ["-morphology", "Dilate", "Disk:1", "-negate", "-resize", "100x100", "-depth", "16"], "PNG:"),
    ("thin.png", ["-resize", "112x112", "-morphology", "Erode", "Disk:2", "-negate", "-transparent", "white"], "PNG32:"),
    ("bilevel.png", ["-negate", "-resize", "200x200", "-threshold", "50%", "-type", "Bilevel"], "PNG:"),
    ("p5.pgm", ["-negate", "-resize", "60x60", "-gravity", "SouthEast", "-background", "white",
                "-extent", "80x70"], "PGM:"),
    ("p4.pbm", ["-negate", "-resize", "200x200", "-threshold", "50%"], "PBM:"),
    ("p2.pgm", ["-negate", "-resize", "56x56", "-compress", "none"], "PGM:"),
    ("interlaced.png", ["-negate", "-resize", "90x90", "-interlace", "PNG"], "PNG:"),
    ("graybg.png", ["-negate", "-resize", "100x100", "+level", "20%,85%", "-gravity", "East", "-background",
                    "gray85", "-extent", "140x110"], "PNG:"),
]

os.makedirs("redrawn", exist_ok=True)
rows = ["file,label,mnist_test_index"]
picked = []
for digit in range(10):
    picked += [i for i in range(len(labels)) if labels[i] == digit][:4]
tmp = "/tmp/digits-fixture.pgm"
for n, index in enumerate(sorted(picked)):
    write_pgm(tmp, index)
    for v in (2 * n % len(variants), (2 * n + 1) % len(variants)):
        suffix, options, prefix = variants[v]
        name = f"redrawn/{index:04d}_{suffix}"
        im(tmp, *options, prefix + name)
        rows.append(f"{name},{labels[index]},{index}")
with open("redrawn/labels.csv", "w") as f:
    f.write("\n".join(rows) + "\n")

os.makedirs("fonts", exist_ok=True)
for font in ["DejaVu-Sans", "DejaVu-Serif-Bold", "Nimbus-Mono-PS-Regular"]:
    for digit in range(10):
        im("-size", "200x200", "xc:white", "-font", font, "-pointsize", "150", "-gravity", "center",
           "-annotate", "0", str(digit), "-type", "Grayscale", f"PNG8:fonts/{digit}_{font}.png")

os.makedirs("kat", exist_ok=True)
write_pgm(tmp, picked[7])
base = ["-negate", "-resize", "37x23!"]  # odd sizes exercise partial bytes and Adam7 passes
im(tmp, *base, "PGM:kat/reference.pgm")
kat = {
    "gray8": ["-type", "Grayscale", "-depth", "8", "PNG:"],
    "gray16": ["-type", "Grayscale", "-depth", "16", "PNG:"],
    "rgb8": ["-type", "TrueColor", "-depth", "8", "PNG24:"],
    "rgb16": ["-type", "TrueColor", "-depth", "16", "PNG48:"],
    "rgba8": ["-type", "TrueColorAlpha", "-depth", "8", "PNG32:"],
    "rgba16": ["-type", "TrueColorAlpha", "-depth", "16", "PNG64:"],
    # alpha 80 % everywhere: decodes to 0.8·gray + 0.2 (composited over white), checked by the tests
    "graya8": ["-alpha", "set", "-channel", "A", "-evaluate", "set", "80%", "+channel",
               "-define", "png:color-type=4", "-define", "png:bit-depth=8", "PNG:"],
    "graya16": ["-alpha", "set", "-channel", "A", "-evaluate", "set", "80%", "+channel",
                "-define", "png:color-type=4", "-define", "png:bit-depth=16", "PNG:"],
    "palette8": ["-type", "Palette", "PNG8:"],
    "interlaced": ["-interlace", "PNG", "-type", "Grayscale", "PNG:"],
}
# IM6 cannot force one filter per file; adaptive filtering of this image uses all five (checked below).
kat["filters"] = ["-quality", "90", "-type", "TrueColor", "PNG24:"]
for name, options in kat.items():
    im(tmp, *base, *options[:-1], options[-1] + f"kat/{name}.png")
im(tmp, *base, "-threshold", "50%", "PGM:kat/bilevel.pgm")
for depth in (1, 2, 4):
    im("kat/bilevel.pgm", "-define", "png:color-type=0", "-define", f"png:bit-depth={depth}", f"PNG:kat/gray{depth}.png")
    im("kat/bilevel.pgm", "-type", "Palette", "-define", f"png:bit-depth={depth}", "-define", "png:color-type=3",
       f"PNG:kat/palette{depth}.png")
im("kat/bilevel.pgm", "PBM:kat/bilevel.pbm")
im("kat/bilevel.pgm", "-compress", "none", "PBM:kat/bilevel_plain.pbm")

def filters(path, width, channels):
    import struct, zlib
    d, p, idat = open(path, "rb").read(), 8, b""
    while p < len(d):
        n, = struct.unpack(">I", d[p:p + 4])
        idat += d[p + 8:p + 8 + n] if d[p + 4:p + 8] == b"IDAT" else b""
        p += 12 + n
    raw, row = zlib.decompress(idat), width * channels + 1
    return {raw[k] for k in range(0, len(raw), row)}
assert filters("kat/filters.png", 37, 3) == {0, 1, 2, 3, 4}, "kat/filters.png no longer uses every filter type"
print("done", file=sys.stderr)
