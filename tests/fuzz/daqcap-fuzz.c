// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap-fuzz: a V4L2-aware fuzzer for the daqcap driver.
 *
 * Several threads call every ioctl the driver implements (and many it does
 * not) on every daqcap video node, with random and boundary arguments,
 * stream now and then, map and unmap buffers, read(), poll(), close and
 * reopen, while a fault thread injects card faults and cable events over
 * QEMU's QMP monitor ($DAQCAP_QMP, see utils/daqcap-vm --guest-qmp) and an
 * unbind thread unbinds and rebinds a card. Afterwards (--check-only, or
 * at the end of a run) every node must still capture byte-exact frames of
 * the card's VERIFY pattern (pattern/daqcap-pattern.c); the end of a run
 * first puts back what a user's ioctl may legitimately leave a source
 * unable to send: each input's EDID as the run found it.
 *
 * Each thread has its own PRNG, seeded from the seed and the thread's
 * index, which seeds every call's own choices: the argument stream of each
 * thread is reproducible with --seed, the interleaving of the threads (and
 * so the driver's state when a call comes) is not.
 *
 * Findings: oracle violations (an ioctl's answer that contradicts the
 * driver's contract, a kernel-internal errno leaking to user space, a
 * SIGBUS on a mapped buffer), threads that stop making progress, nodes
 * that do not come back, and failed after-checks; kernel reports (WARN,
 * KASAN, lockdep, ...) are the suite's scripts/kernel-reports (run by utils/daqcap-vm).
 *
 * Build: tests/fuzz/run (or gcc -O2 -pthread -I media/pci/daqcap -I pattern
 * -I include/uapi tests/fuzz/daqcap-fuzz.c pattern/daqcap-pattern.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/dma-buf.h>
#include <linux/media.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>
#include <linux/daqcap.h>

#include "daqcap-pattern.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_NODES	32
#define NSLOTS		3		/* file handles per node */
#define MAX_BUFS	32		/* DAQCAP_MAX_BUFFERS */
#define MAX_THREADS	64
#define NMAPS		64
#define NDMABUFS	48
#define UP_REGIONS	3
#define UP_REGION_SIZE	(24u << 20)	/* > 4096x2160 YUYV */
#define RO_REGION_SIZE	(8u << 20)
#define HOLE_SIZE	(8u << 20)	/* reserved, PROT_NONE */
#define MMAP_BUDGET	(40u << 20)	/* MMAP/read() buffers per node */
#define ERRNO_MAX	600
#define QMP_TIMEOUT_MS	15000

/* ---- options ---------------------------------------------------------------- */

static struct {
	uint64_t seed;
	unsigned long long calls;
	unsigned int threads;
	unsigned int duration;
	bool faults, unbind, check, check_only;
	unsigned int fault_ms, unbind_ms;
	unsigned int expect_nodes;
	unsigned int check_frames;
	const char *fault_list;
	const char *inject;
	const char *ops;
	int verbose;
} opt = {
	.calls = 100000,
	.threads = 0,
	.duration = 0,
	.faults = true,
	.unbind = true,
	.check = true,
	.fault_ms = 250,
	.unbind_ms = 6000,
	.check_frames = 3,
};

/* ---- small helpers -------------------------------------------------------------- */

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	e = errno;
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -e;
}

/* ---- PRNG: xoshiro256**, seeded with splitmix64 --------------------------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

static uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)((rnd64(r) >> 32) * n >> 32) : 0;
}

static bool chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

static void rnd_fill(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;

	while (n >= 8) {
		uint64_t v = rnd64(r);

		memcpy(b, &v, 8);
		b += 8;
		n -= 8;
	}
	while (n--)
		*b++ = (uint8_t)rnd64(r);
}

/* A 32-bit value biased towards the boundaries. */
static uint32_t rnd_u32(struct rng *r)
{
	static const uint32_t edge[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 255, 256, 4095, 4096,
		65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	};

	switch (rnd(r, 4)) {
	case 0:
		return edge[rnd(r, ARRAY_SIZE(edge))];
	case 1:
		return rnd(r, 64);
	case 2:
		return (uint32_t)rnd64(r);
	default:
		return rnd(r, 5000);
	}
}

/* ---- formats ---------------------------------------------------------------------- */

struct fmtinfo {
	uint32_t fourcc, code, bpp;
};

static const struct fmtinfo formats[] = {
	{ V4L2_PIX_FMT_YUYV, DAQCAP_FMT_YUYV, 2 },
	{ V4L2_PIX_FMT_UYVY, DAQCAP_FMT_UYVY, 2 },
	{ V4L2_PIX_FMT_RGB24, DAQCAP_FMT_RGB24, 3 },
	{ V4L2_PIX_FMT_BGR24, DAQCAP_FMT_BGR24, 3 },
	{ V4L2_PIX_FMT_XBGR32, DAQCAP_FMT_XBGR32, 4 },
	{ V4L2_PIX_FMT_GREY, DAQCAP_FMT_GREY, 1 },
	{ V4L2_PIX_FMT_Y16, DAQCAP_FMT_Y16, 2 },
	{ V4L2_PIX_FMT_NV12, DAQCAP_FMT_NV12, 1 },
	{ V4L2_PIX_FMT_NV16, DAQCAP_FMT_NV16, 1 },
};

static const struct fmtinfo *fmt_by_fourcc(uint32_t fourcc)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

static uint32_t rnd_fourcc(struct rng *r)
{
	switch (rnd(r, 6)) {
	case 0: case 1: case 2:
		return formats[rnd(r, ARRAY_SIZE(formats))].fourcc;
	case 3:
		return v4l2_fourcc('A' + rnd(r, 26), 'A' + rnd(r, 26), '0' + rnd(r, 10), ' ' + rnd(r, 64));
	case 4:
		return rnd_u32(r);
	default:
		return V4L2_PIX_FMT_NV21;	/* known to V4L2, not to the card */
	}
}

static uint32_t rnd_buf_type(struct rng *r)
{
	if (chance(r, 85))
		return V4L2_BUF_TYPE_VIDEO_CAPTURE;
	switch (rnd(r, 4)) {
	case 0: return V4L2_BUF_TYPE_VIDEO_OUTPUT;
	case 1: return V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	case 2: return rnd(r, 16);
	default: return rnd_u32(r);
	}
}

static uint32_t rnd_memory(struct rng *r)
{
	switch (rnd(r, 10)) {
	case 0: case 1: case 2: case 3: return V4L2_MEMORY_MMAP;
	case 4: case 5: return V4L2_MEMORY_USERPTR;
	case 6: case 7: return V4L2_MEMORY_DMABUF;
	case 8: return V4L2_MEMORY_OVERLAY;
	default: return rnd_u32(r);
	}
}

/* ---- operations and statistics -------------------------------------------------- */

#define OPS(X) \
	X(QUERYCAP) X(ENUM_FMT) X(G_FMT) X(TRY_FMT) X(S_FMT) X(ENUM_FRAMESIZES) \
	X(ENUM_FRAMEINTERVALS) X(G_PARM) X(S_PARM) X(ENUMINPUT) X(G_INPUT) \
	X(S_INPUT) X(DV_TIMINGS_CAP) X(ENUM_DV_TIMINGS) X(QUERY_DV_TIMINGS) \
	X(G_DV_TIMINGS) X(S_DV_TIMINGS) X(QUERYCTRL) X(QUERY_EXT_CTRL) \
	X(QUERYMENU) X(G_CTRL) X(S_CTRL) X(G_EXT_CTRLS) X(S_EXT_CTRLS) \
	X(TRY_EXT_CTRLS) X(LOG_STATUS) X(SUBSCRIBE_EVENT) X(UNSUBSCRIBE_EVENT) \
	X(DQEVENT) X(G_PRIORITY) X(S_PRIORITY) X(REQBUFS) X(CREATE_BUFS) \
	X(QUERYBUF) X(QBUF) X(DQBUF) X(PREPARE_BUF) X(EXPBUF) X(STREAMON) \
	X(STREAMOFF) X(MMAP) X(MUNMAP) X(TOUCH) X(READ) X(POLL) X(OPEN) X(CLOSE) \
	X(UNSUPPORTED) X(UNKNOWN_IOCTL) X(DMABUF_SYNC) X(SELECTION)

#define X_ENUM(n) OP_##n,
enum op { OPS(X_ENUM) NOPS };
#define X_NAME(n) #n,
static const char *const op_names[] = { OPS(X_NAME) };

/* Weights of the single operations: cheap ioctls most of the time. */
static unsigned int op_weight[NOPS] = {
	[OP_QUERYCAP] = 20, [OP_ENUM_FMT] = 20, [OP_G_FMT] = 20, [OP_TRY_FMT] = 30,
	[OP_S_FMT] = 25, [OP_ENUM_FRAMESIZES] = 15, [OP_ENUM_FRAMEINTERVALS] = 15,
	[OP_G_PARM] = 12, [OP_S_PARM] = 12, [OP_ENUMINPUT] = 20, [OP_G_INPUT] = 12,
	[OP_S_INPUT] = 20, [OP_DV_TIMINGS_CAP] = 12, [OP_ENUM_DV_TIMINGS] = 20,
	[OP_QUERY_DV_TIMINGS] = 15, [OP_G_DV_TIMINGS] = 12, [OP_S_DV_TIMINGS] = 25,
	[OP_QUERYCTRL] = 20, [OP_QUERY_EXT_CTRL] = 15, [OP_QUERYMENU] = 12,
	[OP_G_CTRL] = 15, [OP_S_CTRL] = 20, [OP_G_EXT_CTRLS] = 20,
	[OP_S_EXT_CTRLS] = 25, [OP_TRY_EXT_CTRLS] = 20, [OP_LOG_STATUS] = 0,
	[OP_SUBSCRIBE_EVENT] = 15, [OP_UNSUBSCRIBE_EVENT] = 12, [OP_DQEVENT] = 12,
	[OP_G_PRIORITY] = 5, [OP_S_PRIORITY] = 3, [OP_REQBUFS] = 12,
	[OP_CREATE_BUFS] = 8, [OP_QUERYBUF] = 20, [OP_QBUF] = 25, [OP_DQBUF] = 20,
	[OP_PREPARE_BUF] = 10, [OP_EXPBUF] = 10, [OP_STREAMON] = 8,
	[OP_STREAMOFF] = 6, [OP_MMAP] = 8, [OP_MUNMAP] = 8, [OP_TOUCH] = 5,
	[OP_READ] = 3, [OP_POLL] = 10, [OP_OPEN] = 3, [OP_CLOSE] = 3,
	[OP_UNSUPPORTED] = 20, [OP_UNKNOWN_IOCTL] = 20, [OP_DMABUF_SYNC] = 3,
	[OP_SELECTION] = 20,
};
/* Per mille of the operations that are a streaming burst instead. */
static unsigned int stream_permille = 6;
/* Per 100000: LOG_STATUS, which fills the kernel log. */
static unsigned int log_status_per100k = 10;

/* --ops: only these operations (STREAM: the streaming bursts). */
static int restrict_ops(const char *list)
{
	char *dup = strdup(list), *save = NULL;
	bool keep[NOPS] = { false }, stream = false;

	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i;

		if (!strcasecmp(t, "STREAM")) {
			stream = true;
			continue;
		}
		for (i = 0; i < NOPS; i++)
			if (!strcasecmp(t, op_names[i]))
				break;
		if (i == NOPS) {
			fprintf(stderr, "daqcap-fuzz: unknown operation '%s'\n", t);
			free(dup);
			return -1;
		}
		keep[i] = true;
	}
	free(dup);
	for (int i = 0; i < NOPS; i++)
		if (!keep[i])
			op_weight[i] = 0;
		else if (!op_weight[i])
			op_weight[i] = 5;
	if (!keep[OP_LOG_STATUS])
		log_status_per100k = 0;
	if (!stream)
		stream_permille = 0;
	else if (stream_permille == 0)
		stream_permille = 6;
	return 0;
}

struct tstats {
	uint64_t op[NOPS];
	uint64_t op_ok[NOPS];
	uint64_t err[ERRNO_MAX + 1];	/* [0]: success, [ERRNO_MAX]: others */
	uint64_t frames, stream_bursts;
};

/* ---- nodes ------------------------------------------------------------------------- */

struct slot {
	int fd;
	int refs;
	bool dead;
};

struct qbinfo {
	uint32_t memory;
	unsigned long userptr;
	uint32_t length;
	int fd;
	bool valid;
};

struct node {
	char pci[32];
	unsigned int chan;
	int card;
	char path[64];		/* under nodes_lock */
	unsigned int ninputs;
	pthread_mutex_t lock;	/* slots, qb */
	struct slot slots[NSLOTS];
	struct qbinfo qb[MAX_BUFS];
	pthread_mutex_t fmt_lock;	/* format changes vs. MMAP allocations */
	atomic_ullong calls;
	atomic_int stale;	/* ENODEV seen: the path must be found again */
	atomic_int done;
};

static struct node nodes[MAX_NODES];
static unsigned int nnodes;
static pthread_mutex_t nodes_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_discovery;

struct card {
	char pci[32];
	unsigned int nchans, ninputs;
	atomic_int unbound;
};

static struct card cards[8];
static unsigned int ncards;

static atomic_int stop;
static atomic_ullong total_calls;
static atomic_ullong violations;
static atomic_ullong sigbus_count;

/* What each thread is doing, for the report of a stuck run. */
struct tstate {
	atomic_int op, node;
	atomic_ullong calls;
	pthread_t tid;
};

static struct tstate tstate[MAX_THREADS + 2];

struct wctx;
static __thread struct wctx *cur_w;
static void where(char *buf, size_t size);

static void violation(struct node *n, const char *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void violation(struct node *n, const char *op, const char *fmt, ...)
{
	unsigned long long k = atomic_fetch_add(&violations, 1);
	char msg[512], at[96];
	va_list ap;

	if (k >= 30)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(at, sizeof(at));
	say("VIOLATION %s ch%u %s: %s%s", n ? n->pci : "-", n ? n->chan : 0, op, msg, at);
}

/* Parse "DAQCAP ch<N> <pci>". */
static bool parse_card(const struct v4l2_capability *cap, unsigned int *chan, char *pci,
		       size_t size)
{
	char p[32];

	if (strcmp((const char *)cap->driver, "daqcap"))
		return false;
	if (sscanf((const char *)cap->card, "DAQCAP ch%u %31s", chan, p) != 2)
		return false;
	snprintf(pci, size, "%s", p);
	return true;
}

static int node_cmp(const void *a, const void *b)
{
	const struct node *x = a, *y = b;
	int c = strcmp(x->pci, y->pci);

	return c ? c : (int)x->chan - (int)y->chan;
}

static unsigned int count_inputs(int fd)
{
	unsigned int n;

	for (n = 0; n < 64; n++) {
		struct v4l2_input in = { .index = n };

		if (xioctl(fd, VIDIOC_ENUMINPUT, &in))
			break;
	}
	return n;
}

/* The first discovery: every daqcap node, sorted by card and channel. */
static unsigned int discover_initial(void)
{
	struct dirent *de;
	DIR *d = opendir("/dev");
	unsigned int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_NODES) {
		struct v4l2_capability cap;
		char path[64];
		int fd;

		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%.50s", de->d_name);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!xioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    parse_card(&cap, &nodes[n].chan, nodes[n].pci, sizeof(nodes[n].pci))) {
			snprintf(nodes[n].path, sizeof(nodes[n].path), "%s", path);
			nodes[n].ninputs = count_inputs(fd);
			n++;
		}
		close(fd);
	}
	closedir(d);
	qsort(nodes, n, sizeof(nodes[0]), node_cmp);
	ncards = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct node *nd = &nodes[i];

		if (!ncards || strcmp(cards[ncards - 1].pci, nd->pci)) {
			if (ncards == ARRAY_SIZE(cards))
				break;
			snprintf(cards[ncards].pci, sizeof(cards[ncards].pci), "%s", nd->pci);
			cards[ncards].ninputs = nd->ninputs;
			ncards++;
		}
		nd->card = ncards - 1;
		if (cards[nd->card].nchans < nd->chan + 1)
			cards[nd->card].nchans = nd->chan + 1;
		pthread_mutex_init(&nd->lock, NULL);
		pthread_mutex_init(&nd->fmt_lock, NULL);
		for (int s = 0; s < NSLOTS; s++)
			nd->slots[s].fd = -1;
	}
	return n;
}

