// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap-soak: every channel of every card streaming at once, for a long
 * time, while formats, sizes and I/O methods rotate and faults are injected
 * into the cards at random; every byte of every frame checked.
 *
 * Runs as root in the VM bench (tests/soak/run starts it with
 * utils/daqcap-vm --cards 2 --guest-qmp). Each channel goes through
 * sessions: S_INPUT (its own input), S_DV_TIMINGS for the session's size,
 * S_FMT for the next format of the driver's ENUM_FMT list, the VERIFY test
 * pattern, buffers of the session's I/O method (MMAP, USERPTR, DMABUF
 * exported by the queue itself and imported back), STREAMON; then frames,
 * each checked line by line with the card's pattern (pattern/
 * daqcap-pattern.c, the same code the card model renders with), for the
 * session's length; then the buffers come back (no more are queued: the
 * card is left without any, so everything it does after the last frame is
 * a drop), STREAMOFF, and the accounting:
 *
 *   S = the card's CH_SEQUENCE after the session (it starts at 0 at every
 *       enable and counts every frame it started and every frame it
 *       dropped), D = the frames it dropped (CH_DROPS, debugfs hw_drops;
 *       and its cumulative counter over QMP, which must agree), n = the
 *       buffers dequeued, L = the last sequence number dequeued.
 *   gaps     = L + 1 - n: sequence numbers missing among those dequeued
 *   tail     = S - (L + 1): sequence numbers after the last one dequeued
 *   stranded = S - n - D = gaps + tail - D: frames the card sent that no
 *              buffer brought back
 *
 * A session that ends normally has every buffer back: then stranded must be
 * 0, i.e. the frames missing from the sequence are exactly the card's
 * drops. A session cut short by an error (a DMA error halts the channel, a
 * cable event ends the stream: DQBUF says EIO and the buffers done but not
 * dequeued are lost with the queue) may strand the frames in flight, at
 * most one per buffer plus the one being written, and never fewer than 0;
 * and the gaps before its last frame are still no more than the drops.
 *
 * Buffers flagged V4L2_BUF_FLAG_ERROR (the card said a chunk was lost or
 * bad) are counted, not checked; every other buffer must be byte-exact,
 * with bytesused = sizeimage, sequence numbers strictly increasing and
 * timestamps too.
 *
 * A buffer must come back within DRAIN_MS once the card has it and frames
 * come (the driver returns even a buffer the card lied about as soon as the
 * card starts the next), and a streaming channel must deliver within
 * STALL_MS: else the run fails.
 *
 * Faults go to the card's "inject" property over QMP (struct qmp,
 * tests/driver/daqcap_common.c), at random intervals, on a random channel,
 * while it streams and at least 10 frames before its session ends (so that
 * the fault fires within the session); cable events turn an input's signal
 * off (back on 0.2 to 2 s later) or switch its timings (a smaller mode ends
 * the stream; the channel's next sizes are those the input still has). At
 * the end the driver's own counters (debugfs) are shown beside the faults
 * injected. The schedule (which fault, which channel, in which order; each
 * channel's formats, sizes, I/O methods and session lengths) follows from
 * --seed; when it happens depends on the machine.
 *
 * Output: "# " lines (progress every --progress seconds, a table at the
 * end), then "ok - soak ..." or "not ok - soak ..."; exit status 0 only if
 * the frame target was reached with nothing wrong.
 */
#define _GNU_SOURCE
/* The test suite's helpers; their harness header is not used here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "daqcap_common.h"
#pragma GCC diagnostic pop

#include <getopt.h>
#include <math.h>
#include <signal.h>

#define PROG		"daqcap-soak"
#define MAX_CH		16
#define SOAK_BUFS	4
#define DRAIN_MS	5000	/* for the last buffers of a session */
#define STALL_MS	30000	/* a streaming channel with no frame */
#define MAX_REPORTS	5	/* corrupt frames described per channel */

/* ---- pseudo-random numbers: one stream per purpose, from --seed ------------ */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)	/* splitmix64 */
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rng_next(r) % n) : 0;
}

/* ---- what rotates ----------------------------------------------------------- */

enum io { IO_MMAP, IO_USERPTR, IO_DMABUF, IO_COUNT };
static const char *const io_names[] = { "mmap", "userptr", "dmabuf" };
static const uint32_t io_memory[] = {
	V4L2_MEMORY_MMAP, V4L2_MEMORY_USERPTR, V4L2_MEMORY_DMABUF,
};

/* Sizes: CEA-861 timings the driver takes, each used if the input is as large. */
static const struct { uint32_t w, h; } sizes[] = {
	{ 640, 480 }, { 720, 480 }, { 720, 576 },
};
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

/* Modes the "timings" cable event switches an input between. */
static const char *const cable_modes[] = {
	"640x480p60", "720x480p60", "720x576p50",
};
#define NMODES	(sizeof(cable_modes) / sizeof(cable_modes[0]))

/* ---- faults ------------------------------------------------------------------- */

enum fault_kind { FK_CARD, FK_SIGNAL, FK_TIMINGS };

struct fault {
	const char *name;	/* the model's "inject" name, or the cable event */
	enum fault_kind kind;
	unsigned int weight;
	bool enabled;
	uint64_t injected, failed;
};

static struct fault faults[] = {
	{ "drop", FK_CARD, 4, true, 0, 0 },
	{ "fifo-overflow", FK_CARD, 3, true, 0, 0 },
	{ "lost-irq", FK_CARD, 2, true, 0, 0 },
	{ "dma-error", FK_CARD, 1, true, 0, 0 },
	{ "bad-cookie", FK_CARD, 1, true, 0, 0 },
	{ "bad-chunk", FK_CARD, 1, true, 0, 0 },
	{ "bad-lines", FK_CARD, 1, true, 0, 0 },
	{ "dup-completion", FK_CARD, 1, true, 0, 0 },
	{ "signal", FK_SIGNAL, 1, true, 0, 0 },
	{ "timings", FK_TIMINGS, 1, true, 0, 0 },
};
#define NFAULTS	(sizeof(faults) / sizeof(faults[0]))

/* ---- channels ------------------------------------------------------------------- */

enum state {
	ST_IDLE,	/* between sessions */
	ST_NOSIGNAL,	/* waiting for its input to lock */
	ST_STREAM,	/* capturing, buffers requeued */
	ST_DRAIN,	/* capturing, buffers not requeued */
	ST_DONE,	/* the run is over for it */
};

struct sbuf {
	uint8_t *data;
	size_t len;
	void *map;
	size_t map_len;
	int dmabuf;
	bool queued;
};

struct hwc {			/* the card's counters for a channel */
	long long drops, sequence, frames;
};

struct chan {
	const struct dnode *node;
	int idx, fd;
	unsigned int input;
	struct rng rot;
	enum state st;
	uint64_t t_state, t_last;	/* ns: state entered, last buffer */

