#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""Second, deliberately naive implementation of pattern/PATTERN.rst.

Written from the specification alone, pixel by pixel and byte by byte, to
show that the text is enough to reimplement the card's frame content, and to
cross-check the C implementation through the raw frames that
``daqcap-pattern --raw`` writes.

Usage:
  pattern-ref.py --check FILE.raw [--input N] [--pattern P] [--format F]
                 [--size WxH] [--sequence N] [--crop LEFT,TOP,WxH]
      compare a raw frame (rows back to back, no padding: the lines, or for
      NV12 and NV16 the luma rows then the chroma rows), or a window of it,
      with this model; exit 0 if it matches, 1 with the first difference
      otherwise
  pattern-ref.py --tables
      print the reference tables of PATTERN.rst
"""

import argparse
import sys

FORMATS = {  # code: (name, fourcc, bytes per pixel of each row)
    0: ("YUYV", "YUYV", 2),
    1: ("UYVY", "UYVY", 2),
    2: ("RGB24", "RGB3", 3),
    3: ("BGR24", "BGR3", 3),
    4: ("XBGR32", "XR24", 4),
    5: ("GREY", "GREY", 1),
    6: ("Y16", "Y16 ", 2),
    7: ("NV12", "NV12", 1),
    8: ("NV16", "NV16", 1),
}
NV12, NV16 = 7, 8
PAIRS = (0, 1, NV12, NV16)  # formats whose width must be even
BARS, VERIFY = 0, 1
M32 = 0xFFFFFFFF

FONT = {  # rows top to bottom, '#' = glyph pixel
    "0": [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
    "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    "3": ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
    "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    "6": ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
    "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    "9": [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
    " ": ["....."] * 7,
}

BAR_COLOURS = [(191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0),
               (191, 0, 191), (191, 0, 0), (0, 0, 191), (0, 0, 0)]
BAR_NAMES = ["white", "yellow", "cyan", "green", "magenta", "red", "blue",
             "black"]


def line_bytes(fmt, width):
    """Bytes of every row of a frame (PATTERN.rst calls it L)."""
    if fmt not in FORMATS or width == 0:
        return 0
    if fmt in PAIRS and width % 2:
        return 0
    return width * FORMATS[fmt][2]


def rows(fmt, height):
    """Rows of a frame in memory: its lines, or NV12's and NV16's luma rows
    followed by their chroma rows."""
    if fmt not in FORMATS or height == 0:
        return 0
    if fmt == NV12:
        return 0 if height % 2 else height + height // 2
    if fmt == NV16:
        return 2 * height
    return height


def seed(inp, seq, line):
    h = ((inp * 0x9E3779B1) ^ (seq * 0x85EBCA77) ^ (line * 0xC2B2AE3D)) & M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def verify_line(inp, seq, line, n):
    s = seed(inp, seq, line)
    return bytes(((s + (o // 4) * 0x9E3779B9) & M32) >> (8 * (o % 4)) & 0xFF
                 for o in range(n))


def clamp(v):
    return max(0, min(255, v))


def ycbcr(r, g, b):
    # Python's >> on a negative int is floor division, as the spec says.
    y = clamp(((47 * r + 157 * g + 16 * b + 128) >> 8) + 16)
    cb = clamp(((-26 * r - 87 * g + 112 * b + 128) >> 8) + 128)
    cr = clamp(((112 * r - 102 * g - 10 * b + 128) >> 8) + 128)
    return y, cb, cr


def yfull(r, g, b):
    return (54 * r + 183 * g + 19 * b + 128) >> 8


def text_of(inp, seq):
    return "%d %08d" % (inp, seq)


def bars_pixels(width, height, inp, seq, line):
    """Colours of one BARS line: (r, g, b, v16 or None) per pixel, where v16
    is set only for pixels that show the grey ramp."""
    px = []
    ramp = line >= height - height // 8
    for x in range(width):
        if ramp:
            v16 = x * 65535 // (width - 1) if width > 1 else 0
            px.append([v16 >> 8, v16 >> 8, v16 >> 8, v16])
        else:
            b = next(b for b in range(8)
                     if b * width // 8 <= x < (b + 1) * width // 8)
            px.append(list(BAR_COLOURS[b]) + [None])
    # Box
    s = min(max(8, height // 8), width, height)
    top = (height - s) // 2
    r = width - s
    if r == 0:
        bx = 0
    else:
        p = (seq * max(1, width // 128)) % (2 * r)
        bx = p if p <= r else 2 * r - p
    if top <= line < top + s:
        for x in range(bx, min(bx + s, width)):
            px[x] = [255, 255, 255, None]
    # Text rectangle, then glyphs
    k = max(1, height // 120)
    t = text_of(inp, seq)
    n = len(t)
    if k <= line < 10 * k:
        for x in range(k, min((6 * n + 2) * k, width)):
            px[x] = [0, 0, 0, None]
    if 2 * k <= line < 9 * k:
        row = (line - 2 * k) // k
        for i, ch in enumerate(t):
            for c in range(5):
                if FONT[ch][row][c] == "#":
                    x0 = 2 * k + 6 * k * i + c * k
                    for x in range(x0, min(x0 + k, width)):
                        px[x] = [255, 255, 255, None]
    return px


def encode(fmt, px):
    out = bytearray()
    if fmt in (0, 1):
        for x in range(0, len(px), 2):
            y0 = ycbcr(*px[x][:3])
            y1 = ycbcr(*px[x + 1][:3])
            if fmt == 0:
                out += bytes([y0[0], y0[1], y1[0], y0[2]])
            else:
                out += bytes([y0[1], y0[0], y0[2], y1[0]])
        return bytes(out)
    for r, g, b, v16 in px:
        if fmt == 2:
            out += bytes([r, g, b])
        elif fmt == 3:
            out += bytes([b, g, r])
        elif fmt == 4:
            out += bytes([b, g, r, 0xFF])
        elif fmt == 5:
            out.append(yfull(r, g, b))
        elif fmt == 6:
            v = v16 if v16 is not None else yfull(r, g, b) * 257
            out += bytes([v & 0xFF, v >> 8])
    return bytes(out)


def encode_nv(px, chroma):
    """An NV12 or NV16 row: Y of each pixel (luma row), or Cb Cr of each
    pair's even pixel (chroma row)."""
    out = bytearray()
    for x in range(0, len(px), 2):
        y0 = ycbcr(*px[x][:3])
        y1 = ycbcr(*px[x + 1][:3])
        out += bytes([y0[1], y0[2]] if chroma else [y0[0], y1[0]])
    return bytes(out)