/* Find the nodes' paths again (after a rebind they may be renumbered). */
static void rediscover(bool force)
{
	struct dirent *de;
	uint64_t now = now_ns();
	DIR *d;

	pthread_mutex_lock(&nodes_lock);
	if (!force && now - last_discovery < 150000000ull) {
		pthread_mutex_unlock(&nodes_lock);
		return;
	}
	last_discovery = now;
	d = opendir("/dev");
	while (d && (de = readdir(d))) {
		struct v4l2_capability cap;
		char path[64], pci[32];
		unsigned int chan;
		int fd;

		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%.50s", de->d_name);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!xioctl(fd, VIDIOC_QUERYCAP, &cap) && parse_card(&cap, &chan, pci, sizeof(pci)))
			for (unsigned int i = 0; i < nnodes; i++)
				if (nodes[i].chan == chan && !strcmp(nodes[i].pci, pci)) {
					snprintf(nodes[i].path, sizeof(nodes[i].path), "%s", path);
					atomic_store(&nodes[i].stale, 0);
				}
		close(fd);
	}
	if (d)
		closedir(d);
	pthread_mutex_unlock(&nodes_lock);
}

/* ---- the threads' context ------------------------------------------------------------ */

struct wctx {
	int idx;
	struct rng master;	/* one seed per call, whatever the driver answers */
	struct rng r;		/* this call's choices */
	unsigned long long iter;
	uint64_t call_seed;
	struct tstats st;
	uint8_t *scratch;	/* 64 KiB of random bytes for payloads */
	struct v4l2_ext_control *ctrls;	/* 1100 entries */
	sigjmp_buf jb;
	volatile sig_atomic_t in_touch;
};

static void where(char *buf, size_t size)
{
	if (cur_w)
		snprintf(buf, size, " [thread %d call %llu seed 0x%016" PRIx64 "]", cur_w->idx,
			 cur_w->iter, cur_w->call_seed);
	else
		buf[0] = 0;
}

static void count_err(struct tstats *st, int e)
{
	st->err[e >= 0 && e < ERRNO_MAX ? e : ERRNO_MAX]++;
}

/*
 * Account one call on a node: its result r (negative: errno in errno).
 * Returns r with errno preserved.
 */
static long rec(struct wctx *w, struct node *n, enum op op, long r)
{
	int e = r < 0 ? errno : 0;

	w->st.op[op]++;
	if (r >= 0)
		w->st.op_ok[op]++;
	count_err(&w->st, e);
	if (n) {
		atomic_fetch_add(&n->calls, 1);
		if (e == ENODEV)
			atomic_store(&n->stale, 1);
	}
	atomic_fetch_add(&total_calls, 1);
	atomic_fetch_add(&tstate[w->idx].calls, 1);
	/* (The VFS answers some unknown ioctls itself.) */
	if (r > 0 && op != OP_READ && op != OP_POLL && op != OP_OPEN && op != OP_EXPBUF &&
	    op != OP_MMAP && op != OP_UNKNOWN_IOCTL)
		violation(n, op_names[op], "returned %ld", r);
	if (e >= 512)
		violation(n, op_names[op], "kernel-internal errno %d leaked to user space", e);
	errno = e;
	return r;
}

/* ---- file handles -------------------------------------------------------------------- */

static int slot_open(struct wctx *w, struct node *n, struct slot *s)
{
	char path[64];
	struct v4l2_capability cap;
	char pci[32];
	unsigned int chan;
	int flags = O_RDWR | O_NONBLOCK | O_CLOEXEC, fd;

	pthread_mutex_lock(&nodes_lock);
	snprintf(path, sizeof(path), "%s", n->path);
	pthread_mutex_unlock(&nodes_lock);
	if (chance(&w->r, 5))
		flags = (flags & ~O_RDWR) | O_RDONLY;
	fd = rec(w, n, OP_OPEN, open(path, flags));
	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			atomic_store(&n->stale, 1);
		return -1;
	}
	/* After a rebind the path may be another node's. */
	memset(&cap, 0, sizeof(cap));
	if (rec(w, n, OP_QUERYCAP, ioctl(fd, VIDIOC_QUERYCAP, &cap)) ||
	    !parse_card(&cap, &chan, pci, sizeof(pci)) || chan != n->chan ||
	    strcmp(pci, n->pci)) {
		close(fd);
		atomic_store(&n->stale, 1);
		return -1;
	}
	s->fd = fd;
	s->refs = 0;
	s->dead = false;
	return fd;
}

/* A file handle of the node, held until slot_put(); -1 if none. */
static int slot_get(struct wctx *w, struct node *n, int *which)
{
	int i, fd = -1;

	if (atomic_load(&n->stale)) {
		rediscover(false);
		if (atomic_load(&n->stale)) {
			/* Still gone: try the old path once in a while anyway. */
			if (!chance(&w->r, 10))
				return -1;
		}
	}
	pthread_mutex_lock(&n->lock);
	i = rnd(&w->r, NSLOTS);
	if (n->slots[i].fd < 0 || n->slots[i].dead) {
		/* Another open one, or open this one. */
		for (int k = 0; k < NSLOTS; k++)
			if (n->slots[k].fd >= 0 && !n->slots[k].dead && chance(&w->r, 80)) {
				i = k;
				break;
			}
	}
	if (n->slots[i].fd < 0)
		slot_open(w, n, &n->slots[i]);
	if (n->slots[i].fd >= 0 && !n->slots[i].dead) {
		n->slots[i].refs++;
		fd = n->slots[i].fd;
		*which = i;
	}
	pthread_mutex_unlock(&n->lock);
	return fd;
}

static void slot_put(struct node *n, int i)
{
	struct slot *s = &n->slots[i];

	pthread_mutex_lock(&n->lock);
	if (--s->refs == 0 && s->dead) {
		close(s->fd);
		s->fd = -1;
		s->dead = false;
	}
	pthread_mutex_unlock(&n->lock);
}

/* Close a slot: at once if nobody uses it, else when the last user is done. */
static void slot_close(struct wctx *w, struct node *n, int i)
{
	struct slot *s = &n->slots[i];

	pthread_mutex_lock(&n->lock);
	if (s->fd >= 0 && !s->dead) {
		w->st.op[OP_CLOSE]++;
		w->st.op_ok[OP_CLOSE]++;
		count_err(&w->st, 0);
		atomic_fetch_add(&n->calls, 1);
		atomic_fetch_add(&total_calls, 1);
		if (s->refs == 0) {
			close(s->fd);
			s->fd = -1;
		} else {
			s->dead = true;
		}
	}
	pthread_mutex_unlock(&n->lock);
}

/* A node that went away: drop its file handles (they only answer ENODEV). */
static void node_drop_slots(struct node *n)
{
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < NSLOTS; i++) {
		struct slot *s = &n->slots[i];

		if (s->fd < 0 || s->dead)
			continue;
		if (s->refs == 0) {
			close(s->fd);
			s->fd = -1;
		} else {
			s->dead = true;
		}
	}
	memset(n->qb, 0, sizeof(n->qb));
	pthread_mutex_unlock(&n->lock);
}

/* ---- memory for USERPTR, DMABUF and mappings ------------------------------------------------ */

static uint8_t *up_region[UP_REGIONS];	/* only ever used as USERPTR/read() memory */
static uint8_t *ro_region;		/* read-only */
static uint8_t *hole;			/* PROT_NONE */

struct dmabuf {
	int fd;
	uint32_t size;
	const char *src;
};

static struct dmabuf dmabufs[NDMABUFS];
static unsigned int ndmabufs;
static pthread_mutex_t dmabuf_lock = PTHREAD_MUTEX_INITIALIZER;
static int garbage_fds[4];	/* /dev/null, an eventfd, a pipe, a memfd */

static void dmabuf_add(int fd, uint32_t size, const char *src, struct rng *r)
{
	pthread_mutex_lock(&dmabuf_lock);
	if (ndmabufs < NDMABUFS) {
		dmabufs[ndmabufs++] = (struct dmabuf){ fd, size, src };
	} else {
		/* Replace a fuzzer-made one; keep the first (vivid, udmabuf) ones. */
		unsigned int i = NDMABUFS / 4 + rnd(r, NDMABUFS - NDMABUFS / 4);

		close(dmabufs[i].fd);
		dmabufs[i] = (struct dmabuf){ fd, size, src };
	}
	pthread_mutex_unlock(&dmabuf_lock);
}

/* A dmabuf fd (maybe garbage); its size in *size (0 if unknown). */
static int pick_dmabuf(struct rng *r, uint32_t min, uint32_t *size)
{
	int fd = -1;

	*size = 0;
	if (chance(r, 85)) {
		pthread_mutex_lock(&dmabuf_lock);
		if (ndmabufs) {
			unsigned int i = rnd(r, ndmabufs);

			/* Prefer one that is large enough. */
			for (int k = 0; k < 8 && dmabufs[i].size < min; k++)
				i = rnd(r, ndmabufs);
			fd = dmabufs[i].fd;
			*size = dmabufs[i].size;
		}
		pthread_mutex_unlock(&dmabuf_lock);
		if (fd >= 0)
			return fd;
	}
	switch (rnd(r, 5)) {
	case 0: return -1;
	case 1: return garbage_fds[rnd(r, ARRAY_SIZE(garbage_fds))];
	case 2: return 0;
	case 3: return 1000 + rnd(r, 1000);
	default: return (int)rnd_u32(r);
	}
}

struct mapping {
	uint8_t *addr;
	size_t len;
	int prot;
	struct node *node;
};

static struct mapping maps[NMAPS];
static unsigned int nmaps;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ullong mmaps_ok, munmaps_partial;

static void sig_handler(int sig)
{
	if (cur_w && cur_w->in_touch) {
		cur_w->in_touch = 0;
		siglongjmp(cur_w->jb, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A user pointer and length for USERPTR, of every kind. */
static void pick_userptr(struct rng *r, uint32_t sizeimage, unsigned long *ptr, uint32_t *len)
{
	uint8_t *base = up_region[rnd(r, UP_REGIONS)];
	uint32_t want = sizeimage ? sizeimage : 4096;

	if (want > UP_REGION_SIZE)
		want = UP_REGION_SIZE;
	switch (rnd(r, 12)) {
	case 0: case 1: case 2: case 3: case 4:	/* valid, page aligned */
		*ptr = (unsigned long)base;
		*len = want;
		break;
	case 5:		/* valid, unaligned */
		*ptr = (unsigned long)base + 1 + rnd(r, 4095);
		*len = want > UP_REGION_SIZE - 4096 ? UP_REGION_SIZE - 4096 : want;
		break;
	case 6:		/* too short */
		*ptr = (unsigned long)base;
		*len = want > 1 ? rnd(r, want) : 0;
		break;
	case 7:		/* running into the unmapped hole after the region? no: unmapped */
		*ptr = (unsigned long)hole + rnd(r, 16) * 4096;
		*len = want;
		break;
	case 8:		/* read-only */
		*ptr = (unsigned long)ro_region;
		*len = want > RO_REGION_SIZE ? RO_REGION_SIZE : want;
		break;
	case 9:		/* crossing from mapped memory into the hole */
		*ptr = (unsigned long)hole - 4096;
		*len = want;
		break;
	case 10:	/* NULL, kernel, non-canonical */
		switch (rnd(r, 3)) {
		case 0: *ptr = 0; break;
		case 1: *ptr = 0xffff888000000000ul; break;
		default: *ptr = 0x0000800000000000ul - 4096; break;
		}
		*len = want;
		break;
	default:	/* a valid pointer with a garbage length */
		*ptr = (unsigned long)base;
		*len = rnd_u32(r);
		break;
	}
}

/* ---- QMP ---------------------------------------------------------------------------------- */

struct qmp {
	int fd;
	unsigned long next_id;
	size_t len;
	char buf[16384];
};

static int qmp_readline(struct qmp *q, char *line, size_t size, uint64_t deadline)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		uint64_t now;
		ssize_t r;

		if (nl) {
			size_t n = nl - q->buf + 1;
			size_t c = n < size ? n : size - 1;

			memcpy(line, q->buf, c);
			line[c] = 0;
			memmove(q->buf, nl + 1, q->len - n);
			q->len -= n;
			return 0;
		}
		if (q->len == sizeof(q->buf))
			q->len = 0;
		now = now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue;
		r = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return r ? -errno : -EPIPE;
		q->len += r;
	}
}

static const char *json_after_key(const char *s, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\"", key);
	p = strstr(s, k);
	if (!p)
		return NULL;
	p += strlen(k);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int qmp_exec(struct qmp *q, const char *cmd, char *reply, size_t size)
{
	uint64_t deadline = now_ns() + QMP_TIMEOUT_MS * 1000000ull;
	unsigned long id = q->next_id++;
	char out[1024], line[4096];
	int n, r;

	n = snprintf(out, sizeof(out), "%s, \"id\": %lu}\n", cmd, id);
	if (n >= (int)sizeof(out))
		return -E2BIG;
	for (int off = 0; off < n;) {
		ssize_t w = write(q->fd, out + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		off += w;
	}
	for (;;) {
		const char *p;

		r = qmp_readline(q, line, sizeof(line), deadline);
		if (r)
			return r;
		p = json_after_key(line, "id");
		if (!p || strtoul(p, NULL, 10) != id)
			continue;
		if (reply)
			snprintf(reply, size, "%s", line);
		return json_after_key(line, "return") ? 0 : -EIO;
	}
}

static int qmp_connect(struct qmp *q)
{
	const char *path = getenv("DAQCAP_QMP");
	struct termios t;
	char reply[512];
	int r;

	q->fd = -1;
	q->len = 0;
	q->next_id = (unsigned long)getpid() * 100000ul;
	if (!path || !*path)
		return -ENOENT;
	q->fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (q->fd < 0)
		return -errno;
	if (!tcgetattr(q->fd, &t)) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(q->fd, TCSANOW, &t);
	}
	if (write(q->fd, "\xff\n", 2) != 2)
		return -errno;
	r = qmp_exec(q, "{\"execute\": \"qmp_capabilities\"", reply, sizeof(reply));
	return r == -EIO ? 0 : r;
}

static int qmp_set(struct qmp *q, int card, const char *prop, const char *json_value)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/machine/peripheral/daqcap%d\", \"property\": \"%s\", \"value\": %s}",
		 card, prop, json_value);
	return qmp_exec(q, cmd, NULL, 0);
}

static int qmp_get(struct qmp *q, int card, const char *prop, char *value, size_t size)
{
	char cmd[512], reply[4096];
	const char *p, *e;
	int r;

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/daqcap%d\", \"property\": \"%s\"}",
		 card, prop);
	r = qmp_exec(q, cmd, reply, sizeof(reply));
	if (r)
		return r;
	p = json_after_key(reply, "return");
	if (!p)
		return -EPROTO;
	if (*p == '"') {
		e = strchr(++p, '"');
	} else {
		e = p;
		while (*e && *e != ',' && *e != '}' && *e != ' ' && *e != '\r' && *e != '\n')
			e++;
	}
	if (!e)
		return -EPROTO;
	snprintf(value, size, "%.*s", (int)(e - p), p);
	return 0;
}

/* ---- the argument generators for the V4L2 structures -------------------------------------- */

static uint32_t known_ctrls[] = {
	V4L2_CID_TEST_PATTERN, V4L2_CID_DV_RX_POWER_PRESENT, V4L2_CID_DAQCAP_CHUNK_LINES,
	V4L2_CID_DAQCAP_IRQ_COALESCE, V4L2_CID_DAQCAP_IRQ_CHUNKS, V4L2_CID_DAQCAP_IRQ_DELAY_US,
};

static uint32_t rnd_ctrl_id(struct rng *r)
{
	switch (rnd(r, 10)) {
	case 0: case 1: case 2: case 3: case 4:
		return known_ctrls[rnd(r, ARRAY_SIZE(known_ctrls))];
	case 5:
		return V4L2_CID_USER_DAQCAP_BASE + rnd(r, 8);
	case 6:
		return (known_ctrls[rnd(r, ARRAY_SIZE(known_ctrls))] & 0xffff0000) + rnd(r, 0x1300);
	case 7:
		return V4L2_CID_BRIGHTNESS + rnd(r, 48);
	case 8:
		return rnd_u32(r) | (chance(r, 50) ? V4L2_CTRL_FLAG_NEXT_CTRL : 0);
	default:
		return V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND | rnd(r, 4);
	}
}

static int32_t rnd_ctrl_value(struct rng *r, uint32_t id)
{
	switch (rnd(r, 4)) {
	case 0:
		return (int32_t)rnd_u32(r);
	case 1:
		return -1 - (int32_t)rnd(r, 3);
	default:
		break;
	}
	switch (id) {
	case V4L2_CID_TEST_PATTERN: return rnd(r, 3);
	case V4L2_CID_DAQCAP_CHUNK_LINES: return rnd(r, 66);
	case V4L2_CID_DAQCAP_IRQ_COALESCE: return rnd(r, 4);
	case V4L2_CID_DAQCAP_IRQ_CHUNKS: return rnd(r, 258);
	case V4L2_CID_DAQCAP_IRQ_DELAY_US: return chance(r, 50) ? rnd(r, 2000) : rnd(r, 70000);
	default: return (int32_t)rnd(r, 100);
	}
}

/* A pointer that is not to be written through: NULL, unmapped, kernel. */
static void *bogus_ptr(struct rng *r)
{
	switch (rnd(r, 5)) {
	case 0: return NULL;
	case 1: return hole + rnd(r, HOLE_SIZE);
	case 2: return (void *)0xffff888000000000ul;
	case 3: return (void *)(uintptr_t)(1 + rnd(r, 4096));
	default: return ro_region;	/* readable, not writable */
	}
}