	/* The session. */
	unsigned int session;	/* sessions started */
	enum io io;
	unsigned int fmt_i, size_i;	/* indices: enum_fourccs[], sizes[] */
	uint32_t fourcc;
	struct v4l2_pix_format pix;
	struct daqcap_pattern_frame pf;
	size_t lb;
	struct sbuf b[MAX_BUFS];
	unsigned int nbufs, nqueued;
	uint64_t target;
	uint64_t n, good, err;	/* dequeued, byte-exact, flagged */
	bool have_last;
	uint32_t last_seq;
	uint64_t last_ts;
	bool aborted;
	char why[96];
	long long drops0, qdrops0;

	/* Totals. */
	uint64_t fmt_changes, sessions, aborted_sessions;
	uint64_t checked, bytes, errbufs, gaps, tail, drops, stranded;
	uint64_t corrupt, order_errors, acct_errors, io_errors;
	uint64_t faults_in;
	uint32_t prev_fourcc, prev_w, prev_h;
	uint64_t progress_checked;
	unsigned int reports;
};

static struct {
	uint64_t frames;
	double duration;
	uint64_t seed;
	double fault_interval;
	double progress;
	bool faults;
	bool verbose;
} opt = {
	.frames = 100000,
	.seed = 1,
	.fault_interval = 1.0,
	.progress = 10,
	.faults = true,
};

static struct dnode nodes[MAX_NODES];
static struct chan chans[MAX_CH];
static int nchans, ncards;
static uint32_t enum_fourccs[16];
static int nenum;
static struct qmp qmp;
static bool have_qmp;
static uint64_t t0;
static bool stopping;
static char stop_why[96];
static uint64_t total_checked;
static uint64_t fatal_errors;
static volatile sig_atomic_t interrupted;
/* What the sessions covered: sessions and frames checked by I/O method, format, size. */
static uint64_t by_io[IO_COUNT][2], by_fmt[16][2], by_size[NSIZES][2];

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	printf("# [%6.1f s] ", secs(now_ns() - t0));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *chname(const struct chan *c)
{
	static char buf[4][24];
	static int i;
	char *s = buf[i++ % 4];

	snprintf(s, 24, "c%d.ch%u", c->node->card, c->node->chan);
	return s;
}

/* Whether more than @limit ns passed from @t to @now (@t may be later). */
static bool older(uint64_t t, uint64_t now, uint64_t limit)
{
	return now > t && now - t > limit;
}

static void set_state(struct chan *c, enum state st)
{
	c->st = st;
	c->t_state = now_ns();
}

/* ---- the card's counters ------------------------------------------------------ */

static struct hwc read_hw(const struct chan *c)
{
	struct hwc h;

	h.drops = dbg_counter(c->node->pci, c->node->chan, "hw_drops");
	h.sequence = dbg_counter(c->node->pci, c->node->chan, "hw_sequence");
	h.frames = dbg_counter(c->node->pci, c->node->chan, "hw_frames");
	return h;
}

/* The model's cumulative drop counter of the channel (never reset), or -1. */
static long long qmp_drops(const struct chan *c)
{
	unsigned long long v;
	char prop[32];

	if (!have_qmp)
		return -1;
	snprintf(prop, sizeof(prop), "ch%u-drops", c->node->chan);
	if (qmp_get_u64(&qmp, c->node->card, prop, &v))
		return -1;
	return (long long)v;
}

/* ---- buffers ------------------------------------------------------------------ */

static void free_buffers(struct chan *c)
{
	struct v4l2_requestbuffers req = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = io_memory[c->io],
	};

	for (unsigned int i = 0; i < c->nbufs; i++) {
		struct sbuf *b = &c->b[i];

		if (b->map)
			munmap(b->map, b->map_len);
		else
			free(b->data);
		if (b->dmabuf >= 0)
			close(b->dmabuf);
		memset(b, 0, sizeof(*b));
		b->dmabuf = -1;
	}
	if (c->nbufs)
		xioctl(c->fd, VIDIOC_REQBUFS, &req);
	c->nbufs = 0;
	c->nqueued = 0;
}

static int reqbufs(struct chan *c, uint32_t memory, unsigned int count)
{
	struct v4l2_requestbuffers req = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};
	int r = xioctl(c->fd, VIDIOC_REQBUFS, &req);

	if (r)
		return r;
	if (count && (req.count < 2 || req.count > MAX_BUFS))
		return -ENOMEM;
	return (int)req.count;
}

