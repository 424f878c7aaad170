#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# One PNG per DAQCAP channel, all channels at once: the colour bars with
# the moving box and the input and frame number the card draws.
#
#   v4l2src device=DEV num-buffers=N extra-controls="c,test_pattern=0"
#     ! queue leaky=downstream max-size-buffers=1 ! videoconvert ! pngenc
#     ! multifilesink location=chK.png
#
# The leaky queue drops frames while the conversion is busy (a 2160p frame
# takes a while on a slow CPU), and multifilesink with a fixed location
# rewrites the same file: what is left is the last frame captured.
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $0 [-o DIR] [-n FRAMES]
Capture FRAMES frames (default 30) from every daqcap channel at once and
leave the last of each in DIR/chK.png (default DIR: daqcap-snapshots), K
being the position of the channel (card, then channel number).
USAGE
}

daqcap_nodes() {
	local n name
	for n in /sys/class/video4linux/video*; do
		name=$(cat "$n/name" 2>/dev/null) || continue
		case "$name" in daqcap-*-ch*) echo "$name /dev/${n##*/}" ;; esac
	done | sort -V | cut -d' ' -f2
}

dir=daqcap-snapshots frames=30
while [ $# -gt 0 ]; do
	case "$1" in
	-o) dir=$2; shift 2 ;;
	-n) frames=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ "$frames" =~ ^[1-9][0-9]*$ ]] || { echo "$0: bad frame count '$frames'" >&2; exit 2; }
mapfile -t nodes < <(daqcap_nodes)
[ ${#nodes[@]} -gt 0 ] || { echo "$0: no daqcap channel found" >&2; exit 1; }
mkdir -p "$dir"

pids=()
for k in "${!nodes[@]}"; do
	dev=${nodes[$k]}
	echo "$dev -> $dir/ch$k.png"
	gst-launch-1.0 -q \
		v4l2src device="$dev" num-buffers="$frames" \
			extra-controls="c,test_pattern=0" \
		! queue leaky=downstream max-size-buffers=1 \
		! videoconvert ! pngenc compression-level=3 \
		! multifilesink location="$dir/ch$k.png" &
	pids+=($!)
done
status=0
for p in "${pids[@]}"; do
	wait "$p" || status=1
done
exit $status
