#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Judge one v4l2-compliance run of ours against vivid's run of the same mode.

Usage: judge.py LABEL OUR_LOG VIVID_LOG
       judge.py --attribute-drops DIR

Prints TAP diagnostics ("# ...") and, last, one line "ok - LABEL: ..." or
"not ok - LABEL: ..." (tests/compliance/run numbers it). With
--attribute-drops, writes DIR/NAME.drops for every run listed in DIR/runs:
how many frames the card dropped during it (from the channel counters in
DIR/NAME.info) and why (QEMU's daqcap_drop trace in DIR/vm.stderr); the
judgement of OUR_LOG then shows that next to the sequence gaps the
application saw, and fails the run if the gaps are more than the card's
drops (frames lost between the card and the application).

The rule (bench notes): a failure or a warning of ours counts unless vivid,
on the same kernel with the same v4l2-compliance and the same options,
fails the same test. "The same test" is the section (without its
"(Input N)") and the test name; to be excused, every fail/warn message of
ours in that test must also have been printed, at the same source location
of v4l2-compliance, by vivid in its failing test. A warning that a
sequence number was skipped is a dropped frame: vivid never excuses it. It
is excused only when the card's own account of the run (DIR/NAME.drops)
has at least as many "emulation fell behind" drops as the application saw
frames missing: QEMU ran the card model late on a busy host, which no
driver can prevent. Any other gap counts. The account is of counts over
the run, not of sequence numbers: a frame the driver lost while the card
fell behind as often elsewhere in the same run would be excused too.

The run counts as clean only if v4l2-compliance reached its "Total" line(s)
and the fail and warn messages parsed here add up to its own totals.
"""

import os
import re
import sys

# Progress output ("\r\tVideo Capture: Frame #N") may precede a message or
# a test result on the same line, without a line break.
TEST_RE = re.compile(r'(?:^|\t)\s*test (.+?): (OK|FAIL)(?: \((.*)\))?\s*$')
MSG_RE = re.compile(r'(?:^|\t)\s*(fail|warn): ([^\s:]+\(\d+\)): (.*)$')
# -f: "test MMAP for Format YUYV, Frame Size ...:" heads a group of results
# such as "Stride 3840, Field None: OK".
GROUP_RE = re.compile(r'(?:^|\t)\s*test (.+):\s*$')
SUBTEST_RE = re.compile(r'^\s+(\S.*?): (OK|FAIL)(?: \((.*)\))?\s*$')
TOTAL_RE = re.compile(
    r'^(Grand Total|Total) for (.*?): (\d+), Succeeded: (\d+), '
    r'Failed: (\d+), Warnings: (\d+)')
SECTION_RE = re.compile(r'^(\S.*):$')
INPUT_RE = re.compile(r' \((Input|Output) \d+\)')
NEVER_EXCUSED = re.compile(r'got sequence number')
LATE_DROP = 'emulation fell behind'   # the model's reason, emulator/daqcap.c


class Run:
    def __init__(self, path):
        self.path = path
        self.tests = []         # dicts: key, result, msgs
        self.totals = []        # (kind, device, total, ok, failed, warnings)
        self.error = None
        try:
            with open(path, 'rb') as f:
                text = f.read().decode('utf-8', 'replace')
        except OSError as e:
            self.error = str(e)
            return
        section = ''
        group = None
        pending = []
        # Progress lines end in '\r' and share a line with what follows.
        for raw in text.split('\n'):
            for seg in raw.split('\r'):
                m = TOTAL_RE.match(seg.strip())
                if m:
                    self.totals.append((m.group(1), m.group(2),
                                        *map(int, m.groups()[2:])))
                    continue
                m = SECTION_RE.match(seg)
                if m and not seg.startswith('\t'):
                    section = INPUT_RE.sub('', m.group(1))
                    group = None
                    continue
                m = MSG_RE.search(seg)
                if m:
                    pending.append((m.group(1), m.group(2), m.group(3)))
                    continue
                m = TEST_RE.search(seg)
                if m:
                    group = None
                    self.tests.append({
                        'key': '%s: %s' % (section, m.group(1)),
                        'result': m.group(2),
                        'msgs': pending,
                    })
                    pending = []
                    continue
                m = GROUP_RE.search(seg)
                if m:
                    group = m.group(1)
                    continue
                m = SUBTEST_RE.match(seg)
                if m and group:
                    self.tests.append({
                        'key': '%s: %s: %s' % (section, group, m.group(1)),
                        'result': m.group(2),
                        'msgs': pending,
                    })
                    pending = []
        if pending:
            self.tests.append({'key': '%s: (after the last test)' % section,
                               'result': 'FAIL' if any(
                                   k == 'fail' for k, _, _ in pending)
                               else 'OK', 'msgs': pending, 'orphan': True})

    def summary(self):
        grand = [t for t in self.totals if t[0] == 'Grand Total']
        use = grand if grand else self.totals
        if not use:
            return None
        return tuple(sum(t[i] for t in use) for i in (2, 3, 4, 5))

    def failed_tests(self):
        """key -> set of message locations, for tests that FAILed."""
        out = {}
        for t in self.tests:
            if t['result'] == 'FAIL':
                out.setdefault(t['key'], set()).update(
                    loc for _, loc, _ in t['msgs'])
        return out


def fmt_totals(run):
    if not run.totals:
        return 'no "Total" line (%s)' % (run.error or 'v4l2-compliance did not finish')
    return '; '.join('%s %s: %d, Succeeded: %d, Failed: %d, Warnings: %d' % t
                     for t in run.totals)


def counters(line):
    """{'ch0': (frames, drops), ...} from a '### card counters' line."""
    out = {}
    for m in re.finditer(r'(ch\d+):frames=(\d+),drops=(\d+)', line):
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def attribute_drops(d):
    """Write DIR/NAME.drops for every run in DIR/runs: the frames the card
    dropped during the run, with QEMU's reasons (daqcap_drop trace events
    in DIR/vm.stderr, taken in order per channel)."""
    trace = {}
    try:
        with open(os.path.join(d, 'vm.stderr'), errors='replace') as f:
            for line in f:
                m = re.search(r'daqcap_drop ch (\d+) seq \d+: (.*)$', line)
                if m:
                    trace.setdefault('ch' + m.group(1), []).append(m.group(2).strip())
    except OSError:
        pass
    try:
        with open(os.path.join(d, 'runs')) as f:
            runs = f.read().split()
    except OSError:
        return
    for name in runs:
        try:
            with open(os.path.join(d, name + '.info')) as f:
                info = f.read()
        except OSError:
            continue
        before = after = {}
        for line in info.splitlines():
            if 'card counters before:' in line:
                before = counters(line)
            elif 'card counters after:' in line:
                after = counters(line)
        total = 0
        reasons = {}
        for ch, (_, dr) in sorted(after.items()):
            b = before.get(ch, (0, 0))[1]
            n = dr - b if dr >= b else dr   # the card reset its counter
            total += n
            q = trace.get(ch, [])
            for why in q[:n]:
                reasons[why] = reasons.get(why, 0) + 1
            if len(q) < n:
                reasons['(no trace)'] = reasons.get('(no trace)', 0) + n - len(q)
            trace[ch] = q[n:]
        with open(os.path.join(d, name + '.drops'), 'w') as f:
            f.write('%d %s\n' % (total, ', '.join(
                '%s: %d' % kv for kv in sorted(reasons.items()))))


def seq_gaps(run):
    """Frames missing between dequeued buffers, from the warnings."""
    n = 0
    for t in run.tests:
        for kind, _, txt in t['msgs']:
            m = re.search(r'got sequence number (\d+), expected (\d+)', txt)
            if kind == 'warn' and m:
                n += int(m.group(1)) - int(m.group(2))
    return n


def main():
    if sys.argv[1] == '--attribute-drops':
        attribute_drops(sys.argv[2])
        return
    label, ours_path, vivid_path = sys.argv[1:4]
    ours = Run(ours_path)
    vivid = Run(vivid_path)
    print('# ours:  %s' % fmt_totals(ours))
    print('# vivid: %s' % fmt_totals(vivid))
    vfail = vivid.failed_tests()
    if vfail:
        print('# vivid fails: %s' % ', '.join(sorted(vfail)))

    problems = []
    counted_fail = counted_warn = 0
    excused_fail = excused_warn = excused_late = 0
    nfail = nwarn = 0
    for t in ours.tests:
        key = t['key']
        vlocs = vfail.get(key)
        if t['result'] == 'FAIL' and not t.get('orphan'):
            nfail += 1
            flocs = [loc for k, loc, _ in t['msgs'] if k == 'fail']
            excused = vlocs is not None and all(loc in vlocs for loc in flocs)
            why = '; '.join('%s: %s %s' % (k, loc, txt) for k, loc, txt in t['msgs']
                            if k == 'fail') or 'no message'
            if excused:
                excused_fail += 1
                print('# excused FAIL (vivid fails it too): %s (%s)' % (key, why))
            else:
                counted_fail += 1
                problems.append('FAIL %s (%s)' % (key, why))
        for kind, loc, txt in t['msgs']:
            if kind != 'warn':
                continue
            nwarn += 1
            excused = (vlocs is not None and loc in vlocs
                       and not NEVER_EXCUSED.search(txt))
            if excused:
                excused_warn += 1
                print('# excused warning (vivid fails %s with it too): %s %s'
                      % (key, loc, txt))
            else:
                counted_warn += 1
                problems.append('warning in %s: %s %s' % (key, loc, txt))
        if t.get('orphan') and t['result'] == 'FAIL':
            # Not a test v4l2-compliance counts, but a failure all the same.
            counted_fail += 1
            problems.append('fail message after the last test of %s' % key)

    # Dropped frames: the card's count and reasons for this run, and
    # whether they account for every sequence gap the application saw.
    gaps = seq_gaps(ours)
    drops_path = re.sub(r'\.log$', '.drops', ours_path)
    if os.path.exists(drops_path):
        with open(drops_path) as f:
            n, _, why = f.read().strip().partition(' ')
        n = int(n)
        m = re.search(r'%s: (\d+)' % re.escape(LATE_DROP), why)
        late = int(m.group(1)) if m else 0
        print('# the card dropped %d frames during this run%s; the application '
              'saw %d missing between buffers%s' % (
                  n, ' (%s)' % why if why else '', gaps,
                  '' if gaps <= n else
                  ' -- MORE THAN THE CARD DROPPED: frames lost in the driver'))
        if gaps > n:
            problems.append('sequence gaps not explained by card drops')
            counted_fail += 1
        elif 0 < gaps <= late:
            # Every gap is a frame the card model started late: the host,
            # not the driver. Those warnings are excused, and said so.
            for p in [p for p in problems
                      if p.startswith('warning in') and NEVER_EXCUSED.search(p)]:
                problems.remove(p)
                counted_warn -= 1
                excused_late += 1
                print('# excused (the card fell behind, not the driver): %s' % p)

    for p in problems:
        print('#   %s' % p)

    summ = ours.summary()
    verdict = True
    notes = []
    if summ is None:
        verdict = False
        notes.append('v4l2-compliance did not report its totals')
    else:
        if (nfail, nwarn) != (summ[2], summ[3]):
            verdict = False
            notes.append('parsed %d FAIL, %d warnings but v4l2-compliance '
                         'reports %d, %d' % (nfail, nwarn, summ[2], summ[3]))
    if vivid.summary() is None:
        notes.append('no vivid totals: nothing excused')
    if counted_fail or counted_warn:
        verdict = False
    desc = '%s: %d failures, %d warnings' % (label, counted_fail, counted_warn)
    if excused_fail or excused_warn:
        desc += ' (excused as vivid fails them too: %d failures, %d warnings)' % (
            excused_fail, excused_warn)
    if excused_late:
        desc += ' (%d sequence gaps excused: the emulated card fell behind)' % (
            excused_late)
    if notes:
        desc += ' [%s]' % '; '.join(notes)
    print('%s - %s' % ('ok' if verdict else 'not ok', desc))


if __name__ == '__main__':
    main()