/* ---- single operations -------------------------------------------------------------------- */

/* Check a pixel format the driver answered. */
static void check_pix(struct node *n, const char *op, const struct v4l2_pix_format *p)
{
	const struct fmtinfo *fi = fmt_by_fourcc(p->pixelformat);

	if (!fi) {
		violation(n, op, "unknown pixelformat 0x%08x", p->pixelformat);
		return;
	}
	if (p->field != V4L2_FIELD_NONE)
		violation(n, op, "field %u", p->field);
	if (p->width > 4096 || p->height > 4096 || !p->width || !p->height)
		violation(n, op, "size %ux%u", p->width, p->height);
	if (p->bytesperline < p->width * fi->bpp || p->bytesperline > 0x40000)
		violation(n, op, "bytesperline %u for %u pixels of %u bytes", p->bytesperline,
			  p->width, fi->bpp);
	if ((uint64_t)p->bytesperline * daqcap_pattern_rows(fi->code, p->height) != p->sizeimage)
		violation(n, op, "sizeimage %u != %u * %u rows", p->sizeimage, p->bytesperline,
			  daqcap_pattern_rows(fi->code, p->height));
}

static void gen_format(struct rng *r, struct v4l2_format *f)
{
	struct v4l2_pix_format *p = &f->fmt.pix;

	if (chance(r, 10))
		rnd_fill(r, f, sizeof(*f));
	else
		memset(f, 0, sizeof(*f));
	f->type = rnd_buf_type(r);
	p->pixelformat = rnd_fourcc(r);
	p->width = chance(r, 50) ? rnd_u32(r) : 640 + rnd(r, 2) * 1280;
	p->height = chance(r, 50) ? rnd_u32(r) : 480;
	switch (rnd(r, 10)) {
	case 0: case 1: case 2: case 3: p->bytesperline = 0; break;
	case 4: p->bytesperline = 1; break;
	case 5: p->bytesperline = 1280 + rnd(r, 5000) * (chance(r, 50) ? 1 : 2) + 1; break;
	case 6: p->bytesperline = 0xffffffff; break;
	case 7: p->bytesperline = 0x40000 + rnd(r, 2); break;
	default: p->bytesperline = rnd_u32(r); break;
	}
	if (chance(r, 50))
		p->field = rnd(r, 12);
	if (chance(r, 30)) {
		p->colorspace = rnd_u32(r);
		p->quantization = rnd(r, 5);
		p->flags = rnd_u32(r);
		p->sizeimage = rnd_u32(r);
		p->priv = chance(r, 50) ? V4L2_PIX_FMT_PRIV_MAGIC : rnd_u32(r);
	}
}

/* The format's size, or 0 if it cannot be read. */
static uint32_t cur_sizeimage(struct wctx *w, struct node *n, int fd)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

	if (rec(w, n, OP_G_FMT, ioctl(fd, VIDIOC_G_FMT, &f)))
		return 0;
	check_pix(n, "G_FMT", &f.fmt.pix);
	return f.fmt.pix.sizeimage;
}

/* Random DV timings: enumerated, detected, or garbage. */
static void gen_timings(struct wctx *w, struct node *n, int fd, struct v4l2_dv_timings *t)
{
	struct rng *r = &w->r;
	struct v4l2_enum_dv_timings e;

	memset(t, 0, sizeof(*t));
	switch (rnd(r, 8)) {
	case 0: case 1: case 2: case 3:
		memset(&e, 0, sizeof(e));
		/* The small ones more often: streaming is cheaper. */
		e.index = chance(r, 60) ? rnd(r, 4) : rnd(r, 40);
		if (!rec(w, n, OP_ENUM_DV_TIMINGS, ioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &e)))
			*t = e.timings;
		break;
	case 4:
		rec(w, n, OP_QUERY_DV_TIMINGS, ioctl(fd, VIDIOC_QUERY_DV_TIMINGS, t));
		break;
	case 5:
		rnd_fill(r, t, sizeof(*t));
		break;
	default:
		t->type = chance(r, 90) ? V4L2_DV_BT_656_1120 : rnd_u32(r);
		t->bt.width = rnd_u32(r);
		t->bt.height = rnd_u32(r);
		t->bt.interlaced = chance(r, 80) ? 0 : rnd(r, 3);
		t->bt.pixelclock = chance(r, 50) ? 25000000 + rnd(r, 600000000) : rnd64(r);
		t->bt.hfrontporch = rnd(r, 1000);
		t->bt.hsync = rnd(r, 200);
		t->bt.hbackporch = rnd(r, 1000);
		t->bt.vfrontporch = rnd(r, 100);
		t->bt.vsync = rnd(r, 20);
		t->bt.vbackporch = rnd(r, 100);
		t->bt.standards = rnd_u32(r);
		t->bt.flags = rnd_u32(r);
		break;
	}
	if (chance(r, 5))
		t->bt.reserved[rnd(r, ARRAY_SIZE(t->bt.reserved))] = rnd_u32(r);
}

static void op_ext_ctrls(struct wctx *w, struct node *n, int fd, enum op op)
{
	static const unsigned long cmds[] = { VIDIOC_G_EXT_CTRLS, VIDIOC_S_EXT_CTRLS,
					      VIDIOC_TRY_EXT_CTRLS };
	struct rng *r = &w->r;
	struct v4l2_ext_controls c;
	unsigned long cmd = cmds[op - OP_G_EXT_CTRLS];
	unsigned int k;

	memset(&c, 0, sizeof(c));
	switch (rnd(r, 10)) {
	case 0: case 1: case 2: case 3: case 4: c.which = V4L2_CTRL_WHICH_CUR_VAL; break;
	case 5: c.which = V4L2_CTRL_WHICH_DEF_VAL; break;
	case 6: c.which = V4L2_CTRL_WHICH_REQUEST_VAL; break;
	case 7: c.which = V4L2_CTRL_CLASS_USER; break;
	case 8: c.which = chance(r, 50) ? V4L2_CTRL_CLASS_DV : V4L2_CTRL_CLASS_IMAGE_PROC; break;
	default: c.which = rnd_u32(r); break;
	}
	switch (rnd(r, 10)) {
	case 0: c.count = 0; break;
	case 1: c.count = 1024 + rnd(r, 3); break;
	case 2: c.count = rnd_u32(r); break;
	case 3: c.count = 64 + rnd(r, 960); break;
	default: c.count = 1 + rnd(r, 6); break;
	}
	k = c.count < 1100 ? c.count : 0;
	for (unsigned int i = 0; i < k && i < 64; i++) {
		struct v4l2_ext_control *x = &w->ctrls[i];

		memset(x, 0, sizeof(*x));
		x->id = rnd_ctrl_id(r) & ~(V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND);
		if (chance(r, 5))
			x->id = x->id | (chance(r, 50) ? V4L2_CTRL_FLAG_NEXT_CTRL : 0);
		x->value = rnd_ctrl_value(r, x->id);
		if (chance(r, 10)) {
			/* A pointer payload, as for a compound or string control. */
			x->size = rnd_u32(r);
			x->ptr = chance(r, 50) ? bogus_ptr(r) : w->scratch;
		}
		if (chance(r, 5))
			x->reserved2[0] = rnd_u32(r);
	}
	for (unsigned int i = 64; i < k; i++)
		w->ctrls[i] = w->ctrls[i % 64];
	c.controls = w->ctrls;
	if (chance(r, 8))
		c.controls = bogus_ptr(r);
	if (c.which == V4L2_CTRL_WHICH_REQUEST_VAL || chance(r, 10))
		c.request_fd = chance(r, 50) ? garbage_fds[rnd(r, ARRAY_SIZE(garbage_fds))] :
					       (int)rnd_u32(r);
	if (chance(r, 5))
		c.reserved[0] = rnd_u32(r);
	if (!rec(w, n, op, ioctl(fd, cmd, &c)) && op == OP_G_EXT_CTRLS && c.count && k &&
	    c.controls == w->ctrls) {
		for (unsigned int i = 0; i < k && i < 64; i++)
			if (w->ctrls[i].id == V4L2_CID_DAQCAP_CHUNK_LINES &&
			    c.which == V4L2_CTRL_WHICH_CUR_VAL &&
			    (w->ctrls[i].value < 1 || w->ctrls[i].value > DAQCAP_MAX_CHUNK_LINES))
				violation(n, "G_EXT_CTRLS", "chunk lines %d", w->ctrls[i].value);
	}
}

static void fill_qbuf(struct wctx *w, struct v4l2_buffer *b, uint32_t sizeimage)
{
	struct rng *r = &w->r;

	memset(b, 0, sizeof(*b));
	if (chance(r, 5))
		rnd_fill(r, b, sizeof(*b));
	b->type = rnd_buf_type(r);
	b->memory = rnd_memory(r);
	b->index = chance(r, 85) ? rnd(r, 8) : rnd_u32(r);
	if (chance(r, 80))
		b->flags = 0;
	else if (chance(r, 50))
		b->flags = V4L2_BUF_FLAG_REQUEST_FD, b->request_fd = (int)rnd_u32(r);
	else
		b->flags = rnd_u32(r);
	if (chance(r, 20))
		b->field = rnd(r, 12);
	if (chance(r, 10))
		b->bytesused = rnd_u32(r);
	switch (b->memory) {
	case V4L2_MEMORY_USERPTR:
		pick_userptr(r, sizeimage, &b->m.userptr, &b->length);
		break;
	case V4L2_MEMORY_DMABUF: {
		uint32_t size;

		b->m.fd = pick_dmabuf(r, sizeimage, &size);
		b->length = chance(r, 70) ? size : rnd_u32(r);
		break;
	}
	default:
		if (chance(r, 20))
			b->m.offset = rnd_u32(r);
		if (chance(r, 20))
			b->length = rnd_u32(r);
		break;
	}
}

static void remember_qbuf(struct node *n, const struct v4l2_buffer *b)
{
	if (b->index >= MAX_BUFS)
		return;
	pthread_mutex_lock(&n->lock);
	n->qb[b->index] = (struct qbinfo){
		.memory = b->memory, .userptr = b->m.userptr, .length = b->length,
		.fd = b->m.fd, .valid = true,
	};
	pthread_mutex_unlock(&n->lock);
}

/* QBUF a dequeued buffer again as it was queued. */
static void requeue(struct wctx *w, struct node *n, int fd, const struct v4l2_buffer *d)
{
	struct v4l2_buffer b;
	struct qbinfo q = { 0 };

	if (d->index >= MAX_BUFS)
		return;
	pthread_mutex_lock(&n->lock);
	q = n->qb[d->index];
	pthread_mutex_unlock(&n->lock);
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = d->memory;
	b.index = d->index;
	if (q.valid && q.memory == d->memory) {
		if (d->memory == V4L2_MEMORY_USERPTR) {
			b.m.userptr = q.userptr;
			b.length = q.length;
		} else if (d->memory == V4L2_MEMORY_DMABUF) {
			b.m.fd = q.fd;
			b.length = q.length;
		}
	} else if (d->memory == V4L2_MEMORY_USERPTR) {
		b.m.userptr = d->m.userptr;
		b.length = d->length;
	} else if (d->memory == V4L2_MEMORY_DMABUF) {
		b.m.fd = d->m.fd;
		b.length = d->length;
	}
	rec(w, n, OP_QBUF, ioctl(fd, VIDIOC_QBUF, &b));
}

static void check_dqbuf(struct node *n, const struct v4l2_buffer *b)
{
	if (b->index >= MAX_BUFS)
		violation(n, "DQBUF", "index %u", b->index);
	if (b->bytesused > b->length)
		violation(n, "DQBUF", "bytesused %u > length %u", b->bytesused, b->length);
	if (b->flags & (V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE))
		violation(n, "DQBUF", "flags 0x%x: still queued or done", b->flags);
}

static void dqbuf(struct wctx *w, struct node *n, int fd, uint32_t memory, bool again)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = chance(&w->r, 95) ? V4L2_BUF_TYPE_VIDEO_CAPTURE : rnd_buf_type(&w->r);
	b.memory = memory;
	if (!rec(w, n, OP_DQBUF, ioctl(fd, VIDIOC_DQBUF, &b))) {
		check_dqbuf(n, &b);
		w->st.frames++;
		if (again)
			requeue(w, n, fd, &b);
	}
}

static uint32_t alloc_count(struct rng *r, uint32_t sizeimage, uint32_t memory)
{
	uint32_t c;

	switch (rnd(r, 8)) {
	case 0: c = 0; break;
	case 1: c = 1; break;
	case 2: c = 32 + rnd(r, 3); break;
	case 3: c = rnd_u32(r); break;
	default: c = 2 + rnd(r, 6); break;
	}
	/* MMAP allocates: keep within the node's budget (vb2 makes it 3 at least). */
	if (memory == V4L2_MEMORY_MMAP && c && sizeimage) {
		uint32_t max = MMAP_BUDGET / sizeimage;

		if (max < 3)
			return 0;
		if (c > max)
			c = max;
	}
	return c;
}

static void op_mmap(struct wctx *w, struct node *n, int fd)
{
	struct rng *r = &w->r;
	struct v4l2_buffer b;
	size_t len = 4096;
	off_t off = 0;
	int prot, flags = MAP_SHARED;
	void *p;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = rnd(r, 8);
	if (!rec(w, n, OP_QUERYBUF, ioctl(fd, VIDIOC_QUERYBUF, &b))) {
		len = b.length;
		off = b.m.offset;
	}
	switch (rnd(r, 10)) {
	case 0: off += 4096 * rnd(r, 4); break;
	case 1: off += 1 + rnd(r, 4095); break;
	case 2: off = (off_t)rnd(r, 1u << 20) * 4096; break;
	case 3: len = rnd(r, 3) * 4096; break;
	case 4: len += 4096 * (1 + rnd(r, 3)); break;
	case 5: len = rnd(r, (uint32_t)len + 1); break;
	default: break;
	}
	if (len > (64u << 20))
		len = 64u << 20;
	switch (rnd(r, 8)) {
	case 0: prot = PROT_READ; break;
	case 1: prot = PROT_WRITE; break;
	case 2: prot = PROT_READ | PROT_WRITE | PROT_EXEC; break;
	default: prot = PROT_READ | PROT_WRITE; break;
	}
	if (chance(r, 5))
		flags = MAP_PRIVATE;
	p = mmap(NULL, len, prot, flags, fd, off);
	rec(w, n, OP_MMAP, p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	atomic_fetch_add(&mmaps_ok, 1);
	pthread_mutex_lock(&maps_lock);
	if (nmaps == NMAPS) {
		unsigned int i = rnd(r, NMAPS);

		munmap(maps[i].addr, maps[i].len);
		maps[i] = maps[--nmaps];
	}
	maps[nmaps++] = (struct mapping){ p, len, prot, n };
	pthread_mutex_unlock(&maps_lock);
}

static void op_munmap(struct wctx *w)
{
	struct rng *r = &w->r;
	struct mapping m;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&maps_lock);
	if (!nmaps) {
		pthread_mutex_unlock(&maps_lock);
		return;
	}
	i = rnd(r, nmaps);
	m = maps[i];
	if (m.len > 4096 && chance(r, 30)) {
		/* Unmap the head or the tail: the VMA is split. */
		size_t cut = 4096 * (1 + rnd(r, (uint32_t)(m.len / 4096 - 1)));

		if (chance(r, 50)) {
			ret = munmap(m.addr, cut);
			if (!ret) {
				maps[i].addr += cut;
				maps[i].len -= cut;
			}
		} else {
			ret = munmap(m.addr + m.len - cut, cut);
			if (!ret)
				maps[i].len -= cut;
		}
		atomic_fetch_add(&munmaps_partial, 1);
	} else {
		ret = munmap(m.addr, m.len);
		maps[i] = maps[--nmaps];
	}
	pthread_mutex_unlock(&maps_lock);
	rec(w, m.node, OP_MUNMAP, ret);
}

/* Read (and maybe write) a byte of a mapping: it must not fault. */
static void op_touch(struct wctx *w)
{
	struct rng *r = &w->r;
	struct mapping m;
	volatile uint8_t *p;
	size_t off;
	int sig;

	pthread_mutex_lock(&maps_lock);
	if (!nmaps) {
		pthread_mutex_unlock(&maps_lock);
		return;
	}
	m = maps[rnd(r, nmaps)];
	off = chance(r, 50) ? 0 : rnd(r, (uint32_t)m.len);
	p = m.addr + off;
	sig = sigsetjmp(w->jb, 1);
	if (!sig) {
		w->in_touch = 1;
		if (m.prot & PROT_READ)
			(void)*p;
		if ((m.prot & PROT_WRITE) && chance(r, 50))
			*p = 0x5a;
		w->in_touch = 0;
	}
	pthread_mutex_unlock(&maps_lock);
	rec(w, m.node, OP_TOUCH, sig ? -1 : 0);
	if (sig) {
		atomic_fetch_add(&sigbus_count, 1);
		violation(m.node, "TOUCH", "signal %d on byte %zu of a %zu-byte mapping (prot %d)",
			  sig, off, m.len, m.prot);
	}
}

