#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check the VM bench itself (utils/daqcap-vm): boots both guest kernels,
# exit status passing, stdout/stderr, the working directory, the guest
# environment, cards on lspci, --iommu, module loading, --rw, --timeout,
# boot failures, binary output, QMP ids and hot-unplug, --guest-qmp, the
# interactive shell on a pty, and --ram-root: --ram-file, and a guest that
# survives S3, s2idle and pm_test=devices with its command's output flowing.
# Prints TAP ("ok N - ...", "not ok N - ...") and exits nonzero if a check
# failed. Checks that need the daqcap device in QEMU are skipped (# SKIP)
# while the QEMU build lacks it.
#
# Usage: tests/vm/bench-test.sh [KERNEL...]   (default: 6.1 6.12)
# Environment: DAQCAP_VM (bench to test, default utils/daqcap-vm of this
# checkout), DAQCAP_CACHE, DAQCAP_QEMU (passed as --qemu when set).

set -euo pipefail

top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
vm=${DAQCAP_VM:-$top/utils/daqcap-vm}
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
cache=${DAQCAP_CACHE:-$HOME/.cache/daqcap}
qemu=${DAQCAP_QEMU:-$cache/qemu/build/qemu-system-x86_64}
vmopts=()
[ -z "${DAQCAP_QEMU:-}" ] || vmopts+=(--qemu "$DAQCAP_QEMU")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-test.XXXXXX")
bgpid=
cleanup() {
	[ -z "$bgpid" ] || kill "$bgpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /' >&2; }
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else notok "$desc"; show; fi
}

# Run the bench: stdout in $tmp/out, stderr in $tmp/err, status in $rc and
# the wall time in $secs.
rc=0
secs=0
bench() {
	local t0 t1
	t0=$(date +%s%N)
	rc=0
	"$vm" "${vmopts[@]}" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
	t1=$(date +%s%N)
	secs=$(( (t1 - t0) / 1000000 ))
	secs=$((secs / 1000)).$(printf %03d $((secs % 1000)))
}
show() {
	{
		echo "status $rc after $secs s; stdout:"
		head -n 20 "$tmp/out"
		echo "stderr:"
		tail -n 25 "$tmp/err"
	} | diag
}

have_card=0
if [ -x "$qemu" ] && "$qemu" -device help 2>/dev/null | grep -q '"daqcap"'; then
	have_card=1
fi
cards=$have_card

# ---- without booting ------------------------------------------------------

if "$vm" --help >"$tmp/out" 2>&1 && grep -q 'daqcap<i>' "$tmp/out" && grep -q 'rp<i>' "$tmp/out"; then
	ok "--help documents the device ids"
else
	notok "--help documents the device ids"
fi
bench --cards many -- true
check "a bad option value is a usage error (status 2)" [ $rc = 2 ]

# ---- per kernel -------------------------------------------------------------

