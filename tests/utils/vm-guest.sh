#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest half of tests/utils/vm-test: runs inside a daqcap VM and checks
# daqcap-verify and daqcap-info against the emulated card. Prints one line
# per check, "ok - ..." or "not ok - ...", and "# ..." diagnostics; the host
# half numbers them into TAP.
#
# Usage (in the guest): vm-guest.sh main|cards|faults
#   main    one default card: daqcap-info on the idle card (runtime PM
#           status, power state, lifecycle counters), every I/O method on
#           two channels, every format, padding, BARS, corruption
#           detection, the pattern control put back, daqcap-info in text
#           and JSON
#   cards   two cards of 2 channels and 3 inputs, input 1 without signal
#   faults  faults injected into the card by the host (over QMP) while
#           daqcap-verify runs: a dropped frame, lines lost (errored
#           frame), a DMA error (channel halted); needs DAQCAP_TEST_DIR, a
#           directory shared with the host for the handshake
# Environment: DAQCAP_BIN (default build/bin), the tools' directory.
# shellcheck disable=SC2317  # functions run through check()
set -u

bin=${DAQCAP_BIN:-build/bin}
verify=$bin/daqcap-verify
info=$bin/daqcap-info
out=$(mktemp /tmp/vm-guest.XXXXXX)
rc=0

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
show() { sed 's/^/# /' "$out"; }
# Run a command with its output in $out and its status in $rc.
run() {
	rc=0
	"$@" >"$out" 2>&1 </dev/null || rc=$?
}
# check DESCRIPTION COMMAND...: ok if COMMAND succeeds, else show $out.
check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		notok "$desc"
		echo "# status $rc; output:"
		show
	fi
}
# The result line daqcap-verify prints for DEVICE.
result() { grep "^$1: delivered" "$out"; }
# figures DEVICE: pass the result line on as a diagnostic.
figures() { result "$1" | sed 's/^/#   /'; }
ctrl() { v4l2-ctl -d "$1" -C test_pattern | sed 's/.*: \([0-9]*\).*/\1/'; }
field() { result "$1" | sed -n "s/.* $2 \([0-9]*\),.*/\1/p"; }

all_ok() {	# all_ok DEVICE...: status 0 and every device OK, no corruption
	local d
	[ "$rc" = 0 ] || return 1
	for d in "$@"; do
		result "$d" | grep -q 'corrupt 0, errored 0,.*: OK$' || return 1
		[ "$(field "$d" delivered)" -gt 0 ] || return 1
	done
}

has_ok() {	# has_ok TEXT DEVICE: the output shows TEXT and DEVICE is OK
	grep -q "$1" "$out" && all_ok "$2"
}

# The first card's sysfs and debugfs directories.
pci=0000:01:00.0
pcidev=/sys/bus/pci/devices/$pci
lifecycle=/sys/kernel/debug/daqcap/$pci/lifecycle

# Wait (up to 10 s) for the idle card to be runtime suspended.
wait_suspended() {
	local n=0

	while [ "$(cat "$pcidev/power/runtime_status")" != suspended ]; do
		[ $n -lt 100 ] || return 1
		sleep 0.1
		n=$((n + 1))
	done
}