/*
 * Known V4L2 ioctls with random payloads: those the driver does not
 * implement, and those it does whose payloads allocate nothing.
 */
static const unsigned long unsupported_ioctls[] = {
	VIDIOC_G_STD, VIDIOC_S_STD, VIDIOC_ENUMSTD, VIDIOC_QUERYSTD, VIDIOC_G_AUDIO,
	VIDIOC_S_AUDIO, VIDIOC_ENUMAUDIO, VIDIOC_ENUMAUDOUT, VIDIOC_G_AUDOUT,
	VIDIOC_G_TUNER, VIDIOC_S_TUNER, VIDIOC_G_FREQUENCY, VIDIOC_S_FREQUENCY,
	VIDIOC_G_MODULATOR, VIDIOC_ENUM_FREQ_BANDS, VIDIOC_S_HW_FREQ_SEEK,
	VIDIOC_G_OUTPUT, VIDIOC_S_OUTPUT, VIDIOC_ENUMOUTPUT, VIDIOC_CROPCAP,
	VIDIOC_G_CROP, VIDIOC_S_CROP, VIDIOC_G_SELECTION, VIDIOC_S_SELECTION,
	VIDIOC_G_JPEGCOMP, VIDIOC_S_JPEGCOMP, VIDIOC_G_ENC_INDEX, VIDIOC_ENCODER_CMD,
	VIDIOC_TRY_ENCODER_CMD, VIDIOC_DECODER_CMD, VIDIOC_TRY_DECODER_CMD,
	VIDIOC_G_EDID, VIDIOC_S_EDID, VIDIOC_G_SLICED_VBI_CAP, VIDIOC_G_FBUF,
	VIDIOC_S_FBUF, VIDIOC_OVERLAY, VIDIOC_ENUM_FMT, VIDIOC_DBG_G_CHIP_INFO,
	VIDIOC_G_FMT, VIDIOC_TRY_FMT, VIDIOC_G_PARM, VIDIOC_S_PARM,
	VIDIOC_ENUMINPUT, VIDIOC_DV_TIMINGS_CAP, VIDIOC_ENUM_DV_TIMINGS,
	VIDIOC_G_DV_TIMINGS, VIDIOC_QUERY_DV_TIMINGS, VIDIOC_QUERYCTRL,
	VIDIOC_QUERY_EXT_CTRL, VIDIOC_QUERYMENU, VIDIOC_G_CTRL, VIDIOC_S_CTRL,
	VIDIOC_SUBSCRIBE_EVENT, VIDIOC_UNSUBSCRIBE_EVENT, VIDIOC_DQEVENT,
	VIDIOC_QUERYBUF, VIDIOC_ENUM_FRAMESIZES,
	VIDIOC_ENUM_FRAMEINTERVALS, VIDIOC_G_INPUT, VIDIOC_S_INPUT,
	VIDIOC_S_DV_TIMINGS, VIDIOC_STREAMOFF,
	MEDIA_IOC_DEVICE_INFO, MEDIA_IOC_REQUEST_ALLOC, DMA_BUF_IOCTL_SYNC,
};

/*
 * ioctls that must not get random payloads: they allocate or pin memory
 * (REQBUFS, CREATE_BUFS, QBUF, PREPARE_BUF, S_FMT, STREAMON), copy an
 * array back to a user pointer taken from the payload (the EXT_CTRLS), or
 * have their own operation here.
 */
static bool dangerous_ioctl(unsigned long cmd)
{
	return cmd == VIDIOC_REQBUFS || cmd == VIDIOC_CREATE_BUFS || cmd == VIDIOC_QBUF ||
	       cmd == VIDIOC_PREPARE_BUF || cmd == VIDIOC_S_FMT || cmd == VIDIOC_STREAMON ||
	       cmd == VIDIOC_DQBUF || cmd == VIDIOC_LOG_STATUS || cmd == VIDIOC_S_PRIORITY ||
	       cmd == VIDIOC_G_EXT_CTRLS || cmd == VIDIOC_S_EXT_CTRLS ||
	       cmd == VIDIOC_TRY_EXT_CTRLS || cmd == VIDIOC_EXPBUF;
}

static void op_random_ioctl(struct wctx *w, struct node *n, int fd, enum op op)
{
	struct rng *r = &w->r;
	unsigned long cmd;
	void *arg;

	if (op == OP_UNSUPPORTED) {
		cmd = unsupported_ioctls[rnd(r, ARRAY_SIZE(unsupported_ioctls))];
	} else {
		unsigned int dir = rnd(r, 4), type, nr, size;

		switch (rnd(r, 4)) {
		case 0: type = 'V'; nr = rnd(r, 128); break;	/* V4L2's numbers, other sizes */
		case 1: type = 'V'; nr = 100 + rnd(r, 156); break;
		case 2: type = '|'; nr = rnd(r, 256); break;	/* media */
		default: type = rnd(r, 256); nr = rnd(r, 256); break;
		}
		size = chance(r, 50) ? rnd(r, 256) : rnd(r, 1u << 14);
		/*
		 * Not the VFS's own ioctls of types 'T' (FIONBIO would make the
		 * handle blocking), 'X' (FIFREEZE) and 0x94 (FICLONE).
		 */
		if (type == 'T' || type == 'X' || type == 0x94 || type == 'f')
			type = 'v';
		cmd = _IOC(dir, type, nr, size);
		if (dangerous_ioctl(cmd))
			cmd ^= _IOC(0, 0, 0, 1);
	}
	rnd_fill(r, w->scratch, 16384 + 64);
	arg = chance(r, 90) ? (void *)w->scratch : bogus_ptr(r);
	if (chance(r, 3))
		arg = (void *)(uintptr_t)rnd64(r);	/* an integer argument */
	/*
	 * A V4L2 ioctl with a random payload may move the crop window
	 * (S_INPUT, S_DV_TIMINGS, S_SELECTION, S_CROP): under the format
	 * lock, as every targeted change of it is, so that op_selection()
	 * sees only its own.
	 */
	if (_IOC_TYPE(cmd) == 'V')
		pthread_mutex_lock(&n->fmt_lock);
	rec(w, n, op, ioctl(fd, cmd, arg));
	if (_IOC_TYPE(cmd) == 'V')
		pthread_mutex_unlock(&n->fmt_lock);
}

/* The driver's smallest crop window (Documentation/admin-guide/daqcap.rst). */
#define CROP_MIN	16

static bool rect_inside(const struct v4l2_rect *r, const struct v4l2_rect *b)
{
	return r->left >= b->left && r->top >= b->top &&
	       (int64_t)r->left + r->width <= (int64_t)b->left + b->width &&
	       (int64_t)r->top + r->height <= (int64_t)b->top + b->height;
}

static bool rect_equal(const struct v4l2_rect *a, const struct v4l2_rect *b)
{
	return a->left == b->left && a->top == b->top && a->width == b->width &&
	       a->height == b->height;
}

static int get_sel(int fd, uint32_t target, struct v4l2_rect *r)
{
	struct v4l2_selection sel = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .target = target,
	};

	if (ioctl(fd, VIDIOC_G_SELECTION, &sel))
		return -errno;
	*r = sel.r;
	return 0;
}

/* A crop window to ask for, around the bounds @b: inside, at the edges, tiny, or wild. */
static void gen_window(struct rng *r, const struct v4l2_rect *b, struct v4l2_rect *w)
{
	static const int32_t near[] = { -2, -1, 0, 1, 2 };

	switch (rnd(r, 5)) {
	case 0: case 1:
		w->width = 1 + rnd(r, b->width);
		w->height = 1 + rnd(r, b->height);
		w->left = (int32_t)rnd(r, b->width);
		w->top = (int32_t)rnd(r, b->height);
		break;
	case 2:
		w->width = b->width + near[rnd(r, ARRAY_SIZE(near))];
		w->height = b->height + near[rnd(r, ARRAY_SIZE(near))];
		w->left = chance(r, 50) ? near[rnd(r, ARRAY_SIZE(near))] :
			  (int32_t)(b->width - w->width) + near[rnd(r, ARRAY_SIZE(near))];
		w->top = chance(r, 50) ? near[rnd(r, ARRAY_SIZE(near))] :
			 (int32_t)(b->height - w->height) + near[rnd(r, ARRAY_SIZE(near))];
		break;
	case 3:
		w->width = rnd(r, 2 * CROP_MIN);
		w->height = rnd(r, 2 * CROP_MIN);
		w->left = (int32_t)rnd(r, b->width + 8) - 4;
		w->top = (int32_t)rnd(r, b->height + 8) - 4;
		break;
	default:
		w->width = rnd_u32(r);
		w->height = rnd_u32(r);
		w->left = (int32_t)rnd_u32(r);
		w->top = (int32_t)rnd_u32(r);
		break;
	}
}

/*
 * A window the card takes (Documentation/admin-guide/daqcap.rst): at least
 * CROP_MIN square, inside the bounds, on an even pixel, of an even width
 * unless it is the whole line; in NV12 on an even line, of an even height.
 */
static bool window_valid(const struct v4l2_rect *r, const struct v4l2_rect *bounds, bool nv12)
{
	return rect_inside(r, bounds) && r->width >= CROP_MIN && r->height >= CROP_MIN &&
	       !(r->left & 1) && (!(r->width & 1) || r->width == bounds->width) &&
	       (!nv12 || (!(r->top & 1) && !(r->height & 1)));
}

/*
 * G_SELECTION and S_SELECTION: crop windows around the frame's edges,
 * with the constraint flags, and other targets and types. Every window
 * answered must be one the card takes, G_SELECTION's next answer and the
 * format's size (no scaler), and keep to the flags (GE: contain the one
 * asked for; LE: lie inside it); a window the card takes is given as it
 * is, whatever the flags; a refusal changes nothing, and ERANGE needs a
 * flag. Every change of the window is made under the node's format lock.
 */