def render_row(inp, pattern, fmt, width, height, seq, row, left=0, cw=None):
    """Row `row` of the whole frame (line `row` for one-plane formats), or
    only the bytes of its pixels [left, left + cw)."""
    cw = width if cw is None else cw
    n = line_bytes(fmt, cw)
    if n == 0:
        return b""
    if pattern == VERIFY:
        # Seeded by the row number; words counted from the row's byte 0.
        o = left * FORMATS[fmt][2]
        return verify_line(inp, seq, row, o + n)[o:]
    if pattern != BARS:
        return bytes(n)
    if fmt in (NV12, NV16):
        chroma = row >= height
        line = row
        if chroma:
            line = row - height
            if fmt == NV12:
                line *= 2  # chroma of the upper line of each pair
        px = bars_pixels(width, height, inp, seq, line)
        return encode_nv(px[left:left + cw], chroma)
    return encode(fmt, bars_pixels(width, height, inp, seq, row)[left:left + cw])


def window_row(inp, pattern, fmt, width, height, seq, crop, wy):
    """Row `wy` of window `crop` (left, top, cw, ch): a slice of a row of
    the whole frame (PATTERN.rst "Windows (crop)"), zeros if the window is
    invalid."""
    left, top, cw, ch = crop
    lw = line_bytes(fmt, cw)
    if (left % 2 or left + cw > width or top + ch > height or
            (fmt == NV12 and (top % 2 or ch % 2))):
        return bytes(lw)
    if fmt in (NV12, NV16) and wy >= ch:
        fr = height + (top // 2 if fmt == NV12 else top) + (wy - ch)
    else:
        fr = top + wy
    return render_row(inp, pattern, fmt, width, height, seq, fr, left, cw)


def colour_bytes(fmt, rgb):
    px = [list(rgb) + [None]] * (2 if fmt in (0, 1) else 1)
    return encode(fmt, px)


def tables():
    print("Bar colours (and the box and text colours) in every format:\n")
    print("%-8s %-13s %s  %s" % ("colour", "R,G,B",
                                 "  ".join("%-11s" % FORMATS[f][0]
                                           for f in range(7)),
                                 "NV12/NV16 Y, Cb Cr"))
    extra = [("box/text", (255, 255, 255)), ("textbg", (0, 0, 0))]
    for name, rgb in list(zip(BAR_NAMES, BAR_COLOURS)) + extra:
        px = [list(rgb) + [None]] * 2
        print("%-8s %-13s %s  %02x, %s" % (name, "%d,%d,%d" % rgb, "  ".join(
            "%-11s" % colour_bytes(f, rgb).hex(" ") for f in range(7)),
            encode_nv(px, False)[0], encode_nv(px, True).hex(" ")))
    print("\nVERIFY seeds:")
    for inp, seq, line in [(0, 0, 0), (0, 0, 1), (1, 0, 0), (0, 1, 0),
                           (3, 12345, 1079), (15, 0xFFFFFFFF, 4095)]:
        s = seed(inp, seq, line)
        print("input %2d sequence %10d line %4d: seed 0x%08x, bytes %s" %
              (inp, seq, line, s, verify_line(inp, seq, line, 10).hex(" ")))
    print("NV12 1920x1080, input 0, sequence 0, row 1080 (first chroma row): "
          "seed 0x%08x, bytes %s" % (seed(0, 0, 1080),
                                    verify_line(0, 0, 1080, 10).hex(" ")))
    print("\nRamp grey g -> bytes (g = v16 >> 8):")
    for v16 in (0, 0x7FFF, 0x8080, 0xFFFF):
        g = v16 >> 8
        print("v16 0x%04x:" % v16, "  ".join(
            "%s %s" % (FORMATS[f][0], encode(f, [[g, g, g, v16]] *
                                              (2 if f in (0, 1) else 1))
                       .hex(" ")) for f in range(7)))


def parse_int(s):
    return int(s, 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", type=parse_int, default=0)
    ap.add_argument("--pattern", default="bars")
    ap.add_argument("--format", default="YUYV")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--sequence", type=parse_int, default=0)
    ap.add_argument("--crop", metavar="LEFT,TOP,WxH",
                    help="the frame is this window of the whole frame")
    ap.add_argument("--check", metavar="FILE.raw")
    ap.add_argument("--tables", action="store_true")
    a = ap.parse_args()
    if a.tables:
        tables()
        return 0
    if not a.check:
        ap.error("nothing to do: give --check FILE.raw or --tables")
    pattern = {"bars": BARS, "verify": VERIFY}[a.pattern.lower()]
    fmt = next(f for f, v in FORMATS.items()
               if a.format.upper().strip() in (v[0], v[1].strip()))
    width, height = (int(v) for v in a.size.lower().split("x"))
    crop = (0, 0, width, height)
    if a.crop:
        left, top, size = a.crop.lower().split(",")
        crop = (int(left), int(top)) + tuple(int(v) for v in size.split("x"))
    data = open(a.check, "rb").read()
    n = line_bytes(fmt, crop[2])
    nrows = rows(fmt, crop[3])
    if len(data) != n * nrows:
        print("%s: %d bytes, expected %d" % (a.check, len(data), n * nrows))
        return 1
    for row in range(nrows):
        want = window_row(a.input, pattern, fmt, width, height, a.sequence,
                          crop, row)
        got = data[row * n:(row + 1) * n]
        if got != want:
            o = next(i for i in range(n) if got[i] != want[i])
            print("%s: row %d byte %d: got 0x%02x, expected 0x%02x" %
                  (a.check, row, o, got[o], want[o]))
            return 1
    print("%s: %dx%d%s %s %s input %d sequence %d: all %d rows match" %
          (a.check, width, height,
           " window %dx%d at (%d, %d)" % (crop[2], crop[3], crop[0], crop[1])
           if a.crop else "", FORMATS[fmt][0], a.pattern, a.input,
           a.sequence, nrows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
