// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * daqcap-verify: capture frames from DAQCAP channels and check every byte.
 *
 * The card's frame content is a pure function of (input, pattern, format,
 * size, sequence, line, byte) (pattern/PATTERN.rst). This tool captures N
 * frames from one or more channels at once, with the I/O method of the
 * user's choice, and compares each line of each frame with what
 * daqcap_pattern_check_line() says the card sent for that frame's sequence.
 * It counts per channel the frames delivered, dropped (gaps in the sequence),
 * corrupt (with the first wrong byte) and errored (V4L2_BUF_FLAG_ERROR).
 *
 * I/O methods:
 *   mmap     driver-allocated buffers mapped into the process
 *   userptr  page-aligned malloc'ed buffers
 *   dmabuf   buffers exported with VIDIOC_EXPBUF from the same queue (then
 *            freed as MMAP buffers and imported back as DMABUF), or created
 *            by /dev/udmabuf from a memfd (--dmabuf-from udmabuf)
 *   read     read(); the driver gives no sequence, so the sequence is
 *            recovered from the frame itself (VERIFY: line 0's seed is
 *            invertible; BARS: the frame number drawn in the picture)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>

#include "daqcap-pattern.h"

#define PROG		"daqcap-verify"

/* Exit statuses. */
#define EXIT_FAIL	1	/* corruption, errors, capture failure */
#define EXIT_USAGE	2	/* bad arguments, no such device */
#define EXIT_INTR	130	/* interrupted, nothing wrong seen */

#include "daqcap-tool.h"

#define MAX_CHANNELS	16
#define MAX_BUFFERS	32

enum io_method { IO_MMAP, IO_USERPTR, IO_DMABUF, IO_READ };
static const char *const io_names[] = { "mmap", "userptr", "dmabuf", "read" };

enum dmabuf_from { DMABUF_SELF, DMABUF_UDMABUF };

struct buffer {
	uint8_t *start;		/* CPU mapping */
	size_t length;		/* of the mapping */
	int dmabuf_fd;		/* IO_DMABUF: the dma-buf queued */
	int memfd;		/* IO_DMABUF from udmabuf: its backing memfd */
};

struct channel {
	const char *path;
	int fd;
	char card[33];

	/* What the frames must contain. */
	uint32_t input;
	uint32_t fourcc;
	struct daqcap_pattern_frame f;	/* with the crop window, if any */
	uint32_t width, height;		/* of the captured frame */
	uint32_t rows;			/* in memory: lines, then chroma lines */
	uint32_t bpl;
	uint32_t sizeimage;
	size_t line_bytes;

	int orig_pattern;	/* -1: not changed by us */

	struct buffer bufs[MAX_BUFFERS];
	unsigned int nbufs;
	uint8_t *readbuf;	/* IO_READ */
	size_t readpos;

	bool streaming;
	bool done;
	bool failed;		/* capture failure, described in @error */
	char error[160];

	/* Counters. */
	uint64_t delivered;	/* frames dequeued (or read), errored included */
	uint64_t dropped;	/* sequence numbers skipped */
	uint64_t corrupt;	/* frames with at least one wrong byte */
	uint64_t errored;	/* V4L2_BUF_FLAG_ERROR */
	uint64_t seq_errors;	/* sequence repeated or going backwards */
	uint64_t bytes;		/* payload of delivered frames */
	bool have_seq;
	uint32_t first_seq, last_seq;
	double t_first, t_last;	/* CLOCK_MONOTONIC of first/last frame, s */
	double ts_first, ts_last; /* their V4L2 timestamps, s */
	double t_start;		/* stream on */
	/* The first corrupt frame. */
	uint32_t bad_seq, bad_line;
	long bad_offset;	/* in the line */
	size_t bad_buf_offset;	/* in the buffer */
	char bad_note[64];
};

static struct {
	enum io_method io;
	enum dmabuf_from dmabuf_from;
	uint32_t pattern;
	bool set_pattern;
	bool keep_pattern;
	int format;		/* DAQCAP_FMT_*, -1: keep the channel's */
	uint32_t stride;	/* 0: the driver's minimum */
	int input;		/* -1: keep */
	uint64_t count;		/* 0: until --duration or Ctrl-C */
	double duration;	/* 0: none */
	unsigned int buffers;
	double timeout;
	bool allow_errors;
	int progress;		/* -1 auto, 0 no, 1 yes */
	bool quiet;
} opt = {
	.io = IO_MMAP,
	.dmabuf_from = DMABUF_SELF,
	.pattern = DAQCAP_PATTERN_VERIFY,
	.set_pattern = true,
	.format = -1,
	.input = -1,
	.count = 60,
	.buffers = 4,
	.timeout = 10,
	.progress = -1,
};

static struct channel chans[MAX_CHANNELS];
static unsigned int nchans;
static volatile sig_atomic_t interrupted;