static void op_selection(struct wctx *w, struct node *n, int fd)
{
	static const uint32_t targets[] = {
		V4L2_SEL_TGT_CROP, V4L2_SEL_TGT_CROP, V4L2_SEL_TGT_CROP, V4L2_SEL_TGT_CROP,
		V4L2_SEL_TGT_CROP_DEFAULT, V4L2_SEL_TGT_CROP_BOUNDS, V4L2_SEL_TGT_COMPOSE,
		V4L2_SEL_TGT_COMPOSE_DEFAULT, V4L2_SEL_TGT_NATIVE_SIZE,
	};
	const uint32_t le_ge = V4L2_SEL_FLAG_LE | V4L2_SEL_FLAG_GE;
	struct rng *r = &w->r;
	struct v4l2_selection sel;
	struct v4l2_rect bounds, before = { 0 }, after = { 0 }, want;
	struct v4l2_format f;
	bool set = chance(r, 60), known, nv12, crop, valid;
	const char *name = set ? "S_SELECTION" : "G_SELECTION";
	long ret;
	int e;

	memset(&sel, 0, sizeof(sel));
	sel.type = rnd_buf_type(r);
	sel.target = chance(r, 90) ? targets[rnd(r, ARRAY_SIZE(targets))] : rnd_u32(r);
	switch (rnd(r, 8)) {
	case 0: sel.flags = V4L2_SEL_FLAG_LE; break;
	case 1: sel.flags = V4L2_SEL_FLAG_GE; break;
	case 2: sel.flags = le_ge; break;
	case 3: sel.flags = rnd_u32(r); break;
	default: sel.flags = 0; break;
	}
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	pthread_mutex_lock(&n->fmt_lock);
	known = !get_sel(fd, V4L2_SEL_TGT_CROP_BOUNDS, &bounds) &&
		!get_sel(fd, V4L2_SEL_TGT_CROP, &before) && !ioctl(fd, VIDIOC_G_FMT, &f);
	if (!known)
		bounds = (struct v4l2_rect){ .width = 1920, .height = 1080 };
	nv12 = f.fmt.pix.pixelformat == V4L2_PIX_FMT_NV12;
	gen_window(r, &bounds, &sel.r);
	want = sel.r;
	ret = rec(w, n, OP_SELECTION,
		  ioctl(fd, set ? VIDIOC_S_SELECTION : VIDIOC_G_SELECTION, &sel));
	e = errno;
	if (!known || e == ENODEV || get_sel(fd, V4L2_SEL_TGT_CROP, &after))
		goto out;
	/* A request the checks below can judge: S_SELECTION of a crop window. */
	crop = set && sel.target == V4L2_SEL_TGT_CROP && !(sel.flags & ~le_ge) &&
	       (sel.type == V4L2_BUF_TYPE_VIDEO_CAPTURE ||
		sel.type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	valid = window_valid(&want, &bounds, nv12);
	if (ret) {
		if (!rect_equal(&before, &after))
			violation(n, name, "refused (%s), and the window moved", strerror(e));
		if (e == ERANGE && !(sel.flags & le_ge))
			violation(n, name, "ERANGE without a constraint flag");
		if (crop && valid && e != EBUSY)
			violation(n, name, "refused (%s) %ux%u@%d,%d, a window the card takes",
				  strerror(e), want.width, want.height, want.left, want.top);
		goto out;
	}
	if (set && sel.flags & ~le_ge)
		violation(n, name, "flags 0x%x accepted", sel.flags);
	/* (The V4L2 core answers the multi-planar type for the single-planar one.) */
	if (sel.type != V4L2_BUF_TYPE_VIDEO_CAPTURE &&
	    sel.type != V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE)
		violation(n, name, "buffer type %u answered", sel.type);
	if (sel.target != V4L2_SEL_TGT_CROP)
		goto out;
	if (!window_valid(&sel.r, &bounds, nv12))
		violation(n, name, "window %ux%u@%d,%d in bounds %ux%u%s", sel.r.width,
			  sel.r.height, sel.r.left, sel.r.top, bounds.width, bounds.height,
			  nv12 ? " (NV12)" : "");
	if (!rect_equal(&sel.r, &after))
		violation(n, name, "answered %ux%u@%d,%d, G_SELECTION has %ux%u@%d,%d",
			  sel.r.width, sel.r.height, sel.r.left, sel.r.top, after.width,
			  after.height, after.left, after.top);
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (!ioctl(fd, VIDIOC_G_FMT, &f) &&
	    (f.fmt.pix.width != after.width || f.fmt.pix.height != after.height))
		violation(n, name, "window %ux%u, format %ux%u", after.width, after.height,
			  f.fmt.pix.width, f.fmt.pix.height);
	if (!crop)
		goto out;
	if (valid && !rect_equal(&sel.r, &want))
		violation(n, name, "%ux%u@%d,%d, a window the card takes, became %ux%u@%d,%d",
			  want.width, want.height, want.left, want.top, sel.r.width,
			  sel.r.height, sel.r.left, sel.r.top);
	if ((sel.flags & V4L2_SEL_FLAG_GE && !rect_inside(&want, &sel.r)) ||
	    (sel.flags & V4L2_SEL_FLAG_LE && !rect_inside(&sel.r, &want)))
		violation(n, name, "flags 0x%x: %ux%u@%d,%d asked, %ux%u@%d,%d given",
			  sel.flags, want.width, want.height, want.left, want.top, sel.r.width,
			  sel.r.height, sel.r.left, sel.r.top);
out:
	pthread_mutex_unlock(&n->fmt_lock);
}

/*
 * A streaming burst: allocate, queue, stream, dequeue a few frames, and
 * maybe stop again. Every call is accounted under its own name.
 */
static void stream_burst(struct wctx *w, struct node *n, int fd, int *slot)
{
	struct rng *r = &w->r;
	struct v4l2_requestbuffers req;
	uint32_t sizeimage, memory;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int want, frames;
	uint64_t deadline;

	w->st.stream_bursts++;
	if (chance(r, 60)) {
		/*
		 * Take the queue over: close every handle of the node (the last
		 * user closes it), wait for them to go, and stream on a fresh one.
		 */
		uint64_t until = now_ns() + 30000000ull;
		bool gone = false;

		slot_put(n, *slot);
		for (int i = 0; i < NSLOTS; i++)
			slot_close(w, n, i);
		while (!gone && now_ns() < until) {
			pthread_mutex_lock(&n->lock);
			gone = true;
			for (int i = 0; i < NSLOTS; i++)
				gone = gone && n->slots[i].fd < 0;
			pthread_mutex_unlock(&n->lock);
			if (!gone)
				sleep_ms(1);
		}
		fd = slot_get(w, n, slot);
		if (fd < 0) {
			*slot = -1;
			return;
		}
	}
	pthread_mutex_lock(&n->fmt_lock);
	sizeimage = cur_sizeimage(w, n, fd);
	switch (rnd(r, 10)) {
	case 0: case 1: case 2: case 3: case 4: case 5: memory = V4L2_MEMORY_MMAP; break;
	case 6: case 7: memory = V4L2_MEMORY_USERPTR; break;
	default: memory = V4L2_MEMORY_DMABUF; break;
	}
	want = 3 + rnd(r, 4);
	if (memory == V4L2_MEMORY_MMAP && (!sizeimage || (uint64_t)want * sizeimage > MMAP_BUDGET))
		memory = V4L2_MEMORY_USERPTR;
	if (memory == V4L2_MEMORY_USERPTR && sizeimage > UP_REGION_SIZE) {
		pthread_mutex_unlock(&n->fmt_lock);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = memory;
	req.count = want;
	if (rec(w, n, OP_REQBUFS, ioctl(fd, VIDIOC_REQBUFS, &req))) {
		pthread_mutex_unlock(&n->fmt_lock);
		return;
	}
	pthread_mutex_unlock(&n->fmt_lock);
	if (req.count > MAX_BUFS)
		violation(n, "REQBUFS", "%u buffers", req.count);
	for (unsigned int i = 0; i < req.count && i < MAX_BUFS; i++) {
		struct v4l2_buffer b;

		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = memory;
		b.index = i;
		if (memory == V4L2_MEMORY_USERPTR) {
			/* Disjoint pieces of a region where they fit; aliasing otherwise. */
			unsigned long aligned = ((unsigned long)sizeimage + 4095) & ~4095ul;
			unsigned long per = aligned ? UP_REGION_SIZE / aligned : 1;
			uint8_t *base = up_region[rnd(r, UP_REGIONS)];

			b.m.userptr = (unsigned long)base + (per ? (i % per) * aligned : 0);
			b.length = sizeimage;
		} else if (memory == V4L2_MEMORY_DMABUF) {
			uint32_t size;

			b.m.fd = pick_dmabuf(r, sizeimage, &size);
			b.length = size;
		}
		if (!rec(w, n, OP_QBUF, ioctl(fd, VIDIOC_QBUF, &b)))
			remember_qbuf(n, &b);
	}
	if (rec(w, n, OP_STREAMON, ioctl(fd, VIDIOC_STREAMON, &type)))
		return;
	frames = 1 + rnd(r, 4);
	deadline = now_ns() + 250000000ull;
	while (frames && now_ns() < deadline && !atomic_load(&stop)) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
		struct v4l2_buffer b;

		/* POLLERR: not streaming any more, or nothing queued. */
		if (rec(w, n, OP_POLL, poll(&p, 1, 50)) < 0 || (p.revents & (POLLERR | POLLHUP)))
			break;
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = memory;
		if (!rec(w, n, OP_DQBUF, ioctl(fd, VIDIOC_DQBUF, &b))) {
			check_dqbuf(n, &b);
			w->st.frames++;
			frames--;
			requeue(w, n, fd, &b);
		} else if (errno != EAGAIN) {
			break;
		}
	}
	if (chance(r, 60))
		rec(w, n, OP_STREAMOFF, ioctl(fd, VIDIOC_STREAMOFF, &type));
	if (chance(r, 30)) {
		memset(&req, 0, sizeof(req));
		req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		req.memory = memory;
		rec(w, n, OP_REQBUFS, ioctl(fd, VIDIOC_REQBUFS, &req));
	}
}

static unsigned int op_weight_total;

static enum op pick_op(struct rng *r)
{
	unsigned int x = rnd(r, op_weight_total);

	for (int i = 0; i < NOPS; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_QUERYCAP;
}

static void do_op(struct wctx *w, struct node *n, int fd, int slot, enum op op)
{
	struct rng *r = &w->r;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	switch (op) {
	case OP_QUERYCAP: {
		struct v4l2_capability c;

		memset(&c, 0, sizeof(c));
		if (!rec(w, n, op, ioctl(fd, VIDIOC_QUERYCAP, &c))) {
			if (strcmp((char *)c.driver, "daqcap"))
				violation(n, "QUERYCAP", "driver '%.16s'", c.driver);
			if ((c.device_caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING |
					      V4L2_CAP_READWRITE)) !=
			    (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_READWRITE))
				violation(n, "QUERYCAP", "device_caps 0x%x", c.device_caps);
		}
		break;
	}
	case OP_ENUM_FMT: {
		struct v4l2_fmtdesc f;

		memset(&f, 0, sizeof(f));
		f.index = chance(r, 70) ? rnd(r, 10) : rnd_u32(r);
		f.type = rnd_buf_type(r);
		if (chance(r, 10))
			f.mbus_code = rnd_u32(r);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_ENUM_FMT, &f))) {
			if (f.index >= ARRAY_SIZE(formats))
				violation(n, "ENUM_FMT", "index %u answered (0x%08x)", f.index,
					  f.pixelformat);
			else if (f.pixelformat != formats[f.index].fourcc)
				violation(n, "ENUM_FMT", "index %u: 0x%08x", f.index, f.pixelformat);
		}
		break;
	}
	case OP_G_FMT: {
		struct v4l2_format f;

		memset(&f, 0, sizeof(f));
		f.type = rnd_buf_type(r);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_G_FMT, &f)))
			check_pix(n, "G_FMT", &f.fmt.pix);
		break;
	}
	case OP_TRY_FMT: {
		struct v4l2_format f;

		gen_format(r, &f);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_TRY_FMT, &f)))
			check_pix(n, "TRY_FMT", &f.fmt.pix);
		break;
	}
	case OP_S_FMT: {
		struct v4l2_format f;

		gen_format(r, &f);
		pthread_mutex_lock(&n->fmt_lock);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_S_FMT, &f)))
			check_pix(n, "S_FMT", &f.fmt.pix);
		pthread_mutex_unlock(&n->fmt_lock);
		break;
	}
	case OP_ENUM_FRAMESIZES: {
		struct v4l2_frmsizeenum f;

		memset(&f, 0, sizeof(f));
		f.index = chance(r, 80) ? rnd(r, 2) : rnd_u32(r);
		f.pixel_format = rnd_fourcc(r);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &f)) &&
		    (f.index || !fmt_by_fourcc(f.pixel_format)))
			violation(n, "ENUM_FRAMESIZES", "index %u fourcc 0x%08x answered",
				  f.index, f.pixel_format);
		break;
	}
	case OP_ENUM_FRAMEINTERVALS: {
		struct v4l2_frmivalenum f;
		struct v4l2_dv_timings t;

		memset(&f, 0, sizeof(f));
		memset(&t, 0, sizeof(t));
		f.index = chance(r, 80) ? rnd(r, 2) : rnd_u32(r);
		f.pixel_format = rnd_fourcc(r);
		if (chance(r, 60) && !rec(w, n, OP_G_DV_TIMINGS, ioctl(fd, VIDIOC_G_DV_TIMINGS, &t))) {
			f.width = t.bt.width;
			f.height = t.bt.height;
		} else {
			f.width = rnd_u32(r);
			f.height = rnd_u32(r);
		}
		if (!rec(w, n, op, ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &f)) &&
		    (!f.discrete.numerator || !f.discrete.denominator))
			violation(n, "ENUM_FRAMEINTERVALS", "interval %u/%u", f.discrete.numerator,
				  f.discrete.denominator);
		break;
	}
	case OP_G_PARM:
	case OP_S_PARM: {
		struct v4l2_streamparm p;

		memset(&p, 0, sizeof(p));
		if (chance(r, 20))
			rnd_fill(r, &p, sizeof(p));
		p.type = rnd_buf_type(r);
		if (op == OP_S_PARM) {
			p.parm.capture.timeperframe.numerator = rnd_u32(r);
			p.parm.capture.timeperframe.denominator = rnd_u32(r);
			p.parm.capture.readbuffers = rnd_u32(r);
		}
		rec(w, n, op, ioctl(fd, op == OP_G_PARM ? VIDIOC_G_PARM : VIDIOC_S_PARM, &p));
		break;
	}
	case OP_ENUMINPUT: {
		struct v4l2_input in;

		memset(&in, 0, sizeof(in));
		in.index = chance(r, 70) ? rnd(r, n->ninputs + 2) : rnd_u32(r);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_ENUMINPUT, &in)) && in.index >= n->ninputs)
			violation(n, "ENUMINPUT", "input %u of %u answered", in.index, n->ninputs);
		break;
	}
	case OP_G_INPUT: {
		unsigned int i = ~0u;

		if (!rec(w, n, op, ioctl(fd, VIDIOC_G_INPUT, &i)) && i >= n->ninputs)
			violation(n, "G_INPUT", "input %u of %u", i, n->ninputs);
		break;
	}
	case OP_S_INPUT: {
		unsigned int i = chance(r, 80) ? rnd(r, n->ninputs + 1) : rnd_u32(r);

		pthread_mutex_lock(&n->fmt_lock);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_S_INPUT, &i)) && i >= n->ninputs)
			violation(n, "S_INPUT", "input %u of %u accepted", i, n->ninputs);
		pthread_mutex_unlock(&n->fmt_lock);
		break;
	}
	case OP_DV_TIMINGS_CAP: {
		struct v4l2_dv_timings_cap c;

		memset(&c, 0, sizeof(c));
		if (chance(r, 30))
			rnd_fill(r, &c, sizeof(c));
		if (chance(r, 60))
			c.pad = 0;
		if (!rec(w, n, op, ioctl(fd, VIDIOC_DV_TIMINGS_CAP, &c)) &&
		    (c.bt.max_width > 4096 || c.bt.max_height > 4096))
			violation(n, "DV_TIMINGS_CAP", "max %ux%u", c.bt.max_width, c.bt.max_height);
		break;
	}
	case OP_ENUM_DV_TIMINGS: {
		struct v4l2_enum_dv_timings e;

		memset(&e, 0, sizeof(e));
		if (chance(r, 10))
			rnd_fill(r, &e, sizeof(e));
		e.index = chance(r, 80) ? rnd(r, 40) : rnd_u32(r);
		if (chance(r, 80))
			e.pad = 0;
		if (!rec(w, n, op, ioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &e)) &&
		    (e.timings.bt.width > 4096 || e.timings.bt.height > 4096 ||
		     e.timings.bt.width < 640 || e.timings.bt.height < 480))
			violation(n, "ENUM_DV_TIMINGS", "%ux%u outside the capabilities",
				  e.timings.bt.width, e.timings.bt.height);
		break;
	}
	case OP_QUERY_DV_TIMINGS:
	case OP_G_DV_TIMINGS: {
		struct v4l2_dv_timings t;

		memset(&t, 0, sizeof(t));
		if (!rec(w, n, op, ioctl(fd, op == OP_G_DV_TIMINGS ? VIDIOC_G_DV_TIMINGS :
					 VIDIOC_QUERY_DV_TIMINGS, &t)) &&
		    (t.bt.width > 4096 || t.bt.height > 4096 || !t.bt.width || !t.bt.height))
			violation(n, op_names[op], "%ux%u", t.bt.width, t.bt.height);
		break;
	}
	case OP_S_DV_TIMINGS: {
		struct v4l2_dv_timings t;

		gen_timings(w, n, fd, &t);
		pthread_mutex_lock(&n->fmt_lock);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_S_DV_TIMINGS, &t)) &&
		    (t.bt.width > 4096 || t.bt.height > 4096 || t.bt.width < 640 ||
		     t.bt.height < 480))
			violation(n, "S_DV_TIMINGS", "%ux%u accepted", t.bt.width, t.bt.height);
		pthread_mutex_unlock(&n->fmt_lock);
		break;
	}
	case OP_QUERYCTRL: {
		struct v4l2_queryctrl q;

		memset(&q, 0, sizeof(q));
		q.id = rnd_ctrl_id(r);
		rec(w, n, op, ioctl(fd, VIDIOC_QUERYCTRL, &q));
		break;
	}
	case OP_QUERY_EXT_CTRL: {
		struct v4l2_query_ext_ctrl q;

		memset(&q, 0, sizeof(q));
		if (chance(r, 10))
			rnd_fill(r, &q, sizeof(q));
		q.id = rnd_ctrl_id(r);
		rec(w, n, op, ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q));
		break;
	}
	case OP_QUERYMENU: {
		struct v4l2_querymenu q;

		memset(&q, 0, sizeof(q));
		q.id = rnd_ctrl_id(r);
		q.index = chance(r, 80) ? rnd(r, 5) : rnd_u32(r);
		rec(w, n, op, ioctl(fd, VIDIOC_QUERYMENU, &q));
		break;
	}
	case OP_G_CTRL:
	case OP_S_CTRL: {
		struct v4l2_control c;

		c.id = rnd_ctrl_id(r);
		c.value = rnd_ctrl_value(r, c.id);
		rec(w, n, op, ioctl(fd, op == OP_G_CTRL ? VIDIOC_G_CTRL : VIDIOC_S_CTRL, &c));
		break;
	}
	case OP_G_EXT_CTRLS:
	case OP_S_EXT_CTRLS:
	case OP_TRY_EXT_CTRLS:
		op_ext_ctrls(w, n, fd, op);
		break;
	case OP_LOG_STATUS:
		rec(w, n, op, ioctl(fd, VIDIOC_LOG_STATUS));
		break;
	case OP_SUBSCRIBE_EVENT:
	case OP_UNSUBSCRIBE_EVENT: {
		static const uint32_t types[] = {
			V4L2_EVENT_SOURCE_CHANGE, V4L2_EVENT_CTRL, V4L2_EVENT_EOS,
			V4L2_EVENT_FRAME_SYNC, V4L2_EVENT_MOTION_DET, V4L2_EVENT_VSYNC,
			V4L2_EVENT_ALL, V4L2_EVENT_PRIVATE_START,
		};
		struct v4l2_event_subscription s;

		memset(&s, 0, sizeof(s));
		s.type = chance(r, 85) ? types[rnd(r, chance(r, 70) ? 2 : ARRAY_SIZE(types))] :
					 rnd_u32(r);
		s.id = s.type == V4L2_EVENT_CTRL && chance(r, 80) ? rnd_ctrl_id(r) :
		       chance(r, 80) ? rnd(r, 5) : rnd_u32(r);
		s.flags = chance(r, 70) ? rnd(r, 4) : rnd_u32(r);
		rec(w, n, op, ioctl(fd, op == OP_SUBSCRIBE_EVENT ? VIDIOC_SUBSCRIBE_EVENT :
				     VIDIOC_UNSUBSCRIBE_EVENT, &s));
		break;
	}
	case OP_DQEVENT: {
		struct v4l2_event e;

		memset(&e, 0, sizeof(e));
		rec(w, n, op, ioctl(fd, VIDIOC_DQEVENT, chance(r, 95) ? (void *)&e : bogus_ptr(r)));
		break;
	}
	case OP_G_PRIORITY:
	case OP_S_PRIORITY: {
		uint32_t p = chance(r, 80) ? rnd(r, 4) : rnd_u32(r);

		/* RECORD locks the other handles out: rarely, and let it go again. */
		if (op == OP_S_PRIORITY && p == V4L2_PRIORITY_RECORD && chance(r, 50))
			p = V4L2_PRIORITY_DEFAULT;
		rec(w, n, op, ioctl(fd, op == OP_G_PRIORITY ? VIDIOC_G_PRIORITY :
				     VIDIOC_S_PRIORITY, &p));
		break;
	}
	case OP_REQBUFS: {
		struct v4l2_requestbuffers q;

		memset(&q, 0, sizeof(q));
		if (chance(r, 5))
			rnd_fill(r, &q, sizeof(q));
		q.type = rnd_buf_type(r);
		q.memory = rnd_memory(r);
		pthread_mutex_lock(&n->fmt_lock);
		if (q.memory == V4L2_MEMORY_MMAP) {
			uint32_t size = cur_sizeimage(w, n, fd);

			q.count = size ? alloc_count(r, size, q.memory) : 0;
		} else {
			q.count = alloc_count(r, 0, q.memory);
		}
		if (!rec(w, n, op, ioctl(fd, VIDIOC_REQBUFS, &q)) && q.count > MAX_BUFS)
			violation(n, "REQBUFS", "%u buffers", q.count);
		pthread_mutex_unlock(&n->fmt_lock);
		break;
	}
	case OP_CREATE_BUFS: {
		struct v4l2_create_buffers c;
		uint32_t size;

		memset(&c, 0, sizeof(c));
		if (chance(r, 5))
			rnd_fill(r, &c, sizeof(c));
		c.memory = rnd_memory(r);
		pthread_mutex_lock(&n->fmt_lock);
		c.format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (rec(w, n, OP_G_FMT, ioctl(fd, VIDIOC_G_FMT, &c.format))) {
			pthread_mutex_unlock(&n->fmt_lock);
			break;
		}
		size = c.format.fmt.pix.sizeimage;
		switch (rnd(r, 8)) {
		case 0: c.format.fmt.pix.sizeimage = 0; break;
		case 1: c.format.fmt.pix.sizeimage = size ? size - 1 : 0; break;
		case 2: c.format.fmt.pix.sizeimage = size + 1 + rnd(r, 8192); break;
		case 3: c.format.fmt.pix.sizeimage = rnd_u32(r); break;
		default: break;
		}
		if (chance(r, 10))
			c.format.type = rnd_buf_type(r);
		if (chance(r, 10))
			c.format.fmt.pix.pixelformat = rnd_fourcc(r);
		size = c.format.fmt.pix.sizeimage > size ? c.format.fmt.pix.sizeimage : size;
		c.count = alloc_count(r, size, c.memory);
		/*
		 * Never an MMAP size the guest cannot hold: CREATE_BUFS adds to
		 * the buffers there are, up to 32 of them.
		 */
		if (c.memory == V4L2_MEMORY_MMAP && (!size || 32ull * size > MMAP_BUDGET))
			c.count = 0;
		if (!rec(w, n, op, ioctl(fd, VIDIOC_CREATE_BUFS, &c)) &&
		    ((uint64_t)c.index + c.count > MAX_BUFS))
			violation(n, "CREATE_BUFS", "buffers %u..+%u", c.index, c.count);
		pthread_mutex_unlock(&n->fmt_lock);
		break;
	}
	case OP_QUERYBUF: {
		struct v4l2_buffer b;

		memset(&b, 0, sizeof(b));
		b.type = rnd_buf_type(r);
		b.memory = rnd_memory(r);
		b.index = chance(r, 85) ? rnd(r, 34) : rnd_u32(r);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_QUERYBUF, &b)) && b.index >= MAX_BUFS)
			violation(n, "QUERYBUF", "index %u answered", b.index);
		break;
	}
	case OP_QBUF:
	case OP_PREPARE_BUF: {
		struct v4l2_buffer b;
		uint32_t size = cur_sizeimage(w, n, fd);

		fill_qbuf(w, &b, size);
		if (!rec(w, n, op, ioctl(fd, op == OP_QBUF ? VIDIOC_QBUF : VIDIOC_PREPARE_BUF, &b)) &&
		    op == OP_QBUF)
			remember_qbuf(n, &b);
		break;
	}
	case OP_DQBUF:
		dqbuf(w, n, fd, rnd_memory(r), chance(r, 80));
		break;
	case OP_EXPBUF: {
		struct v4l2_exportbuffer e;

		memset(&e, 0, sizeof(e));
		e.type = rnd_buf_type(r);
		e.index = chance(r, 85) ? rnd(r, 8) : rnd_u32(r);
		e.plane = chance(r, 90) ? 0 : rnd_u32(r);
		e.flags = chance(r, 80) ? (O_CLOEXEC | (chance(r, 50) ? O_RDWR : O_RDONLY)) :
					  rnd_u32(r);
		if (!rec(w, n, op, ioctl(fd, VIDIOC_EXPBUF, &e))) {
			off_t size = lseek(e.fd, 0, SEEK_END);

			if (e.fd < 0)
				violation(n, "EXPBUF", "fd %d", e.fd);
			else
				dmabuf_add(e.fd, size > 0 ? (uint32_t)size : 0, "daqcap", r);
		}
		break;
	}
	case OP_STREAMON:
	case OP_STREAMOFF:
		if (chance(r, 10))
			type = (int)rnd_buf_type(r);
		rec(w, n, op, ioctl(fd, op == OP_STREAMON ? VIDIOC_STREAMON : VIDIOC_STREAMOFF,
				    chance(r, 97) ? (void *)&type : bogus_ptr(r)));
		break;
	case OP_MMAP:
		op_mmap(w, n, fd);
		break;
	case OP_MUNMAP:
		op_munmap(w);
		break;
	case OP_TOUCH:
		op_touch(w);
		break;
	case OP_READ: {
		uint32_t size, len;
		void *dst;

		/* read() and poll(POLLIN) start the read emulation: it allocates. */
		pthread_mutex_lock(&n->fmt_lock);
		size = cur_sizeimage(w, n, fd);
		if (size && 3ull * size <= MMAP_BUDGET) {
			switch (rnd(r, 5)) {
			case 0: len = 1 + rnd(r, 4096); break;
			case 1: len = size; break;
			case 2: len = 0; break;
			default: len = rnd(r, UP_REGION_SIZE); break;
			}
			dst = chance(r, 90) ? (void *)up_region[0] : bogus_ptr(r);
			if (dst != up_region[0] && len > RO_REGION_SIZE)
				len = RO_REGION_SIZE;
			rec(w, n, op, read(fd, dst, len));
		}
		pthread_mutex_unlock(&n->fmt_lock);
		break;
	}
	case OP_POLL: {
		struct pollfd p = { .fd = fd };
		uint32_t size;

		p.events = chance(r, 80) ? POLLPRI | POLLERR : (short)rnd_u32(r);
		if (chance(r, 50)) {
			pthread_mutex_lock(&n->fmt_lock);
			size = cur_sizeimage(w, n, fd);
			if (size && 3ull * size <= MMAP_BUDGET)
				p.events |= POLLIN;
			else
				p.events &= ~(POLLIN | POLLRDNORM);
			rec(w, n, op, poll(&p, 1, chance(r, 80) ? 0 : (int)rnd(r, 20)));
			pthread_mutex_unlock(&n->fmt_lock);
		} else {
			p.events &= ~(POLLIN | POLLRDNORM);
			rec(w, n, op, poll(&p, 1, chance(r, 80) ? 0 : (int)rnd(r, 20)));
		}
		break;
	}
	case OP_OPEN:
		/* Another handle on the node: an empty slot gets one. */
		pthread_mutex_lock(&n->lock);
		for (int i = 0; i < NSLOTS; i++)
			if (n->slots[i].fd < 0) {
				slot_open(w, n, &n->slots[i]);
				break;
			}
		pthread_mutex_unlock(&n->lock);
		break;
	case OP_CLOSE:
		slot_close(w, n, slot);
		break;
	case OP_UNSUPPORTED:
	case OP_UNKNOWN_IOCTL:
		op_random_ioctl(w, n, fd, op);
		break;
	case OP_SELECTION:
		op_selection(w, n, fd);
		break;
	case OP_DMABUF_SYNC: {
		struct dma_buf_sync s;
		uint32_t size;
		int dfd = pick_dmabuf(r, 0, &size);

		s.flags = chance(r, 70) ? (DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW) : rnd_u32(r);
		rec(w, n, op, ioctl(dfd, DMA_BUF_IOCTL_SYNC, &s));
		if (s.flags == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW)) {
			s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
			rec(w, n, op, ioctl(dfd, DMA_BUF_IOCTL_SYNC, &s));
		}
		break;
	}
	case NOPS:
		break;
	}
}