static int alloc_buffers(struct chan *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int n, r;

	for (unsigned int i = 0; i < MAX_BUFS; i++)
		c->b[i].dmabuf = -1;
	switch (c->io) {
	case IO_MMAP:
		n = reqbufs(c, V4L2_MEMORY_MMAP, SOAK_BUFS);
		if (n < 0)
			return n;
		c->nbufs = (unsigned int)n;
		for (unsigned int i = 0; i < c->nbufs; i++) {
			struct v4l2_buffer vb = {
				.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				.memory = V4L2_MEMORY_MMAP,
				.index = i,
			};

			r = xioctl(c->fd, VIDIOC_QUERYBUF, &vb);
			if (r)
				return r;
			c->b[i].map = mmap(NULL, vb.length, PROT_READ, MAP_SHARED,
					   c->fd, vb.m.offset);
			if (c->b[i].map == MAP_FAILED) {
				c->b[i].map = NULL;
				return -errno;
			}
			c->b[i].map_len = vb.length;
			c->b[i].data = c->b[i].map;
			c->b[i].len = vb.length;
		}
		return 0;
	case IO_USERPTR:
		n = reqbufs(c, V4L2_MEMORY_USERPTR, SOAK_BUFS);
		if (n < 0)
			return n;
		c->nbufs = (unsigned int)n;
		for (unsigned int i = 0; i < c->nbufs; i++) {
			void *p;

			c->b[i].len = (c->pix.sizeimage + page - 1) & ~(page - 1);
			if (posix_memalign(&p, page, c->b[i].len))
				return -ENOMEM;
			c->b[i].data = p;
		}
		return 0;
	case IO_DMABUF:
		/*
		 * dma-bufs exported by the queue itself (MMAP buffers, then
		 * freed: the dma-bufs keep their memory), imported back.
		 */
		n = reqbufs(c, V4L2_MEMORY_MMAP, SOAK_BUFS);
		if (n < 0)
			return n;
		c->nbufs = (unsigned int)n;
		for (unsigned int i = 0; i < c->nbufs; i++) {
			struct v4l2_exportbuffer e = {
				.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				.index = i,
				.flags = O_RDWR | O_CLOEXEC,
			};
			off_t size;

			r = xioctl(c->fd, VIDIOC_EXPBUF, &e);
			if (r)
				return r;
			c->b[i].dmabuf = e.fd;
			size = lseek(e.fd, 0, SEEK_END);
			if (size <= 0)
				return -EINVAL;
			c->b[i].len = (size_t)size;
		}
		r = reqbufs(c, V4L2_MEMORY_MMAP, 0);
		if (r < 0)
			return r;
		n = reqbufs(c, V4L2_MEMORY_DMABUF, c->nbufs);
		if (n < 0)
			return n;
		if ((unsigned int)n < c->nbufs)
			return -ENOMEM;
		for (unsigned int i = 0; i < c->nbufs; i++) {
			c->b[i].map = mmap(NULL, c->b[i].len, PROT_READ,
					   MAP_SHARED, c->b[i].dmabuf, 0);
			if (c->b[i].map == MAP_FAILED) {
				c->b[i].map = NULL;
				return -errno;
			}
			c->b[i].map_len = c->b[i].len;
			c->b[i].data = c->b[i].map;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static int qbuf(struct chan *c, unsigned int i)
{
	struct v4l2_buffer vb = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = io_memory[c->io],
		.index = i,
	};
	int r;

	if (c->io == IO_USERPTR) {
		vb.m.userptr = (unsigned long)c->b[i].data;
		vb.length = (uint32_t)c->b[i].len;
	} else if (c->io == IO_DMABUF) {
		vb.m.fd = c->b[i].dmabuf;
		vb.length = (uint32_t)c->b[i].len;
	}
	r = xioctl(c->fd, VIDIOC_QBUF, &vb);
	if (!r) {
		c->b[i].queued = true;
		c->nqueued++;
	}
	return r;
}

/* ---- sessions ---------------------------------------------------------------- */

/* Set the pattern control so that the card is sure to get VERIFY. */
static int set_verify(struct chan *c)
{
	int32_t v = -1;

	get_ctrl(c->fd, V4L2_CID_TEST_PATTERN, &v);
	if (v == DAQCAP_PATTERN_VERIFY)
		set_ctrl(c->fd, V4L2_CID_TEST_PATTERN, DAQCAP_PATTERN_BARS);
	return set_ctrl(c->fd, V4L2_CID_TEST_PATTERN, DAQCAP_PATTERN_VERIFY);
}

static void session_fail(struct chan *c, const char *what, int err)
{
	msg("%s: session %u (%s %ux%u %s): %s: %s", chname(c), c->session,
	    daqcap_format_name(c->pf.format), c->pix.width, c->pix.height,
	    io_names[c->io], what, strerror(-err));
	c->io_errors++;
	fatal_errors++;
}

/*
 * Configure and start the channel's next session. Returns false if it must
 * wait (no signal on its input) or failed (counted).
 */
static bool session_start(struct chan *c)
{
	const struct fmtinfo *fi;
	struct v4l2_dv_timings det, t;
	unsigned int k = c->session, nfit = 0, fit[NSIZES], in = c->input;
	uint32_t range;
	int r;

	/* Its own input (it keeps it: S_INPUT is a no-op after the first). */
	r = xioctl(c->fd, VIDIOC_S_INPUT, &in);
	if (!r)
		r = query_timings(c->fd, &det);
	if (r) {
		if (c->st != ST_NOSIGNAL)
			set_state(c, ST_NOSIGNAL);
		return false;
	}
	for (unsigned int i = 0; i < NSIZES; i++)
		if (sizes[i].w <= det.bt.width && sizes[i].h <= det.bt.height)
			fit[nfit++] = i;
	if (!nfit) {
		session_fail(c, "the input is smaller than every size", -ERANGE);
		set_state(c, ST_DONE);
		return false;
	}

	/* This session's format, size and I/O method, in turn. */
	c->fmt_i = (k + (unsigned int)c->idx) % (unsigned int)nenum;
	c->fourcc = enum_fourccs[c->fmt_i];
	c->io = (enum io)((k / 3 + (unsigned int)c->idx) % IO_COUNT);
	{
		unsigned int s = fit[(k + (unsigned int)c->idx / 2) % nfit];

		c->size_i = s;
		r = find_timings(c->fd, sizes[s].w, sizes[s].h, 0, &t);
		if (r) {
			session_fail(c, "no CEA timings for the size", r);
			set_state(c, ST_DONE);
			return false;
		}
	}
	range = (uint32_t)(opt.frames / (uint64_t)nchans / 8);
	if (range < 30)
		range = 30;
	if (range > 300)
		range = 300;
	c->target = range / 2 + rng_below(&c->rot, range);
	c->session++;

	fi = fmt_by_fourcc(c->fourcc);
	r = xioctl(c->fd, VIDIOC_S_DV_TIMINGS, &t);
	if (r) {
		/* The input may have changed meanwhile: try again later. */
		msg("%s: S_DV_TIMINGS %ux%u: %s; trying again", chname(c),
		    t.bt.width, t.bt.height, strerror(-r));
		set_state(c, ST_NOSIGNAL);
		return false;
	}
	/* Timings the channel already had keep its crop window: the whole frame. */
	set_crop(c->fd, NULL);
	r = set_fmt(c->fd, c->fourcc, 0, &c->pix);
	if (r || c->pix.pixelformat != c->fourcc || !fi ||
	    c->pix.width != t.bt.width || c->pix.height != t.bt.height) {
		session_fail(c, "S_FMT", r ? r : -EINVAL);
		set_state(c, ST_DONE);
		return false;
	}
	if (c->sessions && (c->fourcc != c->prev_fourcc || c->pix.width != c->prev_w ||
			    c->pix.height != c->prev_h))
		c->fmt_changes++;
	c->prev_fourcc = c->fourcc;
	c->prev_w = c->pix.width;
	c->prev_h = c->pix.height;

	r = set_verify(c);
	if (r) {
		session_fail(c, "test pattern control", r);
		set_state(c, ST_DONE);
		return false;
	}
	c->pf.input = c->input;
	c->pf.pattern = DAQCAP_PATTERN_VERIFY;
	c->pf.format = fi->code;
	c->pf.width = c->pix.width;
	c->pf.height = c->pix.height;
	c->lb = daqcap_pattern_line_bytes(fi->code, c->pix.width);
	if (!c->lb || c->lb > c->pix.bytesperline ||
	    (uint64_t)c->pix.bytesperline * daqcap_pattern_rows(fi->code, c->pix.height) !=
	    c->pix.sizeimage) {
		session_fail(c, "inconsistent format", -EINVAL);
		set_state(c, ST_DONE);
		return false;
	}

	r = alloc_buffers(c);
	for (unsigned int i = 0; !r && i < c->nbufs; i++)
		r = qbuf(c, i);
	if (r) {
		session_fail(c, "buffers", r);
		free_buffers(c);
		set_state(c, ST_DONE);
		return false;
	}

	c->n = c->good = c->err = 0;
	c->have_last = false;
	c->last_ts = 0;
	c->aborted = false;
	c->why[0] = '\0';
	c->drops0 = dbg_counter(c->node->pci, c->node->chan, "hw_drops");
	c->qdrops0 = qmp_drops(c);
	{
		int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

		r = xioctl(c->fd, VIDIOC_STREAMON, &type);
	}
	if (r) {
		/* A cable event between the query and here: wait for the input. */
		msg("%s: STREAMON: %s; waiting for the input", chname(c), strerror(-r));
		free_buffers(c);
		set_state(c, ST_NOSIGNAL);
		return false;
	}
	c->sessions++;
	if (opt.verbose)
		msg("%s: session %u: %s %ux%u %s, %llu frames", chname(c), c->session,
		    fi->name, c->pix.width, c->pix.height, io_names[c->io],
		    (unsigned long long)c->target);
	by_io[c->io][0]++;
	by_fmt[c->fmt_i][0]++;
	by_size[c->size_i][0]++;
	c->t_last = now_ns();
	set_state(c, stopping ? ST_DRAIN : ST_STREAM);
	return true;
}

/* Stop the session and account it. */
static void session_end(struct chan *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct hwc pre, post, end;
	long long d, qd = -1, q1, stranded;
	uint64_t L1 = c->have_last ? (uint64_t)c->last_seq + 1 : 0;
	uint64_t gaps, tail, s;
	bool ok = true;
	char note[160] = "";

	/*
	 * STREAMOFF resets a halted channel, counters and all: read them
	 * before (a halted channel counts nothing more) and after (a running
	 * one may drop frames until it is disabled); the later ones unless
	 * they went back.
	 */
	pre = read_hw(c);
	xioctl(c->fd, VIDIOC_STREAMOFF, &type);
	post = read_hw(c);
	end = post.sequence >= pre.sequence && post.drops >= pre.drops ? post : pre;
	q1 = qmp_drops(c);

	if (end.sequence < 0 || end.drops < 0 || c->drops0 < 0) {
		msg("%s: session %u: no debugfs counters", chname(c), c->session);
		c->acct_errors++;
		goto out;
	}
	d = end.drops - c->drops0;
	if (q1 >= 0 && c->qdrops0 >= 0)
		qd = q1 - c->qdrops0;
	s = (uint64_t)end.sequence;
	if (L1 > s) {
		snprintf(note, sizeof(note), "sequence %u dequeued, but the card used only %llu",
			 c->last_seq, (unsigned long long)s);
		ok = false;
		gaps = tail = 0;
		stranded = 0;
	} else {
		gaps = L1 - c->n;
		tail = s - L1;
		stranded = (long long)s - (long long)c->n - d;
		if (d < 0) {
			snprintf(note, sizeof(note), "the drop counter went back");
			ok = false;
		} else if (qd >= 0 && qd != d) {
			snprintf(note, sizeof(note), "debugfs counted %lld drops, the card model %lld",
				 d, qd);
			ok = false;
		} else if (!c->aborted && stranded != 0) {
			snprintf(note, sizeof(note), "%llu missing, %lld dropped: %lld frames lost",
				 (unsigned long long)(gaps + tail), d, stranded);
			ok = false;
		} else if (c->aborted &&
			   (stranded < 0 || stranded > (long long)c->nbufs + 1 ||
			    (long long)gaps > d)) {
			snprintf(note, sizeof(note), "stream cut: %llu gaps + %llu after the last frame, %lld dropped",
				 (unsigned long long)gaps, (unsigned long long)tail, d);
			ok = false;
		}
		c->gaps += gaps;
		c->tail += tail;
		if (d > 0)
			c->drops += (uint64_t)d;
		if (stranded > 0)
			c->stranded += (uint64_t)stranded;
	}
	if (!ok) {
		c->acct_errors++;
		msg("%s: session %u (%s %ux%u %s, %llu buffers, last seq %lld, card sequence %llu, drops %lld%s%s): ACCOUNTING: %s",
		    chname(c), c->session, daqcap_format_name(c->pf.format), c->pix.width,
		    c->pix.height, io_names[c->io], (unsigned long long)c->n,
		    c->have_last ? (long long)c->last_seq : -1LL,
		    (unsigned long long)s, d, c->aborted ? ", cut: " : "", c->why, note);
	}
out:
	if (c->aborted)
		c->aborted_sessions++;
	free_buffers(c);
	set_state(c, stopping ? ST_DONE : ST_IDLE);
}

/* End the session early: the stream is in error. */
static void session_abort(struct chan *c, const char *why, int err)
{
	c->aborted = true;
	snprintf(c->why, sizeof(c->why), "%s: %s", why, strerror(-err));
	session_end(c);
}

/* ---- frames ------------------------------------------------------------------- */

static void report_corrupt(struct chan *c, const struct v4l2_buffer *vb, uint32_t y,
			   long off, const char *what)
{
	const uint8_t *line;
	uint8_t want[8192];

	c->corrupt++;
	if (c->reports++ >= MAX_REPORTS)
		return;
	if (what) {
		msg("%s: CORRUPT frame seq %u (%s %ux%u %s, buffer %u): %s", chname(c),
		    vb->sequence, daqcap_format_name(c->pf.format), c->pf.width,
		    c->pf.height, io_names[c->io], vb->index, what);
		return;
	}
	line = c->b[vb->index].data + (size_t)y * c->pix.bytesperline;
	c->pf.sequence = vb->sequence;
	if (c->lb <= sizeof(want))
		daqcap_pattern_render_line(&c->pf, y, want);
	msg("%s: CORRUPT frame seq %u (%s %ux%u %s, buffer %u): line %u byte %ld is 0x%02x, want 0x%02x",
	    chname(c), vb->sequence, daqcap_format_name(c->pf.format), c->pf.width,
	    c->pf.height, io_names[c->io], vb->index, y, off, line[off],
	    c->lb <= sizeof(want) ? want[off] : 0);
}

static void check_buffer(struct chan *c, const struct v4l2_buffer *vb)
{
	struct sbuf *b = &c->b[vb->index];
	uint64_t ts = (uint64_t)vb->timestamp.tv_sec * 1000000000ull +
		      (uint64_t)vb->timestamp.tv_usec * 1000ull;

	c->n++;
	if (c->have_last && (vb->sequence <= c->last_seq || ts <= c->last_ts)) {
		c->order_errors++;
		if (c->order_errors <= MAX_REPORTS)
			msg("%s: seq %u ts %llu after seq %u ts %llu", chname(c),
			    vb->sequence, (unsigned long long)ts, c->last_seq,
			    (unsigned long long)c->last_ts);
	}
	c->have_last = true;
	c->last_seq = vb->sequence;
	c->last_ts = ts;
	if (vb->flags & V4L2_BUF_FLAG_ERROR) {
		c->err++;
		c->errbufs++;
		return;
	}
	if (vb->bytesused != c->pix.sizeimage) {
		char what[64];

		snprintf(what, sizeof(what), "bytesused %u, sizeimage %u", vb->bytesused,
			 c->pix.sizeimage);
		report_corrupt(c, vb, 0, 0, what);
		return;
	}
	if (c->io == IO_DMABUF) {
		struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };

		xioctl(b->dmabuf, DMA_BUF_IOCTL_SYNC, &s);
	}
	c->pf.sequence = vb->sequence;
	for (uint32_t y = 0; y < daqcap_pattern_rows(c->pf.format, c->pf.height); y++) {
		const uint8_t *line = b->data + (size_t)y * c->pix.bytesperline;
		long off;

		off = daqcap_pattern_check_line(&c->pf, y, line);
		if (off >= 0) {
			report_corrupt(c, vb, y, off, NULL);
			goto sync_end;
		}
	}
	c->good++;
	c->checked++;
	by_io[c->io][1]++;
	by_fmt[c->fmt_i][1]++;
	by_size[c->size_i][1]++;
	c->bytes += (uint64_t)c->lb * c->pf.height;
	total_checked++;
	count_frame((size_t)c->lb * c->pf.height);
sync_end:
	if (c->io == IO_DMABUF) {
		struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ };

		xioctl(b->dmabuf, DMA_BUF_IOCTL_SYNC, &s);
	}
}