static void usage(FILE *fp)
{
	fprintf(fp,
"Usage: " PROG " [OPTION]... DEVICE...\n"
"Capture frames from DAQCAP capture nodes (e.g. /dev/video0) and check every\n"
"byte of every frame against the card's test pattern (pattern/PATTERN.rst).\n"
"Several devices are captured at the same time.\n"
"\n"
"  -d, --device DEV      a device to capture from (the same as giving DEV as\n"
"                        an argument; repeatable)\n"
"  -n, --count N         frames to capture per device (default 60); 0 means\n"
"                        until --duration or Ctrl-C\n"
"  -t, --duration SEC    stop after SEC seconds (default: no limit)\n"
"  -I, --io METHOD       mmap (default), userptr, dmabuf or read\n"
"      --dmabuf-from SRC where dmabuf buffers come from: self (default;\n"
"                        exported from the same queue with VIDIOC_EXPBUF,\n"
"                        then imported) or udmabuf (/dev/udmabuf, memfd)\n"
"  -b, --buffers N       buffers per device, 2 to %u (default 4; not for read)\n"
"  -f, --format NAME     set the pixel format: YUYV, UYVY, RGB24 (RGB3),\n"
"                        BGR24 (BGR3), XBGR32 (XR24), GREY or Y16 (default:\n"
"                        keep the device's format)\n"
"      --stride BYTES    set bytesperline (padding is not checked)\n"
"  -i, --input N         select input N first (default: keep)\n"
"  -p, --pattern NAME    verify (default) or bars: set the test pattern control\n"
"                        to it and check the frames against it\n"
"      --no-set-pattern  leave the test pattern control alone and check against\n"
"                        --pattern (to check what the card is sending now)\n"
"      --keep-pattern    do not restore the test pattern control at exit\n"
"      --allow-errors    frames flagged V4L2_BUF_FLAG_ERROR do not fail the run\n"
"      --timeout SEC     give up on a device that delivers no frame for SEC\n"
"                        seconds (default 10)\n"
"      --progress        show a progress line (default: when stderr is a tty)\n"
"      --no-progress     never show it\n"
"  -q, --quiet           print only the per-device results\n"
"  -h, --help            show this help and exit\n"
"\n"
"Frames are checked with the input the device selects (VIDIOC_G_INPUT; the\n"
"card's number for it from the Card Input control), its\n"
"format, size and bytesperline, and each buffer's sequence number; a gap in\n"
"the sequence (and a first sequence above 0: the card counts from 0) counts\n"
"as dropped frames. With --io read the driver gives no sequence: it is\n"
"recovered from the frame content. MB/s are 10^6 bytes/s.\n"
"\n"
"Exit status: 0 if every frame was intact; 1 if a frame was corrupt, a frame\n"
"had V4L2_BUF_FLAG_ERROR (unless --allow-errors), a sequence went backwards or\n"
"capture failed; 2 on bad usage or a missing or unusable device; 130 if\n"
"interrupted with nothing wrong seen.\n",
		MAX_BUFFERS);
}