static bool node_done(struct node *n)
{
	return atomic_load(&n->calls) >= opt.calls;
}

static struct node *pick_node(struct wctx *w)
{
	struct node *home = &nodes[w->idx % nnodes];

	if (!node_done(home) && !atomic_load(&home->stale) && chance(&w->r, 70))
		return home;
	for (int k = 0; k < 16; k++) {
		struct node *n = &nodes[rnd(&w->r, nnodes)];

		if (!node_done(n) && (!atomic_load(&n->stale) || k > 8))
			return n;
	}
	return &nodes[rnd(&w->r, nnodes)];
}

static void *worker(void *arg)
{
	struct wctx *w = arg;

	cur_w = w;
	while (!atomic_load(&stop)) {
		struct node *n;
		enum op op;
		int slot = 0, fd;

		/*
		 * Every call draws its choices from a PRNG of its own, seeded
		 * from the thread's: the stream of calls' seeds does not depend
		 * on what the driver answered before.
		 */
		w->call_seed = rnd64(&w->master);
		w->iter++;
		rng_seed(&w->r, w->call_seed, 0);
		n = pick_node(w);

		atomic_store(&tstate[w->idx].node, (int)(n - nodes));
		fd = slot_get(w, n, &slot);
		if (fd < 0) {
			if (atomic_load(&n->stale)) {
				node_drop_slots(n);
				/* The node is away (unbound): count a failed open and wait a bit. */
				sleep_ms(2);
			}
			continue;
		}
		if (rnd(&w->r, 1000) < stream_permille) {
			atomic_store(&tstate[w->idx].op, -1);
			stream_burst(w, n, fd, &slot);
		} else {
			op = rnd(&w->r, 100000) < log_status_per100k ? OP_LOG_STATUS : pick_op(&w->r);
			atomic_store(&tstate[w->idx].op, op);
			do_op(w, n, fd, slot, op);
		}
		if (slot >= 0)
			slot_put(n, slot);
		if (atomic_load(&n->stale))
			node_drop_slots(n);
	}
	atomic_store(&tstate[w->idx].op, -2);
	return NULL;
}

/* ---- faults, cable events, unbinding ------------------------------------------------------- */

/*
 * The faults of the model's "inject" property (emulator/daqcap.c), but for
 * "wedge" and "replace", after which the card is lost for good.
 */
#define DEFAULT_FAULTS "fifo-overflow,dma-error,lost-irq,stall,drop,bad-cookie,bad-chunk,bad-lines,dup-completion"
static const char *fault_names[32];
static unsigned int nfault_names;

static const char *const modes[] = {
	"640x480p60", "720x480p60", "720x576p50", "1280x720p50", "1280x720p60",
	"1920x1080p24", "1920x1080p25", "1920x1080p30", "1920x1080p50", "1920x1080p60",
	"3840x2160p24", "3840x2160p25", "3840x2160p30", "3840x2160p60", "4096x2160p30",
	"1280x1024p60", "1920x1200p60rb", "2560x1080p60rb",
};

struct input_state {
	char timings[32];
	bool signal;
	bool changed;
	uint64_t restore_at;
};

static struct input_state inputs[8][16];
static struct qmp qmp;
static bool have_qmp;
static pthread_mutex_t qmp_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ullong fault_count[32], fault_errors, cable_events, unbinds, binds, bind_errors;

static void cable_restore(unsigned int c, unsigned int i)
{
	struct input_state *s = &inputs[c][i];
	char prop[32], val[48];

	if (!s->changed)
		return;
	snprintf(prop, sizeof(prop), "input%u-signal", i);
	qmp_set(&qmp, c, prop, s->signal ? "true" : "false");
	if (s->timings[0]) {
		snprintf(prop, sizeof(prop), "input%u-timings", i);
		snprintf(val, sizeof(val), "\"%s\"", s->timings);
		qmp_set(&qmp, c, prop, val);
	}
	s->changed = false;
}

static void *fault_thread(void *arg)
{
	struct wctx *w = arg;
	struct rng *r = &w->r;

	while (!atomic_load(&stop)) {
		uint64_t now;
		unsigned int c = rnd(r, ncards);

		/* Exponential-ish waits around the mean. */
		sleep_ms(1 + rnd(r, 2 * opt.fault_ms));
		if (atomic_load(&stop))
			break;
		now = now_ns();
		pthread_mutex_lock(&qmp_lock);
		for (unsigned int k = 0; k < ncards; k++)
			for (unsigned int i = 0; i < cards[k].ninputs && i < 16; i++)
				if (inputs[k][i].changed && now >= inputs[k][i].restore_at)
					cable_restore(k, i);
		if (chance(r, 80)) {
			unsigned int f = rnd(r, nfault_names), ch = rnd(r, cards[c].nchans);
			char val[64];

			snprintf(val, sizeof(val), "\"%s:%u\"", fault_names[f], ch);
			if (qmp_set(&qmp, c, "inject", val))
				atomic_fetch_add(&fault_errors, 1);
			else
				atomic_fetch_add(&fault_count[f], 1);
		} else if (cards[c].ninputs) {
			unsigned int i = rnd(r, cards[c].ninputs < 16 ? cards[c].ninputs : 16);
			struct input_state *s = &inputs[c][i];
			char prop[32], val[48];

			s->changed = true;
			s->restore_at = now + (200 + rnd(r, 2000)) * 1000000ull;
			if (chance(r, 50)) {
				snprintf(prop, sizeof(prop), "input%u-signal", i);
				qmp_set(&qmp, c, prop, chance(r, 70) ? "false" : "true");
			} else {
				snprintf(prop, sizeof(prop), "input%u-timings", i);
				snprintf(val, sizeof(val), "\"%s\"", modes[rnd(r, ARRAY_SIZE(modes))]);
				qmp_set(&qmp, c, prop, val);
			}
			atomic_fetch_add(&cable_events, 1);
		}
		pthread_mutex_unlock(&qmp_lock);
	}
	return NULL;
}

static bool card_bound(unsigned int c)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/daqcap/%s", cards[c].pci);
	return access(path, F_OK) == 0;
}

static void *unbind_thread(void *arg)
{
	struct wctx *w = arg;
	struct rng *r = &w->r;

	while (!atomic_load(&stop)) {
		unsigned int c = rnd(r, ncards);
		int e;

		for (unsigned int t = 1 + rnd(r, 2 * opt.unbind_ms); t && !atomic_load(&stop);) {
			unsigned int s = t > 100 ? 100 : t;

			sleep_ms(s);
			t -= s;
		}
		if (atomic_load(&stop))
			break;
		atomic_store(&cards[c].unbound, 1);
		e = write_file("/sys/bus/pci/drivers/daqcap/unbind", cards[c].pci);
		if (e)
			say("unbind %s: %s", cards[c].pci, strerror(-e));
		else
			atomic_fetch_add(&unbinds, 1);
		sleep_ms(rnd(r, 800));
		e = write_file("/sys/bus/pci/drivers/daqcap/bind", cards[c].pci);
		if (e) {
			atomic_fetch_add(&bind_errors, 1);
			say("bind %s: %s", cards[c].pci, strerror(-e));
		} else {
			atomic_fetch_add(&binds, 1);
		}
		atomic_store(&cards[c].unbound, 0);
		rediscover(true);
	}
	return NULL;
}

/* ---- the after-check: every node captures byte-exact frames ------------------------------ */

static bool find_sequence(uint32_t input, const uint8_t *line0, uint32_t from, uint32_t *seq)
{
	uint32_t w = (uint32_t)line0[0] | (uint32_t)line0[1] << 8 |
		     (uint32_t)line0[2] << 16 | (uint32_t)line0[3] << 24;

	for (uint32_t s = from; s < from + (1u << 20); s++)
		if (daqcap_pattern_verify_seed(input, s, 0) == w) {
			*seq = s;
			return true;
		}
	return false;
}

/* -1 if the frame is the pattern's, else the first bad line. */
static long frame_bad_line(const struct daqcap_pattern_frame *f, const uint8_t *data, uint32_t bpl,
			   long *off)
{
	for (uint32_t y = 0; y < daqcap_pattern_rows(f->format, f->height); y++) {
		*off = daqcap_pattern_check_line(f, y, data + (size_t)y * bpl);
		if (*off >= 0)
			return y;
	}
	return -1;
}

static int find_timings(int fd, uint32_t wdt, uint32_t hgt, struct v4l2_dv_timings *out)
{
	for (unsigned int i = 0; i < 64; i++) {
		struct v4l2_enum_dv_timings e = { .index = i };

		if (xioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &e))
			return -ENOENT;
		if (e.timings.bt.width == wdt && e.timings.bt.height == hgt &&
		    !e.timings.bt.interlaced) {
			*out = e.timings;
			return 0;
		}
	}
	return -ENOENT;
}

static int set_ctrl(int fd, uint32_t id, int32_t v)
{
	struct v4l2_control c = { .id = id, .value = v };

	return xioctl(fd, VIDIOC_S_CTRL, &c);
}

#define CHECK_BUFS 4