# What daqcap-info must show of the card's power and lifecycle, checked
# against sysfs and the lifecycle file as read just before it ran.
# info_power_check text|json BEFORE AFTER: daqcap-info's output in $out.
info_power_check() {
	python3 - "$1" "$out" "$pcidev" "$2" "$3" <<'PY'
import json, os, sys

form, out, dev, before, after = sys.argv[1:]

def fields(path):
    pairs = [l.split(":", 1) for l in open(path).read().splitlines() if ":" in l]
    return [(k.strip(), v.strip()) for k, v in pairs]

lc, lc_after = fields(before), fields(after)
names = [k for k, _ in lc]
assert len(names) >= 9 and names[0] == "state" and dict(lc)["state"] == "up", lc
assert int(dict(lc)["runtime_suspends"]) >= 1, lc
# The card slept until daqcap-info woke it, after reading the lifecycle.
assert int(dict(lc_after)["runtime_resumes"]) > int(dict(lc)["runtime_resumes"]), (lc, lc_after)
# Where the kernel has no power_state file, daqcap-info must say so.
ps = "D3hot" if os.path.exists(dev + "/power_state") else None
text = open(out).read()
if form == "json":
    card = json.loads(text)["cards"][0]
    want = {"runtime_status": "suspended", "power_state": ps, "control": "auto"}
    if ps is None:
        want["power_state_error"] = "not found in sysfs"
    assert card["power"] == want, card["power"]
    # Every line of the file, in its order; numbers as numbers.
    assert list(card["lifecycle"].items()) == \
        [(k, int(v) if v.isdigit() else v) for k, v in lc], card["lifecycle"]
    assert "lifecycle_error" not in card, card
else:
    lines = text.splitlines()
    want = "  Power: runtime_status suspended, power_state %s, control auto" % \
        (ps or "unknown (not found in sysfs)")
    assert want in lines, want
    i = lines.index(next(l for l in lines if l.startswith("  Lifecycle: ")))
    shown = lines[i][len("  Lifecycle:"):]
    for l in lines[i + 1:]:
        if not l.startswith(" " * 13):
            break
        shown += "," + l
    assert [tuple(p.strip().split(" ", 1)) for p in shown.split(",")] == lc, shown
PY
}

# The power and lifecycle of the idle card, before anything else wakes it.
power_tests() {
	local form

	for form in text json; do
		if ! wait_suspended; then
			notok "the idle card is runtime suspended within 10 s"
			cat "$pcidev/power/runtime_status" "$lifecycle" | sed 's/^/# /'
			return
		fi
		cat "$lifecycle" >"$out.before"
		if [ $form = json ]; then
			run "$info" --json
		else
			run "$info"
		fi
		cat "$lifecycle" >"$out.after"
		check "daqcap-info ($form): the idle card's runtime_status suspended, its power state, every lifecycle line as the file had it before daqcap-info woke the card" \
			info_power_check $form "$out.before" "$out.after"
		[ $form = json ] || sed -n '1,4s/^/#   /p' "$out"
	done
	check "daqcap-info changed nothing of the card's runtime PM (power/control still auto)" \
		[ "$(cat "$pcidev/power/control")" = auto ]
	run unshare -m sh -c "mount -t tmpfs none $pcidev/power && exec $info"
	check "daqcap-info says which power files sysfs lacks, and shows the rest" \
		sh -c "[ $rc = 0 ] && grep -q '^  Power: runtime_status unknown (not found in sysfs), power_state [^,]*, control unknown (not found in sysfs)$' $out &&
		       grep -q '^  Lifecycle: state up' $out"
	rm -f "$out.before" "$out.after"
}

