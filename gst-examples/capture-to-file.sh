#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# Capture from one DAQCAP channel to a file with GStreamer: Motion JPEG in
# AVI (small, plays anywhere), the raw frames in Matroska (--raw: exactly
# what the card sent, large), or H.264 in Matroska (--h264), which the card
# feeds in the encoder's own format, NV12, with no conversion on the way:
#
#   v4l2src device=DEV num-buffers=N extra-controls="c,test_pattern=0"
#     ! video/x-raw,format=YUY2 ! queue ! jpegenc ! avimux ! filesink
#   v4l2src ... ! video/x-raw,format=NV12 ! queue ! x264enc ! matroskamux
#     ! filesink
#
# extra-controls sets the card's test pattern to the colour bars through
# v4l2src itself (V4L2_CID_TEST_PATTERN, "test_pattern" in v4l2-ctl).
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $0 [-d DEVICE] [-n FRAMES] [-o FILE] [--raw | --h264]
Capture FRAMES frames (default 120) from DEVICE (default: the first daqcap
channel) to FILE (default daqcap-capture.avi, or .mkv with --raw or --h264).
--h264 needs x264enc (Debian: gstreamer1.0-plugins-ugly).
USAGE
}

daqcap_nodes() {	# the daqcap capture nodes, in card and channel order
	local n name
	for n in /sys/class/video4linux/video*; do
		name=$(cat "$n/name" 2>/dev/null) || continue
		case "$name" in daqcap-*-ch*) echo "$name /dev/${n##*/}" ;; esac
	done | sort -V | cut -d' ' -f2
}

dev='' frames=120 out='' mode=mjpeg
while [ $# -gt 0 ]; do
	case "$1" in
	-d) dev=$2; shift 2 ;;
	-n) frames=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	--raw) mode=raw; shift ;;
	--h264) mode=h264; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ "$frames" =~ ^[1-9][0-9]*$ ]] || { echo "$0: bad frame count '$frames'" >&2; exit 2; }
[ -n "$dev" ] || dev=$(daqcap_nodes | head -n 1)
[ -n "$dev" ] || { echo "$0: no daqcap channel found" >&2; exit 1; }
[ -e "$dev" ] || { echo "$0: $dev: no such device" >&2; exit 2; }

case $mode in
raw)
	out=${out:-daqcap-capture.mkv}
	caps=video/x-raw,format=YUY2
	enc=(matroskamux)
	;;
h264)
	# NV12 is what the encoder takes: the caps leave no room for a
	# converter, and none is in the pipeline.
	out=${out:-daqcap-capture.mkv}
	caps=video/x-raw,format=NV12
	enc=(x264enc speed-preset=ultrafast tune=zerolatency ! matroskamux)
	;;
*)
	out=${out:-daqcap-capture.avi}
	caps=video/x-raw,format=YUY2
	enc=(jpegenc quality=85 ! avimux)
	;;
esac

echo "capturing $frames frames from $dev to $out"
gst-launch-1.0 -q -e \
	v4l2src device="$dev" num-buffers="$frames" \
		extra-controls="c,test_pattern=0" \
	! "$caps" \
	! queue max-size-buffers=8 \
	! "${enc[@]}" \
	! filesink location="$out"
ls -l "$out"