/* Dequeue what is ready; requeue unless draining. */
static void service(struct chan *c)
{
	for (int burst = 0; burst < 2 * MAX_BUFS; burst++) {
		struct v4l2_buffer vb = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = io_memory[c->io],
		};
		int r = xioctl(c->fd, VIDIOC_DQBUF, &vb);

		if (r == -EAGAIN)
			return;
		if (r) {
			session_abort(c, "DQBUF", r);
			return;
		}
		if (vb.index >= c->nbufs || !c->b[vb.index].queued) {
			msg("%s: DQBUF gave buffer %u, not queued", chname(c), vb.index);
			c->io_errors++;
			fatal_errors++;
			session_abort(c, "DQBUF", -EINVAL);
			return;
		}
		c->b[vb.index].queued = false;
		c->nqueued--;
		c->t_last = now_ns();
		check_buffer(c, &vb);
		if (c->st == ST_STREAM && (c->n >= c->target || stopping))
			set_state(c, ST_DRAIN);
		if (c->st == ST_DRAIN) {
			if (!c->nqueued) {
				session_end(c);
				return;
			}
			continue;
		}
		r = qbuf(c, vb.index);
		if (r) {
			session_abort(c, "QBUF", r);
			return;
		}
	}
}

/* ---- fault injection ------------------------------------------------------------ */

