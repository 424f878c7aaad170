#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks of what the user-space tools got from a daqcap node.

  check.py raw FILE FOURCC WxH FRAMES REF INPUT
      FILE holds FRAMES frames (v4l2-ctl --stream-to, lines back to back,
      no padding); every line of every frame that does not depend on the
      frame sequence (all but the frame-number rows and the moving box's
      rows, pattern/PATTERN.rst) must equal REF (daqcap-pattern --raw).
  check.py image FILE WxH [TOL]
      FILE (PNG, any colour image OpenCV reads) is WxH and shows the BARS;
      with TOL, each component within TOL of exactly 0 or 191.
  check.py opencv DEVICE,WxH,FRAMES[,FOURCC]...
      For each: cv2.VideoCapture(DEVICE, cv2.CAP_V4L2), FOURCC set if given,
      reads FRAMES frames of shape (H, W, 3) and the last one shows the
      BARS. Prints one "ok - ..." or "not ok - ..." line per check, then
      its diagnostics as "#   ..." lines; exit status 0 if every check
      passed, 1 if one failed. A crash or a kill ends it without a line
      for the checks left, and with another status: tests/tools/run
      counts that as a failure of its own.

Otherwise exit status 0 if the check passes; diagnostics on standard output.
"""

import sys

import numpy as np

# 75 % bars, left to right (pattern/PATTERN.rst): R, G, B, each 0 or 191.
BARS = [
    ('white', (1, 1, 1)), ('yellow', (1, 1, 0)), ('cyan', (0, 1, 1)),
    ('green', (0, 1, 0)), ('magenta', (1, 0, 1)), ('red', (1, 0, 0)),
    ('blue', (0, 0, 1)), ('black', (0, 0, 0)),
]
BPP = {'YUYV': 2, 'UYVY': 2, 'RGB3': 3, 'BGR3': 3, 'XR24': 4, 'GREY': 1,
       'Y16 ': 2, 'Y16': 2}


def size(s):
    w, h = s.lower().split('x')
    return int(w), int(h)


def level(v):
    """0 or 1 for a component of a 75 % bar (0 or 191), None if neither.

    Generous: the tools convert YUV with BT.601 or BT.709 matrices, limited
    or full range, and 191 may come back anywhere from about 150 to 225.
    """
    if v <= 50:
        return 0
    if 140 <= v <= 240:
        return 1
    return None


def check_bars(rgb, what, say=print, tol=None):
    """rgb: H x W x 3 array in R, G, B order. With tol, every component
    must be within tol of its exact value (0 or 191): for tools that
    convert with the colorimetry the driver reports."""
    h, w = rgb.shape[:2]
    # A line in the bars, clear of the frame number (top h/12 lines) and
    # of the moving box (lines 7h/16 to 9h/16).
    y = h * 3 // 8
    got = []
    ok = True
    for b, (name, want) in enumerate(BARS):
        x0 = b * w // 8
        x1 = (b + 1) * w // 8
        xc = (x0 + x1) // 2
        r = max(1, (x1 - x0) // 8)
        patch = rgb[max(0, y - 2):y + 3, max(x0, xc - r):min(x1, xc + r)]
        c = tuple(int(v) for v in np.median(patch.reshape(-1, 3), axis=0))
        if tol is None:
            good = tuple(level(v) for v in c) == want
        else:
            good = all(abs(v - 191 * w) <= tol for v, w in zip(c, want))
        ok &= good
        got.append('%s=(%d,%d,%d)%s' % (name, *c, '' if good else '!'))
    say('%s: line %d, bar centres R,G,B: %s' % (what, y, ' '.join(got)))
    if not ok:
        say('%s: the bars are not white, yellow, cyan, green, magenta, red, '
            'blue, black with R,G,B in {0,191}%s' % (
                what, ' (within %s)' % tol if tol is not None else ''))
    return ok


def cmd_raw(path, fourcc, wh, frames, ref_path, inp):
    w, h = size(wh)
    frames = int(frames)
    bpl = w * BPP[fourcc]
    fsize = bpl * h
    data = np.fromfile(path, dtype=np.uint8)
    ref = np.fromfile(ref_path, dtype=np.uint8)
    if ref.size != fsize:
        print('reference %s has %d bytes, not %d' % (ref_path, ref.size, fsize))
        return False
    if data.size != frames * fsize:
        print('%s has %d bytes = %.2f frames of %d bytes, expected %d frames'
              % (path, data.size, data.size / fsize, fsize, frames))
        return False
    k = max(1, h // 120)
    s = min(max(8, h // 8), w, h)
    top = (h - s) // 2
    rows = list(range(10 * k, top)) + list(range(top + s, h))
    ref = ref.reshape(h, bpl)[rows]
    bad = 0
    for f in range(frames):
        got = data[f * fsize:(f + 1) * fsize].reshape(h, bpl)[rows]
        if not np.array_equal(got, ref):
            diff = np.argwhere(got != ref)[0]
            print('frame %d: line %d differs from the pattern at byte %d '
                  '(0x%02x, expected 0x%02x)' % (f, rows[diff[0]], diff[1],
                                                  got[tuple(diff)], ref[tuple(diff)]))
            bad += 1
    print('%d frames of %s %dx%d, input %s: %d of %d sequence-independent '
          'lines byte-exact in %d frames' % (frames, fourcc, w, h, inp, len(rows),
                                            h, frames - bad))
    return bad == 0


def cmd_image(path, wh, tol=None):
    import cv2
    w, h = size(wh)
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        print('OpenCV cannot read %s' % path)
        return False
    print('%s: %dx%d, %d channels' % (path.rsplit('/', 1)[-1], img.shape[1],
                                      img.shape[0], img.shape[2]))
    if img.shape[:2] != (h, w):
        print('expected %dx%d' % (w, h))
        return False
    return check_bars(img[:, :, ::-1], 'image', tol=None if tol is None else int(tol))


def cmd_opencv(*specs):
    """One result line per SPEC (DEV,WxH,FRAMES[,FOURCC]), in one process:
    importing cv2 takes seconds in the TCG guest."""
    all_ok = True
    for spec in specs:
        dev, wh, frames, *fourcc = spec.split(',')
        fourcc = fourcc[0] if fourcc else None
        w, h = size(wh)
        desc = '%s %s: OpenCV VideoCapture(CAP_V4L2), %s: %s frames (%d, %d, 3), bars' % (
            dev.rsplit('/', 1)[-1], wh, 'FOURCC ' + fourcc if fourcc else
            'its own choice of format', frames, h, w)
        try:
            out = []
            ok = opencv_one(dev, wh, frames, fourcc, out.append)
        except Exception as e:
            out.append('%s: %s' % (type(e).__name__, e))
            ok = False
        print('%s - %s' % ('ok' if ok else 'not ok', desc))
        for line in out:
            print('#   %s' % line)
        sys.stdout.flush()
        all_ok &= ok
    return all_ok


def opencv_one(dev, wh, frames, fourcc, say):
    import cv2
    w, h = size(wh)
    frames = int(frames)
    cap = cv2.VideoCapture(dev, cv2.CAP_V4L2)
    if not cap.isOpened():
        say('cv2.VideoCapture(%s, CAP_V4L2) did not open' % dev)
        return False
    if fourcc:
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*fourcc))
    fcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    fcc = ''.join(chr((fcc >> (8 * i)) & 0xff) for i in range(4))
    say('opened %s: backend %s, FOURCC %r, %dx%d, %.2f fps' % (
        dev, cap.getBackendName(), fcc, cap.get(cv2.CAP_PROP_FRAME_WIDTH),
        cap.get(cv2.CAP_PROP_FRAME_HEIGHT), cap.get(cv2.CAP_PROP_FPS)))
    frame = None
    for i in range(frames):
        ok, frame = cap.read()
        if not ok or frame is None:
            say('read() failed at frame %d' % i)
            return False
        if frame.shape != (h, w, 3):
            say('frame %d has shape %s, expected %s' % (i, frame.shape, (h, w, 3)))
            return False
    cap.release()
    say('read %d frames of shape %s' % (frames, frame.shape))
    return check_bars(frame[:, :, ::-1], 'last frame', say)


def main():
    cmds = {'raw': cmd_raw, 'image': cmd_image, 'opencv': cmd_opencv}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        return 2
    try:
        ok = cmds[sys.argv[1]](*sys.argv[2:])
    except Exception as e:  # report, do not crash the TAP stream
        print('%s: %s' % (type(e).__name__, e))
        ok = False
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