main_tests() {
	local io d f

	# ---- daqcap-info -------------------------------------------------
	power_tests
	run "$info"
	check "daqcap-info finds one card with 4 channels and 4 inputs" \
		grep -q '^Card 0000:01:00.0: 4 channels, 4 inputs' "$out"
	check "daqcap-info shows each input's detected timings" sh -c "
		grep -q '0: Input 0 .*signal ok .*timings 1920x1080p60.00' $out &&
		grep -q '1: Input 1 .*timings 1280x720p60.00' $out &&
		grep -q '2: Input 2 .*timings 3840x2160p30.00' $out &&
		grep -q '3: Input 3 .*timings 640x480p59.94' $out"
	check "daqcap-info shows each channel's node, input, format and stride" sh -c "
		grep -q 'ch0 /dev/video0: input 0, 1920x1080 YUYV, stride 3840' $out &&
		grep -q 'ch3 /dev/video3: input 3, 640x480 YUYV, stride 1280' $out"
	check "daqcap-info shows controls and the driver's counters" sh -c "
		grep -q 'test_pattern=0 (Colour Bars)' $out &&
		grep -q 'counters: frames 0,' $out"
	sed 's/^/#   /' "$out" | head -n 14

	# ---- daqcap-verify: every I/O method on two channels --------------
	for io in mmap userptr dmabuf read; do
		run "$verify" --io "$io" -n 20 /dev/video0 /dev/video3
		check "verify --io $io: 20 frames on /dev/video0 (1080p) and /dev/video3 (480p), every byte checked" \
			all_ok /dev/video0 /dev/video3
		figures /dev/video0
		figures /dev/video3
	done
	if [ -e /dev/udmabuf ]; then
		run "$verify" --io dmabuf --dmabuf-from udmabuf -n 20 /dev/video1 /dev/video3
		check "verify --io dmabuf --dmabuf-from udmabuf: buffers of another exporter" \
			all_ok /dev/video1 /dev/video3
		figures /dev/video1
	else
		ok "verify --io dmabuf --dmabuf-from udmabuf # SKIP no /dev/udmabuf in kernel $(uname -r)"
	fi
	run "$verify" -n 10 /dev/video2
	check "verify: 10 frames of 2160p30 on /dev/video2" all_ok /dev/video2
	figures /dev/video2

	run "$verify" -n 20 -p bars /dev/video1 /dev/video3
	check "verify -p bars: colour bars, box and frame number byte-exact on two channels" \
		all_ok /dev/video1 /dev/video3
	run "$verify" -n 10 --io read -p bars /dev/video3
	check "verify --io read -p bars: the sequence is read from the drawn frame number" \
		all_ok /dev/video3

	# ---- formats and padding --------------------------------------------
	for f in YUYV UYVY RGB24 BGR24 XBGR32 GREY Y16 NV12 NV16; do
		run "$verify" -q -n 8 -f "$f" /dev/video3
		check "verify -f $f on /dev/video3" all_ok /dev/video3
	done
	run "$verify" -n 8 -f RGB24 --stride 2048 /dev/video3
	check "verify --stride 2048 (RGB24, 128 bytes of padding per line)" \
		has_ok 'RGB3, stride 2048' /dev/video3

	# ---- a crop window, set with v4l2-ctl ---------------------------------
	v4l2-ctl -d /dev/video3 --set-selection target=crop,left=103,top=40,width=300,height=201 >/dev/null
	run "$verify" -n 8 -f RGB24 /dev/video3
	check "verify in a crop window from v4l2-ctl --set-selection (RGB24 300x201 at (102, 40): X made even)" \
		has_ok '300x201 at (102, 40) of 640x480 RGB3' /dev/video3
	run "$verify" -n 8 --io read /dev/video3
	check "verify --io read in the crop window: the sequence is read from a word that starts mid-line" \
		all_ok /dev/video3
	v4l2-ctl -d /dev/video3 --set-selection target=crop,left=0,top=0,width=640,height=480 >/dev/null
	run "$verify" -n 4 -f RGB24 /dev/video3
	check "verify after the crop is put back: 640x480, no window" \
		has_ok '640x480 RGB3' /dev/video3
	run "$verify" -n 8 -f YUYV /dev/video3	# back to the default

	# ---- corruption must be seen -------------------------------------
	v4l2-ctl -d /dev/video3 -c test_pattern=1
	run "$verify" -n 5 --pattern bars --no-set-pattern /dev/video3
	check "verify fails (status 1) when the card sends VERIFY and BARS is expected" \
		sh -c "[ $rc = 1 ] && grep -q 'corrupt 5, .*: FAIL' $out &&
		       grep -q 'first corrupt frame: sequence [0-9]*, line 0, byte 0' $out"
	v4l2-ctl -d /dev/video3 -c test_pattern=0
	run "$verify" -n 5 --pattern verify --no-set-pattern /dev/video1 /dev/video3
	check "verify fails when the card sends BARS and VERIFY is expected" \
		sh -c "[ $rc = 1 ] && grep -q '^/dev/video3: .*corrupt 5, .*: FAIL' $out"

	# ---- the pattern control is put back -----------------------------
	v4l2-ctl -d /dev/video1 -c test_pattern=0
	run "$verify" -n 5 /dev/video1
	check "the test pattern control is restored after a run (bars -> verify -> bars)" \
		[ "$rc" = 0 ] && [ "$(ctrl /dev/video1)" = 0 ]
	run "$verify" -n 5 --keep-pattern /dev/video1
	check "--keep-pattern leaves the card on VERIFY" [ "$(ctrl /dev/video1)" = 1 ]
	v4l2-ctl -d /dev/video1 -c test_pattern=0

	# ---- two channels on one input -----------------------------------
	v4l2-ctl -d /dev/video1 -i 3 >/dev/null
	run "$verify" -n 10 /dev/video1 /dev/video3
	check "two channels on input 3 see the same frames, both verified" \
		all_ok /dev/video1 /dev/video3
	v4l2-ctl -d /dev/video1 -i 1 >/dev/null

	# ---- errors -----------------------------------------------------------
	run "$verify" /dev/video9
	check "a missing device: status 2, 'no such device'" \
		sh -c "[ $rc = 2 ] && grep -q '/dev/video9: no such device' $out"
	v4l2-ctl -d /dev/video0 -c test_pattern=0
	run "$verify" -n 5 /dev/video0 /dev/video9
	check "a missing second device: status 2 before capturing, pattern of the first put back" \
		sh -c "[ $rc = 2 ] && grep -q '/dev/video9: no such device' $out &&
		       ! grep -q delivered $out && [ \$(v4l2-ctl -d0 -C test_pattern | grep -c 'Colour Bars') = 1 ]"
	run "$verify" /dev/null
	check "a device that is not V4L2: status 2" \
		sh -c "[ $rc = 2 ] && grep -q 'not a V4L2 device' $out"

	# ---- daqcap-info after captures ----------------------------------
	run "$info" --json
	check "daqcap-info --json: valid JSON with the card, inputs, channels, counters" \
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["cards"]; assert len(c) == 1, c
c = c[0]
assert [i["timings"]["name"] for i in c["inputs"]] == ["1920x1080p60.00", "1280x720p60.00", "3840x2160p30.00", "640x480p59.94"]
ch = c["channels"]; assert [x["node"] for x in ch] == ["/dev/video%d" % i for i in range(4)]
assert ch[3]["format"] == "YUYV" and ch[3]["bytesperline"] == 1280
assert ch[0]["controls"]["test_pattern"]["value"] == 0
assert ch[0]["counters"]["frames"] >= 20 and ch[0]["counters"]["bad_completions"] == 0
' "$out"
	run "$info" -d /dev/video2 --no-debugfs --no-controls
	check "daqcap-info -d /dev/video2 --no-debugfs: counters and lifecycle not read, power still shown" \
		sh -c "[ $rc = 0 ] && grep -q 'ch2 /dev/video2' $out &&
		       grep -q 'counters: not read (--no-debugfs)' $out &&
		       grep -q '^  Lifecycle: not read (--no-debugfs)$' $out &&
		       grep -q '^  Power: runtime_status [a-z]*, ' $out"
	run "$info" --no-debugfs --json
	check "daqcap-info --no-debugfs --json: lifecycle null, lifecycle_error says why" \
		python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["cards"][0]
assert c["lifecycle"] is None and c["lifecycle_error"] == "not read (--no-debugfs)", c
assert c["power"]["runtime_status"] in ("active", "suspended") and c["power"]["control"] == "auto", c["power"]
' "$out"
	run "$info" -d /dev/video9
	check "daqcap-info -d with a missing device: status 2" \
		sh -c "[ $rc = 2 ] && grep -q 'no such device' $out"
}