struct pending_fault {
	bool armed;
	uint64_t due;		/* ns */
	uint64_t deadline;	/* give up on a channel not ready by then */
	int chan;
	unsigned int fault;
	uint32_t param;
};

static struct pending_fault pf_next;
static struct rng fault_rng;

/* Cable events that undo themselves later: the signal coming back. */
struct restore_ev {
	bool armed;
	uint64_t due;
	int card;
	unsigned int input;
};
static struct restore_ev restores[MAX_CH];

static unsigned int total_weight(void)
{
	unsigned int w = 0;

	for (unsigned int i = 0; i < NFAULTS; i++)
		if (faults[i].enabled)
			w += faults[i].weight;
	return w;
}

static void plan_fault(uint64_t after)
{
	unsigned int w = total_weight(), pick;
	double mean = opt.fault_interval * 1e9;

	if (!w)
		return;
	/* Uniform in [0.25, 1.75] x the mean interval. */
	pf_next.due = after + (uint64_t)(mean * (0.25 + 1.5 * (double)rng_below(&fault_rng, 1000) / 1000));
	pf_next.chan = (int)rng_below(&fault_rng, (uint32_t)nchans);
	pick = rng_below(&fault_rng, w);
	for (pf_next.fault = 0; pf_next.fault < NFAULTS; pf_next.fault++) {
		if (!faults[pf_next.fault].enabled)
			continue;
		if (pick < faults[pf_next.fault].weight)
			break;
		pick -= faults[pf_next.fault].weight;
	}
	pf_next.param = (uint32_t)rng_next(&fault_rng);
	pf_next.deadline = pf_next.due + 10000000000ull;
	pf_next.armed = true;
}

/* Whether the channel takes a fault now: streaming, not near its session's end. */
static bool fault_ready(const struct chan *c)
{
	return c->st == ST_STREAM && c->n + 10 < c->target && !stopping;
}

static void do_fault(uint64_t now)
{
	struct chan *c = &chans[pf_next.chan];
	struct fault *f = &faults[pf_next.fault];
	char val[64], prop[48], reply[512];
	int r = 0;

	if (!fault_ready(c)) {
		if (now < pf_next.deadline) {
			pf_next.due = now + 100000000ull;	/* try again in 0.1 s */
			return;
		}
		f->failed++;
		plan_fault(now);
		return;
	}
	switch (f->kind) {
	case FK_CARD:
		snprintf(val, sizeof(val), "\"%s:%u\"", f->name, c->node->chan);
		r = qmp_set(&qmp, c->node->card, "inject", val, reply, sizeof(reply));
		break;
	case FK_SIGNAL: {
		struct restore_ev *e = &restores[c->idx];

		if (e->armed) {		/* still off (cannot be: not streaming) */
			f->failed++;
			plan_fault(now);
			return;
		}
		snprintf(prop, sizeof(prop), "input%u-signal", c->input);
		r = qmp_set(&qmp, c->node->card, prop, "false", reply, sizeof(reply));
		if (!r) {
			e->armed = true;
			e->card = c->node->card;
			e->input = c->input;
			/* Back after 0.2 to 2 s. */
			e->due = now + 200000000ull + (uint64_t)(pf_next.param % 1800) * 1000000ull;
		}
		break;
	}
	case FK_TIMINGS: {
		char cur[32] = "";
		unsigned int m = 0;

		snprintf(prop, sizeof(prop), "input%u-timings", c->input);
		qmp_get(&qmp, c->node->card, prop, cur, sizeof(cur));
		while (m < NMODES && strcmp(cur, cable_modes[m]))
			m++;
		/* Another of the modes (any of them if the current is none). */
		m = m < NMODES ? (m + 1 + pf_next.param % (NMODES - 1)) % NMODES :
				 pf_next.param % NMODES;
		snprintf(val, sizeof(val), "\"%s\"", cable_modes[m]);
		r = qmp_set(&qmp, c->node->card, prop, val, reply, sizeof(reply));
		break;
	}
	}
	if (r) {
		msg("%s: QMP %s: %s %s", chname(c), f->name, strerror(-r), reply);
		f->failed++;
		fatal_errors++;
	} else {
		f->injected++;
		c->faults_in++;
		if (opt.verbose)
			msg("%s: fault: %s (session %u, frame %llu)", chname(c), f->name,
			    c->session, (unsigned long long)c->n);
	}
	plan_fault(now);
}