/* Capture opt.check_frames good frames in a row on a node; 0 or -1. */
static int check_node(const char *path, const char *pci, unsigned int chan, unsigned int k)
{
	const struct fmtinfo *fi = &formats[k % ARRAY_SIZE(formats)];
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers req = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					   .memory = V4L2_MEMORY_MMAP };
	struct v4l2_selection sel = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct daqcap_pattern_frame pf;
	struct v4l2_dv_timings t;
	void *map[CHECK_BUFS] = { 0 };
	size_t maplen[CHECK_BUFS] = { 0 };
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int ninputs, input, good = 0, errors = 0, restarts = 0, dq = 0;
	uint32_t seq_offset = 0, first_seq = 0, last_seq = 0;
	bool have_offset = false;
	char why[256] = "";
	int fd, ret = -1;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		say("check %s (%s ch%u): open: %s", path, pci, chan, strerror(errno));
		return -1;
	}
	ninputs = count_inputs(fd);
	input = ninputs ? chan % ninputs : 0;
	if (xioctl(fd, VIDIOC_S_INPUT, &input)) {
		snprintf(why, sizeof(why), "S_INPUT %u: %s", input, strerror(errno));
		goto out;
	}
	set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, DAQCAP_CHUNK_LINES_DEFAULT);
	set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_FRAME);
	set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_CHUNKS, 1);
	set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_DELAY_US, 0);
	if (find_timings(fd, 640, 480, &t) || xioctl(fd, VIDIOC_S_DV_TIMINGS, &t)) {
		snprintf(why, sizeof(why), "cannot set 640x480 timings");
		goto out;
	}
	if (set_ctrl(fd, V4L2_CID_TEST_PATTERN, DAQCAP_PATTERN_VERIFY)) {
		snprintf(why, sizeof(why), "cannot select the VERIFY pattern");
		goto out;
	}
	/* Timings the channel had already keep its window: whole frames. */
	sel.target = V4L2_SEL_TGT_CROP_DEFAULT;
	if (xioctl(fd, VIDIOC_G_SELECTION, &sel) ||
	    (sel.target = V4L2_SEL_TGT_CROP, xioctl(fd, VIDIOC_S_SELECTION, &sel))) {
		snprintf(why, sizeof(why), "cannot reset the crop window: %s",
			 strerror(errno));
		goto out;
	}
	if (xioctl(fd, VIDIOC_G_FMT, &f) == 0) {
		f.fmt.pix.pixelformat = fi->fourcc;
		f.fmt.pix.bytesperline = 0;
	}
	if (xioctl(fd, VIDIOC_S_FMT, &f) || f.fmt.pix.pixelformat != fi->fourcc ||
	    f.fmt.pix.width != 640 || f.fmt.pix.height != 480) {
		snprintf(why, sizeof(why), "S_FMT: %s", strerror(errno));
		goto out;
	}
	pf = (struct daqcap_pattern_frame){
		.input = input, .pattern = DAQCAP_PATTERN_VERIFY, .format = fi->code,
		.width = 640, .height = 480,
	};
	req.count = CHECK_BUFS;
	if (xioctl(fd, VIDIOC_REQBUFS, &req) || req.count < CHECK_BUFS) {
		snprintf(why, sizeof(why), "REQBUFS: %s", strerror(errno));
		goto out;
	}
	for (unsigned int i = 0; i < CHECK_BUFS; i++) {
		struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP, .index = i };

		if (xioctl(fd, VIDIOC_QUERYBUF, &b)) {
			snprintf(why, sizeof(why), "QUERYBUF %u: %s", i, strerror(errno));
			goto out;
		}
		map[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, b.m.offset);
		if (map[i] == MAP_FAILED) {
			map[i] = NULL;
			snprintf(why, sizeof(why), "mmap %u: %s", i, strerror(errno));
			goto out;
		}
		maplen[i] = b.length;
	}