# Two cards, --card-opts 'channels=2,inputs=3,timings=640x480p60:none:720x576p50'.
cards_tests() {
	run "$info"
	check "daqcap-info: two cards, each with 2 channels and 3 inputs" \
		sh -c "[ $rc = 0 ] && [ \$(grep -c '^Card .*: 2 channels, 3 inputs' $out) = 2 ]"
	check "daqcap-info: each card's power and lifecycle" \
		sh -c "[ \$(grep -c '^  Power: runtime_status [a-z]*, power_state D[0-3a-z]*, control auto$' $out) = 2 ] &&
		       [ \$(grep -c '^  Lifecycle: state up, ' $out) = 2 ]"
	check "daqcap-info: input 1 has no signal" \
		grep -q '1: Input 1 .*signal no power .*timings: no signal' "$out"
	check "daqcap-info: input 2 (no channel on it) has its timings from the registers" \
		grep -q '2: Input 2 .*timings 720x576p50.00' "$out"
	sed 's/^/#   /' "$out" | head -n 18
	run "$info" --no-debugfs
	check "daqcap-info --no-debugfs: input 2's timings are unknown" \
		grep -q '2: Input 2 .*timings unknown' "$out"
	run "$info" --no-debugfs --probe-inputs --json
	check "daqcap-info --probe-inputs: input 2 probed on an idle channel, channel put back" \
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
i = d["cards"][0]["inputs"][2]
assert i["timings"]["name"] == "720x576p50.00" and i["timings_from"].startswith("probed"), i
assert [c["input"] for c in d["cards"][0]["channels"]] == [0, 1]
' "$out"
	run "$info" -d /dev/video2
	check "daqcap-info -d /dev/video2 shows the second card only" \
		sh -c "[ \$(grep -c '^Card' $out) = 1 ] && grep -q '^Card 0000:02:00.0' $out"
	run "$verify" -n 10 /dev/video0 /dev/video2
	check "verify on a channel of each card" all_ok /dev/video0 /dev/video2
	run "$verify" -n 5 --timeout 3 /dev/video1
	check "verify on a channel without signal gives up after --timeout: status 1" \
		sh -c "[ $rc = 1 ] && grep -q 'no frame for 3 s' $out"
	run "$verify" -n 10 -i 2 /dev/video1
	check "verify -i 2 selects input 2 (720x576) first" \
		has_ok 'input 2, 720x576' /dev/video1
}