static void do_restores(uint64_t now, bool all)
{
	for (int i = 0; i < MAX_CH; i++) {
		struct restore_ev *e = &restores[i];
		char prop[32], reply[512];
		int r;

		if (!e->armed || (!all && now < e->due))
			continue;
		snprintf(prop, sizeof(prop), "input%u-signal", e->input);
		r = qmp_set(&qmp, e->card, prop, "true", reply, sizeof(reply));
		if (r) {
			msg("card %d input %u: QMP signal on: %s %s", e->card, e->input,
			    strerror(-r), reply);
			fatal_errors++;
		}
		e->armed = false;
	}
}

/* ---- progress and summary ------------------------------------------------------- */

static void faults_line(char *buf, size_t size)
{
	uint64_t total = 0;
	size_t len;
	bool first = true;

	for (unsigned int i = 0; i < NFAULTS; i++)
		total += faults[i].injected;
	len = (size_t)snprintf(buf, size, "%llu", (unsigned long long)total);
	for (unsigned int i = 0; i < NFAULTS && len < size; i++) {
		if (!faults[i].injected)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s %llu",
					first ? " (" : ", ", faults[i].name,
					(unsigned long long)faults[i].injected);
		first = false;
	}
	if (!first && len < size)
		snprintf(buf + len, size - len, ")");
}

static void progress(uint64_t now, double interval)
{
	char rates[512], fl[512];
	size_t len = 0;
	uint64_t err = 0, drops = 0, corrupt = 0;

	for (int i = 0; i < nchans; i++) {
		struct chan *c = &chans[i];

		len += (size_t)snprintf(rates + len, sizeof(rates) - len, "%s%.0f",
					i ? " " : "",
					(double)(c->checked - c->progress_checked) / interval);
		c->progress_checked = c->checked;
		err += c->errbufs;
		drops += c->drops;
		corrupt += c->corrupt;
	}
	faults_line(fl, sizeof(fl));
	printf("# [%6.1f s] checked %llu/%llu frames (%.1f/s overall; per channel /s: %s); faults %s; error buffers %llu, card drops %llu, corrupt %llu\n",
	       secs(now - t0), (unsigned long long)total_checked,
	       (unsigned long long)opt.frames, (double)total_checked / secs(now - t0), rates,
	       fl, (unsigned long long)err, (unsigned long long)drops,
	       (unsigned long long)corrupt);
	fflush(stdout);
}

/* What the driver counts (debugfs chN), summed over the channels. */
static const char *const drv_keys[] = {
	"error_frames", "incomplete_frames", "fifo_overflows", "dma_errors",
	"bad_completions", "dup_completions", "watchdog_completions",
	"drop_irqs", "source_changes", "stop_resets",
};
#define NDRV	(sizeof(drv_keys) / sizeof(drv_keys[0]))
static long long drv0[NDRV], lost_irqs0;

static void driver_counters(long long *v)
{
	for (unsigned int k = 0; k < NDRV; k++) {
		v[k] = 0;
		for (int i = 0; i < nchans; i++) {
			long long x = dbg_counter(chans[i].node->pci, chans[i].node->chan,
						  drv_keys[k]);

			if (x > 0)
				v[k] += x;
		}
	}
}

/* The interrupts the card models swallowed (lost-irq), or 0 without QMP. */
static long long lost_irqs(void)
{
	long long sum = 0;

	for (int i = 0; have_qmp && i < nchans; i++) {
		unsigned long long v;
		char prop[32];

		snprintf(prop, sizeof(prop), "ch%u-lost-irqs", chans[i].node->chan);
		if (!qmp_get_u64(&qmp, chans[i].node->card, prop, &v))
			sum += (long long)v;
	}
	return sum;
}

static uint64_t fault_count(const char *name)
{
	for (unsigned int i = 0; i < NFAULTS; i++)
		if (!strcmp(faults[i].name, name))
			return faults[i].injected;
	return 0;
}