static void __attribute__((format(printf, 2, 3)))
chan_fail(struct channel *ch, const char *fmt, ...)
{
	va_list ap;

	if (ch->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(ch->error, sizeof(ch->error), fmt, ap);
	va_end(ap);
	ch->failed = true;
	ch->done = true;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decimal only: no sign, no spaces, nothing after it. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

static uint32_t fourcc_of(int format)
{
	const char *s = daqcap_format_fourcc((uint32_t)format);

	return v4l2_fourcc(s[0], s[1], s[2], s[3]);
}

/* ---- Sequence recovery for --io read ------------------------------------ */

static uint32_t inverse_u32(uint32_t x)	/* x odd; x * result == 1 mod 2^32 */
{
	uint32_t inv = x;
	int i;

	for (i = 0; i < 5; i++)
		inv *= 2 - x * inv;
	return inv;
}

/*
 * VERIFY: word 0 of line y is fmix32(input * A ^ seq * B ^ y * C), word i
 * that plus i * STEP, and fmix32 is a bijection, so the sequence follows
 * from the first whole word of the window's first line (line top of the
 * frame, from byte left * bpp).
 */
static int recover_seq_verify(const struct channel *ch, const uint8_t *frame,
			      uint32_t *seq)
{
	struct daqcap_pattern_window win = daqcap_pattern_window_of(&ch->f);
	size_t off = (size_t)win.left * daqcap_format_bpp(ch->f.format);
	size_t word = (off + 3) / 4, at = word * 4 - off;
	uint32_t h, w;

	if (ch->line_bytes < at + 4)
		return -1;
	w = (uint32_t)frame[at] | (uint32_t)frame[at + 1] << 8 |
	    (uint32_t)frame[at + 2] << 16 | (uint32_t)frame[at + 3] << 24;
	h = w - (uint32_t)word * DAQCAP_PATTERN_VERIFY_STEP;
	h ^= h >> 16;
	h *= inverse_u32(0xC2B2AE35u);
	h ^= (h >> 13) ^ (h >> 26);
	h *= inverse_u32(0x85EBCA6Bu);
	h ^= h >> 16;
	h ^= ch->f.input * 0x9E3779B1u ^ win.top * 0xC2B2AE3Du;
	*seq = h * inverse_u32(0x85EBCA77u);
	return daqcap_pattern_verify_seed(ch->f.input, *seq, win.top) +
	       (uint32_t)word * DAQCAP_PATTERN_VERIFY_STEP == w ? 0 : -1;
}

/*
 * BARS: the frame number is drawn at the top left. Compare the middle line
 * of each of the 7 glyph rows with candidate renderings; with a previous
 * sequence, try the next few first, else read the 8 digits one by one
 * (each digit's glyph cell, widened to whole YUYV pairs into the blank
 * columns around it, depends on that digit only).
 */
static bool bars_rows_match(const struct channel *ch, const uint8_t *frame,
			    uint32_t seq, size_t from, size_t to, uint8_t *line)
{
	struct daqcap_pattern_frame f = ch->f;
	uint32_t k = f.height / 120 ? f.height / 120 : 1;
	uint32_t r, y;

	f.sequence = seq;
	for (r = 0; r < 7; r++) {
		y = 2 * k + r * k + k / 2;
		if (y >= f.height)
			break;
		daqcap_pattern_render_line(&f, y, line);
		if (memcmp(line + from, frame + (size_t)y * ch->bpl + from,
			   to - from))
			return false;
	}
	return true;
}

static int recover_seq_bars(const struct channel *ch, const uint8_t *frame,
			    uint32_t *seq)
{
	uint32_t k = ch->f.height / 120 ? ch->f.height / 120 : 1;
	unsigned int bpp = daqcap_format_bpp(ch->f.format);
	char prefix[16];
	uint8_t *line = malloc(ch->line_bytes);
	uint32_t s = 0, pow10 = 10000000, d, j, hits, digit = 0;
	int plen, ret = -1;

	if (!line)
		return -1;
	if (ch->have_seq) {
		for (d = 1; d <= 64; d++) {
			if (bars_rows_match(ch, frame, ch->last_seq + d, 0,
					    ch->line_bytes, line)) {
				*seq = ch->last_seq + d;
				ret = 0;
				goto out;
			}
		}
	}
	plen = snprintf(prefix, sizeof(prefix), "%u ", ch->f.input);
	for (j = 0; j < 8; j++, pow10 /= 10) {
		uint32_t i = (uint32_t)plen + j;
		uint32_t x0 = 2 * k + 6 * k * i, x1 = x0 + 5 * k;
		size_t from, to;

		x0 &= ~1u;
		x1 = (x1 + 1) & ~1u;
		if (x1 > ch->f.width)
			goto out;
		from = (size_t)x0 * bpp;
		to = (size_t)x1 * bpp;
		hits = 0;
		for (d = 0; d < 10; d++) {
			if (bars_rows_match(ch, frame, s + d * pow10, from, to,
					    line)) {
				digit = d;
				hits++;
			}
		}
		if (hits != 1)
			goto out;
		s += digit * pow10;
	}
	*seq = s;
	ret = 0;
out:
	free(line);
	return ret;
}

/* ---- Checking a frame ------------------------------------------------------ */

static void check_frame(struct channel *ch, const uint8_t *data,
			size_t bytesused, uint32_t seq, bool error_flag,
			double ts)
{
	double t = now();
	uint32_t y;

	ch->delivered++;
	ch->bytes += bytesused;
	if (!ch->have_seq) {
		/*
		 * The card numbers a channel's frames from 0 when it starts
		 * (CH_SEQUENCE is reset on enable), so a first frame above 0
		 * means the frames before it were dropped.
		 */
		ch->first_seq = seq;
		ch->dropped += seq;
		ch->t_first = t;
		ch->ts_first = ts;
	} else {
		uint32_t gap = seq - ch->last_seq;

		if (gap == 0 || gap > 0x80000000u)
			ch->seq_errors++;
		else
			ch->dropped += gap - 1;
	}
	ch->have_seq = true;
	ch->last_seq = seq;
	ch->t_last = t;
	ch->ts_last = ts;

	if (error_flag) {
		ch->errored++;
		return;
	}
	if (bytesused < (size_t)ch->bpl * (ch->rows - 1) + ch->line_bytes) {
		if (!ch->corrupt++) {
			ch->bad_seq = seq;
			ch->bad_line = 0;
			ch->bad_offset = -1;
			snprintf(ch->bad_note, sizeof(ch->bad_note),
				 "short frame: %zu bytes", bytesused);
		}
		return;
	}
	ch->f.sequence = seq;
	for (y = 0; y < ch->rows; y++) {
		const uint8_t *l = data + (size_t)y * ch->bpl;
		long off = daqcap_pattern_check_line(&ch->f, y, l);

		if (off >= 0) {
			if (!ch->corrupt++) {
				ch->bad_seq = seq;
				ch->bad_line = y;
				ch->bad_offset = off;
				ch->bad_buf_offset = (size_t)y * ch->bpl +
						     (size_t)off;
				ch->bad_note[0] = '\0';
			}
			break;
		}
	}
}

/* A frame read() whole; recover its sequence from its content. */
static void check_read_frame(struct channel *ch)
{
	uint32_t seq = 0;
	int r;

	if (ch->f.pattern == DAQCAP_PATTERN_VERIFY)
		r = recover_seq_verify(ch, ch->readbuf, &seq);
	else
		r = recover_seq_bars(ch, ch->readbuf, &seq);
	if (r) {
		/* Count it, and blame the content: no sequence reads back. */
		ch->delivered++;
		ch->bytes += ch->sizeimage;
		ch->t_last = now();
		if (!ch->corrupt++) {
			ch->bad_seq = 0;
			ch->bad_line = 0;
			ch->bad_offset = 0;
			ch->bad_buf_offset = 0;
			snprintf(ch->bad_note, sizeof(ch->bad_note),
				 "no sequence can be read from the frame");
		}
		return;
	}
	check_frame(ch, ch->readbuf, ch->sizeimage, seq, false, 0);
}

/* ---- Device setup -------------------------------------------------------- */

/*
 * A crop window smaller than the timings' frame (VIDIOC_S_SELECTION) is
 * cut from the source's frame, drawn at its size: the timings' when they
 * are the source's, as after --set-dv-bt-timings query.
 */
static int setup_crop(struct channel *ch)
{
	struct v4l2_selection crop = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.target = V4L2_SEL_TGT_CROP,
	};
	struct v4l2_selection bounds = crop;

	bounds.target = V4L2_SEL_TGT_CROP_BOUNDS;
	if (xioctl(ch->fd, VIDIOC_G_SELECTION, &crop) ||
	    xioctl(ch->fd, VIDIOC_G_SELECTION, &bounds) ||
	    !memcmp(&crop.r, &bounds.r, sizeof(crop.r)))
		return 0;
	if (crop.r.width != ch->width || crop.r.height != ch->height ||
	    crop.r.left < 0 || crop.r.top < 0) {
		fprintf(stderr, PROG ": %s: crop %ux%u at (%d, %d) is not the format's %ux%u\n",
			ch->path, crop.r.width, crop.r.height, crop.r.left,
			crop.r.top, ch->width, ch->height);
		return -1;
	}
	ch->f.width = bounds.r.width;
	ch->f.height = bounds.r.height;
	ch->f.crop = (struct daqcap_pattern_window){
		.left = (uint32_t)crop.r.left, .top = (uint32_t)crop.r.top,
		.width = crop.r.width, .height = crop.r.height,
	};
	if (opt.io == IO_READ && opt.pattern != DAQCAP_PATTERN_VERIFY) {
		fprintf(stderr, PROG ": %s: with read() and a crop window, only the VERIFY pattern tells the sequence\n",
			ch->path);
		return -1;
	}
	return 0;
}

static int open_channel(struct channel *ch)
{
	struct v4l2_capability cap;
	struct v4l2_format fmt;
	struct stat st;
	uint32_t input;
	int card_input;
	char fcc[8];
	int format;

	ch->orig_pattern = -1;
	ch->fd = open(ch->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (ch->fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			fprintf(stderr, PROG ": %s: no such device\n",
				ch->path);
		else
			fprintf(stderr, PROG ": %s: cannot open: %s\n",
				ch->path, strerror(errno));
		return -1;
	}
	if (fstat(ch->fd, &st) || !S_ISCHR(st.st_mode) ||
	    xioctl(ch->fd, VIDIOC_QUERYCAP, &cap)) {
		fprintf(stderr, PROG ": %s: not a V4L2 device\n", ch->path);
		return -1;
	}
	if (strcmp((const char *)cap.driver, "daqcap")) {
		fprintf(stderr, PROG ": %s: not a daqcap device (driver '%.16s')\n",
			ch->path, (const char *)cap.driver);
		return -1;
	}
	snprintf(ch->card, sizeof(ch->card), "%.32s", (const char *)cap.card);
	if (!(cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) ||
	    !(cap.device_caps & (opt.io == IO_READ ? V4L2_CAP_READWRITE :
				 V4L2_CAP_STREAMING))) {
		fprintf(stderr, PROG ": %s: cannot capture with %s\n",
			ch->path, io_names[opt.io]);
		return -1;
	}

	if (opt.input >= 0) {
		int i = opt.input;

		if (xioctl(ch->fd, VIDIOC_S_INPUT, &i)) {
			fprintf(stderr, PROG ": %s: cannot select input %d: %s\n",
				ch->path, opt.input, strerror(errno));
			return -1;
		}
	}
	if (xioctl(ch->fd, VIDIOC_G_INPUT, &input)) {
		fprintf(stderr, PROG ": %s: VIDIOC_G_INPUT: %s\n", ch->path,
			strerror(errno));
		return -1;
	}

	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(ch->fd, VIDIOC_G_FMT, &fmt)) {
		fprintf(stderr, PROG ": %s: VIDIOC_G_FMT: %s\n", ch->path,
			strerror(errno));
		return -1;
	}
	if (opt.format >= 0 || opt.stride) {
		if (opt.format >= 0)
			fmt.fmt.pix.pixelformat = fourcc_of(opt.format);
		fmt.fmt.pix.bytesperline = opt.stride;
		if (xioctl(ch->fd, VIDIOC_S_FMT, &fmt)) {
			fprintf(stderr, PROG ": %s: cannot set the format: %s\n",
				ch->path, strerror(errno));
			return -1;
		}
		if (opt.format >= 0 &&
		    fmt.fmt.pix.pixelformat != fourcc_of(opt.format)) {
			fprintf(stderr, PROG ": %s: the driver chose %s instead of %s\n",
				ch->path, fourcc_str(fmt.fmt.pix.pixelformat, fcc),
				daqcap_format_name((uint32_t)opt.format));
			return -1;
		}
		if (opt.stride && fmt.fmt.pix.bytesperline != opt.stride) {
			fprintf(stderr, PROG ": %s: the driver chose a stride of %u instead of %u\n",
				ch->path, fmt.fmt.pix.bytesperline, opt.stride);
			return -1;
		}
	}
	fourcc_str(fmt.fmt.pix.pixelformat, fcc);
	format = daqcap_format_lookup(fcc);
	if (format < 0) {
		fprintf(stderr, PROG ": %s: pixel format %s is not one the card sends\n",
			ch->path, fcc);
		return -1;
	}
	ch->input = input;
	ch->fourcc = fmt.fmt.pix.pixelformat;
	card_input = daqcap_card_input(ch->fd, input);
	if (card_input < 0) {
		fprintf(stderr, PROG ": %s: Card Input control: %s\n",
			ch->path, strerror(errno));
		return -1;
	}
	ch->f.input = (uint32_t)card_input;
	ch->f.pattern = opt.pattern;
	ch->f.format = (uint32_t)format;
	ch->width = fmt.fmt.pix.width;
	ch->height = fmt.fmt.pix.height;
	ch->f.width = ch->width;
	ch->f.height = ch->height;
	ch->bpl = fmt.fmt.pix.bytesperline;
	ch->sizeimage = fmt.fmt.pix.sizeimage;
	ch->line_bytes = daqcap_pattern_line_bytes(ch->f.format, ch->width);
	ch->rows = daqcap_pattern_rows(ch->f.format, ch->height);
	if (!ch->line_bytes || !ch->rows || ch->bpl < ch->line_bytes ||
	    ch->sizeimage < (size_t)ch->bpl * (ch->rows - 1) +
			    ch->line_bytes) {
		fprintf(stderr, PROG ": %s: inconsistent format %ux%u %s, bytesperline %u, sizeimage %u\n",
			ch->path, ch->width, ch->height, fcc, ch->bpl,
			ch->sizeimage);
		return -1;
	}
	if (setup_crop(ch))
		return -1;

	if (opt.set_pattern) {
		struct v4l2_control ctrl = { .id = V4L2_CID_TEST_PATTERN };
		int old;

		if (xioctl(ch->fd, VIDIOC_G_CTRL, &ctrl)) {
			fprintf(stderr, PROG ": %s: no test pattern control: %s\n",
				ch->path, strerror(errno));
			return -1;
		}
		old = ctrl.value;
		/*
		 * The pattern is the input's, but each channel has a control
		 * of its own, which the driver does not update when another
		 * channel on the same input changes the pattern: a control
		 * that already reads the value we want may be stale, and
		 * setting it again would not reach the card. Set the other
		 * value first, so that the wanted one is written for sure.
		 */
		if ((uint32_t)ctrl.value == opt.pattern) {
			ctrl.value = opt.pattern == DAQCAP_PATTERN_BARS ?
				     DAQCAP_PATTERN_VERIFY :
				     DAQCAP_PATTERN_BARS;
			xioctl(ch->fd, VIDIOC_S_CTRL, &ctrl);
		}
		ctrl.value = (int)opt.pattern;
		if (xioctl(ch->fd, VIDIOC_S_CTRL, &ctrl)) {
			fprintf(stderr, PROG ": %s: cannot set the test pattern: %s\n",
				ch->path, strerror(errno));
			return -1;
		}
		if (!opt.keep_pattern && (uint32_t)old != opt.pattern)
			ch->orig_pattern = old;
	}
	return 0;
}

/*
 * Put the test pattern back as it was. The pattern belongs to the input, so
 * channels on one input share it: restore in the reverse order of opening,
 * so that the first channel's value, the one found on the input, wins.
 */
static void restore_pattern(struct channel *ch)
{
	struct v4l2_control ctrl = { .id = V4L2_CID_TEST_PATTERN };

	if (ch->orig_pattern < 0 || ch->fd < 0)
		return;
	ctrl.value = ch->orig_pattern;
	xioctl(ch->fd, VIDIOC_S_CTRL, &ctrl);
	ch->orig_pattern = -1;
}

static int udmabuf_create(struct channel *ch, struct buffer *b, size_t size)
{
	static int dev = -1;
	struct udmabuf_create c;
	int memfd;

	if (dev < 0) {
		dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (dev < 0) {
			chan_fail(ch, "/dev/udmabuf: %s (a kernel with CONFIG_UDMABUF, or --dmabuf-from self)",
				  strerror(errno));
			return -1;
		}
	}
	memfd = memfd_create("daqcap-verify", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		chan_fail(ch, "memfd: %s", strerror(errno));
		if (memfd >= 0)
			close(memfd);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.memfd = (uint32_t)memfd;
	c.flags = UDMABUF_FLAGS_CLOEXEC;
	c.offset = 0;
	c.size = size;
	b->dmabuf_fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (b->dmabuf_fd < 0) {
		chan_fail(ch, "UDMABUF_CREATE: %s", strerror(errno));
		close(memfd);
		return -1;
	}
	b->memfd = memfd;
	b->length = size;
	b->start = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
			0);
	if (b->start == MAP_FAILED) {
		b->start = NULL;
		chan_fail(ch, "mmap of the memfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int request_buffers(struct channel *ch, uint32_t memory,
			   unsigned int count)
{
	struct v4l2_requestbuffers req;

	memset(&req, 0, sizeof(req));
	req.count = count;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = memory;
	if (xioctl(ch->fd, VIDIOC_REQBUFS, &req)) {
		chan_fail(ch, "VIDIOC_REQBUFS(%u): %s", count, strerror(errno));
		return -1;
	}
	if (count && req.count < 2) {
		chan_fail(ch, "VIDIOC_REQBUFS gave %u buffers", req.count);
		return -1;
	}
	return (int)req.count;
}

static int queue_buffer(struct channel *ch, unsigned int i)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.index = i;
	switch (opt.io) {
	case IO_MMAP:
		b.memory = V4L2_MEMORY_MMAP;
		break;
	case IO_USERPTR:
		b.memory = V4L2_MEMORY_USERPTR;
		b.m.userptr = (unsigned long)ch->bufs[i].start;
		b.length = (uint32_t)ch->bufs[i].length;
		break;
	case IO_DMABUF:
		b.memory = V4L2_MEMORY_DMABUF;
		b.m.fd = ch->bufs[i].dmabuf_fd;
		b.length = (uint32_t)ch->bufs[i].length;
		break;
	case IO_READ:
		return 0;
	}
	if (xioctl(ch->fd, VIDIOC_QBUF, &b)) {
		chan_fail(ch, "VIDIOC_QBUF(%u): %s", i, strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_buffers(struct channel *ch)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = ((size_t)ch->sizeimage + (size_t)page - 1) &
		      ~((size_t)page - 1);
	unsigned int i;
	int n;

	for (i = 0; i < MAX_BUFFERS; i++) {
		ch->bufs[i].dmabuf_fd = -1;
		ch->bufs[i].memfd = -1;
	}

	switch (opt.io) {
	case IO_READ:
		ch->readbuf = malloc(ch->sizeimage);
		if (!ch->readbuf) {
			chan_fail(ch, "out of memory");
			return -1;
		}
		return 0;

	case IO_MMAP:
		n = request_buffers(ch, V4L2_MEMORY_MMAP, opt.buffers);
		if (n < 0)
			return -1;
		ch->nbufs = (unsigned int)n;
		for (i = 0; i < ch->nbufs; i++) {
			struct v4l2_buffer b;

			memset(&b, 0, sizeof(b));
			b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			b.memory = V4L2_MEMORY_MMAP;
			b.index = i;
			if (xioctl(ch->fd, VIDIOC_QUERYBUF, &b)) {
				chan_fail(ch, "VIDIOC_QUERYBUF: %s",
					  strerror(errno));
				return -1;
			}
			ch->bufs[i].length = b.length;
			ch->bufs[i].start = mmap(NULL, b.length, PROT_READ,
						 MAP_SHARED, ch->fd,
						 b.m.offset);
			if (ch->bufs[i].start == MAP_FAILED) {
				ch->bufs[i].start = NULL;
				chan_fail(ch, "mmap: %s", strerror(errno));
				return -1;
			}
		}
		break;

	case IO_USERPTR:
		n = request_buffers(ch, V4L2_MEMORY_USERPTR, opt.buffers);
		if (n < 0)
			return -1;
		ch->nbufs = (unsigned int)n;
		for (i = 0; i < ch->nbufs; i++) {
			void *p;

			if (posix_memalign(&p, (size_t)page, size)) {
				chan_fail(ch, "out of memory");
				return -1;
			}
			ch->bufs[i].start = p;
			ch->bufs[i].length = size;
		}
		break;

	case IO_DMABUF:
		if (opt.dmabuf_from == DMABUF_SELF) {
			/*
			 * Export MMAP buffers as dma-bufs, free the MMAP
			 * buffers (the dma-bufs keep their memory) and import
			 * the dma-bufs on the same queue.
			 */
			n = request_buffers(ch, V4L2_MEMORY_MMAP, opt.buffers);
			if (n < 0)
				return -1;
			ch->nbufs = (unsigned int)n;
			for (i = 0; i < ch->nbufs; i++) {
				struct v4l2_exportbuffer e;

				memset(&e, 0, sizeof(e));
				e.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
				e.index = i;
				e.flags = O_RDWR | O_CLOEXEC;
				if (xioctl(ch->fd, VIDIOC_EXPBUF, &e)) {
					chan_fail(ch, "VIDIOC_EXPBUF: %s",
						  strerror(errno));
					return -1;
				}
				ch->bufs[i].dmabuf_fd = e.fd;
				ch->bufs[i].length = (size_t)lseek(e.fd, 0,
								   SEEK_END);
				lseek(e.fd, 0, SEEK_SET);
			}
			if (request_buffers(ch, V4L2_MEMORY_MMAP, 0) < 0)
				return -1;
		} else {
			ch->nbufs = opt.buffers;
			for (i = 0; i < ch->nbufs; i++)
				if (udmabuf_create(ch, &ch->bufs[i], size))
					return -1;
		}
		n = request_buffers(ch, V4L2_MEMORY_DMABUF, ch->nbufs);
		if (n < 0)
			return -1;
		if ((unsigned int)n < ch->nbufs)
			ch->nbufs = (unsigned int)n;
		for (i = 0; i < ch->nbufs; i++) {
			struct buffer *b = &ch->bufs[i];

			if (b->start)
				continue;
			b->start = mmap(NULL, b->length, PROT_READ, MAP_SHARED,
					b->dmabuf_fd, 0);
			if (b->start == MAP_FAILED) {
				b->start = NULL;
				chan_fail(ch, "mmap of a dma-buf: %s",
					  strerror(errno));
				return -1;
			}
		}
		break;
	}
	for (i = 0; i < ch->nbufs; i++)
		if (queue_buffer(ch, i))
			return -1;
	return 0;
}

static int stream_on(struct channel *ch)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	ch->t_start = now();
	if (opt.io == IO_READ) {
		ch->streaming = true;	/* the first poll() starts it */
		return 0;
	}
	if (xioctl(ch->fd, VIDIOC_STREAMON, &type)) {
		chan_fail(ch, "VIDIOC_STREAMON: %s", strerror(errno));
		return -1;
	}
	ch->streaming = true;
	return 0;
}

static void teardown(struct channel *ch)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int i;

	if (ch->fd < 0)
		return;
	if (ch->streaming && opt.io != IO_READ)
		xioctl(ch->fd, VIDIOC_STREAMOFF, &type);
	ch->streaming = false;
	for (i = 0; i < ch->nbufs; i++) {
		struct buffer *b = &ch->bufs[i];

		if (b->start) {
			if (opt.io == IO_USERPTR)
				free(b->start);
			else
				munmap(b->start, b->length);
		}
		if (b->dmabuf_fd >= 0)
			close(b->dmabuf_fd);
		if (b->memfd >= 0)
			close(b->memfd);
		b->start = NULL;
		b->dmabuf_fd = b->memfd = -1;
	}
	if (opt.io != IO_READ && ch->nbufs) {
		struct v4l2_requestbuffers req;

		memset(&req, 0, sizeof(req));
		req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		req.memory = opt.io == IO_MMAP ? V4L2_MEMORY_MMAP :
			     opt.io == IO_USERPTR ? V4L2_MEMORY_USERPTR :
			     V4L2_MEMORY_DMABUF;
		xioctl(ch->fd, VIDIOC_REQBUFS, &req);
	}
	ch->nbufs = 0;
	free(ch->readbuf);
	ch->readbuf = NULL;
}

/* ---- Capture ------------------------------------------------------------- */

static bool channel_finished(const struct channel *ch)
{
	return opt.count && ch->delivered >= opt.count;
}

static void dmabuf_sync(const struct buffer *b, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_READ };

	if (b->dmabuf_fd >= 0)
		xioctl(b->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &s);
}

static void service_stream(struct channel *ch)
{
	struct v4l2_buffer b;
	struct buffer *buf;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = opt.io == IO_MMAP ? V4L2_MEMORY_MMAP :
		   opt.io == IO_USERPTR ? V4L2_MEMORY_USERPTR :
		   V4L2_MEMORY_DMABUF;
	if (xioctl(ch->fd, VIDIOC_DQBUF, &b)) {
		if (errno == EAGAIN)
			return;
		chan_fail(ch, "VIDIOC_DQBUF: %s", strerror(errno));
		return;
	}
	if (b.index >= ch->nbufs) {
		chan_fail(ch, "VIDIOC_DQBUF returned buffer %u of %u", b.index,
			  ch->nbufs);
		return;
	}
	buf = &ch->bufs[b.index];
	if (b.bytesused > buf->length)
		b.bytesused = (uint32_t)buf->length;
	dmabuf_sync(buf, DMA_BUF_SYNC_START);
	check_frame(ch, buf->start, b.bytesused, b.sequence,
		    b.flags & V4L2_BUF_FLAG_ERROR,
		    (double)b.timestamp.tv_sec +
		    (double)b.timestamp.tv_usec / 1e6);
	dmabuf_sync(buf, DMA_BUF_SYNC_END);
	if (channel_finished(ch)) {
		ch->done = true;
		return;
	}
	queue_buffer(ch, b.index);
}

static void service_read(struct channel *ch)
{
	ssize_t n = read(ch->fd, ch->readbuf + ch->readpos,
			 ch->sizeimage - ch->readpos);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		chan_fail(ch, "read: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		chan_fail(ch, "read: end of file");
		return;
	}
	ch->readpos += (size_t)n;
	if (ch->readpos < ch->sizeimage)
		return;
	ch->readpos = 0;
	check_read_frame(ch);
	if (channel_finished(ch))
		ch->done = true;
}

static void print_progress(bool final)
{
	char line[512];
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < nchans && len < sizeof(line) - 64; i++) {
		const struct channel *c = &chans[i];
		const char *name = strrchr(c->path, '/');

		name = name ? name + 1 : c->path;
		if (opt.count)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				"%s%s %" PRIu64 "/%" PRIu64, i ? " | " : "",
				name, c->delivered, opt.count);
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				"%s%s %" PRIu64, i ? " | " : "", name,
				c->delivered);
		if (c->dropped)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				" drop %" PRIu64, c->dropped);
		if (c->corrupt)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				" BAD %" PRIu64, c->corrupt);
		if (c->errored)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				" err %" PRIu64, c->errored);
	}
	fprintf(stderr, "\r\033[K%s", final ? "" : line);
	fflush(stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void capture(void)
{
	bool progress = opt.progress > 0 ||
			(opt.progress < 0 && !opt.quiet && isatty(2));
	double start = now(), last_progress = 0;
	struct pollfd pfd[MAX_CHANNELS];
	unsigned int i, n;

	for (;;) {
		double t = now();

		n = 0;
		for (i = 0; i < nchans; i++) {
			struct channel *ch = &chans[i];
			double since;

			if (ch->done)
				continue;
			since = t - (ch->delivered ? ch->t_last : ch->t_start);
			if (since > opt.timeout) {
				chan_fail(ch, "no frame for %.0f s", since);
				continue;
			}
			pfd[n].fd = ch->fd;
			pfd[n].events = POLLIN | POLLPRI;
			pfd[n].revents = 0;
			n++;
		}
		if (!n || interrupted)
			break;
		if (opt.duration > 0 && t - start >= opt.duration)
			break;
		if (progress && t - last_progress >= 0.25) {
			print_progress(false);
			last_progress = t;
		}
		if (poll(pfd, n, 250) < 0) {
			if (errno == EINTR)
				continue;
			perror(PROG ": poll");
			break;
		}
		for (i = 0; i < nchans; i++) {
			struct channel *ch = &chans[i];
			unsigned int j;

			if (ch->done)
				continue;
			for (j = 0; j < n && pfd[j].fd != ch->fd; j++)
				;
			if (j == n || !pfd[j].revents)
				continue;
			if (opt.io == IO_READ)
				service_read(ch);
			else
				service_stream(ch);
		}
	}
	if (progress)
		print_progress(true);
}

/* ---- Report ----------------------------------------------------------------- */

static bool report(const struct channel *ch)
{
	double span = ch->t_last - ch->t_first;
	double fps = 0, mbps = 0, card_fps = 0;
	bool ok = !ch->failed && !ch->corrupt && !ch->seq_errors &&
		  (!ch->errored || opt.allow_errors) && ch->delivered;

	/*
	 * Rates over the frames' own timestamps (end of frame, set by the
	 * driver) when there are some: the dequeue times add the jitter of
	 * this process. read() gives none: wall clock then.
	 */
	if (ch->delivered > 1 && ch->ts_last > ch->ts_first) {
		span = ch->ts_last - ch->ts_first;
		card_fps = (double)(ch->last_seq - ch->first_seq) / span;
	}
	if (ch->delivered > 1 && span > 0) {
		fps = (double)(ch->delivered - 1) / span;
		mbps = (double)ch->bytes / (double)ch->delivered *
		       (double)(ch->delivered - 1) / span / 1e6;
	}

	printf("%s: delivered %" PRIu64 ", dropped %" PRIu64
	       ", corrupt %" PRIu64 ", errored %" PRIu64,
	       ch->path, ch->delivered, ch->dropped, ch->corrupt, ch->errored);
	if (ch->have_seq)
		printf(", sequence %u..%u", ch->first_seq, ch->last_seq);
	printf(", %.2f fps, %.1f MB/s", fps, mbps);
	if (card_fps > 0)
		printf(" (card %.2f fps)", card_fps);
	printf(": %s\n", ok ? "OK" : "FAIL");
	if (ch->seq_errors)
		printf("  %" PRIu64 " sequence numbers repeated or went backwards\n",
		       ch->seq_errors);
	if (ch->corrupt) {
		if (ch->bad_note[0])
			printf("  first corrupt frame: sequence %u: %s\n",
			       ch->bad_seq, ch->bad_note);
		else
			printf("  first corrupt frame: sequence %u, line %u, byte %ld of the line (offset %zu in the buffer)\n",
			       ch->bad_seq, ch->bad_line, ch->bad_offset,
			       ch->bad_buf_offset);
	}
	if (ch->errored && !opt.allow_errors)
		printf("  %" PRIu64 " frames flagged V4L2_BUF_FLAG_ERROR (--allow-errors to accept)\n",
		       ch->errored);
	if (ch->failed)
		printf("  capture failed: %s\n", ch->error);
	else if (!ch->delivered)
		printf("  no frame captured\n");
	return ok;
}

int main(int argc, char **argv)
{
	enum {
		OPT_DMABUF_FROM = 256, OPT_STRIDE, OPT_NO_SET, OPT_KEEP,
		OPT_ALLOW_ERRORS, OPT_TIMEOUT, OPT_PROGRESS, OPT_NO_PROGRESS,
	};
	static const struct option opts[] = {
		{ "device",         required_argument, NULL, 'd' },
		{ "count",          required_argument, NULL, 'n' },
		{ "duration",       required_argument, NULL, 't' },
		{ "io",             required_argument, NULL, 'I' },
		{ "dmabuf-from",    required_argument, NULL, OPT_DMABUF_FROM },
		{ "buffers",        required_argument, NULL, 'b' },
		{ "format",         required_argument, NULL, 'f' },
		{ "stride",         required_argument, NULL, OPT_STRIDE },
		{ "input",          required_argument, NULL, 'i' },
		{ "pattern",        required_argument, NULL, 'p' },
		{ "no-set-pattern", no_argument,       NULL, OPT_NO_SET },
		{ "keep-pattern",   no_argument,       NULL, OPT_KEEP },
		{ "allow-errors",   no_argument,       NULL, OPT_ALLOW_ERRORS },
		{ "timeout",        required_argument, NULL, OPT_TIMEOUT },
		{ "progress",       no_argument,       NULL, OPT_PROGRESS },
		{ "no-progress",    no_argument,       NULL, OPT_NO_PROGRESS },
		{ "quiet",          no_argument,       NULL, 'q' },
		{ "help",           no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *paths[MAX_CHANNELS];
	unsigned int npaths = 0, i, j;
	bool all_ok = true, count_given = false;
	struct sigaction sa;
	uint64_t v;
	int c, r;

	while ((c = getopt_long(argc, argv, "d:n:t:I:b:f:i:p:qh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			if (npaths == MAX_CHANNELS)
				usage_error("at most %d devices", MAX_CHANNELS);
			paths[npaths++] = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 0, UINT32_MAX, &opt.count))
				usage_error("invalid --count '%s': expected a number of frames",
					    optarg);
			count_given = true;
			break;
		case 't':
			if (parse_seconds(optarg, &opt.duration))
				usage_error("invalid --duration '%s': expected seconds",
					    optarg);
			break;
		case 'I':
			for (j = 0; j < 4 && strcmp(optarg, io_names[j]); j++)
				;
			if (j == 4)
				usage_error("invalid --io '%s': expected mmap, userptr, dmabuf or read",
					    optarg);
			opt.io = (enum io_method)j;
			break;
		case OPT_DMABUF_FROM:
			if (!strcmp(optarg, "self"))
				opt.dmabuf_from = DMABUF_SELF;
			else if (!strcmp(optarg, "udmabuf"))
				opt.dmabuf_from = DMABUF_UDMABUF;
			else
				usage_error("invalid --dmabuf-from '%s': expected self or udmabuf",
					    optarg);
			break;
		case 'b':
			if (parse_u64(optarg, 2, MAX_BUFFERS, &v))
				usage_error("invalid --buffers '%s': expected 2 to %d",
					    optarg, MAX_BUFFERS);
			opt.buffers = (unsigned int)v;
			break;
		case 'f':
			opt.format = daqcap_format_lookup(optarg);
			if (opt.format < 0)
				usage_error("invalid --format '%s': expected YUYV, UYVY, RGB24, BGR24, XBGR32, GREY or Y16 (or a fourcc: RGB3, BGR3, XR24)",
					    optarg);
			break;
		case OPT_STRIDE:
			if (parse_u64(optarg, 1, DAQCAP_MAX_STRIDE, &v))
				usage_error("invalid --stride '%s': expected 1 to %d bytes",
					    optarg, DAQCAP_MAX_STRIDE);
			opt.stride = (uint32_t)v;
			break;
		case 'i':
			if (parse_u64(optarg, 0, DAQCAP_MAX_INPUTS - 1, &v))
				usage_error("invalid --input '%s': expected 0 to %d",
					    optarg, DAQCAP_MAX_INPUTS - 1);
			opt.input = (int)v;
			break;
		case 'p':
			r = daqcap_pattern_lookup(optarg);
			if (r < 0)
				usage_error("invalid --pattern '%s': expected verify or bars",
					    optarg);
			opt.pattern = (uint32_t)r;
			break;
		case OPT_NO_SET:
			opt.set_pattern = false;
			break;
		case OPT_KEEP:
			opt.keep_pattern = true;
			break;
		case OPT_ALLOW_ERRORS:
			opt.allow_errors = true;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, &opt.timeout))
				usage_error("invalid --timeout '%s': expected seconds",
					    optarg);
			break;
		case OPT_PROGRESS:
			opt.progress = 1;
			break;
		case OPT_NO_PROGRESS:
			opt.progress = 0;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:	/* getopt_long() has said what is wrong */
			fputs("Try '" PROG " --help' for more information.\n",
			      stderr);
			return EXIT_USAGE;
		}
	}
	for (; optind < argc; optind++) {
		if (npaths == MAX_CHANNELS)
			usage_error("at most %d devices", MAX_CHANNELS);
		paths[npaths++] = argv[optind];
	}
	if (!npaths)
		usage_error("no device given (e.g. /dev/video0)");
	if (opt.duration > 0 && !count_given)
		opt.count = 0;
	if (opt.io != IO_DMABUF && opt.dmabuf_from != DMABUF_SELF)
		usage_error("--dmabuf-from needs --io dmabuf");

	for (i = 0; i < npaths; i++) {
		struct stat a, b;

		if (!*paths[i])
			usage_error("empty device name");
		for (j = 0; j < i; j++)
			if (!strcmp(paths[i], paths[j]) ||
			    (!stat(paths[i], &a) && !stat(paths[j], &b) &&
			     a.st_rdev == b.st_rdev && S_ISCHR(a.st_mode)))
				usage_error("%s is given twice", paths[i]);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	nchans = npaths;
	for (i = 0; i < nchans; i++) {
		chans[i].path = paths[i];
		chans[i].fd = -1;
	}
	for (i = 0; i < nchans; i++) {
		if (open_channel(&chans[i])) {
			for (j = i + 1; j--;) {
				restore_pattern(&chans[j]);
				if (chans[j].fd >= 0)
					close(chans[j].fd);
				chans[j].fd = -1;
			}
			return EXIT_USAGE;
		}
	}

	for (i = 0; i < nchans; i++)
		setup_buffers(&chans[i]);
	for (i = 0; i < nchans; i++) {
		struct channel *ch = &chans[i];
		char fcc[8];

		char nbuf[24] = "";
		char window[48] = "";

		if (opt.quiet)
			continue;
		if (ch->nbufs)
			snprintf(nbuf, sizeof(nbuf), ", %u buffers",
				 ch->nbufs);
		if (ch->f.crop.width)
			snprintf(window, sizeof(window), " at (%u, %u) of %ux%u",
				 ch->f.crop.left, ch->f.crop.top, ch->f.width,
				 ch->f.height);
		printf("%s: %s, input %u, %ux%u%s %s, stride %u, %s%s%s, pattern %s%s\n",
		       ch->path, ch->card, ch->input, ch->width, ch->height,
		       window, fourcc_str(ch->fourcc, fcc), ch->bpl,
		       io_names[opt.io],
		       opt.io != IO_DMABUF ? "" :
		       opt.dmabuf_from == DMABUF_SELF ?
		       " (exported by the same queue)" : " (from udmabuf)",
		       nbuf, daqcap_pattern_name(opt.pattern),
		       opt.set_pattern ? "" : " (control not set)");
	}
	fflush(stdout);
	for (i = 0; i < nchans; i++)
		if (!chans[i].failed)
			stream_on(&chans[i]);

	capture();

	for (i = 0; i < nchans; i++)
		teardown(&chans[i]);
	for (i = nchans; i--;) {
		restore_pattern(&chans[i]);
		close(chans[i].fd);
		chans[i].fd = -1;
	}
	for (i = 0; i < nchans; i++)
		if (!report(&chans[i]))
			all_ok = false;
	if (interrupted && !opt.quiet)
		printf("interrupted\n");
	if (!all_ok)
		return EXIT_FAIL;
	return interrupted ? EXIT_INTR : 0;
}