# Ask the host to arm FAULT on channel 3, and wait until it has.
inject() {
	local dir=$DAQCAP_TEST_DIR n=0

	rm -f "$dir/ack"
	echo "$1" >"$dir/req.tmp"
	mv "$dir/req.tmp" "$dir/req"
	while [ ! -e "$dir/ack" ] && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -e "$dir/ack" ] && [ "$(cat "$dir/ack")" = "$1" ]
}

faults_tests() {
	# A fault is armed in the card's model until the channel or the card
	# is reset, and waking the card from runtime suspend resets it: keep
	# it awake while faults are armed, or a fault armed while it slept
	# is gone before the capture starts.
	echo on >"$pcidev/power/control"
	if inject drop:3; then
		run "$verify" -n 30 /dev/video3
		check "an injected frame drop shows as 1 dropped frame, nothing corrupt" \
			sh -c "[ $rc = 0 ] && grep -q 'delivered 30, dropped 1, corrupt 0, errored 0' $out"
	else
		notok "the host did not arm drop:3"
	fi
	if inject fifo-overflow:3; then
		run "$verify" -n 30 /dev/video3
		check "lines lost in the card's FIFO: 1 errored frame, status 1" \
			sh -c "[ $rc = 1 ] && grep -q 'corrupt 0, errored 1,.*FAIL' $out"
	else
		notok "the host did not arm fifo-overflow:3"
	fi
	if inject fifo-overflow:3; then
		run "$verify" -n 30 --allow-errors /dev/video3
		check "the same with --allow-errors: status 0" \
			sh -c "[ $rc = 0 ] && grep -q 'corrupt 0, errored 1,.*OK' $out"
	else
		notok "the host did not arm fifo-overflow:3"
	fi
	if inject dma-error:3; then
		run "$verify" -n 30 --timeout 5 /dev/video3
		check "a DMA error halts the channel: capture failed, status 1" \
			sh -c "[ $rc = 1 ] && grep -q 'capture failed' $out"
	else
		notok "the host did not arm dma-error:3"
	fi
	run "$verify" -n 10 /dev/video3
	check "the channel captures again after the DMA error" all_ok /dev/video3
	echo auto >"$pcidev/power/control"
	# Atomically, as inject() does: the host must never read it half written.
	echo "done" >"$DAQCAP_TEST_DIR/req.tmp"
	mv "$DAQCAP_TEST_DIR/req.tmp" "$DAQCAP_TEST_DIR/req"
}

case "${1:-main}" in
main) main_tests ;;
cards) cards_tests ;;
faults) faults_tests ;;
*) echo "not ok - vm-guest.sh: unknown set '$1'"; exit 2 ;;
esac
rm -f "$out"
exit 0