static bool summary(void)
{
	uint64_t t[16] = { 0 };
	char fl[512];
	bool ok = !fatal_errors;
	double el = secs(now_ns() - t0);
	uint64_t failed_faults = 0;

	printf("#\n# %-7s %-12s %6s %6s %5s %9s %7s %6s %6s %7s %8s %7s %6s\n",
	       "channel", "pci", "fmtchg", "sess", "cut", "checked", "errbuf",
	       "gaps", "tail", "drops", "stranded", "corrupt", "faults");
	for (int i = 0; i < nchans; i++) {
		struct chan *c = &chans[i];
		uint64_t v[] = { c->fmt_changes, c->sessions, c->aborted_sessions, c->checked,
				 c->errbufs, c->gaps, c->tail, c->drops, c->stranded,
				 c->corrupt, c->faults_in };

		printf("# %-7s %-12s %6llu %6llu %5llu %9llu %7llu %6llu %6llu %7llu %8llu %7llu %6llu\n",
		       chname(c), c->node->pci, (unsigned long long)v[0],
		       (unsigned long long)v[1], (unsigned long long)v[2],
		       (unsigned long long)v[3], (unsigned long long)v[4],
		       (unsigned long long)v[5], (unsigned long long)v[6],
		       (unsigned long long)v[7], (unsigned long long)v[8],
		       (unsigned long long)v[9], (unsigned long long)v[10]);
		for (unsigned int j = 0; j < sizeof(v) / sizeof(v[0]); j++)
			t[j] += v[j];
		t[11] += c->order_errors;
		t[12] += c->acct_errors;
		t[13] += c->io_errors;
		t[14] += c->bytes;
	}
	printf("# %-7s %-12s %6llu %6llu %5llu %9llu %7llu %6llu %6llu %7llu %8llu %7llu %6llu\n#\n",
	       "total", "", (unsigned long long)t[0], (unsigned long long)t[1],
	       (unsigned long long)t[2], (unsigned long long)t[3], (unsigned long long)t[4],
	       (unsigned long long)t[5], (unsigned long long)t[6], (unsigned long long)t[7],
	       (unsigned long long)t[8], (unsigned long long)t[9], (unsigned long long)t[10]);
	faults_line(fl, sizeof(fl));
	printf("# faults injected: %s\n", fl);
	for (unsigned int i = 0; i < NFAULTS; i++)
		failed_faults += faults[i].failed;
	if (failed_faults) {
		printf("# faults not injected (channel not streaming within 10 s, or QMP failed):");
		for (unsigned int i = 0; i < NFAULTS; i++)
			if (faults[i].failed)
				printf(" %s %llu", faults[i].name,
				       (unsigned long long)faults[i].failed);
		printf("\n");
	}
	{
		long long now[NDRV], lost = lost_irqs() - lost_irqs0;

		driver_counters(now);
		printf("# the driver counted:");
		for (unsigned int k = 0; k < NDRV; k++)
			printf("%s %s %lld", k ? "," : "", drv_keys[k], now[k] - drv0[k]);
		printf("; the card lost %lld interrupts\n", lost);
		printf("# injected/seen: fifo-overflow %llu/%lld (fifo_overflows), dma-error %llu/%lld (dma_errors), bad-cookie+bad-chunk+bad-lines %llu/%lld (bad_completions), dup-completion %llu/%lld (dup_completions), lost-irq %llu/%lld (the card's lost-irqs)\n",
		       (unsigned long long)fault_count("fifo-overflow"), now[2] - drv0[2],
		       (unsigned long long)fault_count("dma-error"), now[3] - drv0[3],
		       (unsigned long long)(fault_count("bad-cookie") + fault_count("bad-chunk") +
					    fault_count("bad-lines")), now[4] - drv0[4],
		       (unsigned long long)fault_count("dup-completion"), now[5] - drv0[5],
		       (unsigned long long)fault_count("lost-irq"), lost);
	}
	printf("# sessions/frames checked by I/O method:");
	for (unsigned int i = 0; i < IO_COUNT; i++)
		printf(" %s %llu/%llu", io_names[i], (unsigned long long)by_io[i][0],
		       (unsigned long long)by_io[i][1]);
	printf("\n# by format:");
	for (int i = 0; i < nenum; i++)
		printf(" %s %llu/%llu", fmt_by_fourcc(enum_fourccs[i])->name,
		       (unsigned long long)by_fmt[i][0], (unsigned long long)by_fmt[i][1]);
	printf("\n# by size:");
	for (unsigned int i = 0; i < NSIZES; i++)
		printf(" %ux%u %llu/%llu", sizes[i].w, sizes[i].h,
		       (unsigned long long)by_size[i][0], (unsigned long long)by_size[i][1]);
	printf("\n");
	printf("# gaps: sequence numbers missing before a session's last frame; tail: after it;\n"
	       "# drops: frames the card dropped (debugfs hw_drops = QMP chN-drops); stranded:\n"
	       "# gaps + tail - drops, frames lost with a stream cut by an error (0 otherwise);\n"
	       "# cut: sessions ended by an error (DMA error, cable event)\n");
	printf("# %llu frames (%.1f GB) checked byte for byte in %.0f s: %.1f frames/s, %.1f MB/s\n",
	       (unsigned long long)t[3], (double)t[14] / 1e9, el, (double)t[3] / el,
	       (double)t[14] / el / 1e6);
	if (t[9]) {
		printf("# FAILED: %llu corrupt frames\n", (unsigned long long)t[9]);
		ok = false;
	}
	if (t[11]) {
		printf("# FAILED: %llu sequence numbers or timestamps out of order\n",
		       (unsigned long long)t[11]);
		ok = false;
	}
	if (t[12]) {
		printf("# FAILED: %llu sessions whose missing frames are not the card's drops\n",
		       (unsigned long long)t[12]);
		ok = false;
	}
	if (t[13])
		printf("# FAILED: %llu capture errors\n", (unsigned long long)t[13]);
	if (fatal_errors && !t[13])
		printf("# FAILED: %llu errors (see above)\n", (unsigned long long)fatal_errors);
	if (total_checked < opt.frames) {
		printf("# %s: %llu of %llu frames checked (%s)\n",
		       opt.duration > 0 && !interrupted ? "note" : "FAILED",
		       (unsigned long long)total_checked, (unsigned long long)opt.frames,
		       stop_why);
		if (opt.duration <= 0 || interrupted)
			ok = false;
	}
	printf("%s - soak: %d channels of %d cards, seed %llu: %llu frames byte-exact, %llu error buffers, %llu corrupt, %llu dropped, %llu faults\n",
	       ok ? "ok" : "not ok", nchans, ncards, (unsigned long long)opt.seed,
	       (unsigned long long)t[3], (unsigned long long)t[4], (unsigned long long)t[9],
	       (unsigned long long)t[7], (unsigned long long)t[10]);
	fflush(stdout);
	return ok;
}

