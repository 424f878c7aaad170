#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of the kexec test (tests/driver/run): runs twice in one VM,
# once in the kernel that utils/daqcap-vm booted, once in the kernel that
# kexec booted from it (the same kernel, initramfs and command line, plus
# daqcap_kexec_phase=2, which the kernel hands to user space).
#
# Phase 1: every channel of the card streams (v4l2-ctl, MMAP), then
# `kexec -e`. The driver's .shutdown must stop the card: the kexec path
# then clears bus mastering, so any DMA the card still attempts is refused
# and counted by the card model (QOM dma-blocked); with --iommu, the next
# kernel starts with new IOMMU tables, and a card still writing would
# fault there (or, before the IOMMU is up, write into its memory).
#
# Phase 2: no DMA was attempted after shutdown, the kernel log has no
# IOMMU fault and no WARN, and every channel captures again.
#
# Needs: DAQCAP_KEXEC (build/tests/kexec-reboot), DAQCAP_VM_KERNEL_IMAGE and
# DAQCAP_VM_INITRD (from utils/daqcap-vm), DAQCAP_QMP (--guest-qmp).
# Prints TAP; exits non-zero if a check failed.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}

# The card model's counter over QMP, from inside the guest.
qmp_get() { # PROPERTY
	/usr/bin/python3 - "$DAQCAP_QMP" "$1" <<'EOF'
import json, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
f = os.fdopen(fd, "r+b", buffering=0)
buf = b""
def msg():
    global buf
    while b"\n" not in buf:
        buf += f.read(4096)
    line, buf = buf.split(b"\n", 1)
    return json.loads(line)
def cmd(name, ident, **args):
    f.write(json.dumps({"execute": name, "arguments": args, "id": ident}).encode() + b"\n")
    while True:
        m = msg()           # skips the greeting and events, which have no id
        if m.get("id") == ident:
            return m
# The monitor's session outlives the guest's programs (and a kexec): it
# greets once, and after the first negotiation refuses another, harmlessly.
cmd("qmp_capabilities", "caps")
r = cmd("qom-get", "get", path="/machine/peripheral/daqcap0", property=sys.argv[2])
print(r["return"])
EOF
}

# The card's video nodes (named daqcap-<pci address>-ch<N>).
nodes() {
	for d in /sys/class/video4linux/video*; do
		case "$(cat "$d/name" 2>/dev/null)" in
		daqcap-*) echo "/dev/${d##*/}" ;;
		esac
	done
}

pci=
for p in /sys/bus/pci/drivers/daqcap/0000:*; do [ -e "$p" ] && pci=${p##*/} && break; done

if ! grep -q 'daqcap_kexec_phase=2' /proc/cmdline; then
	echo "1..6"
	if [ -z "$DAQCAP_KEXEC" ] || [ -z "$DAQCAP_VM_KERNEL_IMAGE" ] ||
	   [ -z "$DAQCAP_VM_INITRD" ] || [ -z "$DAQCAP_QMP" ]; then
		notok "kexec, the kernel, the initramfs and QMP are known (DAQCAP_KEXEC, DAQCAP_VM_KERNEL_IMAGE, DAQCAP_VM_INITRD, DAQCAP_QMP)"
		exit 1
	fi
	blocked=$(qmp_get dma-blocked)
	check "the card has attempted no DMA without bus mastering yet ($blocked)" [ "$blocked" = 0 ]
	for v in $(nodes); do
		v4l2-ctl -d "$v" --set-fmt-video=width=640,height=480 >/dev/null 2>&1
		v4l2-ctl -d "$v" --stream-mmap=4 --stream-count=1000000 >/dev/null 2>&1 &
	done
	sleep 2
	frames=0
	for f in /sys/kernel/debug/daqcap/"$pci"/ch*; do
		c=$(sed -n 's/^frames: //p' "$f")
		[ "${c:-0}" -gt 0 ] && frames=$((frames + 1))
	done
	want=$(nodes | wc -l)
	check "every channel streams before kexec ($frames of $want)" \
		[ "$frames" -gt 0 -a "$frames" = "$want" ]
	echo "# kexec into the same kernel while streaming"
	sleep 1
	"$DAQCAP_KEXEC" "$DAQCAP_VM_KERNEL_IMAGE" "$DAQCAP_VM_INITRD" \
		"$(cat /proc/cmdline) daqcap_kexec_phase=2"
	notok "kexec into the same kernel"
	exit 1
fi

echo "# phase 2: $(uname -r), booted by kexec"
n=2
blocked=$(qmp_get dma-blocked)
check "no DMA attempted after .shutdown (dma-blocked $blocked)" [ "$blocked" = 0 ]
if dmesg | grep -E 'DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault|WARNING:|BUG:' >/tmp/faults; then
	notok "the new kernel's log has no IOMMU fault, WARN or BUG"
	sed 's/^/# /' /tmp/faults
else
	ok "the new kernel's log has no IOMMU fault, WARN or BUG"
fi
good=0
total=0
for v in $(nodes); do
	total=$((total + 1))
	v4l2-ctl -d "$v" --set-fmt-video=width=640,height=480 >/dev/null 2>&1
	if v4l2-ctl -d "$v" --stream-mmap=4 --stream-count=3 >/dev/null 2>&1; then
		good=$((good + 1))
	fi
done
check "every channel captures after kexec ($good of $total)" [ "$total" -gt 0 -a "$good" = "$total" ]
lost=$(sed -n 's/^lost: //p' /sys/kernel/debug/daqcap/"$pci"/lifecycle)
check "the card is up and was never lost (lost: $lost)" [ "$lost" = 0 ]
[ "$failed" = 0 ]
