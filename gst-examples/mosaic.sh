#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# A 2x2 mosaic of four DAQCAP channels, live, with the compositor element,
# written to a PNG. Each channel is scaled to fit its tile, aspect ratio
# kept (the script works out the size and centres it), behind a leaky queue
# that drops the frames the CPU cannot scale in time (a 2160p frame takes a
# while).
#
#   compositor name=mix sink_0::xpos=0 sink_0::ypos=0 sink_1::xpos=480 ...
#     ! video/x-raw,width=960,height=540,framerate=5/1 ! identity eos-after=N
#     ! videoconvert ! pngenc ! multifilesink location=mosaic.png
#   v4l2src device=/dev/video0 ! queue leaky=downstream max-size-buffers=1
#     ! videoscale ! video/x-raw,width=480,height=270 ! mix.sink_0
#   ... (one v4l2src per channel)
#
# Scaling in the branch also hands the compositor a copy, so v4l2src gets
# its buffer back at once. Letting the compositor scale the v4l2src buffers
# itself (sink_N::width/height) is cheaper, but then the compositor holds on
# to a capture buffer and, in GStreamer 1.22, some tiles stay on their
# first frame.
#
# The pipeline ends after SECONDS of output (identity eos-after=N: 5 frames
# a second); the PNG is the last one. Ending the sources instead
# (num-buffers) does not work well with a live compositor in GStreamer 1.22:
# a tile goes black as soon as its source has ended, and with
# repeat-after-eos=true on every pad, to keep the last frames, the
# compositor never ends at all.
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $0 [-o FILE] [-t SECONDS] [-s WxH] [DEVICE...]
Compose up to four channels (default: the first four daqcap channels) into
a 2x2 mosaic of WxH tiles (default 480x270) for SECONDS (default 4) of
output, and write the last frame to FILE (default daqcap-mosaic.png).
USAGE
}

daqcap_nodes() {
	local n name
	for n in /sys/class/video4linux/video*; do
		name=$(cat "$n/name" 2>/dev/null) || continue
		case "$name" in daqcap-*-ch*) echo "$name /dev/${n##*/}" ;; esac
	done | sort -V | cut -d' ' -f2
}

out=daqcap-mosaic.png secs=4 tile=480x270
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	-t) secs=$2; shift 2 ;;
	-s) tile=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "$0: bad duration '$secs'" >&2; exit 2; }
[[ "$tile" =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || { echo "$0: bad tile size '$tile'" >&2; exit 2; }
tw=${tile%x*} th=${tile#*x}
if [ $# -gt 0 ]; then
	nodes=("$@")
else
	mapfile -t nodes < <(daqcap_nodes | head -n 4)
fi
[ ${#nodes[@]} -gt 0 ] || { echo "$0: no daqcap channel found" >&2; exit 1; }
[ ${#nodes[@]} -le 4 ] || { echo "$0: at most four devices" >&2; exit 2; }

mix=(compositor name=mix background=black)
srcs=()
for k in "${!nodes[@]}"; do
	# The largest picture of the channel's aspect ratio that fits the tile,
	# centred in it (even sizes, for YUY2).
	read -r w h < <(v4l2-ctl -d "${nodes[$k]}" -V |
		sed -n 's|.*Width/Height *: \([0-9]*\)/\([0-9]*\)|\1 \2|p')
	if [ $((w * th)) -ge $((h * tw)) ]; then
		pw=$tw ph=$((tw * h / w / 2 * 2))
	else
		ph=$th pw=$((th * w / h / 2 * 2))
	fi
	x=$(( (k % 2) * tw + (tw - pw) / 2 )) y=$(( (k / 2) * th + (th - ph) / 2 ))
	mix+=("sink_$k::xpos=$x" "sink_$k::ypos=$y")
	srcs+=(v4l2src device="${nodes[$k]}" extra-controls="c,test_pattern=0"
	       ! queue leaky=downstream max-size-buffers=1
	       ! videoscale ! "video/x-raw,width=$pw,height=$ph"
	       ! "mix.sink_$k")
	echo "${nodes[$k]} (${w}x$h) -> tile $k, ${pw}x$ph at $x,$y"
done

echo "composing $((secs * 5)) frames ($secs s) into $out"
timeout -k 10 $((secs * 20 + 120)) gst-launch-1.0 -q \
	"${mix[@]}" \
	! "video/x-raw,width=$((2 * tw)),height=$((2 * th)),framerate=5/1" \
	! identity eos-after=$((secs * 5)) \
	! videoconvert ! pngenc ! multifilesink location="$out" \
	"${srcs[@]}"
[ -s "$out" ] || { echo "$0: no frame was written" >&2; exit 1; }
ls -l "$out"
