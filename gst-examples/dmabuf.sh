#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# Zero-copy DMABUF: frames of a DAQCAP channel go, as dma-buf file
# descriptors, into another V4L2 driver that imports them. Nothing in the
# pipeline copies a pixel: v4l2src exports the daqcap buffers
# (io-mode=dmabuf, VIDIOC_EXPBUF), v4l2sink queues those fds on the other
# device's output queue (io-mode=dmabuf-import, V4L2_MEMORY_DMABUF).
#
#   v4l2src device=DAQCAP io-mode=dmabuf
#     ! video/x-raw,format=YUY2,interlace-mode=progressive
#     ! v4l2sink device=VIVID-OUTPUT io-mode=dmabuf-import
#
# The importer here is vivid, the kernel's virtual video test driver (there
# is no GPU, display or encoder in the VM): its HDMI output imports the
# dma-bufs (vb2-vmalloc maps them into the kernel), and with its loop_video
# control it copies what it is given to its HDMI capture node, so that a
# second pipeline can show the daqcap frames coming back out of vivid
# (DIR/dmabuf-loopback.png). vivid's loop is a CPU copy inside vivid; the
# daqcap -> vivid hop is the zero-copy one.
#
# Needs root the first time (modprobe vivid with one HDMI input and one
# HDMI output); an already loaded vivid is used as it is.
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $0 [-d DEVICE] [-n FRAMES] [-o DIR]
Send FRAMES frames (default 300) of DEVICE (default: the first daqcap
channel capturing 1280x720, else the first one) to vivid's output as
dma-bufs, and leave in DIR (default daqcap-dmabuf) the GStreamer log of the
imports and a PNG of what vivid's capture node loops back.
USAGE
}

v4l2_node() {		# v4l2_node NAME-GLOB: the node whose name matches
	local n name
	for n in /sys/class/video4linux/video*; do
		name=$(cat "$n/name" 2>/dev/null) || continue
		# shellcheck disable=SC2053  # a glob on purpose
		if [[ "$name" == $1 ]]; then
			echo "$name /dev/${n##*/}"
		fi
	done | sort -V | cut -d' ' -f2
}

dev='' frames=300 dir=daqcap-dmabuf
while [ $# -gt 0 ]; do
	case "$1" in
	-d) dev=$2; shift 2 ;;
	-n) frames=$2; shift 2 ;;
	-o) dir=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ "$frames" =~ ^[1-9][0-9]*$ ]] || { echo "$0: bad frame count '$frames'" >&2; exit 2; }
if [ -z "$dev" ]; then
	for d in $(v4l2_node 'daqcap-*-ch*'); do
		if v4l2-ctl -d "$d" -V | grep -q 'Width/Height *: 1280/720'; then
			dev=$d
			break
		fi
	done
	[ -n "$dev" ] || dev=$(v4l2_node 'daqcap-*-ch*' | head -n 1)
fi
[ -n "$dev" ] || { echo "$0: no daqcap channel found" >&2; exit 1; }
[ -e "$dev" ] || { echo "$0: $dev: no such device" >&2; exit 2; }
mkdir -p "$dir"

vout=$(v4l2_node 'vivid-*-vid-out' | head -n 1)
if [ -z "$vout" ]; then
	echo "loading vivid: one HDMI input, one HDMI output"
	modprobe vivid n_devs=1 num_inputs=1 input_types=0x3 num_outputs=1 \
		output_types=0x1 node_types=0x101 || {
		echo "$0: cannot load vivid (the importer of this example)" >&2
		exit 1
	}
	vout=$(v4l2_node 'vivid-*-vid-out' | head -n 1)
fi
vcap=$(v4l2_node 'vivid-*-vid-cap' | head -n 1)
echo "exporter: $dev (daqcap); importer: $vout (vivid output); loopback: ${vcap:-none}"

# vivid's HDMI output and input take the daqcap channel's DV timings.
timings=$(v4l2-ctl -d "$dev" --get-dv-timings | awk -F': *' '
	/Active width/ { w = $2 } /Active height/ { h = $2 }
	/Pixelclock/ { split($2, a, " "); pc = a[1] }
	/Horizontal frontporch/ { hfp = $2 } /Horizontal sync/ { hs = $2 }
	/Horizontal backporch/ { hbp = $2 } /Vertical frontporch/ { vfp = $2 }
	/Vertical sync/ { vs = $2 } /Vertical backporch/ { vbp = $2 }
	/Polarities/ { pol = ($2 ~ /\+vsync/ ? 1 : 0) + ($2 ~ /\+hsync/ ? 2 : 0) }
	END { printf "width=%s,height=%s,interlaced=0,polarities=%d,pixelclock=%s,hfp=%s,hs=%s,hbp=%s,vfp=%s,vs=%s,vbp=%s",
		w, h, pol, pc, hfp, hs, hbp, vfp, vs, vbp }')
v4l2-ctl -d "$vout" --set-dv-bt-timings="$timings" >/dev/null
if [ -n "$vcap" ]; then
	v4l2-ctl -d "$vcap" --set-dv-bt-timings="$timings" >/dev/null 2>&1 || true
	v4l2-ctl -d "$vcap" -c loop_video=1 2>/dev/null || vcap=
fi

log=$dir/dmabuf-import.log
rm -f "$log" "$dir/dmabuf-loopback.png"
echo "sending $frames frames of $dev to $vout as dma-bufs"
GST_DEBUG=v4l2allocator:6 GST_DEBUG_NO_COLOR=1 GST_DEBUG_FILE="$log" \
gst-launch-1.0 -q \
	v4l2src device="$dev" io-mode=dmabuf num-buffers="$frames" \
		extra-controls="c,test_pattern=0" \
	! video/x-raw,format=YUY2,interlace-mode=progressive \
	! v4l2sink device="$vout" io-mode=dmabuf-import sync=true \
		max-lateness=-1 &
sender=$!

if [ -n "$vcap" ]; then
	# Once vivid's output is streaming (its first import), for a second.
	for _ in $(seq 100); do
		grep -q 'imported DMABUF' "$log" 2>/dev/null && break
		kill -0 $sender 2>/dev/null || break
		sleep 0.2
	done
	sleep 1
	echo "capturing vivid's loopback from $vcap"
	# vivid loops only between identical formats: YUY2 on both sides.
	gst-launch-1.0 -q v4l2src device="$vcap" num-buffers=20 \
		! video/x-raw,format=YUY2,interlace-mode=progressive \
		! queue leaky=downstream max-size-buffers=1 \
		! videoconvert ! pngenc ! multifilesink \
			location="$dir/dmabuf-loopback.png" || true
fi
rc=0
wait $sender || rc=$?
[ $rc = 0 ] || { echo "$0: the dma-buf pipeline failed (status $rc)" >&2; exit 1; }

imports=$(grep -c 'imported DMABUF' "$log" || true)
echo "vivid's output queue imported $imports dma-bufs from $dev (V4L2_MEMORY_DMABUF)"
[ -s "$dir/dmabuf-loopback.png" ] && echo "what vivid looped back: $dir/dmabuf-loopback.png"
[ "$imports" -gt 0 ]