restart:
	have_offset = false;
	seq_offset = 0;
	for (unsigned int i = 0; i < CHECK_BUFS; i++) {
		struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP, .index = i };

		memset(map[i], 0xa5, maplen[i]);
		if (xioctl(fd, VIDIOC_QBUF, &b)) {
			snprintf(why, sizeof(why), "QBUF %u: %s", i, strerror(errno));
			goto out;
		}
	}
	if (xioctl(fd, VIDIOC_STREAMON, &type)) {
		snprintf(why, sizeof(why), "STREAMON: %s", strerror(errno));
		goto out;
	}
	while (good < opt.check_frames) {
		struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP };
		uint64_t deadline = now_ns() + 5000000000ull;
		long bad, off = 0;
		int r;

		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			r = xioctl(fd, VIDIOC_DQBUF, &b);
			if (r != -EAGAIN || now_ns() > deadline)
				break;
			poll(&p, 1, 200);
		}
		if (r) {
			/* A fault left armed on the channel (a stall, a DMA error): once more. */
			xioctl(fd, VIDIOC_STREAMOFF, &type);
			if (restarts++ < 2) {
				say("check %s (%s ch%u): DQBUF: %s, restarting the stream", path, pci,
				    chan, strerror(-r));
				good = 0;
				goto restart;
			}
			snprintf(why, sizeof(why), "DQBUF after %u frames: %s", dq, strerror(-r));
			goto out;
		}
		dq++;
		if (b.index >= CHECK_BUFS || b.bytesused != f.fmt.pix.sizeimage) {
			snprintf(why, sizeof(why), "buffer %u with %u bytes", b.index, b.bytesused);
			goto out;
		}
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			/* A one-shot fault left armed: tolerated at the start only. */
			if (++errors > 3 || good) {
				snprintf(why, sizeof(why), "seq %u flagged in error (%u errors, %u good before)",
					 b.sequence, errors, good);
				goto out;
			}
		} else {
			pf.sequence = b.sequence - seq_offset;
			bad = frame_bad_line(&pf, map[b.index], f.fmt.pix.bytesperline, &off);
			if (bad >= 0 && !have_offset) {
				uint32_t hw;

				/* The card numbers frames from 0 after a reset; the driver goes on. */
				if (find_sequence(input, map[b.index], 0, &hw)) {
					seq_offset = b.sequence - hw;
					pf.sequence = hw;
					bad = frame_bad_line(&pf, map[b.index], f.fmt.pix.bytesperline, &off);
				}
			}
			if (bad >= 0) {
				const uint8_t *line = (const uint8_t *)map[b.index] +
						      (size_t)bad * f.fmt.pix.bytesperline;

				snprintf(why, sizeof(why),
					 "seq %u (pattern seq %u) %s: line %ld byte %ld is 0x%02x",
					 b.sequence, pf.sequence, daqcap_format_name(fi->code), bad, off,
					 line[off]);
				goto out;
			}
			for (size_t i = f.fmt.pix.sizeimage; i < maplen[b.index]; i++)
				if (((uint8_t *)map[b.index])[i] != 0xa5) {
					snprintf(why, sizeof(why), "seq %u: byte %zu past sizeimage written",
						 b.sequence, i);
					goto out;
				}
			have_offset = true;
			if (!good)
				first_seq = b.sequence;
			last_seq = b.sequence;
			good++;
		}
		memset(map[b.index], 0xa5, maplen[b.index]);
		if (xioctl(fd, VIDIOC_QBUF, &b)) {
			snprintf(why, sizeof(why), "QBUF %u again: %s", b.index, strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	xioctl(fd, VIDIOC_STREAMOFF, &type);
	for (unsigned int i = 0; i < CHECK_BUFS; i++)
		if (map[i])
			munmap(map[i], maplen[i]);
	req.count = 0;
	xioctl(fd, VIDIOC_REQBUFS, &req);
	/* Back to the input's own timings. */
	memset(&t, 0, sizeof(t));
	if (!xioctl(fd, VIDIOC_QUERY_DV_TIMINGS, &t))
		xioctl(fd, VIDIOC_S_DV_TIMINGS, &t);
	close(fd);
	if (ret)
		say("check %s (%s ch%u) input %u %s: FAILED: %s", path, pci, chan, input,
		    daqcap_format_name(fi->code), why);
	else
		say("check %s (%s ch%u) input %u %s 640x480: %u frames byte-exact (seq %u..%u, %u error frames, %u restarts)",
		    path, pci, chan, input, daqcap_format_name(fi->code), good, first_seq,
		    last_seq, errors, restarts);
	return ret;
}

/*
 * Each input's EDID as the fuzzing found it, by card: a random S_EDID may
 * erase one, and an HDMI-like source without hotplug sends nothing for
 * the after-check to capture. -1 blocks: the input has none (SDI-like).
 */
static struct {
	char pci[sizeof(cards[0].pci)];
	int blocks[16];
	uint8_t edid[16][4 * 128];
} edids[8];

static int card_first_node(unsigned int k)
{
	for (unsigned int i = 0; i < nnodes; i++)
		if (nodes[i].card == (int)k)
			return open(nodes[i].path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return -1;
}

static void edids_save(void)
{
	for (unsigned int k = 0; k < ncards && k < ARRAY_SIZE(edids); k++) {
		int fd = card_first_node(k);

		memcpy(edids[k].pci, cards[k].pci, sizeof(edids[k].pci));
		for (unsigned int i = 0; i < 16; i++) {
			struct v4l2_edid e = { .pad = i, .blocks = 4, .edid = edids[k].edid[i] };

			edids[k].blocks[i] = -1;
			if (fd < 0 || i >= cards[k].ninputs)
				continue;
			if (!xioctl(fd, VIDIOC_G_EDID, &e))
				edids[k].blocks[i] = e.blocks;
			else if (errno == ENODATA)
				edids[k].blocks[i] = 0;
		}
		if (fd >= 0)
			close(fd);
	}
}

/* Put back the EDIDs the fuzzing changed, and say which. */
static void edids_restore(void)
{
	for (unsigned int k = 0; k < ncards; k++) {
		int fd = -1;

		for (unsigned int s = 0; s < ARRAY_SIZE(edids); s++) {
			if (strcmp(edids[s].pci, cards[k].pci))
				continue;
			fd = card_first_node(k);
			for (unsigned int i = 0; fd >= 0 && i < cards[k].ninputs && i < 16; i++) {
				uint8_t now[4 * 128];
				struct v4l2_edid g = { .pad = i, .blocks = 4, .edid = now };
				struct v4l2_edid e = { .pad = i, .blocks = edids[s].blocks[i],
						       .edid = edids[s].edid[i] };
				unsigned int had = xioctl(fd, VIDIOC_G_EDID, &g) ? 0 : g.blocks;

				if (edids[s].blocks[i] < 0 ||
				    (had == e.blocks && !memcmp(now, e.edid, had * 128)))
					continue;
				say("EDID of %s input %u: the fuzzing left %u blocks of %u, put back: %s",
				    cards[k].pci, i, had, e.blocks,
				    xioctl(fd, VIDIOC_S_EDID, &e) ? strerror(errno) : "ok");
			}
			break;
		}
		if (fd >= 0)
			close(fd);
	}
}

/* Find the nodes again: those of a card bound a moment ago may still be registering. */
static unsigned int discover_settled(void)
{
	uint64_t deadline = now_ns() + 20000000000ull;
	unsigned int n;

	for (;;) {
		memset(nodes, 0, sizeof(nodes));
		n = discover_initial();
		if (n >= opt.expect_nodes || now_ns() > deadline)
			break;
		sleep_ms(250);
	}
	nnodes = n;
	return n;
}

static int after_check(void)
{
	unsigned int failed = 0, n = discover_settled();

	if (!n || n < opt.expect_nodes) {
		say("check: %u daqcap nodes, expected %u", n, opt.expect_nodes);
		return 1;
	}
	for (unsigned int i = 0; i < n; i++)
		if (check_node(nodes[i].path, nodes[i].pci, nodes[i].chan, i))
			failed++;
	say("check: %u of %u nodes capture byte-exact frames", n - failed, n);
	return failed ? 1 : 0;
}

/* ---- setup of the shared memory and the dmabuf pool -------------------------------------- */

static int setup_memory(void)
{
	void *p;

	for (int i = 0; i < UP_REGIONS; i++) {
		p = mmap(NULL, UP_REGION_SIZE + 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		/* A guard page after each region. */
		mprotect((uint8_t *)p + UP_REGION_SIZE, 4096, PROT_NONE);
		up_region[i] = p;
	}
	p = mmap(NULL, RO_REGION_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	ro_region = p;
	/* The hole follows a mapped page (for "crossing" pointers). */
	p = mmap(NULL, HOLE_SIZE + 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	mprotect(p, 4096, PROT_READ | PROT_WRITE);
	hole = (uint8_t *)p + 4096;
	garbage_fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	garbage_fds[1] = eventfd(0, EFD_CLOEXEC);
	{
		int pfd[2];

		if (!pipe2(pfd, O_CLOEXEC))
			garbage_fds[2] = pfd[0];
		else
			garbage_fds[2] = -1;
	}
	garbage_fds[3] = memfd_create("daqcap-fuzz-garbage", MFD_CLOEXEC);
	if (garbage_fds[3] >= 0 && ftruncate(garbage_fds[3], 1 << 20))
		garbage_fds[3] = -1;
	return 0;
}

static void setup_udmabuf(struct rng *r)
{
	static const uint32_t sizes[] = { 1u << 20, 4u << 20, 8u << 20, 16u << 20 };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	unsigned int made = 0;

	if (dev < 0) {
		say("dmabuf: no /dev/udmabuf (%s)", strerror(errno));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		int mfd = memfd_create("daqcap-fuzz-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = sizes[i] };
		int fd;

		if (mfd < 0)
			break;
		if (ftruncate(mfd, sizes[i]) || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
			close(mfd);
			continue;
		}
		c.memfd = mfd;
		fd = ioctl(dev, UDMABUF_CREATE, &c);
		close(mfd);
		if (fd >= 0) {
			/*
			 * udmabuf builds its CPU-access table on the first
			 * DMA_BUF_IOCTL_SYNC, testing and setting it without a
			 * lock (begin_cpu_udmabuf() in 6.12): two threads' first
			 * syncs of one buffer leak a table, which kmemleak then
			 * reports. That is udmabuf's bug, not the driver's, so
			 * the table is made here, before the threads start.
			 */
			struct dma_buf_sync sync = {
				.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
			};

			if (!ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync)) {
				sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
				ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
			}
			dmabuf_add(fd, sizes[i], "udmabuf", r);
			made++;
		}
	}
	close(dev);
	say("dmabuf: %u udmabuf buffers", made);
}

/* Buffers of another driver (vivid), exported, for cross-driver DMABUF. */
static void setup_vivid(struct rng *r)
{
	struct dirent *de;
	DIR *d = opendir("/dev");
	unsigned int made = 0;
	int vfd = -1;

	while (d && vfd < 0 && (de = readdir(d))) {
		struct v4l2_capability cap;
		char path[64];
		int fd;

		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%.50s", de->d_name);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!xioctl(fd, VIDIOC_QUERYCAP, &cap) && !strcmp((char *)cap.driver, "vivid") &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (cap.device_caps & V4L2_CAP_STREAMING))
			vfd = fd;
		else
			close(fd);
	}
	if (d)
		closedir(d);
	if (vfd < 0) {
		say("dmabuf: no vivid capture node (modprobe vivid for cross-driver DMABUF)");
		return;
	}
	{
		struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
		struct v4l2_requestbuffers req = { .count = 4, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
						   .memory = V4L2_MEMORY_MMAP };

		if (!xioctl(vfd, VIDIOC_G_FMT, &f)) {
			f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
			f.fmt.pix.width = 1920;
			f.fmt.pix.height = 1080;
			xioctl(vfd, VIDIOC_S_FMT, &f);
		}
		if (!xioctl(vfd, VIDIOC_REQBUFS, &req)) {
			for (unsigned int i = 0; i < req.count && i < 4; i++) {
				struct v4l2_exportbuffer e = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
							       .index = i,
							       .flags = O_RDWR | O_CLOEXEC };
				struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
							 .memory = V4L2_MEMORY_MMAP, .index = i };

				if (!xioctl(vfd, VIDIOC_QUERYBUF, &b) && !xioctl(vfd, VIDIOC_EXPBUF, &e)) {
					dmabuf_add(e.fd, b.length, "vivid", r);
					made++;
				}
			}
		}
	}
	/* The exported buffers keep the vivid queue's memory alive. */
	say("dmabuf: %u vivid buffers", made);
	close(vfd);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: daqcap-fuzz [OPTION...]\n"
"\n"
"Fuzz the daqcap driver through its V4L2 nodes: every daqcap video node\n"
"(VIDIOC_QUERYCAP driver \"daqcap\") gets random and boundary arguments for\n"
"every ioctl the driver implements and many it does not, streaming bursts,\n"
"mmap/munmap, read(), poll(), close and reopen, from several threads at\n"
"once, while a fault thread injects card faults and cable events over QMP\n"
"($DAQCAP_QMP, utils/daqcap-vm --guest-qmp) and an unbind thread unbinds and\n"
"rebinds a card (/sys/bus/pci/drivers/daqcap). Then every node must capture\n"
"byte-exact VERIFY frames again (MMAP, 640x480).\n"
"\n"
"Reproducing: the seed is printed first (\"# seed: N\"). Each thread has its\n"
"own PRNG, seeded from the seed and the thread's index, which gives every\n"
"call of the thread a seed of its own for all its choices (operation,\n"
"arguments, node preference): the argument stream of each thread is\n"
"reproducible with --seed (and --threads), whatever the driver answered.\n"
"The interleaving of the threads is not reproducible, and with it neither\n"
"the driver's state when a call comes nor what depends on it (the node a\n"
"call goes to when its first choice is gone or done, offsets and sizes read\n"
"back from the driver). A violation names its thread, call and call seed.\n"
"\n"
"Options:\n"
"  --seed N            seed (default: random)\n"
"  --calls N           calls per node; the run ends when every node reached N\n"
"                      (default 100000)\n"
"  --threads N         fuzzing threads (default 2 per node, at most %d)\n"
"  --duration S        stop after S seconds even if the calls are not done\n"
"                      (default: no limit)\n"
"  --no-faults         no fault injection or cable events over QMP\n"
"  --no-unbind         no unbinding and rebinding of cards\n"
"  --faults LIST       comma-separated faults to inject (default:\n"
"                      fifo-overflow,dma-error,lost-irq,stall,drop,bad-cookie,\n"
"                      bad-chunk,bad-lines,dup-completion; \"wedge\" and\n"
"                      \"replace\" lose the card for good)\n"
"  --fault-interval MS mean time between faults/cable events (default %u)\n"
"  --unbind-interval MS mean time between unbinds (default %u)\n"
"  --no-check          skip the after-check\n"
"  --check-only        only the after-check\n"
"  --check-frames N    good frames in a row per node in the check (default %u)\n"
"  --expect-nodes N    the check wants at least N nodes (default: as found)\n"
"  --ops LIST          only these operations (comma-separated names as in the\n"
"                      summary, e.g. READ,POLL,CLOSE; STREAM for the streaming\n"
"                      bursts), to narrow a finding down\n"
"  --inject C:FAULT:CH inject one fault into channel CH of card C over QMP and\n"
"                      exit (or go on with --check-only)\n"
"  -v, --verbose       progress every 10 s instead of 30 s\n"
"  -h, --help          this help\n"
"\n"
"Output: \"# \" lines: the seed, progress, oracle violations, and a summary\n"
"(calls per node, calls per operation, errno histogram, faults injected,\n"
"unbinds). Exit status: 0 when no violation was seen, every thread made\n"
"progress, every node came back and the check passed; 1 otherwise; 2 on a\n"
"usage error.\n",
		MAX_THREADS, opt.fault_ms, opt.unbind_ms, opt.check_frames);
}

static void print_summary(struct wctx *ws, unsigned int nthreads, double secs)
{
	struct tstats sum;
	unsigned long long calls = atomic_load(&total_calls);
	char line[4096];
	size_t len;

	memset(&sum, 0, sizeof(sum));
	for (unsigned int t = 0; t < nthreads; t++) {
		for (int i = 0; i < NOPS; i++) {
			sum.op[i] += ws[t].st.op[i];
			sum.op_ok[i] += ws[t].st.op_ok[i];
		}
		for (int i = 0; i <= ERRNO_MAX; i++)
			sum.err[i] += ws[t].st.err[i];
		sum.frames += ws[t].st.frames;
		sum.stream_bursts += ws[t].st.stream_bursts;
	}
	say("summary: %llu calls in %.1f s: %.0f calls/s, %u threads, %u nodes",
	    calls, secs, secs > 0 ? calls / secs : 0.0, nthreads, nnodes);
	for (unsigned int i = 0; i < nnodes; i++) {
		char path[64];

		pthread_mutex_lock(&nodes_lock);
		snprintf(path, sizeof(path), "%s", nodes[i].path);
		pthread_mutex_unlock(&nodes_lock);
		say("calls node %s ch%u (%s): %llu", nodes[i].pci, nodes[i].chan, path,
		    (unsigned long long)atomic_load(&nodes[i].calls));
	}
	len = 0;
	line[0] = 0;
	for (int i = 0; i < NOPS; i++) {
		len += snprintf(line + len, sizeof(line) - len, " %s=%llu/%llu", op_names[i],
				(unsigned long long)sum.op[i], (unsigned long long)sum.op_ok[i]);
		if (len > 100 || i == NOPS - 1) {
			say("calls/successes per operation:%s", line);
			len = 0;
			line[0] = 0;
		}
	}
	len = 0;
	for (int e = 0; e <= ERRNO_MAX; e++) {
		if (!sum.err[e])
			continue;
		len += snprintf(line + len, sizeof(line) - len, " %s=%llu",
				e == 0 ? "OK" : e == ERRNO_MAX ? "other" : strerrorname_np(e) ?: "?",
				(unsigned long long)sum.err[e]);
		if (len > 100) {
			say("errno:%s", line);
			len = 0;
		}
	}
	if (len)
		say("errno:%s", line);
	say("streaming: %llu bursts, %llu frames dequeued; mmap: %llu mapped, %llu partial munmaps",
	    (unsigned long long)sum.stream_bursts, (unsigned long long)sum.frames,
	    (unsigned long long)atomic_load(&mmaps_ok),
	    (unsigned long long)atomic_load(&munmaps_partial));
	len = 0;
	line[0] = 0;
	for (unsigned int f = 0; f < nfault_names; f++)
		len += snprintf(line + len, sizeof(line) - len, " %s=%llu", fault_names[f],
				(unsigned long long)atomic_load(&fault_count[f]));
	say("faults injected:%s (QMP errors %llu); cable events %llu",
	    have_qmp ? line : " none (no QMP)", (unsigned long long)atomic_load(&fault_errors),
	    (unsigned long long)atomic_load(&cable_events));
	say("unbinds %llu, binds %llu (bind errors %llu)", (unsigned long long)atomic_load(&unbinds),
	    (unsigned long long)atomic_load(&binds), (unsigned long long)atomic_load(&bind_errors));
	say("violations %llu, signals on mappings %llu", (unsigned long long)atomic_load(&violations),
	    (unsigned long long)atomic_load(&sigbus_count));
}

static int parse_faults(const char *list)
{
	char *dup = strdup(list), *save = NULL;

	nfault_names = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (nfault_names == ARRAY_SIZE(fault_names))
			break;
		fault_names[nfault_names++] = strdup(t);
	}
	free(dup);
	return nfault_names ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "no-faults", no_argument, NULL, 'F' },
		{ "no-unbind", no_argument, NULL, 'U' },
		{ "faults", required_argument, NULL, 'f' },
		{ "fault-interval", required_argument, NULL, 'i' },
		{ "unbind-interval", required_argument, NULL, 'u' },
		{ "no-check", no_argument, NULL, 'N' },
		{ "check-only", no_argument, NULL, 'C' },
		{ "check-frames", required_argument, NULL, 'k' },
		{ "expect-nodes", required_argument, NULL, 'e' },
		{ "inject", required_argument, NULL, 'I' },
		{ "ops", required_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_seed = false;
	struct wctx *ws;
	pthread_t fault_tid, unbind_tid;
	bool fault_started = false, unbind_started = false;
	struct sigaction sa;
	uint64_t t0, last_report, last_progress_t;
	unsigned long long last_progress = 0;
	unsigned int nthreads;
	int c, status = 0;
	bool stuck = false, limited = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "vh", lopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 'c': opt.calls = strtoull(optarg, NULL, 0); break;
		case 't': opt.threads = strtoul(optarg, NULL, 0); break;
		case 'd': opt.duration = strtoul(optarg, NULL, 0); break;
		case 'F': opt.faults = false; break;
		case 'U': opt.unbind = false; break;
		case 'f': opt.fault_list = optarg; break;
		case 'i': opt.fault_ms = strtoul(optarg, NULL, 0); break;
		case 'u': opt.unbind_ms = strtoul(optarg, NULL, 0); break;
		case 'N': opt.check = false; break;
		case 'C': opt.check_only = true; break;
		case 'k': opt.check_frames = strtoul(optarg, NULL, 0); break;
		case 'e': opt.expect_nodes = strtoul(optarg, NULL, 0); break;
		case 'I': opt.inject = optarg; break;
		case 'O': opt.ops = optarg; break;
		case 'v': opt.verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || opt.threads > MAX_THREADS || !opt.fault_ms || !opt.unbind_ms) {
		usage(stderr);
		return 2;
	}
	if (opt.inject) {
		/* One fault, to reproduce what a run found: CARD:FAULT:CHANNEL. */
		unsigned int card, ch;
		char fault[32], val[64];
		int r;

		if (sscanf(opt.inject, "%u:%31[a-z-]:%u", &card, fault, &ch) != 3) {
			usage(stderr);
			return 2;
		}
		r = qmp_connect(&qmp);
		if (!r) {
			snprintf(val, sizeof(val), "\"%s:%u\"", fault, ch);
			r = qmp_set(&qmp, card, "inject", val);
		}
		say("inject %s: %s", opt.inject, r ? strerror(-r) : "ok");
		if (r || !opt.check_only)
			return r ? 1 : 0;
	}
	if (opt.check_only)
		return after_check();

	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^
			    (uint64_t)getpid() << 16) % 1000000000000ull;
	}
	say("seed: %" PRIu64, opt.seed);
	if (parse_faults(opt.fault_list ? opt.fault_list : DEFAULT_FAULTS)) {
		usage(stderr);
		return 2;
	}
	if (opt.ops && restrict_ops(opt.ops))
		return 2;
	for (int i = 0; i < NOPS; i++)
		op_weight_total += op_weight[i];
	if (!op_weight_total) {
		op_weight[OP_QUERYCAP] = 1;
		op_weight_total = 1;
	}

	nnodes = discover_initial();
	if (!nnodes) {
		say("no daqcap video node (is the module loaded, a card present?)");
		return 1;
	}
	if (!opt.expect_nodes)
		opt.expect_nodes = nnodes;
	nthreads = opt.threads ? opt.threads : 2 * nnodes;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	for (unsigned int i = 0; i < nnodes; i++)
		say("node %s: %s ch%u, card %d, %u inputs", nodes[i].path, nodes[i].pci,
		    nodes[i].chan, nodes[i].card, nodes[i].ninputs);
	edids_save();
	if (setup_memory()) {
		say("cannot map the fuzzer's memory: %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ws = calloc(nthreads + 2, sizeof(*ws));
	if (!ws)
		return 1;
	for (unsigned int t = 0; t < nthreads + 2; t++) {
		ws[t].idx = t;
		rng_seed(&ws[t].master, opt.seed, t);
		rng_seed(&ws[t].r, opt.seed, t + 1000);
		ws[t].scratch = malloc(16384 + 128);
		ws[t].ctrls = calloc(1100, sizeof(*ws[t].ctrls));
		if (!ws[t].scratch || !ws[t].ctrls)
			return 1;
	}
	setup_udmabuf(&ws[nthreads].r);
	setup_vivid(&ws[nthreads].r);

	if (opt.faults) {
		int r = qmp_connect(&qmp);

		if (r) {
			say("QMP: %s (DAQCAP_QMP=%s): no fault injection", strerror(-r),
			    getenv("DAQCAP_QMP") ?: "");
		} else {
			have_qmp = true;
			for (unsigned int k = 0; k < ncards; k++)
				for (unsigned int i = 0; i < cards[k].ninputs && i < 16; i++) {
					char prop[32], val[32];

					snprintf(prop, sizeof(prop), "input%u-timings", i);
					if (qmp_get(&qmp, k, prop, inputs[k][i].timings,
						    sizeof(inputs[k][i].timings)))
						inputs[k][i].timings[0] = 0;
					snprintf(prop, sizeof(prop), "input%u-signal", i);
					inputs[k][i].signal = qmp_get(&qmp, k, prop, val, sizeof(val)) ||
							      strcmp(val, "false");
				}
		}
	}
	say("fuzzing %u nodes on %u cards: %llu calls per node, %u threads, faults %s, unbind %s%s",
	    nnodes, ncards, opt.calls, nthreads,
	    have_qmp ? "on" : "off", opt.unbind ? "on" : "off",
	    opt.duration ? "" : ", no time limit");

	t0 = now_ns();
	for (unsigned int t = 0; t < nthreads; t++)
		if (pthread_create(&tstate[t].tid, NULL, worker, &ws[t])) {
			say("pthread_create: %s", strerror(errno));
			return 1;
		}
	if (have_qmp)
		fault_started = !pthread_create(&fault_tid, NULL, fault_thread, &ws[nthreads]);
	if (opt.unbind)
		unbind_started = !pthread_create(&unbind_tid, NULL, unbind_thread, &ws[nthreads + 1]);

	last_report = last_progress_t = t0;
	for (;;) {
		uint64_t now;
		unsigned long long calls;
		bool all = true;

		sleep_ms(200);
		now = now_ns();
		calls = atomic_load(&total_calls);
		for (unsigned int i = 0; i < nnodes; i++)
			all = all && node_done(&nodes[i]);
		if (all)
			break;
		if (opt.duration && now - t0 >= opt.duration * 1000000000ull) {
			limited = true;
			break;
		}
		if (calls != last_progress) {
			last_progress = calls;
			last_progress_t = now;
		} else if (now - last_progress_t > 120000000000ull) {
			stuck = true;
			break;
		}
		if (now - last_report >= (opt.verbose ? 10 : 30) * 1000000000ull) {
			unsigned long long lo = ~0ull;

			for (unsigned int i = 0; i < nnodes; i++)
				if (atomic_load(&nodes[i].calls) < lo)
					lo = atomic_load(&nodes[i].calls);
			unsigned long long nf = atomic_load(&cable_events);

			for (unsigned int f = 0; f < nfault_names; f++)
				nf += atomic_load(&fault_count[f]);
			say("progress: %.0f s, %llu calls (%.0f/s), slowest node %llu, unbinds %llu, faults and cable events %llu",
			    (now - t0) / 1e9, calls, calls / ((now - t0) / 1e9), lo,
			    (unsigned long long)atomic_load(&unbinds), nf);
			last_report = now;
		}
	}
	atomic_store(&stop, 1);
	if (stuck) {
		say("STUCK: no call completed for 120 s; what each thread is in:");
		for (unsigned int t = 0; t < nthreads; t++) {
			int op = atomic_load(&tstate[t].op), nd = atomic_load(&tstate[t].node);

			say("  thread %u: %s on %s ch%u", t,
			    op >= 0 && op < NOPS ? op_names[op] : op == -1 ? "stream burst" : "idle",
			    nodes[nd].pci, nodes[nd].chan);
		}
		print_summary(ws, nthreads, (now_ns() - t0) / 1e9);
		say("fuzz: FAILED (stuck)");
		fflush(stdout);
		_exit(1);
	}
	{
		struct timespec dl;
		bool hung = false;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 60;
		for (unsigned int t = 0; t < nthreads; t++)
			if (pthread_timedjoin_np(tstate[t].tid, NULL, &dl)) {
				int op = atomic_load(&tstate[t].op), nd = atomic_load(&tstate[t].node);

				say("HUNG: thread %u does not finish: %s on %s ch%u", t,
				    op >= 0 && op < NOPS ? op_names[op] : op == -1 ? "stream burst" : "?",
				    nodes[nd].pci, nodes[nd].chan);
				hung = true;
			}
		if (fault_started && pthread_timedjoin_np(fault_tid, NULL, &dl)) {
			say("HUNG: the fault thread does not finish (QMP)");
			hung = true;
		}
		if (unbind_started && pthread_timedjoin_np(unbind_tid, NULL, &dl)) {
			say("HUNG: the unbind thread does not finish (unbind or bind blocks)");
			hung = true;
		}
		if (hung) {
			print_summary(ws, nthreads, (now_ns() - t0) / 1e9);
			say("fuzz: FAILED (hung threads)");
			fflush(stdout);
			_exit(1);
		}
	}
	{
		double secs = (now_ns() - t0) / 1e9;

		/* Everything back: mappings, handles, dmabufs, cable, cards. */
		pthread_mutex_lock(&maps_lock);
		for (unsigned int i = 0; i < nmaps; i++)
			munmap(maps[i].addr, maps[i].len);
		nmaps = 0;
		pthread_mutex_unlock(&maps_lock);
		for (unsigned int i = 0; i < nnodes; i++) {
			for (int s = 0; s < NSLOTS; s++)
				if (nodes[i].slots[s].fd >= 0)
					close(nodes[i].slots[s].fd);
			memset(nodes[i].slots, 0xff, sizeof(nodes[i].slots));
		}
		pthread_mutex_lock(&dmabuf_lock);
		for (unsigned int i = 0; i < ndmabufs; i++)
			close(dmabufs[i].fd);
		ndmabufs = 0;
		pthread_mutex_unlock(&dmabuf_lock);
		if (have_qmp)
			for (unsigned int k = 0; k < ncards; k++)
				for (unsigned int i = 0; i < cards[k].ninputs && i < 16; i++) {
					inputs[k][i].changed = true;
					cable_restore(k, i);
				}
		for (unsigned int k = 0; k < ncards; k++)
			if (!card_bound(k)) {
				int e = write_file("/sys/bus/pci/drivers/daqcap/bind", cards[k].pci);

				say("card %s was unbound at the end: bind: %s", cards[k].pci,
				    e ? strerror(-e) : "ok");
			}
		print_summary(ws, nthreads, secs);
	}
	if (limited) {
		unsigned long long lo = ~0ull;

		for (unsigned int i = 0; i < nnodes; i++)
			if (atomic_load(&nodes[i].calls) < lo)
				lo = atomic_load(&nodes[i].calls);
		say("duration limit of %u s reached: slowest node at %llu of %llu calls",
		    opt.duration, lo, opt.calls);
	}
	if (atomic_load(&violations)) {
		say("fuzz: FAILED (%llu violations)", (unsigned long long)atomic_load(&violations));
		status = 1;
	} else {
		say("fuzz: ok");
	}
	/* Last, as it finds the nodes again: the EDIDs back for the after-check. */
	discover_settled();
	edids_restore();
	if (opt.check) {
		if (after_check()) {
			say("after-check: FAILED");
			status = 1;
		} else {
			say("after-check: ok");
		}
	}
	return status;
}