for k in "${kernels[@]}"; do
	bench --kernel "$k" --cards "$cards" -- true
	if [ $rc = 0 ] && [ ! -s "$tmp/err" ]; then
		ok "$k: boots and exits 0 (boot+run+shutdown $secs s)"
		echo "# timing: kernel $k, --cards $cards: boot+run+shutdown of 'true' took $secs s"
	else
		notok "$k: boots and exits 0"
		show
	fi

	# shellcheck disable=SC2016  # expanded in the guest
	bench --kernel "$k" --cards 0 -- sh -c \
		'echo "$DAQCAP_KERNEL|$(uname -r)|$PWD|$DAQCAP_VM|$DAQCAP_CARDS"; echo to-stderr >&2; exit 3'
	check "$k: exit status 3 comes back" [ $rc = 3 ]
	IFS='|' read -r krel urel gpwd isvm ncards <"$tmp/out" || true
	if [ "$krel" = "$urel" ] && [[ "$krel" == "$k".* ]] && [ "$isvm" = 1 ] && [ "$ncards" = 0 ]; then
		ok "$k: guest runs kernel $krel, DAQCAP_KERNEL/DAQCAP_VM/DAQCAP_CARDS set"
	else
		notok "$k: guest kernel and environment"
		show
	fi
	check "$k: command runs in the host's working directory" [ "$gpwd" = "$PWD" ]
	if [ "$(grep -c . "$tmp/out")" = 1 ] && grep -qx to-stderr "$tmp/err"; then
		ok "$k: stdout and stderr come back separately"
	else
		notok "$k: stdout and stderr come back separately"
		show
	fi
	check "$k: guest dmesg tail on stderr after a failure" grep -q 'guest dmesg' "$tmp/err"

	if [ $have_card = 1 ]; then
		bench --kernel "$k" --cards 2 -- lspci -nn
		c=$(grep -c '\[0400\]: .*\[1af4:10f0\]' "$tmp/out" || true)
		if [ $rc = 0 ] && [ "$c" = 2 ]; then
			ok "$k: --cards 2 shows two 1af4:10f0 class 0400 devices"
		else
			notok "$k: --cards 2 shows two 1af4:10f0 devices (found $c)"
			show
		fi
	else
		skip "$k: --cards 2 shows two 1af4:10f0 devices" "QEMU has no daqcap device yet"
	fi

	# shellcheck disable=SC2016
	bench --kernel "$k" --cards "$cards" --iommu -- sh -c \
		'ls /sys/class/iommu; dmesg | grep -c "DMAR: IOMMU enabled"; dmesg | grep -c "TLB invalidation policy: strict"; lspci -v -d 1af4:10f0 | grep -c "IOMMU group"; echo "iommu=$DAQCAP_IOMMU"'
	want=$(printf 'dmar0\n1\n1\n%s\niommu=1' "$cards")
	if [ $rc = 0 ] && [ "$(cat "$tmp/out")" = "$want" ]; then
		ok "$k: --iommu boots with the Intel IOMMU on, strict, cards in IOMMU groups"
	else
		notok "$k: --iommu"
		show
	fi
	bench --kernel "$k" --cards 0 -- sh -c 'ls /sys/class/iommu | wc -l'
	check "$k: no IOMMU without --iommu" [ "$(cat "$tmp/out")" = 0 ]

	# The module path, with an in-tree V4L2 module standing in for daqcap.ko.
	mdir=$cache/kernels/$k/root/lib/modules/$krel
	vivid=$(find "$mdir" -name 'vivid.ko*' 2>/dev/null | head -n1)
	if [ -n "$vivid" ]; then
		bench --kernel "$k" --cards 0 --module "$vivid" --module-args "n_devs=1" -- \
			sh -c 'grep -q "^vivid " /proc/modules && ls /dev/video0 >/dev/null && v4l2-ctl -d /dev/video0 --info | grep -q "Driver name *: vivid"'
		if [ $rc = 0 ]; then
			ok "$k: --module loads a module with its dependencies (vivid)"
		else
			notok "$k: --module loads a module with its dependencies (vivid)"
			show
		fi
	else
		skip "$k: --module loads a module" "no vivid module in $mdir"
	fi

	# System sleep from a RAM root, three kinds in one boot. The card's
	# module stays loaded; the extended configuration space (MMCONFIG,
	# which SeaBIOS loses in an S3 wake and scripts/vm-sleep restores) must
	# read the same after the wake; the guest must power off by itself.
	# shellcheck disable=SC2016  # expanded in the guest
	bench --kernel "$k" --cards "$cards" --ram-root --timeout 150 -- sh -c '
		cfg() {
			for d in /sys/bus/pci/devices/*; do
				[ "$(wc -c <"$d/config")" = 4096 ] || continue
				od -An -tx4 -j256 -N4 "$d/config" | tr -d " "
				return
			done
			echo none
		}
		echo "before $(cfg)"
		rtcwake -m mem -s 2 >/dev/null && echo "after-s3 $(cfg)"
		rtcwake -m freeze -s 2 >/dev/null && echo after-s2idle
		echo devices >/sys/power/pm_test && echo mem >/sys/power/state && echo after-pm-test
		echo none >/sys/power/pm_test
		echo "success $(cat /sys/power/suspend_stats/success)"
		echo "modules $(grep -c "^daqcap " /proc/modules)"
		exit 5'
	sleep_secs=$secs
	if [ $rc = 5 ] && ! grep -q 'did not power off' "$tmp/err"; then
		ok "$k: --ram-root: the command's exit status 5 comes back, the guest powers off"
	else
		notok "$k: --ram-root: the command's exit status 5 comes back, the guest powers off"
		show
	fi
	before=$(sed -n 's/^before //p' "$tmp/out")
	if [ -n "$before" ] && [ "$before" != ffffffff ] && grep -qx "after-s3 $before" "$tmp/out"; then
		ok "$k: --ram-root: the guest survives S3 (rtcwake -m mem), output flows after the wake, extended config space reads back"
	else
		notok "$k: --ram-root: the guest survives S3 (rtcwake -m mem)"
		show
	fi
	check "$k: --ram-root: the guest survives s2idle (rtcwake -m freeze)" grep -qx after-s2idle "$tmp/out"
	check "$k: --ram-root: the guest survives pm_test=devices" grep -qx after-pm-test "$tmp/out"
	if grep -qx 'success 3' "$tmp/out" && { [ $have_card = 0 ] || grep -qx 'modules 1' "$tmp/out"; }; then
		ok "$k: --ram-root: 3 sleeps counted a success, daqcap module loaded throughout ($sleep_secs s)"
		echo "# timing: kernel $k, --ram-root boot + S3 2 s + s2idle 2 s + pm_test + shutdown took $sleep_secs s"
	else
		notok "$k: --ram-root: 3 sleeps counted a success, daqcap module loaded"
		show
	fi
done

k=${kernels[0]}

# ---- failures -----------------------------------------------------------------

bench --kernel "$k" --cards 0 --timeout 25 -- sleep 600
if [ $rc = 124 ] && grep -q 'timeout' "$tmp/err"; then
	ok "$k: --timeout kills the VM with status 124 ($secs s for --timeout 25)"
else
	notok "$k: --timeout kills the VM with status 124"
	show
fi

bench --kernel "$k" --cards 0 --append rdinit=/nonexistent -- true
if [ $rc = 125 ] && grep -q 'Kernel panic' "$tmp/err"; then
	ok "$k: a boot failure gives status 125 and the console tail"
else
	notok "$k: a boot failure gives status 125 and the console tail"
	show
fi

bench --kernel "$k" --cards 0 -- /nonexistent/command
if [ $rc = 127 ]; then
	ok "$k: a missing command gives status 127"
else
	notok "$k: a missing command gives status 127"
	show
fi

# ---- --ram-root -----------------------------------------------------------------

bench --ram-root --rw "$tmp" -- true
check "--ram-root with --rw is a usage error (status 2)" [ $rc = 2 ]

# A program from outside the guest's PATH, with its libraries, and a
# script with it; status 0.
mkdir -p "$tmp/ram/bin"
cp "$(command -v cksum)" "$tmp/ram/bin/my-cksum"
printf '#!/bin/sh\necho script-ran\n' >"$tmp/ram/run.sh"
chmod +x "$tmp/ram/run.sh"
bench --kernel "$k" --cards 0 --ram-root --ram-file "$tmp/ram/bin/my-cksum" --timeout 120 -- \
	"$tmp/ram/run.sh"
if [ $rc = 0 ] && [ "$(cat "$tmp/out")" = script-ran ]; then
	ok "$k: --ram-root runs a script, exit status 0, output back"
else
	notok "$k: --ram-root runs a script, exit status 0, output back"
	show
fi
# shellcheck disable=SC2016
bench --kernel "$k" --cards 0 --ram-root --ram-file "$tmp/ram/bin/my-cksum" --timeout 120 -- \
	sh -c 'echo abc | "$0"; [ ! -e /lib/modules ]' "$tmp/ram/bin/my-cksum"
if [ $rc = 0 ] && [ "$(cat "$tmp/out")" = "$(echo abc | cksum)" ]; then
	ok "$k: --ram-file brings an ELF program along (with its libraries), no 9p root"
else
	notok "$k: --ram-file brings an ELF program along"
	show
fi

# ---- output -------------------------------------------------------------------

gen="import sys; sys.stdout.buffer.write(bytes(range(256)) * 2048)"
bench --kernel "$k" --cards 0 --no-module -- python3 -c "$gen"
want=$(python3 -c "$gen" | sha256sum)
got=$(sha256sum <"$tmp/out")
if [ $rc = 0 ] && [ "$got" = "$want" ]; then
	ok "$k: binary stdout comes back byte for byte (512 KiB)"
else
	notok "$k: binary stdout comes back byte for byte (512 KiB)"
	show
fi

t0=$(date +%s)
set +o pipefail
first=$("$vm" "${vmopts[@]}" --kernel "$k" --cards 0 --no-module --timeout 120 -- \
	sh -c 'seq 1 200000' 2>"$tmp/err" </dev/null | head -n 1)
set -o pipefail
if [ "$first" = 1 ] && [ $(($(date +%s) - t0)) -lt 110 ]; then
	ok "$k: a reader that stops early (| head) does not stall the guest"
else
	notok "$k: a reader that stops early (| head) does not stall the guest"
	show
fi

# ---- --rw ---------------------------------------------------------------------

mkdir "$tmp/rw"
bench --kernel "$k" --cards 0 --rw "$tmp/rw" -- sh -c "echo from-guest >'$tmp/rw/file'"
check "$k: --rw brings a file back to the host" grep -qx from-guest "$tmp/rw/file"

# ---- QMP ------------------------------------------------------------------------

if [ $have_card = 1 ]; then
	sock=$tmp/qmp.sock
	rm -f "$tmp/rw/"*
	# Guest: say when the card is visible, then wait for it to go away.
	"$vm" "${vmopts[@]}" --kernel "$k" --cards 2 --qmp "$sock" --rw "$tmp/rw" --timeout 240 -- sh -c "
		lspci -d 1af4:10f0 | wc -l >'$tmp/rw/before'
		for i in \$(seq 90); do
			[ \$(lspci -d 1af4:10f0 | wc -l) = 1 ] && { lspci -d 1af4:10f0 | wc -l >'$tmp/rw/after'; exit 0; }
			sleep 1
		done
		exit 1" >"$tmp/out" 2>"$tmp/err" </dev/null &
	bgpid=$!
	for _ in $(seq 600); do
		[ -s "$tmp/rw/before" ] && break
		kill -0 $bgpid 2>/dev/null || break
		sleep 0.2
	done
	qmp_out=$(python3 - "$sock" <<'EOF' 2>&1 || true
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
def cmd(name, **args):
    f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
json.loads(f.readline())  # greeting
cmd("qmp_capabilities")
names = sorted(p["name"] for p in cmd("qom-list", path="/machine/peripheral")["return"])
print(" ".join(names))
print(json.dumps(cmd("device_del", id="daqcap1")))
EOF
)
	rc=0
	wait $bgpid || rc=$?
	bgpid=
	echo "$qmp_out" | diag
	if echo "$qmp_out" | head -n1 | grep -qw daqcap0 && echo "$qmp_out" | head -n1 | grep -qw daqcap1 &&
	   echo "$qmp_out" | head -n1 | grep -qw rp0 && echo "$qmp_out" | head -n1 | grep -qw rp1; then
		ok "$k: --qmp socket answers; devices daqcap0, daqcap1, rp0, rp1 exist"
	else
		notok "$k: --qmp socket answers; devices daqcap0, daqcap1, rp0, rp1 exist"
		show
	fi
	if [ $rc = 0 ] && [ "$(cat "$tmp/rw/before" 2>/dev/null)" = 2 ] && [ "$(cat "$tmp/rw/after" 2>/dev/null)" = 1 ]; then
		ok "$k: device_del daqcap1 over QMP hot-unplugs a card"
	else
		notok "$k: device_del daqcap1 over QMP hot-unplugs a card"
		show
	fi
else
	skip "$k: --qmp and device ids" "QEMU has no daqcap device yet"
	skip "$k: device_del over QMP" "QEMU has no daqcap device yet"
fi

# ---- QMP from inside the guest (--guest-qmp) -----------------------------------

gq='import os, json
f = os.fdopen(os.open(os.environ["DAQCAP_QMP"], os.O_RDWR), "r+b", buffering=0)
def msg():
    b = b""
    while not b.endswith(b"\n"):
        b += f.read(1)
    return json.loads(b)
msg()
f.write(b"{\"execute\": \"qmp_capabilities\"}\n")
msg()
f.write(b"{\"execute\": \"qom-list\", \"arguments\": {\"path\": \"/machine/peripheral\"}}\n")
print(" ".join(sorted(p["name"] for p in msg()["return"])))'
bench --kernel "$k" --cards "$cards" --guest-qmp -- python3 -c "$gq"
if [ $rc = 0 ] && grep -q 'gqmp-bus' "$tmp/out" && { [ $cards = 0 ] || grep -qw daqcap0 "$tmp/out"; }; then
	ok "$k: --guest-qmp gives the guest a working QMP monitor (DAQCAP_QMP)"
else
	notok "$k: --guest-qmp gives the guest a working QMP monitor (DAQCAP_QMP)"
	show
fi

# ---- interactive shell on a pty -----------------------------------------------

pty_out=$(python3 - "$vm" "$k" "${vmopts[@]}" <<'EOF' 2>&1
import os, pty, select, sys, time
vm, kernel, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(vm, [vm, "--kernel", kernel, "--cards", "0", "--timeout", "240"] + extra)
buf = b""
def wait_for(pat, secs):
    global buf
    end = time.time() + secs
    while time.time() < end:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return False
            if not d:
                return False
            buf += d
            if pat in buf:
                return True
    return False
def send(s):
    time.sleep(0.5)
    os.write(fd, s)
res = []
res.append(wait_for(b"# ", 200))
send(b"tty\r")
res.append(wait_for(b"/dev/ttyS1", 30))
# Ctrl-C only once the guest says its sleep is starting (a busy host's
# guest may take seconds to fork): the shell that echoes the marker execs
# the sleep, so SIGINT ends either of them with status 130. The terminal's
# echo of the line shows "$((6 * 7))", never the marker itself.
send(b"sh -c 'echo asleep-$((6 * 7)); exec sleep 100'\r")
asleep = wait_for(b"asleep-42", 60)
time.sleep(0.5)
os.write(fd, b"\x03")
send(b"echo status-$?\r")
res.append(asleep and wait_for(b"status-130", 30))
send(b"exit 7\r")
wait_for(b"\0", 60)
_, st = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(st)
print("prompt=%s tty=%s ctrl-c=%s status=%d" % (res[0], res[1], res[2], code))
sys.stderr.write(buf.decode(errors="replace")[-600:] + "\n")
EOF
) || true
if echo "$pty_out" | grep -q 'prompt=True tty=True ctrl-c=True status=7'; then
	ok "$k: interactive shell on a pty: Ctrl-C reaches the guest, exit status 7 comes back"
else
	notok "$k: interactive shell on a pty"
	echo "$pty_out" | diag
fi

echo "1..$n"
[ $failed = 0 ] || { echo "# $failed of $n checks failed" >&2; exit 1; }