/* ---- main --------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [OPTION]...\n"
"Stream every channel of every daqcap card at once, rotating formats, sizes\n"
"and I/O methods, inject faults over QMP ($DAQCAP_QMP), check every byte.\n"
"\n"
"  --frames N          frames to check byte for byte in all (default 100000)\n"
"  --duration SEC      stop after SEC seconds even if --frames is not reached\n"
"                      (then not reaching it is no failure)\n"
"  --seed S            the schedule of faults, formats, sizes, I/O methods and\n"
"                      session lengths (default 1)\n"
"  --fault-interval S  mean seconds between faults (default 1)\n"
"  --faults LIST       comma-separated faults to inject (default all: drop,\n"
"                      fifo-overflow, lost-irq, dma-error, bad-cookie,\n"
"                      bad-chunk, bad-lines, dup-completion, signal, timings),\n"
"                      or none\n"
"  --progress SEC      seconds between progress lines (default 10)\n"
"  -v, --verbose       a line for every session and every fault\n"
"  -h, --help          this help\n");
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int parse_faults(const char *s)
{
	char *copy = strdup(s), *save = NULL, *tok;

	for (unsigned int i = 0; i < NFAULTS; i++)
		faults[i].enabled = false;
	if (!strcmp(s, "none")) {
		free(copy);
		opt.faults = false;
		return 0;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		for (i = 0; i < NFAULTS && strcmp(tok, faults[i].name); i++)
			;
		if (i == NFAULTS) {
			fprintf(stderr, PROG ": unknown fault '%s'\n", tok);
			free(copy);
			return -1;
		}
		faults[i].enabled = true;
	}
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "frames", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "fault-interval", required_argument, NULL, 'i' },
		{ "faults", required_argument, NULL, 'f' },
		{ "progress", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	uint64_t next_progress, last_progress;
	int o, nnodes;
	bool ok;

	while ((o = getopt_long(argc, argv, "hv", lopts, NULL)) != -1) {
		char *end = NULL;

		switch (o) {
		case 'n':
			opt.frames = strtoull(optarg, &end, 10);
			break;
		case 't':
			opt.duration = strtod(optarg, &end);
			break;
		case 's':
			opt.seed = strtoull(optarg, &end, 0);
			break;
		case 'i':
			opt.fault_interval = strtod(optarg, &end);
			if (opt.fault_interval <= 0)
				end = optarg;
			break;
		case 'f':
			if (parse_faults(optarg))
				return 2;
			end = "";
			break;
		case 'p':
			opt.progress = strtod(optarg, &end);
			if (opt.progress <= 0)
				end = optarg;
			break;
		case 'v':
			opt.verbose = true;
			end = "";
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (!end || *end) {
			fprintf(stderr, PROG ": invalid argument '%s'\n", optarg);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	t0 = now_ns();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	nnodes = find_nodes(nodes, MAX_NODES, &ncards);
	if (!nnodes) {
		printf("not ok - soak: no daqcap video node (module loaded? cards?)\n");
		return 1;
	}
	if (nnodes > MAX_CH)
		nnodes = MAX_CH;
	nchans = nnodes;
	{
		char line[256];
		size_t len = 0;

		for (int i = 0; i < nchans; i++)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
						i ? " " : "", nodes[i].path);
		msg("%d channels on %d cards: %s", nchans, ncards, line);
	}
	msg("seed %llu, %llu frames, fault interval %.2f s%s", (unsigned long long)opt.seed,
	    (unsigned long long)opt.frames, opt.fault_interval,
	    opt.faults ? "" : ", no faults");

	for (int i = 0; i < nchans; i++) {
		struct chan *c = &chans[i];
		unsigned int ninputs;

		c->node = &nodes[i];
		c->idx = i;
		c->fd = open(nodes[i].path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (c->fd < 0) {
			printf("not ok - soak: %s: %s\n", nodes[i].path, strerror(errno));
			return 1;
		}
		ninputs = count_inputs(c->fd);
		c->input = ninputs ? nodes[i].chan % ninputs : 0;
		c->rot.s = opt.seed * 0x100000001b3ull + (uint64_t)i * 0x9e3779b97f4a7c15ull + 1;
		for (unsigned int j = 0; j < MAX_BUFS; j++)
			c->b[j].dmabuf = -1;
		set_state(c, ST_IDLE);
	}
	/* The driver's formats, in its ENUM_FMT order, as the pattern knows them. */
	for (int i = 0; i < 16; i++) {
		struct v4l2_fmtdesc d = { .index = (uint32_t)i,
					  .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

		if (xioctl(chans[0].fd, VIDIOC_ENUM_FMT, &d))
			break;
		if (!fmt_by_fourcc(d.pixelformat)) {
			printf("not ok - soak: ENUM_FMT %d: fourcc 0x%08x unknown to the pattern\n",
			       i, d.pixelformat);
			return 1;
		}
		enum_fourccs[nenum++] = d.pixelformat;
	}
	if (!nenum) {
		printf("not ok - soak: ENUM_FMT lists no format\n");
		return 1;
	}
	{
		char line[128];
		size_t len = 0;

		for (int i = 0; i < nenum; i++)
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
						i ? " " : "",
						fmt_by_fourcc(enum_fourccs[i])->name);
		msg("formats (ENUM_FMT): %s; sizes: 640x480 720x480 720x576 (as the input allows); I/O: mmap userptr dmabuf",
		    line);
	}

	{
		int r = qmp_connect(&qmp);

		have_qmp = !r;
		if (r && opt.faults) {
			printf("not ok - soak: QMP at DAQCAP_QMP=%s: %s (utils/daqcap-vm --guest-qmp; or --faults none)\n",
			       getenv("DAQCAP_QMP") ? getenv("DAQCAP_QMP") : "(unset)",
			       strerror(-r));
			return 1;
		}
		if (r)
			msg("no QMP: the drop counts are not cross-checked with the card model's");
	}
	driver_counters(drv0);
	lost_irqs0 = lost_irqs();
	fault_rng.s = opt.seed ^ 0xd1b54a32d192ed03ull;
	if (opt.faults && total_weight())
		plan_fault(now_ns());

	last_progress = now_ns();
	next_progress = last_progress + (uint64_t)(opt.progress * 1e9);
	for (;;) {
		struct pollfd p[MAX_CH];
		int map[MAX_CH], np = 0, active = 0;
		uint64_t now = now_ns();
		int timeout = 100;

		if (!stopping) {
			if (interrupted) {
				stopping = true;
				snprintf(stop_why, sizeof(stop_why), "interrupted");
			} else if (total_checked >= opt.frames) {
				stopping = true;
				snprintf(stop_why, sizeof(stop_why), "frame target reached");
			} else if (opt.duration > 0 && secs(now - t0) >= opt.duration) {
				stopping = true;
				snprintf(stop_why, sizeof(stop_why), "--duration %.0f s reached",
					 opt.duration);
			}
			if (stopping) {
				msg("stopping: %s", stop_why);
				pf_next.armed = false;
				do_restores(now, true);
				for (int i = 0; i < nchans; i++) {
					if (chans[i].st == ST_STREAM)
						set_state(&chans[i], ST_DRAIN);
					else if (chans[i].st == ST_IDLE ||
						 chans[i].st == ST_NOSIGNAL)
						set_state(&chans[i], ST_DONE);
				}
			}
		}
		if (pf_next.armed && now >= pf_next.due)
			do_fault(now);
		do_restores(now, false);
		if (now >= next_progress) {
			progress(now, secs(now - last_progress));
			last_progress = now;
			next_progress = now + (uint64_t)(opt.progress * 1e9);
		}

		for (int i = 0; i < nchans; i++) {
			struct chan *c = &chans[i];

			now = now_ns();
			switch (c->st) {
			case ST_IDLE:
				session_start(c);
				break;
			case ST_NOSIGNAL:
				if (older(c->t_state, now, 60000000000ull)) {
					msg("%s: no signal for 60 s", chname(c));
					c->io_errors++;
					fatal_errors++;
					set_state(c, ST_DONE);
				} else {
					session_start(c);
				}
				break;
			case ST_STREAM:
				if (older(c->t_last, now, STALL_MS * 1000000ull)) {
					msg("%s: no frame for %d s", chname(c), STALL_MS / 1000);
					c->io_errors++;
					fatal_errors++;
					session_abort(c, "stalled", -ETIMEDOUT);
				}
				break;
			case ST_DRAIN:
				if (older(c->t_state, now, DRAIN_MS * 1000000ull)) {
					/*
					 * The card fills the buffers it has at the
					 * input's rate, and the driver returns each
					 * (in error if need be) at the latest when
					 * the card starts the next: one held back.
					 */
					msg("%s: %u buffers not back %d s after the last was queued",
					    chname(c), c->nqueued, DRAIN_MS / 1000);
					c->io_errors++;
					fatal_errors++;
					session_abort(c, "drain", -ETIMEDOUT);
				}
				break;
			case ST_DONE:
				break;
			}
			if (c->st == ST_STREAM || c->st == ST_DRAIN) {
				p[np].fd = c->fd;
				p[np].events = POLLIN | POLLPRI;
				p[np].revents = 0;
				map[np++] = i;
			}
			if (c->st != ST_DONE)
				active++;
		}
		if (!active)
			break;
		if (pf_next.armed) {
			uint64_t n2 = now_ns();
			int64_t ms = pf_next.due > n2 ? (int64_t)((pf_next.due - n2) / 1000000) : 0;

			if (ms < timeout)
				timeout = (int)ms;
		}
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			perror(PROG ": poll");
			break;
		}
		for (int j = 0; j < np; j++)
			if (p[j].revents)
				service(&chans[map[j]]);
	}
	do_restores(now_ns(), true);
	progress(now_ns(), secs(now_ns() - last_progress));
	ok = summary();
	for (int i = 0; i < nchans; i++)
		close(chans[i].fd);
	if (have_qmp)
		close(qmp.fd);
	/*
	 * Not exit(): daqcap_common.c's destructor would add the suite's
	 * "frames verified" line, whose error count is not ours.
	 */
	fflush(NULL);
	_exit(ok ? 0 : 1);
}
