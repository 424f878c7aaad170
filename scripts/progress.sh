# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Long steps (package installs, downloads, the QEMU build), as a
# newcomer should see them: one line when a step starts, naming the log
# file that takes all of its output; a progress figure every
# PROGRESS_INTERVAL seconds (default 30) while it runs; its time when it
# ends. On failure, the log's last lines go to standard error.
#
# Sourced by bash scripts:
#   . "$top/scripts/progress.sh"
#   progress_run PREFIX TITLE LOG METER COMMAND [ARG...]
# PREFIX starts each printed line ("emulator", "setup"); METER is a
# function given LOG that prints the figure,
# one of those below or the caller's own. All lines go to standard error,
# so that a script's standard output stays its result. Returns COMMAND's
# status.

# "412 of 1890 build steps (21%)", from ninja's "[N/M]" status lines.
progress_meter_ninja() {
	local last
	last=$(grep -o '^\[[0-9]*/[0-9]*\]' "$1" 2>/dev/null | tail -n 1 | tr -d '[]')
	[ -n "$last" ] || { echo "starting"; return; }
	echo "${last%/*} of ${last#*/} build steps ($((100 * ${last%/*} / ${last#*/}))%)"
}

# apt-get with -o APT::Status-Fd=1: "downloading: 45% (retrieving file 12
# of 80)", "installing: 60% (unpacking ffmpeg (amd64))".
progress_meter_apt() {
	local last what pct msg
	last=$(grep -E '^(dl|pm)status:' "$1" 2>/dev/null | tail -n 1)
	[ -n "$last" ] || { echo "resolving packages"; return; }
	pct=$(echo "$last" | cut -d: -f3)
	pct=${pct%%.*}
	msg=$(echo "$last" | cut -d: -f4-)
	case "$last" in
	dlstatus:*) what="downloading" ;;
	*) what="installing" ;;
	esac
	echo "$what: ${pct:-0}% (${msg,})"
}

# Bytes under the directory in PROGRESS_DIR (a download).
progress_meter_bytes() {
	local kb
	kb=$(du -sk "$PROGRESS_DIR" 2>/dev/null | cut -f1)
	echo "$(( ${kb:-0} / 1024 )) MiB fetched"
}

# Lines the step has logged so far (a configure script).
progress_meter_lines() {
	echo "$(wc -l <"$1") lines of output"
}

progress_time() {
	local s=$1
	if [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

progress_run() {
	local prefix=$1 title=$2 log=$3 meter=$4 t0 ticker rc=0
	shift 4
	local every=${PROGRESS_INTERVAL:-30} parent=$BASHPID
	mkdir -p "$(dirname "$log")"
	t0=$(date +%s)
	printf '%s: %s (log: %s)\n' "$prefix" "$title" "$log" >&2
	# The step runs in the foreground, where Ctrl-C reaches it; the
	# progress lines come from a background loop that ends with it, or
	# with this shell if that is interrupted first.
	(
		waited=0
		while sleep 1 && kill -0 "$parent" 2>/dev/null; do
			waited=$((waited + 1))
			[ $((waited % every)) = 0 ] || continue
			printf '%s:   %s, %s\n' "$prefix" "$($meter "$log")" \
				"$(progress_time $(($(date +%s) - t0)))" >&2
		done
	) &
	ticker=$!
	"$@" >"$log" 2>&1 </dev/null || rc=$?
	kill "$ticker" 2>/dev/null
	# The ticker's status is its SIGTERM's (143): not the step's, and not
	# an error for a caller under `set -e`.
	wait "$ticker" 2>/dev/null || true
	if [ $rc = 0 ]; then
		printf '%s:   done in %s\n' "$prefix" "$(progress_time $(($(date +%s) - t0)))" >&2
	else
		printf '%s: %s failed (status %d) after %s; the end of %s:\n' "$prefix" "$title" \
			"$rc" "$(progress_time $(($(date +%s) - t0)))" "$log" >&2
		tail -n 25 "$log" | sed 's/^/  /' >&2
	fi
	return $rc
}
