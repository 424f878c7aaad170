// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_test: the daqcap driver's test suite (kselftest harness, TAP).
 *
 * Runs as root inside the VM bench (utils/daqcap-vm) against the emulated
 * card. Every frame it captures is checked byte for byte against the card's
 * pattern with the shared implementation (pattern/daqcap-pattern.c), so a
 * torn, stale, shifted or misattributed line is caught wherever it lands.
 *
 * Cable events (input timings, signal) and fault injection go through
 * QEMU's QMP monitor, which the bench makes reachable from the guest at the
 * path in $DAQCAP_QMP (a tty or a virtio port). Without it those tests SKIP.
 *
 * Environment:
 *   DAQCAP_QMP          guest path of the QMP character device
 *
 * Build and run: tests/driver/run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/dma-buf.h>
#include <linux/media.h>
#include <linux/videodev2.h>
#include <linux/daqcap.h>

#include "daqcap-pattern.h"
#include "kselftest_harness.h"

#define MAX_NODES	64
#define MAX_BUFS	32
#define NBUFS		6		/* enough that the app never starves the card */
#define DQ_TIMEOUT_MS	8000		/* a frame under TCG, generously */
#define EV_TIMEOUT_MS	10000
#define QMP_TIMEOUT_MS	15000
#define CANARY		0xa5
#define USERPTR_GUARD	4096

/* ---- suite-wide counters, shared by the forked tests -------------------- */

struct suite_stats {
	unsigned long frames_verified;
	unsigned long long bytes_verified;
	unsigned long error_frames;
};

static struct suite_stats *stats;
static pid_t main_pid;

static void __attribute__((constructor)) suite_init(void)
{
	/* Tests run in forked children that _exit(): no stdio buffering. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	main_pid = getpid();
	stats = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stats == MAP_FAILED)
		stats = NULL;
}

static void __attribute__((destructor)) suite_fini(void)
{
	if (getpid() != main_pid || !stats)
		return;
	printf("# daqcap: frames verified: %lu (%llu bytes), error frames seen: %lu\n",
	       stats->frames_verified, stats->bytes_verified,
	       stats->error_frames);
}

static void count_frame(size_t bytes)
{
	if (!stats)
		return;
	__atomic_fetch_add(&stats->frames_verified, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats->bytes_verified, bytes, __ATOMIC_RELAXED);
}

/* Fail the test with a message, and run "statement" (usually return). */
#define FAIL_MSG(statement, fmt, ...) do { \
	TH_LOG(fmt, ##__VA_ARGS__); \
	_metadata->exit_code = KSFT_FAIL; \
	statement; \
} while (0)

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

/* ---- formats -------------------------------------------------------------- */

struct fmtinfo {
	uint32_t fourcc;
	uint32_t code;
	unsigned int bpp;
	const char *name;
};

static const struct fmtinfo formats[] = {
	{ V4L2_PIX_FMT_YUYV, DAQCAP_FMT_YUYV, 2, "YUYV" },
	{ V4L2_PIX_FMT_UYVY, DAQCAP_FMT_UYVY, 2, "UYVY" },
	{ V4L2_PIX_FMT_RGB24, DAQCAP_FMT_RGB24, 3, "RGB24" },
	{ V4L2_PIX_FMT_BGR24, DAQCAP_FMT_BGR24, 3, "BGR24" },
	{ V4L2_PIX_FMT_XBGR32, DAQCAP_FMT_XBGR32, 4, "XBGR32" },
	{ V4L2_PIX_FMT_GREY, DAQCAP_FMT_GREY, 1, "GREY" },
	{ V4L2_PIX_FMT_Y16, DAQCAP_FMT_Y16, 2, "Y16" },
};
#define NFORMATS ((int)ARRAY_SIZE(formats))

static const struct fmtinfo *fmt_by_fourcc(uint32_t fourcc)
{
	for (int i = 0; i < NFORMATS; i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

/* ---- debugfs -------------------------------------------------------------- */

/* A counter of <debugfs>/daqcap/<pci>/ch<N>, or -1. */
static long long dbg_file_counter(const char *pci, const char *file, const char *key)
{
	char path[160], line[128];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/daqcap/%s/%s", pci, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long long dbg_counter(const char *pci, unsigned int chan, const char *key)
{
	char file[16];

	snprintf(file, sizeof(file), "ch%u", chan);
	return dbg_file_counter(pci, file, key);
}

/* A register of channel @chan in <debugfs>/daqcap/<pci>/registers, or -1. */
static long long dbg_register(const char *pci, unsigned int chan, const char *name)
{
	char path[160], line[128], section[32], want[64];
	bool in_chan = false;
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/daqcap/%s/registers", pci);
	snprintf(section, sizeof(section), "channel %u:", chan);
	snprintf(want, sizeof(want), "%s = ", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;

		if (line[0] != ' ') {
			in_chan = !strncmp(line, section, strlen(section));
			continue;
		}
		while (*p == ' ')
			p++;
		if (in_chan && !strncmp(p, want, strlen(want))) {
			v = strtoll(p + strlen(want), NULL, 16);
			break;
		}
	}
	fclose(f);
	return v;
}

/* ---- QMP ------------------------------------------------------------------ */

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
			q->len = 0;	/* an absurd line: forget it */
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

/* Skip whitespace and a colon after a JSON key. */
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

/*
 * Run one command: cmd is a JSON object without its closing brace; an "id"
 * is added and the reply carrying it is returned in reply (greetings,
 * events and stale replies are skipped). Returns 0 for a "return", -EIO
 * for an "error", or a negative errno.
 */
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
	/*
	 * 0xff is no JSON: should an earlier client have left half a command,
	 * the monitor's parser reports an error and starts afresh.
	 */
	if (write(q->fd, "\xff\n", 2) != 2)
		return -errno;
	/*
	 * The session may be new (a greeting waits) or already negotiated by
	 * an earlier test (the command then answers an error): either is fine.
	 */
	r = qmp_exec(q, "{\"execute\": \"qmp_capabilities\"", reply, sizeof(reply));
	return r == -EIO ? 0 : r;	/* an error is an answer too */
}

static int qmp_set(struct qmp *q, int card, const char *prop, const char *json_value,
		   char *reply, size_t size)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/machine/peripheral/daqcap%d\", \"property\": \"%s\", \"value\": %s}",
		 card, prop, json_value);
	return qmp_exec(q, cmd, reply, size);
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

static int qmp_get_u64(struct qmp *q, int card, const char *prop, unsigned long long *v)
{
	char s[64], *end;
	int r = qmp_get(q, card, prop, s, sizeof(s));

	if (r)
		return r;
	*v = strtoull(s, &end, 10);
	return end == s ? -EPROTO : 0;
}

/* ---- the fixture ------------------------------------------------------------ */

struct dnode {
	char path[64];
	char pci[32];
	unsigned int chan;
	int card;
};

struct input_restore {
	int card;
	unsigned int input;
	char timings[32];
	bool timings_changed, signal_changed;
};

static int dnode_cmp(const void *a, const void *b)
{
	const struct dnode *x = a, *y = b;
	int c = strcmp(x->pci, y->pci);

	return c ? c : (int)x->chan - (int)y->chan;
}

/* Every daqcap video node, sorted by card then channel; returns the count. */
static int find_nodes(struct dnode *nodes, int max, int *ncards)
{
	char last[32] = "";
	struct dirent *de;
	int n = 0, card = -1;
	DIR *d = opendir("/dev");

	*ncards = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct v4l2_capability cap;
		char path[64];
		int fd;

		if (strncmp(de->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%.50s", de->d_name);
		fd = open(path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!xioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "daqcap") &&
		    sscanf((char *)cap.card, "DAQCAP ch%u %31s", &nodes[n].chan,
			   nodes[n].pci) == 2) {
			snprintf(nodes[n].path, sizeof(nodes[n].path), "%s", path);
			n++;
		}
		close(fd);
	}
	closedir(d);
	qsort(nodes, n, sizeof(*nodes), dnode_cmp);
	for (int i = 0; i < n; i++) {
		if (strcmp(nodes[i].pci, last)) {
			card++;
			snprintf(last, sizeof(last), "%s", nodes[i].pci);
		}
		nodes[i].card = card;
	}
	*ncards = card + 1;
	return n;
}

FIXTURE(daqcap) {
	struct dnode nodes[MAX_NODES];
	int nnodes, ncards;
	int fds[MAX_NODES];
	bool touched[MAX_NODES];
	struct qmp qmp;
	int qmp_state;		/* 0: not tried, 1: up, < 0: -errno */
	struct input_restore restore[16];
	int nrestore;
	uint64_t t_setup;
};

static int node_index(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan)
{
	for (int i = 0; i < self->nnodes; i++)
		if (self->nodes[i].card == card && self->nodes[i].chan == chan)
			return i;
	return -1;
}

FIXTURE_SETUP(daqcap)
{
	self->t_setup = now_ns();
	self->nnodes = find_nodes(self->nodes, MAX_NODES, &self->ncards);
	for (int i = 0; i < MAX_NODES; i++)
		self->fds[i] = -1;
	self->qmp.fd = -1;
	if (!self->nnodes)
		SKIP(return, "no daqcap video node (is the module loaded, a card present?)");
}

static int open_node(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan)
{
	int i = node_index(self, card, chan);

	if (i < 0)
		return -1;
	self->touched[i] = true;
	return open(self->nodes[i].path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

/* The fixture's file handle of a channel (opened once). */
static int chan_fd(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
		   int card, unsigned int chan)
{
	int i = node_index(self, card, chan);

	ASSERT_LE(0, i) TH_LOG("no node for card %d channel %u", card, chan);
	if (self->fds[i] < 0)
		self->fds[i] = open_node(self, card, chan);
	ASSERT_LE(0, self->fds[i]) TH_LOG("open %s: %m", self->nodes[i].path);
	return self->fds[i];
}

static const struct dnode *node_of(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan)
{
	int i = node_index(self, card, chan);

	return i < 0 ? NULL : &self->nodes[i];
}

static int fixture_qmp(FIXTURE_DATA(daqcap) *self)
{
	if (!self->qmp_state) {
		int r = qmp_connect(&self->qmp);

		self->qmp_state = r ? r : 1;
	}
	return self->qmp_state == 1 ? 0 : self->qmp_state;
}

#define NEED_QMP() do { \
	int __r = fixture_qmp(self); \
	if (__r == -ENOENT) \
		SKIP(return, "no QMP in the guest: DAQCAP_QMP is not set (utils/daqcap-vm --guest-qmp)"); \
	ASSERT_EQ(0, __r) TH_LOG("QMP at %s: %s", getenv("DAQCAP_QMP"), strerror(-__r)); \
} while (0)

static struct input_restore *restore_slot(FIXTURE_DATA(daqcap) *self, int card,
					  unsigned int input)
{
	struct input_restore *r;
	char prop[32];

	for (int i = 0; i < self->nrestore; i++)
		if (self->restore[i].card == card && self->restore[i].input == input)
			return &self->restore[i];
	if (self->nrestore == (int)ARRAY_SIZE(self->restore))
		return NULL;
	r = &self->restore[self->nrestore++];
	memset(r, 0, sizeof(*r));
	r->card = card;
	r->input = input;
	snprintf(prop, sizeof(prop), "input%u-timings", input);
	if (qmp_get(&self->qmp, card, prop, r->timings, sizeof(r->timings)))
		r->timings[0] = 0;
	return r;
}

/* Change an input's source over QMP, remembering how to put it back. */
static int set_input_timings(FIXTURE_DATA(daqcap) *self, int card, unsigned int input,
			     const char *timings)
{
	struct input_restore *r = restore_slot(self, card, input);
	char prop[32], val[64];

	if (r)
		r->timings_changed = true;
	snprintf(prop, sizeof(prop), "input%u-timings", input);
	snprintf(val, sizeof(val), "\"%s\"", timings);
	return qmp_set(&self->qmp, card, prop, val, NULL, 0);
}

static int set_input_signal(FIXTURE_DATA(daqcap) *self, int card, unsigned int input,
			    bool on)
{
	struct input_restore *r = restore_slot(self, card, input);
	char prop[32];

	if (r)
		r->signal_changed = true;
	snprintf(prop, sizeof(prop), "input%u-signal", input);
	return qmp_set(&self->qmp, card, prop, on ? "true" : "false", NULL, 0);
}

static int inject(FIXTURE_DATA(daqcap) *self, int card, const char *fault, unsigned int chan)
{
	char val[64], reply[512];
	int r;

	snprintf(val, sizeof(val), "\"%s:%u\"", fault, chan);
	r = qmp_set(&self->qmp, card, "inject", val, reply, sizeof(reply));
	return r;
}

static long long card_stat(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan,
			   const char *what)
{
	unsigned long long v;
	char prop[48];

	snprintf(prop, sizeof(prop), "ch%u-%s", chan, what);
	if (qmp_get_u64(&self->qmp, card, prop, &v))
		return -1;
	return (long long)v;
}

/* Put a channel back as the driver starts it: own input, its timings, defaults. */
static void reset_channel(int fd, unsigned int chan, unsigned int ninputs)
{
	struct v4l2_control c;
	struct v4l2_dv_timings t;

	if (ninputs) {
		unsigned int in = chan % ninputs;

		xioctl(fd, VIDIOC_S_INPUT, &in);
	}
	memset(&t, 0, sizeof(t));
	if (!xioctl(fd, VIDIOC_QUERY_DV_TIMINGS, &t))
		xioctl(fd, VIDIOC_S_DV_TIMINGS, &t);
	c.id = V4L2_CID_DAQCAP_CHUNK_LINES;
	c.value = 16;
	xioctl(fd, VIDIOC_S_CTRL, &c);
	c.id = V4L2_CID_DAQCAP_IRQ_COALESCE;
	c.value = DAQCAP_IRQ_COALESCE_FRAME;
	xioctl(fd, VIDIOC_S_CTRL, &c);
	c.id = V4L2_CID_DAQCAP_IRQ_CHUNKS;
	c.value = 1;
	xioctl(fd, VIDIOC_S_CTRL, &c);
	c.id = V4L2_CID_DAQCAP_IRQ_DELAY_US;
	c.value = 0;
	xioctl(fd, VIDIOC_S_CTRL, &c);
}

static unsigned int count_inputs(int fd)
{
	struct v4l2_input in;
	unsigned int n = 0;

	for (;; n++) {
		memset(&in, 0, sizeof(in));
		in.index = n;
		if (xioctl(fd, VIDIOC_ENUMINPUT, &in))
			return n;
	}
}

FIXTURE_TEARDOWN(daqcap)
{
	/* Closing the file handles stops streaming and frees the buffers. */
	for (int i = 0; i < MAX_NODES; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	/* Put back the cable side, then the channels. */
	if (self->qmp_state == 1) {
		for (int i = 0; i < self->nrestore; i++) {
			struct input_restore *r = &self->restore[i];

			if (r->signal_changed)
				set_input_signal(self, r->card, r->input, true);
			if (r->timings_changed && r->timings[0])
				set_input_timings(self, r->card, r->input, r->timings);
		}
	}
	for (int i = 0; i < self->nnodes; i++) {
		int fd;

		if (!self->touched[i])
			continue;
		fd = open(self->nodes[i].path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			continue;
		reset_channel(fd, self->nodes[i].chan, count_inputs(fd));
		close(fd);
	}
	if (self->qmp.fd >= 0)
		close(self->qmp.fd);
	fprintf(stderr, "# %s: %.1f s\n", _metadata->name,
		(now_ns() - self->t_setup) / 1e9);
}

/* ---- small ioctl helpers ---------------------------------------------------- */

static int set_ctrl(int fd, uint32_t id, int32_t value)
{
	struct v4l2_control c = { .id = id, .value = value };

	return xioctl(fd, VIDIOC_S_CTRL, &c);
}

static int get_ctrl(int fd, uint32_t id, int32_t *value)
{
	struct v4l2_control c = { .id = id };
	int r = xioctl(fd, VIDIOC_G_CTRL, &c);

	if (!r)
		*value = c.value;
	return r;
}

static int get_fmt(int fd, struct v4l2_pix_format *pix)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int r = xioctl(fd, VIDIOC_G_FMT, &f);

	if (!r)
		*pix = f.fmt.pix;
	return r;
}

static int set_fmt(int fd, uint32_t fourcc, uint32_t bpl, struct v4l2_pix_format *pix)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int r = xioctl(fd, VIDIOC_G_FMT, &f);

	if (r)
		return r;
	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.bytesperline = bpl;
	r = xioctl(fd, VIDIOC_S_FMT, &f);
	if (!r && pix)
		*pix = f.fmt.pix;
	return r;
}

static unsigned int get_input(int fd)
{
	unsigned int in = ~0u;

	xioctl(fd, VIDIOC_G_INPUT, &in);
	return in;
}

static int query_timings(int fd, struct v4l2_dv_timings *t)
{
	memset(t, 0, sizeof(*t));
	return xioctl(fd, VIDIOC_QUERY_DV_TIMINGS, t);
}

/* The enumerated CEA timings of a size and rate (0: any rate), or -ENOENT. */
static int find_timings(int fd, uint32_t w, uint32_t h, unsigned int hz,
			struct v4l2_dv_timings *out)
{
	for (unsigned int i = 0;; i++) {
		struct v4l2_enum_dv_timings e = { .index = i };
		const struct v4l2_bt_timings *bt = &e.timings.bt;
		uint64_t tot;

		if (xioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &e))
			return -ENOENT;
		if (bt->width != w || bt->height != h || bt->interlaced)
			continue;
		tot = (uint64_t)V4L2_DV_BT_FRAME_WIDTH(bt) * V4L2_DV_BT_FRAME_HEIGHT(bt);
		if (hz && (bt->pixelclock + tot / 2) / tot != hz)
			continue;
		*out = e.timings;
		return 0;
	}
}

/* Frame period of DV timings, in picoseconds (as the card computes it). */
static uint64_t frame_period_ps(const struct v4l2_bt_timings *bt)
{
	unsigned __int128 tot = (unsigned __int128)V4L2_DV_BT_FRAME_WIDTH(bt) *
				V4L2_DV_BT_FRAME_HEIGHT(bt) * 1000000000000ull;

	return bt->pixelclock ? (uint64_t)(tot / bt->pixelclock) : 0;
}

static int subscribe_source_change(int fd, uint32_t id)
{
	struct v4l2_event_subscription sub = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.id = id,
	};

	return xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
}

/* Wait for an event; 0 with *ev filled, -ETIMEDOUT, or -errno. */
static int wait_event(int fd, struct v4l2_event *ev, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLPRI };
		uint64_t now;
		int r;

		memset(ev, 0, sizeof(*ev));
		r = xioctl(fd, VIDIOC_DQEVENT, ev);
		if (r != -ENOENT)
			return r;
		now = now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
	}
}

/* Drop pending events. */
static void flush_events(int fd)
{
	struct v4l2_event ev;

	while (!xioctl(fd, VIDIOC_DQEVENT, &ev))
		;
}

/* ---- capture ------------------------------------------------------------------ */

struct capbuf {
	uint8_t *data;		/* CPU view of the buffer */
	size_t len;		/* bytes of it we may look at */
	void *map;		/* mmap()ed region (MMAP, DMABUF) */
	size_t map_len;
	uint8_t *alloc;		/* USERPTR allocation, with guards */
	size_t alloc_len;
	int dmabuf;		/* DMABUF: the imported fd (not owned) */
};

struct cap {
	int fd;
	const struct dnode *node;
	unsigned int memory;
	unsigned int nbufs;
	struct capbuf b[MAX_BUFS];
	struct v4l2_pix_format pix;
	struct daqcap_pattern_frame pf;
	size_t line_bytes;
	int canary;		/* -1, or the byte the card must never write */
	bool refill;		/* fill the whole buffer with the canary at QBUF */
	bool streaming;
	/* what the stream delivered since STREAMON */
	unsigned int dequeued, good, errors;
	bool have_last;
	uint32_t first_seq, last_seq;
	uint64_t last_ts, t_on;
	long long hw_drops0;
	unsigned int last_index;
	/*
	 * The card numbers frames from 0 again after a reset, and the driver
	 * keeps the sequence going: the pattern's sequence is the buffer's
	 * minus @seq_offset, found again from the frame when @resync is set.
	 */
	uint32_t seq_offset;
	bool resync;
	unsigned int resyncs;
	uint32_t resync_gap;	/* frames skipped where the sequence jumped */
	uint64_t resync_ns;	/* when that frame was checked */
	uint32_t queued;	/* bit i: buffer i is queued */
};

static bool find_sequence(uint32_t input, const uint8_t *line0, uint32_t from,
			  uint32_t *seq);

/* Describe what the channel will send: format and pattern. */
static void cap_prepare(struct __test_metadata *_metadata, struct cap *c, int fd,
			const struct dnode *node, uint32_t fourcc, uint32_t bpl,
			int pattern)
{
	const struct fmtinfo *fi = fmt_by_fourcc(fourcc);

	ASSERT_NE(NULL, fi);
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->node = node;
	c->canary = -1;
	ASSERT_EQ(0, set_fmt(fd, fourcc, bpl, &c->pix)) TH_LOG("S_FMT %s", fi->name);
	ASSERT_EQ(fourcc, c->pix.pixelformat);
	if (pattern >= 0) {
		ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_TEST_PATTERN, pattern));
	} else {
		ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_TEST_PATTERN, &pattern));
	}
	c->pf.input = get_input(fd);
	c->pf.pattern = pattern;
	c->pf.format = fi->code;
	c->pf.width = c->pix.width;
	c->pf.height = c->pix.height;
	c->line_bytes = daqcap_pattern_line_bytes(fi->code, c->pix.width);
	ASSERT_EQ((size_t)c->pix.width * fi->bpp, c->line_bytes);
	ASSERT_LE(c->line_bytes, c->pix.bytesperline);
	ASSERT_EQ((uint64_t)c->pix.bytesperline * c->pix.height, c->pix.sizeimage);
}

static void cap_fill(struct cap *c, unsigned int i)
{
	struct capbuf *b = &c->b[i];

	if (c->canary < 0)
		return;
	if (b->alloc)
		memset(b->alloc, c->canary, b->alloc_len);
	else
		memset(b->data, c->canary, b->len);
}

static void cap_qbuf(struct __test_metadata *_metadata, struct cap *c, unsigned int i)
{
	struct v4l2_buffer buf = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = c->memory,
		.index = i,
	};

	if (c->refill)
		cap_fill(c, i);
	if (c->memory == V4L2_MEMORY_USERPTR) {
		buf.m.userptr = (unsigned long)c->b[i].data;
		buf.length = c->b[i].len;
	} else if (c->memory == V4L2_MEMORY_DMABUF) {
		buf.m.fd = c->b[i].dmabuf;
		buf.length = c->b[i].len;
	}
	ASSERT_EQ(0, xioctl(c->fd, VIDIOC_QBUF, &buf)) TH_LOG("QBUF %u", i);
	c->queued |= 1u << i;
}

/* QBUF that may meet a queue in the error state: 0 or -EIO. */
static int cap_requeue(struct __test_metadata *_metadata, struct cap *c, unsigned int i)
{
	struct v4l2_buffer buf = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = c->memory,
		.index = i,
	};
	int r;

	r = xioctl(c->fd, VIDIOC_QBUF, &buf);
	if (r != -EIO)
		ASSERT_EQ(0, r) TH_LOG("QBUF %u", i);
	return r;
}

/*
 * Allocate and queue n buffers. USERPTR buffers start uoffset bytes into a
 * page, with guard bytes around them; DMABUF takes the caller's fds.
 */
static void cap_alloc(struct __test_metadata *_metadata, struct cap *c,
		      unsigned int memory, unsigned int n, size_t uoffset,
		      const int *dmabufs)
{
	struct v4l2_requestbuffers req = {
		.count = n,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};

	c->memory = memory;
	ASSERT_EQ(0, xioctl(c->fd, VIDIOC_REQBUFS, &req));
	ASSERT_LE(n, req.count);
	ASSERT_GE(MAX_BUFS, req.count);
	c->nbufs = req.count;
	for (unsigned int i = 0; i < c->nbufs; i++) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = memory,
			.index = i,
		};
		struct capbuf *b = &c->b[i];

		ASSERT_EQ(0, xioctl(c->fd, VIDIOC_QUERYBUF, &buf));
		b->dmabuf = -1;
		if (memory == V4L2_MEMORY_MMAP) {
			ASSERT_LE(c->pix.sizeimage, buf.length);
			b->map_len = buf.length;
			b->map = mmap(NULL, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED,
				      c->fd, buf.m.offset);
			ASSERT_NE(MAP_FAILED, b->map) TH_LOG("mmap buffer %u: %m", i);
			b->data = b->map;
			b->len = buf.length;
		} else if (memory == V4L2_MEMORY_USERPTR) {
			b->len = c->pix.sizeimage;
			b->alloc_len = USERPTR_GUARD + uoffset + b->len + USERPTR_GUARD;
			ASSERT_EQ(0, posix_memalign((void **)&b->alloc, 4096, b->alloc_len));
			b->data = b->alloc + USERPTR_GUARD + uoffset;
		} else if (memory == V4L2_MEMORY_DMABUF) {
			off_t size = lseek(dmabufs[i], 0, SEEK_END);

			ASSERT_LT(0, size) TH_LOG("dmabuf %u size: %m", i);
			b->dmabuf = dmabufs[i];
			b->map_len = size;
			b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				      dmabufs[i], 0);
			ASSERT_NE(MAP_FAILED, b->map) TH_LOG("mmap dmabuf %u: %m", i);
			b->data = b->map;
			b->len = size;
		}
		cap_fill(c, i);
		cap_qbuf(_metadata, c, i);
	}
}

/*
 * After STREAMOFF: give every index another buffer's memory (USERPTR,
 * DMABUF: the driver must drop and rebuild its view of the buffer), queue
 * them all again.
 */
static void cap_rotate_requeue(struct __test_metadata *_metadata, struct cap *c)
{
	struct capbuf first = c->b[0];

	/* An MMAP buffer's memory is its index's. */
	for (unsigned int i = 0; c->memory != V4L2_MEMORY_MMAP && i + 1 < c->nbufs; i++)
		c->b[i] = c->b[i + 1];
	if (c->memory != V4L2_MEMORY_MMAP)
		c->b[c->nbufs - 1] = first;
	for (unsigned int i = 0; i < c->nbufs; i++)
		cap_qbuf(_metadata, c, i);
}

static void cap_on(struct __test_metadata *_metadata, struct cap *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	c->dequeued = c->good = c->errors = 0;
	c->have_last = false;
	c->last_ts = 0;
	c->hw_drops0 = c->node ? dbg_counter(c->node->pci, c->node->chan, "hw_drops") : -1;
	c->t_on = now_ns();
	ASSERT_EQ(0, xioctl(c->fd, VIDIOC_STREAMON, &type));
	c->streaming = true;
}

/* Wait for and dequeue a buffer: 0, -ETIMEDOUT or the DQBUF error. */
static int cap_dq(struct cap *c, struct v4l2_buffer *buf, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		uint64_t now;
		int r;

		memset(buf, 0, sizeof(*buf));
		buf->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		buf->memory = c->memory;
		r = xioctl(c->fd, VIDIOC_DQBUF, buf);
		if (!r && buf->index < 32)
			c->queued &= ~(1u << buf->index);
		if (r != -EAGAIN)
			return r;
		now = now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
	}
}

/* Check every byte of a frame (and that padding and guards kept the canary). */
static void check_frame(struct __test_metadata *_metadata, const struct cap *c,
			const uint8_t *data, size_t len, uint32_t seq, uint32_t skip_first,
			uint32_t skip_lines)
{
	struct daqcap_pattern_frame f = c->pf;
	uint32_t bpl = c->pix.bytesperline;
	size_t lb = c->line_bytes;

	f.sequence = seq;
	for (uint32_t y = 0; y < f.height; y++) {
		const uint8_t *line = data + (size_t)y * bpl;
		long off;

		if (y >= skip_first && y < skip_first + skip_lines)
			continue;
		off = daqcap_pattern_check_line(&f, y, line);
		if (off >= 0) {
			uint8_t *want = malloc(lb);

			if (want)
				daqcap_pattern_render_line(&f, y, want);
			TH_LOG("%s %ux%u %s seq %u input %u pattern %u: line %u byte %ld is 0x%02x, want 0x%02x",
			       c->node ? c->node->path : "?", f.width, f.height,
			       daqcap_format_name(f.format), seq, f.input, f.pattern, y,
			       off, line[off], want ? want[off] : 0);
			free(want);
			ASSERT_LT(off, 0);
		}
		if (c->canary >= 0) {
			size_t end = (size_t)(y + 1) * bpl;

			if (end > len)
				end = len;
			for (size_t i = (size_t)y * bpl + lb; i < end; i++)
				if (data[i] != c->canary) {
					TH_LOG("%s seq %u: padding byte %zu of line %u written (0x%02x)",
					       c->node ? c->node->path : "?", seq,
					       i - (size_t)y * bpl, y, data[i]);
					ASSERT_EQ(c->canary, data[i]);
				}
		}
	}
	if (c->canary >= 0)
		for (size_t i = c->pix.sizeimage; i < len; i++)
			if (data[i] != c->canary) {
				TH_LOG("%s seq %u: byte %zu past sizeimage %u written",
				       c->node ? c->node->path : "?", seq, i, c->pix.sizeimage);
				ASSERT_EQ(c->canary, data[i]);
			}
	count_frame((size_t)f.height * lb);
}

/* Whether every line of a frame is the given pattern's (no assertion). */
static bool frame_matches(const struct cap *c, const uint8_t *data, uint32_t seq,
			  uint32_t pattern)
{
	struct daqcap_pattern_frame f = c->pf;

	f.sequence = seq;
	f.pattern = pattern;
	for (uint32_t y = 0; y < f.height; y++)
		if (daqcap_pattern_check_line(&f, y, data + (size_t)y * c->pix.bytesperline) >= 0)
			return false;
	return true;
}

static void check_guards(struct __test_metadata *_metadata, const struct cap *c,
			 const struct capbuf *b)
{
	if (c->canary < 0 || !b->alloc)
		return;
	for (uint8_t *p = b->alloc; p < b->data; p++)
		if (*p != c->canary) {
			TH_LOG("USERPTR: byte %td before the buffer written",
			       b->data - p);
			ASSERT_EQ(c->canary, *p);
		}
	for (uint8_t *p = b->data + b->len; p < b->alloc + b->alloc_len; p++)
		if (*p != c->canary) {
			TH_LOG("USERPTR: byte %td after the buffer written",
			       p - (b->data + b->len));
			ASSERT_EQ(c->canary, *p);
		}
}

static void dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	xioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/*
 * Check a dequeued buffer: metadata, ordering, and (unless it is flagged in
 * error) every byte. Returns true for a good frame.
 */
static bool cap_check(struct __test_metadata *_metadata, struct cap *c,
		      const struct v4l2_buffer *buf)
{
	struct capbuf *b = &c->b[buf->index];
	uint64_t ts = (uint64_t)buf->timestamp.tv_sec * 1000000000ull +
		      (uint64_t)buf->timestamp.tv_usec * 1000ull;
	uint64_t now = now_ns();
	bool error = buf->flags & V4L2_BUF_FLAG_ERROR;
	uint32_t prev_seq = c->last_seq;

	ASSERT_GT(c->nbufs, buf->index);
	c->last_index = buf->index;
	ASSERT_EQ(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC, buf->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK);
	ASSERT_EQ(V4L2_BUF_FLAG_TSTAMP_SRC_EOF, buf->flags & V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	ASSERT_EQ(V4L2_FIELD_NONE, buf->field);
	ASSERT_EQ(c->pix.sizeimage, buf->bytesused);
	if (c->have_last) {
		ASSERT_LT(c->last_seq, buf->sequence)
			TH_LOG("sequence %u after %u", buf->sequence, c->last_seq);
		ASSERT_LT(c->last_ts, ts) TH_LOG("timestamp not increasing (seq %u)", buf->sequence);
	} else {
		c->first_seq = buf->sequence;
	}
	/* CLOCK_MONOTONIC, at the end of a frame captured since STREAMON. */
	ASSERT_GE(now + 1000000000ull, ts)
		TH_LOG("timestamp %" PRIu64 " ns is after now (%" PRIu64 ")", ts, now);
	ASSERT_LE(c->t_on - 2000000000ull, ts)
		TH_LOG("timestamp %" PRIu64 " ns is before STREAMON (%" PRIu64 ")", ts, c->t_on);
	c->have_last = true;
	c->last_seq = buf->sequence;
	c->last_ts = ts;
	c->dequeued++;
	if (error) {
		c->errors++;
		if (stats)
			__atomic_fetch_add(&stats->error_frames, 1, __ATOMIC_RELAXED);
		return false;
	}
	if (c->memory == V4L2_MEMORY_DMABUF)
		dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	if (c->resync && !frame_matches(c, b->data, buf->sequence - c->seq_offset,
					c->pf.pattern)) {
		uint32_t hw;

		ASSERT_TRUE(find_sequence(c->pf.input, b->data, 0, &hw))
			TH_LOG("seq %u: line 0 is no VERIFY line of input %u",
			       buf->sequence, c->pf.input);
		c->seq_offset = buf->sequence - hw;
		c->resyncs++;
		c->resync_gap = c->dequeued > 1 ? buf->sequence - prev_seq - 1 : 0;
		c->resync_ns = now;
		c->resync = false;
	}
	check_frame(_metadata, c, b->data, b->len, buf->sequence - c->seq_offset, 0, 0);
	check_guards(_metadata, c, b);
	if (c->memory == V4L2_MEMORY_DMABUF)
		dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	c->good++;
	return true;
}

/* Capture until n good frames have been verified (error frames fail). */
static void cap_run(struct __test_metadata *_metadata, struct cap *c, unsigned int n)
{
	unsigned int target = c->good + n;

	while (c->good < target) {
		struct v4l2_buffer buf;
		int r = cap_dq(c, &buf, DQ_TIMEOUT_MS);

		ASSERT_EQ(0, r) TH_LOG("%s: DQBUF after %u frames: %s",
				       c->node ? c->node->path : "?", c->dequeued,
				       strerror(-r));
		ASSERT_TRUE(cap_check(_metadata, c, &buf))
			TH_LOG("%s: buffer seq %u flagged in error", c->node ? c->node->path : "?",
			       buf.sequence);
		cap_qbuf(_metadata, c, buf.index);
	}
}

/*
 * Stop streaming; then every sequence gap user space saw must be a frame
 * the card dropped (its DROPS counter), or a frame was lost on the way.
 */
static void cap_off(struct __test_metadata *_metadata, struct cap *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	long long drops1;

	/*
	 * Read before STREAMOFF, which may reset the channel (and its
	 * counters); every drop before the last frame dequeued is counted.
	 */
	drops1 = c->node ? dbg_counter(c->node->pci, c->node->chan, "hw_drops") : -1;
	ASSERT_EQ(0, xioctl(c->fd, VIDIOC_STREAMOFF, &type));
	c->streaming = false;
	if (!c->node || !c->have_last || c->hw_drops0 < 0)
		return;
	if (drops1 < c->hw_drops0)
		return;	/* the channel was reset: counters restarted */
	ASSERT_GE((unsigned long long)(drops1 - c->hw_drops0),
		  (unsigned long long)c->last_seq + 1 - c->dequeued)
		TH_LOG("%s: %u buffers up to sequence %u, but the card dropped only %lld frames",
		       c->node->path, c->dequeued, c->last_seq, drops1 - c->hw_drops0);
}

static void cap_free(struct cap *c)
{
	struct v4l2_requestbuffers req = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = c->memory,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (c->streaming)
		xioctl(c->fd, VIDIOC_STREAMOFF, &type);
	c->streaming = false;
	for (unsigned int i = 0; i < c->nbufs; i++) {
		struct capbuf *b = &c->b[i];

		if (b->map)
			munmap(b->map, b->map_len);
		free(b->alloc);
		memset(b, 0, sizeof(*b));
	}
	if (c->nbufs)
		xioctl(c->fd, VIDIOC_REQBUFS, &req);
	c->nbufs = 0;
}

/* One whole session: format, buffers, n verified frames, stop, free. */
static void capture(struct __test_metadata *_metadata, int fd, const struct dnode *node,
		    uint32_t fourcc, uint32_t bpl, int pattern, unsigned int memory,
		    unsigned int nframes, int canary)
{
	struct cap c;

	cap_prepare(_metadata, &c, fd, node, fourcc, bpl, pattern);
	c.canary = canary;
	cap_alloc(_metadata, &c, memory, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, nframes);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/* Select timings of the given size on a channel (its input must be larger). */
static void set_size(struct __test_metadata *_metadata, int fd, uint32_t w, uint32_t h)
{
	struct v4l2_dv_timings t;
	struct v4l2_pix_format pix;

	ASSERT_EQ(0, find_timings(fd, w, h, 0, &t)) TH_LOG("no CEA timings %ux%u", w, h);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t)) TH_LOG("S_DV_TIMINGS %ux%u", w, h);
	ASSERT_EQ(0, get_fmt(fd, &pix));
	ASSERT_EQ(w, pix.width);
	ASSERT_EQ(h, pix.height);
}

/* The first channel of card 0 whose input is locked at w x h, or -1. */
static int chan_with_input_size(struct __test_metadata *_metadata,
				FIXTURE_DATA(daqcap) *self, uint32_t w, uint32_t h)
{
	for (int i = 0; i < self->nnodes; i++) {
		struct v4l2_dv_timings t;
		int fd;

		if (self->nodes[i].card)
			continue;
		fd = chan_fd(_metadata, self, 0, self->nodes[i].chan);
		if (!query_timings(fd, &t) && t.bt.width == w && t.bt.height == h)
			return self->nodes[i].chan;
	}
	return -1;
}

/* ---- tests: the checker itself --------------------------------------------------- */

/* The verification would be worthless if it passed anything. */
TEST(pattern_checker_catches_errors)
{
	struct daqcap_pattern_frame f = {
		.input = 3, .pattern = DAQCAP_PATTERN_VERIFY,
		.format = DAQCAP_FMT_RGB24, .width = 640, .height = 480, .sequence = 42,
	};
	uint8_t line[640 * 4];

	daqcap_pattern_render_line(&f, 100, line);
	EXPECT_EQ(-1, daqcap_pattern_check_line(&f, 100, line));
	EXPECT_EQ(0, daqcap_pattern_check_line(&f, 101, line));	/* another line */
	f.sequence = 43;
	EXPECT_EQ(0, daqcap_pattern_check_line(&f, 100, line));	/* another frame */
	f.sequence = 42;
	f.input = 2;
	EXPECT_EQ(0, daqcap_pattern_check_line(&f, 100, line));	/* another input */
	f.input = 3;
	line[777] ^= 0x10;
	EXPECT_EQ(777, daqcap_pattern_check_line(&f, 100, line));
	line[777] ^= 0x10;
	line[640 * 3 - 1] ^= 1;
	EXPECT_EQ(640 * 3 - 1, daqcap_pattern_check_line(&f, 100, line));

	f.pattern = DAQCAP_PATTERN_BARS;
	f.format = DAQCAP_FMT_YUYV;
	daqcap_pattern_render_line(&f, 20, line);	/* the frame number's text */
	EXPECT_EQ(-1, daqcap_pattern_check_line(&f, 20, line));
	f.sequence = 41;
	EXPECT_LE(0, daqcap_pattern_check_line(&f, 20, line));
	EXPECT_EQ(daqcap_pattern_verify_seed(0, 0, 0), 0u);
	EXPECT_EQ(0x8d511bf8u, daqcap_pattern_verify_seed(3, 12345, 1079));
}

/* ---- tests: the node ------------------------------------------------------------ */

TEST_F(daqcap, querycap_formats_inputs_controls)
{
	for (int i = 0; i < self->nnodes; i++) {
		const struct dnode *n = &self->nodes[i];
		int fd = chan_fd(_metadata, self, n->card, n->chan);
		struct v4l2_capability cap = { 0 };
		struct v4l2_queryctrl qc;
		struct v4l2_pix_format pix;
		struct v4l2_dv_timings g, q;
		struct v4l2_streamparm sp;
		uint64_t tpf_ps;
		unsigned int ninputs, seen = 0;
		char bus[40];

		ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYCAP, &cap));
		snprintf(bus, sizeof(bus), "PCI:%s", n->pci);
		EXPECT_STREQ(bus, (char *)cap.bus_info);
		ASSERT_TRUE(cap.capabilities & V4L2_CAP_DEVICE_CAPS);
		EXPECT_EQ(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_READWRITE,
			  cap.device_caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING |
					     V4L2_CAP_READWRITE | V4L2_CAP_VIDEO_OUTPUT));

		/* Exactly the seven formats of the card. */
		for (unsigned int k = 0;; k++) {
			struct v4l2_fmtdesc fd_ = { .index = k,
						    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
			const struct fmtinfo *fi;

			if (xioctl(fd, VIDIOC_ENUM_FMT, &fd_)) {
				EXPECT_EQ(NFORMATS, (int)k);
				break;
			}
			fi = fmt_by_fourcc(fd_.pixelformat);
			ASSERT_NE(NULL, fi) TH_LOG("unexpected format %.4s", (char *)&fd_.pixelformat);
			EXPECT_EQ(0u, seen & (1u << fi->code));
			seen |= 1u << fi->code;
		}
		EXPECT_EQ((1u << NFORMATS) - 1, seen);

		ninputs = count_inputs(fd);
		EXPECT_EQ(4u, ninputs);
		for (unsigned int k = 0; k < ninputs; k++) {
			struct v4l2_input in = { .index = k };

			ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUMINPUT, &in));
			EXPECT_TRUE(in.capabilities & V4L2_IN_CAP_DV_TIMINGS);
			EXPECT_EQ(0u, in.status) TH_LOG("input %u status 0x%x", k, in.status);
		}
		EXPECT_EQ(n->chan % ninputs, get_input(fd));

		/* The format follows the channel's timings, which follow the input. */
		ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
		ASSERT_EQ(0, query_timings(fd, &q));
		EXPECT_EQ(q.bt.width, g.bt.width);
		EXPECT_EQ(q.bt.height, g.bt.height);
		ASSERT_EQ(0, get_fmt(fd, &pix));
		EXPECT_EQ(g.bt.width, pix.width);
		EXPECT_EQ(g.bt.height, pix.height);
		EXPECT_EQ(V4L2_FIELD_NONE, pix.field);
		EXPECT_LE(pix.width * fmt_by_fourcc(pix.pixelformat)->bpp, pix.bytesperline);
		EXPECT_EQ(pix.bytesperline * pix.height, pix.sizeimage);

		memset(&qc, 0, sizeof(qc));
		qc.id = V4L2_CID_TEST_PATTERN;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYCTRL, &qc));
		EXPECT_EQ(V4L2_CTRL_TYPE_MENU, qc.type);
		EXPECT_EQ(0, qc.minimum);
		EXPECT_EQ(1, qc.maximum);
		qc.id = V4L2_CID_DAQCAP_CHUNK_LINES;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYCTRL, &qc));
		EXPECT_EQ(1, qc.minimum);
		EXPECT_EQ(64, qc.maximum);
		EXPECT_EQ(16, qc.default_value);
		qc.id = V4L2_CID_DAQCAP_IRQ_COALESCE;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYCTRL, &qc));
		EXPECT_EQ(2, qc.maximum);
		EXPECT_EQ(DAQCAP_IRQ_COALESCE_FRAME, qc.default_value);
		qc.id = V4L2_CID_DAQCAP_IRQ_CHUNKS;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYCTRL, &qc));
		EXPECT_EQ(255, qc.maximum);
		qc.id = V4L2_CID_DAQCAP_IRQ_DELAY_US;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYCTRL, &qc));
		EXPECT_EQ(65535, qc.maximum);

		/* The frame rate is the source's; S_PARM changes nothing. */
		memset(&sp, 0, sizeof(sp));
		sp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_G_PARM, &sp));
		EXPECT_TRUE(sp.parm.capture.capability & V4L2_CAP_TIMEPERFRAME);
		ASSERT_NE(0u, sp.parm.capture.timeperframe.denominator);
		tpf_ps = sp.parm.capture.timeperframe.numerator * 1000000000000ull /
			 sp.parm.capture.timeperframe.denominator;
		EXPECT_GE(1000000ll, llabs((long long)tpf_ps - (long long)frame_period_ps(&g.bt)))
			TH_LOG("timeperframe %u/%u", sp.parm.capture.timeperframe.numerator,
			       sp.parm.capture.timeperframe.denominator);
		sp.parm.capture.timeperframe.numerator = 1;
		sp.parm.capture.timeperframe.denominator = 5;
		EXPECT_EQ(0, xioctl(fd, VIDIOC_S_PARM, &sp));
		EXPECT_NE(5u, sp.parm.capture.timeperframe.denominator);
		EXPECT_EQ(0, xioctl(fd, VIDIOC_LOG_STATUS, NULL));
	}
}

/* ---- tests: formats, sizes, strides, chunks ----------------------------------------- */

/* Every format, MMAP, on a 640x480 source: every byte of every frame. */
TEST_F_TIMEOUT(daqcap, mmap_every_format_640x480, 180)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	int fd;

	ASSERT_LE(0, ch) TH_LOG("no input at 640x480");
	fd = chan_fd(_metadata, self, 0, ch);
	for (int i = 0; i < NFORMATS; i++)
		capture(_metadata, fd, node_of(self, 0, ch), formats[i].fourcc, 0,
			DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 8, -1);
}

/* Every format at the sizes of smaller CEA timings selected on a 1080p input. */
TEST_F_TIMEOUT(daqcap, every_format_every_size, 300)
{
	static const struct { uint32_t w, h; } sizes[] = {
		{ 640, 480 }, { 720, 480 }, { 720, 576 }, { 1280, 720 }, { 1920, 1080 },
	};
	int ch = chan_with_input_size(_metadata, self, 1920, 1080);
	int fd;

	ASSERT_LE(0, ch) TH_LOG("no input at 1920x1080");
	fd = chan_fd(_metadata, self, 0, ch);
	for (unsigned int s = 0; s < ARRAY_SIZE(sizes); s++) {
		set_size(_metadata, fd, sizes[s].w, sizes[s].h);
		/* 1080 lines in chunks of 16: the last chunk is a short one. */
		for (int i = 0; i < NFORMATS; i++)
			capture(_metadata, fd, node_of(self, 0, ch), formats[i].fourcc, 0,
				DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP,
				sizes[s].h > 720 ? 2 : 3, -1);
	}
	/* And a padded stride at full size: lines at 1920 * 4 + 64. */
	capture(_metadata, fd, node_of(self, 0, ch), V4L2_PIX_FMT_XBGR32, 1920 * 4 + 64,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, CANARY);
}

/* A stride larger than the line: the card writes the lines, never the padding. */
TEST_F_TIMEOUT(daqcap, bytesperline_padding, 180)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_pix_format pix;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	for (int i = 0; i < NFORMATS; i++) {
		uint32_t lb = 640 * formats[i].bpp;

		/* An odd, unaligned stride, and one that skips a page. */
		capture(_metadata, fd, node_of(self, 0, ch), formats[i].fourcc, lb + 37,
			DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, CANARY);
		if (i == 0 || i == 4)
			capture(_metadata, fd, node_of(self, 0, ch), formats[i].fourcc,
				lb + 4096, DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, CANARY);
	}
	/* A stride below one line is raised to the line, one above the card's maximum lowered. */
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_RGB24, 100, &pix));
	EXPECT_EQ(640u * 3, pix.bytesperline);
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_RGB24, 0x7fffffff, &pix));
	EXPECT_EQ((uint32_t)DAQCAP_MAX_STRIDE, pix.bytesperline);
	EXPECT_EQ(pix.bytesperline * pix.height, pix.sizeimage);
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_RGB24, 0, &pix));
	EXPECT_EQ(640u * 3, pix.bytesperline);
}

/* Lines per chunk that do not divide the height, and the extremes. */
TEST_F_TIMEOUT(daqcap, chunk_lines, 240)
{
	int ch1080 = chan_with_input_size(_metadata, self, 1920, 1080);
	int ch480 = chan_with_input_size(_metadata, self, 640, 480);
	static const int lines480[] = { 7, 1, 64, 13 };
	struct cap c;
	int32_t v;
	int fd;

	ASSERT_LE(0, ch1080);
	ASSERT_LE(0, ch480);

	/* 1080 = 154 x 7 + 2 */
	fd = chan_fd(_metadata, self, 0, ch1080);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 7));
	capture(_metadata, fd, node_of(self, 0, ch1080), V4L2_PIX_FMT_YUYV, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 16));

	fd = chan_fd(_metadata, self, 0, ch480);
	for (unsigned int i = 0; i < ARRAY_SIZE(lines480); i++) {
		ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, lines480[i]));
		capture(_metadata, fd, node_of(self, 0, ch480),
			formats[i % NFORMATS].fourcc, 0, DAQCAP_PATTERN_VERIFY,
			V4L2_MEMORY_MMAP, 3, -1);
	}

	/* One line per chunk and an interrupt for every chunk: 480 a frame. */
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 1));
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_CHUNKS));
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_CHUNKS, 1));
	capture(_metadata, fd, node_of(self, 0, ch480), V4L2_PIX_FMT_XBGR32, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 4, -1);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_FRAME));

	/* Fixed while streaming: EBUSY, and the value stays. */
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 7));
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch480), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 1);
	EXPECT_EQ(-EBUSY, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 32));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, &v));
	EXPECT_EQ(7, v);
	/* Interrupt coalescing may change at any time. */
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_CHUNKS));
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_CHUNKS, 5));
	cap_run(_metadata, &c, 2);
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_DELAY));
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_DELAY_US, 3000));
	cap_run(_metadata, &c, 2);
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_FRAME));
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_DELAY_US, 0));
	cap_run(_metadata, &c, 1);
	cap_off(_metadata, &c);
	cap_free(&c);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 16));
}

/*
 * What VIDIOC_TRY_EXT_CTRLS tried is not the control's value: the channel
 * starts with the current lines per chunk and coalescing rule, and
 * setting one of the coalescing controls keeps the others' current values.
 */
TEST_F_TIMEOUT(daqcap, tried_controls_are_not_applied, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_ext_control tried[3] = {
		{ .id = V4L2_CID_DAQCAP_CHUNK_LINES, .value = 1 },
		{ .id = V4L2_CID_DAQCAP_IRQ_COALESCE, .value = DAQCAP_IRQ_COALESCE_DELAY },
		{ .id = V4L2_CID_DAQCAP_IRQ_DELAY_US, .value = 5000 },
	};
	struct v4l2_ext_controls ctrls = {
		.which = V4L2_CTRL_WHICH_CUR_VAL,
		.count = 3,
		.controls = tried,
	};
	const struct dnode *node;
	long long coalesce;
	struct cap c;
	int32_t v;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	node = node_of(self, 0, ch);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 16));
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_FRAME));
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_CHUNKS, 1));
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_DELAY_US, 0));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_TRY_EXT_CTRLS, &ctrls));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, &v));
	EXPECT_EQ(16, v);

	cap_prepare(_metadata, &c, fd, node, V4L2_PIX_FMT_YUYV, 0, DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	EXPECT_EQ(16, dbg_register(node->pci, ch, "CHUNK_LINES"));
	coalesce = dbg_register(node->pci, ch, "IRQ_COALESCE");
	EXPECT_EQ(DAQCAP_COALESCE_MODE_FRAME,
		  (coalesce & DAQCAP_COALESCE_MODE_MASK) >> DAQCAP_COALESCE_MODE_SHIFT);
	EXPECT_EQ(0, (coalesce & DAQCAP_COALESCE_DELAY_MASK) >> DAQCAP_COALESCE_DELAY_SHIFT);

	/* Try another rule while streaming, then set only N. */
	ASSERT_EQ(0, xioctl(fd, VIDIOC_TRY_EXT_CTRLS, &ctrls));
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_CHUNKS, 5));
	coalesce = dbg_register(node->pci, ch, "IRQ_COALESCE");
	EXPECT_EQ(DAQCAP_COALESCE_MODE_FRAME,
		  (coalesce & DAQCAP_COALESCE_MODE_MASK) >> DAQCAP_COALESCE_MODE_SHIFT);
	EXPECT_EQ(5, (coalesce & DAQCAP_COALESCE_COUNT_MASK) >> DAQCAP_COALESCE_COUNT_SHIFT);
	EXPECT_EQ(0, (coalesce & DAQCAP_COALESCE_DELAY_MASK) >> DAQCAP_COALESCE_DELAY_SHIFT);
	cap_run(_metadata, &c, 2);
	cap_off(_metadata, &c);
	cap_free(&c);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_CHUNKS, 1));
}

/* The BARS pattern in every format (and a large frame in one). */
TEST_F_TIMEOUT(daqcap, bars_pattern, 180)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	int ch1080 = chan_with_input_size(_metadata, self, 1920, 1080);
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	for (int i = 0; i < NFORMATS; i++)
		capture(_metadata, fd, node_of(self, 0, ch), formats[i].fourcc, 0,
			DAQCAP_PATTERN_BARS, V4L2_MEMORY_MMAP, 2, -1);
	ASSERT_LE(0, ch1080);
	fd = chan_fd(_metadata, self, 0, ch1080);
	capture(_metadata, fd, node_of(self, 0, ch1080), V4L2_PIX_FMT_Y16, 0,
		DAQCAP_PATTERN_BARS, V4L2_MEMORY_MMAP, 1, -1);
}

/* ---- tests: I/O methods ---------------------------------------------------------- */

/* USERPTR buffers: page aligned, starting mid-page and at an odd address. */
TEST_F_TIMEOUT(daqcap, userptr, 180)
{
	static const size_t offsets[] = { 0, 0x234, 4095, 3 };
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	for (unsigned int i = 0; i < ARRAY_SIZE(offsets); i++) {
		struct cap c;

		cap_prepare(_metadata, &c, fd, node_of(self, 0, ch),
			    i & 1 ? V4L2_PIX_FMT_RGB24 : V4L2_PIX_FMT_YUYV,
			    i == 2 ? 640 * 3 + 11 : 0, DAQCAP_PATTERN_VERIFY);
		c.canary = CANARY;
		cap_alloc(_metadata, &c, V4L2_MEMORY_USERPTR, NBUFS, offsets[i], NULL);
		cap_on(_metadata, &c);
		cap_run(_metadata, &c, 4);
		cap_off(_metadata, &c);
		if (i == 1) {
			/* Other memory behind each index. */
			cap_rotate_requeue(_metadata, &c);
			cap_on(_metadata, &c);
			cap_run(_metadata, &c, 3);
			cap_off(_metadata, &c);
		}
		cap_free(&c);
	}
}

/* Export MMAP buffers of one channel, import them into another. */
TEST_F_TIMEOUT(daqcap, dmabuf_from_daqcap, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	int dmabufs[NBUFS];
	struct v4l2_requestbuffers req = {
		.count = NBUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_pix_format xpix;
	int fd, xfd, xch = -1;
	struct cap c;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_XBGR32, 0,
		    DAQCAP_PATTERN_VERIFY);
	/* The exporter: another channel, with buffers at least as large. */
	for (int i = 0; i < self->nnodes && xch < 0; i++)
		if (!self->nodes[i].card && (int)self->nodes[i].chan != ch)
			xch = self->nodes[i].chan;
	ASSERT_LE(0, xch);
	xfd = chan_fd(_metadata, self, 0, xch);
	ASSERT_EQ(0, set_fmt(xfd, V4L2_PIX_FMT_XBGR32, 0, &xpix));
	ASSERT_LE(c.pix.sizeimage, xpix.sizeimage);
	ASSERT_EQ(0, xioctl(xfd, VIDIOC_REQBUFS, &req));
	ASSERT_EQ(NBUFS, (int)req.count);
	for (int i = 0; i < NBUFS; i++) {
		struct v4l2_exportbuffer e = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.index = i,
			.flags = O_RDWR | O_CLOEXEC,
		};

		ASSERT_EQ(0, xioctl(xfd, VIDIOC_EXPBUF, &e));
		dmabufs[i] = e.fd;
	}
	c.canary = CANARY;
	cap_alloc(_metadata, &c, V4L2_MEMORY_DMABUF, NBUFS, 0, dmabufs);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 6);
	cap_off(_metadata, &c);
	/* The same dmabufs behind other indices. */
	cap_rotate_requeue(_metadata, &c);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 4);
	cap_off(_metadata, &c);

	/* A dmabuf that is too small, and a bad fd, are refused. */
	{
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_DMABUF,
			.index = 0,
		};

		buf.m.fd = -1;
		EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QBUF, &buf));
		buf.m.fd = fd;	/* not a dmabuf */
		EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QBUF, &buf));
	}
	cap_free(&c);
	for (int i = 0; i < NBUFS; i++)
		close(dmabufs[i]);
	req.count = 0;
	xioctl(xfd, VIDIOC_REQBUFS, &req);
}

/* A node of a driver other than daqcap, with a capture queue. */
static int find_other_capture(const char *driver)
{
	struct dirent *de;
	DIR *d = opendir("/dev");
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d))) {
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
		    !strcmp((char *)cap.driver, driver) &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (cap.device_caps & V4L2_CAP_STREAMING))
			found = fd;
		else
			close(fd);
	}
	closedir(d);
	return found;
}

/* Import buffers exported by vivid (vmalloc memory, another driver). */
TEST_F_TIMEOUT(daqcap, dmabuf_from_vivid, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	int dmabufs[NBUFS];
	struct v4l2_requestbuffers req = {
		.count = NBUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_format vf = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int fd, vfd;
	struct cap c;

	ASSERT_LE(0, ch);
	vfd = find_other_capture("vivid");
	if (vfd < 0) {
		if (system("modprobe vivid n_devs=1 node_types=0x1 >/dev/null 2>&1"))
			SKIP(return, "vivid is not available (modprobe vivid failed)");
		for (int i = 0; i < 50 && vfd < 0; i++) {
			sleep_ms(100);
			vfd = find_other_capture("vivid");
		}
	}
	if (vfd < 0)
		SKIP(return, "vivid loaded but no vivid capture node");

	fd = chan_fd(_metadata, self, 0, ch);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_RGB24, 0,
		    DAQCAP_PATTERN_VERIFY);
	ASSERT_EQ(0, xioctl(vfd, VIDIOC_G_FMT, &vf));
	if (vf.fmt.pix.sizeimage < c.pix.sizeimage) {
		vf.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
		vf.fmt.pix.width = 1280;
		vf.fmt.pix.height = 720;
		ASSERT_EQ(0, xioctl(vfd, VIDIOC_S_FMT, &vf));
	}
	ASSERT_LE(c.pix.sizeimage, vf.fmt.pix.sizeimage)
		TH_LOG("vivid buffers of %u bytes for %u", vf.fmt.pix.sizeimage, c.pix.sizeimage);
	ASSERT_EQ(0, xioctl(vfd, VIDIOC_REQBUFS, &req));
	ASSERT_LE(NBUFS, (int)req.count);
	for (int i = 0; i < NBUFS; i++) {
		struct v4l2_exportbuffer e = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.index = i,
			.flags = O_RDWR | O_CLOEXEC,
		};

		ASSERT_EQ(0, xioctl(vfd, VIDIOC_EXPBUF, &e)) TH_LOG("vivid EXPBUF");
		dmabufs[i] = e.fd;
	}
	cap_alloc(_metadata, &c, V4L2_MEMORY_DMABUF, NBUFS, 0, dmabufs);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 6);
	cap_off(_metadata, &c);
	cap_free(&c);
	for (int i = 0; i < NBUFS; i++)
		close(dmabufs[i]);
	req.count = 0;
	xioctl(vfd, VIDIOC_REQBUFS, &req);
	close(vfd);
}

/* The sequence of a VERIFY frame from its first word, searching forward. */
static bool find_sequence(uint32_t input, const uint8_t *line0, uint32_t from,
			  uint32_t *seq)
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

/* read(): whole frames, in order, every byte right. */
TEST_F_TIMEOUT(daqcap, read_io, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_requestbuffers req = {
		.count = 2,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	uint32_t seq = 0, next = 0;
	struct cap c;
	uint8_t *frame;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_BGR24, 0,
		    DAQCAP_PATTERN_VERIFY);
	frame = malloc(c.pix.sizeimage);
	ASSERT_NE(NULL, frame);
	for (int n = 0; n < 6; n++) {
		size_t got = 0;

		while (got < c.pix.sizeimage) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t r = read(fd, frame + got, c.pix.sizeimage - got);

			if (r < 0 && errno == EAGAIN) {
				ASSERT_LT(0, poll(&p, 1, DQ_TIMEOUT_MS)) TH_LOG("read: no frame");
				continue;
			}
			ASSERT_LT(0, r) TH_LOG("read: %m");
			got += r;
		}
		ASSERT_TRUE(find_sequence(c.pf.input, frame, next, &seq))
			TH_LOG("frame %d: line 0 is no VERIFY line of input %u at sequence >= %u",
			       n, c.pf.input, next);
		check_frame(_metadata, &c, frame, c.pix.sizeimage, seq, 0, 0);
		next = seq + 1;
	}
	/* The queue belongs to read() now. */
	EXPECT_EQ(-EBUSY, xioctl(fd, VIDIOC_REQBUFS, &req));
	free(frame);
}

/* The pattern is taken at each start of frame: a switch never splits a frame. */
TEST_F_TIMEOUT(daqcap, pattern_switch_never_splits_a_frame, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	unsigned int seen[2] = { 0, 0 };
	int32_t pattern = DAQCAP_PATTERN_VERIFY;
	struct cap c;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_YUYV, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	for (int n = 0; n < 16; n++) {
		struct v4l2_buffer buf;
		const uint8_t *data;

		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		ASSERT_FALSE(buf.flags & V4L2_BUF_FLAG_ERROR);
		data = c.b[buf.index].data;
		if (frame_matches(&c, data, buf.sequence, DAQCAP_PATTERN_VERIFY)) {
			seen[DAQCAP_PATTERN_VERIFY]++;
			count_frame((size_t)c.pf.height * c.line_bytes);
		} else {
			/* Not VERIFY: then every line must be BARS. */
			c.pf.pattern = DAQCAP_PATTERN_BARS;
			check_frame(_metadata, &c, data, c.b[buf.index].len, buf.sequence, 0, 0);
			seen[DAQCAP_PATTERN_BARS]++;
		}
		cap_qbuf(_metadata, &c, buf.index);
		if (n % 3 == 2) {
			pattern ^= 1;
			ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_TEST_PATTERN, pattern));
		}
	}
	TH_LOG("%u VERIFY frames, %u BARS frames", seen[1], seen[0]);
	EXPECT_LT(0u, seen[0]);
	EXPECT_LT(0u, seen[1]);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/* As many buffers as the queue takes; every one of them used. */
TEST_F_TIMEOUT(daqcap, many_buffers, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_create_buffers cb;
	uint32_t used = 0;
	struct cap c;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, MAX_BUFS, 0, NULL);
	EXPECT_EQ(MAX_BUFS, (int)c.nbufs);
	/* No room for more. */
	memset(&cb, 0, sizeof(cb));
	cb.count = 4;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_FMT, &cb.format));
	if (!xioctl(fd, VIDIOC_CREATE_BUFS, &cb)) {
		EXPECT_EQ(0u, cb.count) TH_LOG("CREATE_BUFS beyond %d buffers gave %u more",
					       MAX_BUFS, cb.count);
	}
	cap_on(_metadata, &c);
	for (int n = 0; n < 2 * MAX_BUFS; n++) {
		struct v4l2_buffer buf;

		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		ASSERT_TRUE(cap_check(_metadata, &c, &buf));
		used |= 1u << buf.index;
		cap_qbuf(_metadata, &c, buf.index);
	}
	EXPECT_EQ(0xffffffffu, used);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/*
 * STREAMON before any QBUF: nothing starts until two buffers are queued
 * (the queue's minimum), then frames flow from sequence 0 on.
 */
TEST_F_TIMEOUT(daqcap, streamon_before_qbuf, 60)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_requestbuffers req = {
		.count = 4,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_buffer buf;
	struct cap c;
	long long hs;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_Y16, 0,
		    DAQCAP_PATTERN_VERIFY);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &req));
	ASSERT_LE(3u, req.count);	/* the driver's minimum */
	req.count = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &req));
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, 4, 0, NULL);	/* queues all */
	cap_on(_metadata, &c);
	cap_off(_metadata, &c);	/* all buffers back, none queued */
	cap_on(_metadata, &c);
	EXPECT_EQ(-ETIMEDOUT, cap_dq(&c, &buf, 100));
	cap_qbuf(_metadata, &c, 0);
	EXPECT_EQ(-ETIMEDOUT, cap_dq(&c, &buf, 200));
	hs = dbg_counter(c.node->pci, ch, "hw_sequence");
	cap_qbuf(_metadata, &c, 1);
	cap_qbuf(_metadata, &c, 2);
	ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
	ASSERT_TRUE(cap_check(_metadata, &c, &buf));
	EXPECT_GT(4u, buf.sequence) TH_LOG("first sequence %u (card at %lld before)", buf.sequence, hs);
	cap_qbuf(_metadata, &c, buf.index);
	cap_qbuf(_metadata, &c, 3);
	cap_run(_metadata, &c, 4);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/* ---- tests: the media graph ------------------------------------------------------ */

struct topo {
	struct media_v2_topology t;
	struct media_v2_entity *ents;
	struct media_v2_pad *pads;
	struct media_v2_link *links;
};

static void topo_free(struct topo *tp)
{
	free(tp->ents);
	free(tp->pads);
	free(tp->links);
	memset(tp, 0, sizeof(*tp));
}

static int topo_get(int mfd, struct topo *tp)
{
	int r;

	memset(tp, 0, sizeof(*tp));
	r = xioctl(mfd, MEDIA_IOC_G_TOPOLOGY, &tp->t);
	if (r)
		return r;
	tp->ents = calloc(tp->t.num_entities + 1, sizeof(*tp->ents));
	tp->pads = calloc(tp->t.num_pads + 1, sizeof(*tp->pads));
	tp->links = calloc(tp->t.num_links + 1, sizeof(*tp->links));
	if (!tp->ents || !tp->pads || !tp->links)
		return -ENOMEM;
	tp->t.ptr_entities = (uintptr_t)tp->ents;
	tp->t.ptr_pads = (uintptr_t)tp->pads;
	tp->t.ptr_links = (uintptr_t)tp->links;
	tp->t.ptr_interfaces = 0;
	tp->t.num_interfaces = 0;
	return xioctl(mfd, MEDIA_IOC_G_TOPOLOGY, &tp->t);
}

static const struct media_v2_pad *topo_pad(const struct topo *tp, uint32_t id)
{
	for (uint32_t i = 0; i < tp->t.num_pads; i++)
		if (tp->pads[i].id == id)
			return &tp->pads[i];
	return NULL;
}

static const struct media_v2_entity *topo_entity(const struct topo *tp, uint32_t id,
						 const char *name)
{
	for (uint32_t i = 0; i < tp->t.num_entities; i++)
		if (name ? !strcmp(tp->ents[i].name, name) : tp->ents[i].id == id)
			return &tp->ents[i];
	return NULL;
}

/*
 * The inputs whose data links into the channel's entity are enabled, as a
 * bit mask; the link from input "in" in *link, its pads in *src, *sink.
 */
static uint32_t topo_enabled_inputs(const struct topo *tp, const char *pci, unsigned int ch,
				    unsigned int in, struct media_link_desc *ld)
{
	const struct media_v2_entity *ce;
	char name[64];
	uint32_t mask = 0;

	snprintf(name, sizeof(name), "daqcap-%s-ch%u", pci, ch);
	ce = topo_entity(tp, 0, name);
	if (!ce)
		return ~0u;
	for (uint32_t i = 0; i < tp->t.num_links; i++) {
		const struct media_v2_link *l = &tp->links[i];
		const struct media_v2_pad *sp, *kp;
		const struct media_v2_entity *se;
		unsigned int n;

		if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_DATA_LINK)
			continue;
		sp = topo_pad(tp, l->source_id);
		kp = topo_pad(tp, l->sink_id);
		if (!sp || !kp || kp->entity_id != ce->id)
			continue;
		se = topo_entity(tp, sp->entity_id, NULL);
		snprintf(name, sizeof(name), "daqcap-%s-in%%u", pci);
		if (!se || sscanf(se->name, name, &n) != 1)
			continue;
		if (l->flags & MEDIA_LNK_FL_ENABLED)
			mask |= 1u << n;
		if (n == in && ld) {
			memset(ld, 0, sizeof(*ld));
			ld->source.entity = sp->entity_id;
			ld->source.index = sp->index;
			ld->sink.entity = kp->entity_id;
			ld->sink.index = kp->index;
		}
	}
	return mask;
}

static int find_media(const char *pci)
{
	char bus[64];
	int found = -1;

	snprintf(bus, sizeof(bus), "PCI:%s", pci);
	for (int i = 0; i < 64 && found < 0; i++) {
		struct media_device_info info;
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "/dev/media%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!xioctl(fd, MEDIA_IOC_DEVICE_INFO, &info) && !strcmp(info.driver, "daqcap") &&
		    !strcmp(info.bus_info, bus))
			found = fd;
		else
			close(fd);
	}
	return found;
}

/* The graph shows which input feeds each channel, and follows S_INPUT. */
TEST_F(daqcap, media_graph_follows_input)
{
	const struct dnode *n = node_of(self, 0, 0);
	struct media_link_desc ld;
	struct topo tp;
	unsigned int in, cur;
	uint32_t mask;
	int mfd, fd, r;

	ASSERT_NE(NULL, n);
	mfd = find_media(n->pci);
	ASSERT_LE(0, mfd) TH_LOG("no media device for %s", n->pci);
	fd = chan_fd(_metadata, self, 0, 0);
	in = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	ASSERT_EQ(0, topo_get(mfd, &tp));
	for (unsigned int c = 0; c < 4; c++) {
		mask = topo_enabled_inputs(&tp, n->pci, c, 0, NULL);
		EXPECT_EQ(1u << c, mask) TH_LOG("channel %u: inputs 0x%x enabled", c, mask);
	}
	topo_free(&tp);

	in = 2;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	ASSERT_EQ(0, topo_get(mfd, &tp));
	mask = topo_enabled_inputs(&tp, n->pci, 0, 1, &ld);
	EXPECT_EQ(1u << 2, mask);
	topo_free(&tp);

	/*
	 * Enabling another input's link from user space must either be
	 * refused or really switch the input: never two sources at once.
	 */
	ld.flags = MEDIA_LNK_FL_ENABLED;
	r = xioctl(mfd, MEDIA_IOC_SETUP_LINK, &ld);
	ASSERT_EQ(0, topo_get(mfd, &tp));
	mask = topo_enabled_inputs(&tp, n->pci, 0, 0, NULL);
	topo_free(&tp);
	cur = get_input(fd);
	/* S_INPUT puts the links right again. */
	in = 0;
	EXPECT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	ASSERT_EQ(0, topo_get(mfd, &tp));
	EXPECT_EQ(1u, topo_enabled_inputs(&tp, n->pci, 0, 0, NULL));
	topo_free(&tp);
	close(mfd);
	if (r) {
		EXPECT_EQ(1u << 2, mask);
	} else if (mask != 1u << cur) {
		FAIL_MSG(return, "MEDIA_IOC_SETUP_LINK enabled input 1's link to channel 0 while it captures input %u: enabled links from inputs 0x%x",
			  cur, mask);
	}
}

/* ---- tests: inputs and timings ------------------------------------------------------ */

/*
 * The test pattern belongs to the input (admin guide, "Controls"): set on
 * any channel, it changes what every channel capturing that input receives
 * from the next frame on. (The value the other channels' controls show is
 * documented as not updated.)
 */
TEST_F_TIMEOUT(daqcap, test_pattern_is_the_inputs, 60)
{
	int fd0 = chan_fd(_metadata, self, 0, 0);
	int fd1 = chan_fd(_metadata, self, 0, 1);
	struct v4l2_buffer buf;
	unsigned int in = 3;
	bool want, other;
	struct cap c;
	int32_t r, v;

	/* Both channels on input 3 start out showing its pattern r. */
	ASSERT_EQ(0, xioctl(fd0, VIDIOC_S_INPUT, &in));
	ASSERT_EQ(0, xioctl(fd1, VIDIOC_S_INPUT, &in));
	ASSERT_EQ(0, get_ctrl(fd0, V4L2_CID_TEST_PATTERN, &r));
	ASSERT_EQ(0, get_ctrl(fd1, V4L2_CID_TEST_PATTERN, &v));
	ASSERT_EQ(r, v);
	/* Channel 0 switches the input to the other pattern... */
	ASSERT_EQ(0, set_ctrl(fd0, V4L2_CID_TEST_PATTERN, !r));
	/* ...and channel 1 wants r back. */
	ASSERT_EQ(0, set_ctrl(fd1, V4L2_CID_TEST_PATTERN, r));
	ASSERT_EQ(0, get_ctrl(fd1, V4L2_CID_TEST_PATTERN, &v));
	ASSERT_EQ(r, v);
	cap_prepare(_metadata, &c, fd1, node_of(self, 0, 1), V4L2_PIX_FMT_RGB24, 0, -1);
	ASSERT_EQ((uint32_t)r, c.pf.pattern);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
	ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));	/* surely after the change */
	want = frame_matches(&c, c.b[buf.index].data, buf.sequence, r);
	other = frame_matches(&c, c.b[buf.index].data, buf.sequence, !r);
	cap_off(_metadata, &c);
	cap_free(&c);
	if (!want && other)
		FAIL_MSG(return, "channel 1 set TEST_PATTERN %d but input 3 still sends %d, which channel 0 set: a per-channel cached value kept S_CTRL from reaching the card",
			  r, !r);
	ASSERT_TRUE(want);
	/* And channel 0, whose control still shows the other one, receives r too. */
	cap_prepare(_metadata, &c, fd0, node_of(self, 0, 0), V4L2_PIX_FMT_YUYV, 0, -1);
	c.pf.pattern = r;
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	cap_off(_metadata, &c);
	cap_free(&c);
	/* Selecting the input again reads its pattern. */
	in = 2;
	ASSERT_EQ(0, xioctl(fd0, VIDIOC_S_INPUT, &in));
	in = 3;
	ASSERT_EQ(0, xioctl(fd0, VIDIOC_S_INPUT, &in));
	ASSERT_EQ(0, get_ctrl(fd0, V4L2_CID_TEST_PATTERN, &v));
	EXPECT_EQ(r, v);
}

/* 3840x2160: the largest frames of the default card. */
TEST_F_TIMEOUT(daqcap, uhd_frames, 180)
{
	int ch = chan_with_input_size(_metadata, self, 3840, 2160);
	int fd;

	ASSERT_LE(0, ch) TH_LOG("no input at 3840x2160");
	fd = chan_fd(_metadata, self, 0, ch);
	capture(_metadata, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);
	capture(_metadata, fd, node_of(self, 0, ch), V4L2_PIX_FMT_XBGR32, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);
}

/* Two channels on one input, at different formats and sizes, at once. */
TEST_F_TIMEOUT(daqcap, two_channels_one_input, 120)
{
	int ch = chan_with_input_size(_metadata, self, 1920, 1080);
	int other = -1, fd0, fd1;
	unsigned int in;
	struct cap a, b;

	ASSERT_LE(0, ch);
	for (int i = 0; i < self->nnodes && other < 0; i++)
		if (!self->nodes[i].card && (int)self->nodes[i].chan != ch)
			other = self->nodes[i].chan;
	ASSERT_LE(0, other);
	fd0 = chan_fd(_metadata, self, 0, ch);
	fd1 = chan_fd(_metadata, self, 0, other);
	in = get_input(fd0);
	ASSERT_EQ(0, xioctl(fd1, VIDIOC_S_INPUT, &in));
	set_size(_metadata, fd1, 640, 480);
	cap_prepare(_metadata, &a, fd0, node_of(self, 0, ch), V4L2_PIX_FMT_UYVY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_prepare(_metadata, &b, fd1, node_of(self, 0, other), V4L2_PIX_FMT_BGR24, 0,
		    DAQCAP_PATTERN_VERIFY);
	ASSERT_EQ(a.pf.input, b.pf.input);
	cap_alloc(_metadata, &a, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_alloc(_metadata, &b, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &a);
	cap_on(_metadata, &b);
	for (int n = 0; n < 3; n++) {
		cap_run(_metadata, &a, 1);
		cap_run(_metadata, &b, 2);
	}
	cap_off(_metadata, &a);
	cap_off(_metadata, &b);
	cap_free(&a);
	cap_free(&b);
}
TEST_F_TIMEOUT(daqcap, input_switching, 120)
{
	int fd = chan_fd(_metadata, self, 0, 0);
	unsigned int ninputs = count_inputs(fd);
	int in640 = -1;
	struct cap c;
	unsigned int in;

	for (unsigned int i = 0; i < ninputs; i++) {
		struct v4l2_dv_timings q, g;
		struct v4l2_pix_format pix;
		int32_t pattern;

		in = i;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
		EXPECT_EQ(i, get_input(fd));
		ASSERT_EQ(0, query_timings(fd, &q)) TH_LOG("input %u not locked", i);
		ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
		EXPECT_EQ(q.bt.width, g.bt.width);
		EXPECT_EQ(q.bt.height, g.bt.height);
		EXPECT_EQ(q.bt.pixelclock, g.bt.pixelclock);
		ASSERT_EQ(0, get_fmt(fd, &pix));
		EXPECT_EQ(q.bt.width, pix.width);
		EXPECT_EQ(q.bt.height, pix.height);
		EXPECT_EQ(pix.bytesperline * pix.height, pix.sizeimage);
		ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_TEST_PATTERN, &pattern));
		if (q.bt.width == 640 && q.bt.height == 480 && in640 < 0)
			in640 = i;
	}
	ASSERT_LE(0, in640);

	/* Capture from another channel's input: the frames carry that input. */
	in = in640;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	cap_prepare(_metadata, &c, fd, node_of(self, 0, 0), V4L2_PIX_FMT_UYVY, 0,
		    DAQCAP_PATTERN_VERIFY);
	ASSERT_EQ((uint32_t)in640, c.pf.input);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	/* Busy while streaming, except for the input already selected. */
	in = (in640 + 1) % ninputs;
	EXPECT_EQ(-EBUSY, xioctl(fd, VIDIOC_S_INPUT, &in));
	in = in640;
	EXPECT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	EXPECT_EQ((unsigned int)in640, get_input(fd));
	cap_run(_metadata, &c, 2);
	cap_off(_metadata, &c);
	/* Still busy while buffers are allocated. */
	in = (in640 + 1) % ninputs;
	EXPECT_EQ(-EBUSY, xioctl(fd, VIDIOC_S_INPUT, &in));
	cap_free(&c);
	in = 0;
	EXPECT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	EXPECT_EQ(0u, get_input(fd));
}

TEST_F_TIMEOUT(daqcap, dv_timings, 120)
{
	int ch = chan_with_input_size(_metadata, self, 1920, 1080);
	struct v4l2_dv_timings_cap cap = { 0 };
	struct v4l2_dv_timings q, g, t720, t;
	struct v4l2_frmsizeenum fs = { 0 };
	struct v4l2_frmivalenum fi = { 0 };
	struct v4l2_pix_format pix, pix2;
	unsigned int count = 0;
	bool have[4] = { false };
	struct cap c;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);

	ASSERT_EQ(0, xioctl(fd, VIDIOC_DV_TIMINGS_CAP, &cap));
	EXPECT_EQ(V4L2_DV_BT_656_1120, cap.type);
	EXPECT_EQ(4096u, cap.bt.max_width);
	EXPECT_EQ(4096u, cap.bt.max_height);
	EXPECT_TRUE(cap.bt.capabilities & V4L2_DV_BT_CAP_PROGRESSIVE);
	EXPECT_FALSE(cap.bt.capabilities & V4L2_DV_BT_CAP_INTERLACED);

	for (unsigned int i = 0;; i++) {
		struct v4l2_enum_dv_timings e = { .index = i };
		const struct v4l2_bt_timings *bt = &e.timings.bt;

		if (xioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &e))
			break;
		count++;
		EXPECT_EQ(V4L2_DV_BT_656_1120, e.timings.type);
		EXPECT_FALSE(bt->interlaced);
		EXPECT_LE(cap.bt.min_width, bt->width);
		EXPECT_GE(cap.bt.max_width, bt->width);
		EXPECT_LE(cap.bt.min_pixelclock, bt->pixelclock);
		EXPECT_GE(cap.bt.max_pixelclock, bt->pixelclock);
		have[0] |= bt->width == 640 && bt->height == 480;
		have[1] |= bt->width == 1280 && bt->height == 720;
		have[2] |= bt->width == 1920 && bt->height == 1080;
		have[3] |= bt->width == 3840 && bt->height == 2160;
	}
	EXPECT_LT(8u, count);
	EXPECT_TRUE(have[0] && have[1] && have[2] && have[3]);

	/* QUERY: what the input sends, named after its CEA entry. */
	ASSERT_EQ(0, query_timings(fd, &q));
	EXPECT_EQ(1920u, q.bt.width);
	EXPECT_EQ(1080u, q.bt.height);
	EXPECT_EQ(2200u, V4L2_DV_BT_FRAME_WIDTH(&q.bt));
	EXPECT_EQ(1125u, V4L2_DV_BT_FRAME_HEIGHT(&q.bt));
	EXPECT_TRUE(q.bt.standards & V4L2_DV_BT_STD_CEA861);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(0, memcmp(&q.bt, &g.bt, sizeof(q.bt)));

	/* A smaller CEA mode: the format follows; so do sizes and intervals. */
	ASSERT_EQ(0, find_timings(fd, 1280, 720, 60, &t720));
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_RGB24, 0, &pix));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t720));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(1280u, g.bt.width);
	EXPECT_EQ(720u, g.bt.height);
	ASSERT_EQ(0, get_fmt(fd, &pix2));
	EXPECT_EQ(V4L2_PIX_FMT_RGB24, pix2.pixelformat);
	EXPECT_EQ(1280u, pix2.width);
	EXPECT_EQ(720u, pix2.height);
	EXPECT_EQ(1280u * 3, pix2.bytesperline);
	EXPECT_EQ(1280u * 3 * 720, pix2.sizeimage);
	fs.pixel_format = V4L2_PIX_FMT_RGB24;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs));
	EXPECT_EQ(V4L2_FRMSIZE_TYPE_DISCRETE, fs.type);
	EXPECT_EQ(1280u, fs.discrete.width);
	EXPECT_EQ(720u, fs.discrete.height);
	fi.pixel_format = V4L2_PIX_FMT_RGB24;
	fi.width = 1280;
	fi.height = 720;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi));
	EXPECT_EQ(V4L2_FRMIVAL_TYPE_DISCRETE, fi.type);
	EXPECT_EQ(60u, (fi.discrete.denominator + fi.discrete.numerator / 2) / fi.discrete.numerator);
	/* QUERY still reports the source. */
	ASSERT_EQ(0, query_timings(fd, &t));
	EXPECT_EQ(1920u, t.bt.width);

	/* Frames come at the smaller size; the timings are fixed meanwhile. */
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_RGB24, 0,
		    DAQCAP_PATTERN_VERIFY);
	ASSERT_EQ(1280u, c.pf.width);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	EXPECT_EQ(-EBUSY, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q));
	EXPECT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t720));	/* unchanged: fine */
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(1280u, g.bt.width);
	cap_run(_metadata, &c, 1);
	cap_off(_metadata, &c);
	cap_free(&c);

	/* Timings the card cannot take are refused and change nothing. */
	t = t720;
	t.bt.width = 100;
	EXPECT_EQ(-ERANGE, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t));
	t = t720;
	t.bt.interlaced = 1;
	EXPECT_EQ(-ERANGE, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t));
	t = t720;
	t.bt.pixelclock = 700000000;
	EXPECT_EQ(-ERANGE, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t));
	/* Valid, but no CEA-861 entry. */
	t = q;
	t.bt.hfrontporch += 2;
	t.bt.hbackporch -= 2;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(1280u, g.bt.width);
	ASSERT_EQ(0, get_fmt(fd, &pix2));
	EXPECT_EQ(1280u, pix2.width);

	/* Back to the source's timings. */
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q));
	ASSERT_EQ(0, get_fmt(fd, &pix2));
	EXPECT_EQ(1920u, pix2.width);
	EXPECT_EQ(1080u, pix2.height);
}

/*
 * Timings larger than the source are accepted (admin guide, "DV timings":
 * they are not compared with what the input sends); every frame captured
 * with them comes back flagged in error, its lines unwritten.
 */
TEST_F_TIMEOUT(daqcap, dv_timings_larger_than_source, 60)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_dv_timings big, g, q;
	struct v4l2_buffer buf;
	struct cap c;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	ASSERT_EQ(0, find_timings(fd, 1920, 1080, 60, &big));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &big));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(1920u, g.bt.width);
	ASSERT_EQ(0, query_timings(fd, &q));
	EXPECT_EQ(640u, q.bt.width);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	EXPECT_EQ(1920u, c.pix.width);
	c.canary = CANARY;
	c.refill = true;
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	for (int n = 0; n < 4; n++) {
		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		ASSERT_FALSE(cap_check(_metadata, &c, &buf))
			TH_LOG("a 1920x1080 frame from a 640x480 source without an error");
		for (size_t i = 0; i < c.pix.sizeimage; i++) {
			ASSERT_EQ(CANARY, c.b[buf.index].data[i])
				TH_LOG("byte %zu of an error frame was written", i);
		}
		cap_qbuf(_metadata, &c, buf.index);
	}
	cap_off(_metadata, &c);
	cap_free(&c);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q));
}

/* ---- tests: sequence and timestamps ------------------------------------------------- */

/*
 * Sequence numbers count the source's frames (drops are gaps), and the
 * timestamps are the card's end-of-frame times on CLOCK_MONOTONIC: two
 * frames' timestamps differ by their sequence difference times the frame
 * period (to the microsecond of struct timeval).
 */
TEST_F_TIMEOUT(daqcap, sequence_and_timestamps, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_dv_timings t;
	uint64_t period_ps, ts0 = 0;
	uint32_t seq0 = 0;
	struct cap c;
	int fd;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	ASSERT_EQ(0, query_timings(fd, &t));
	period_ps = frame_period_ps(&t.bt);
	ASSERT_LT(0u, period_ps);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, 8, 0, NULL);
	for (int round = 0; round < 2; round++) {
		cap_on(_metadata, &c);
		for (int n = 0; n < 30; n++) {
			struct v4l2_buffer buf;
			uint64_t ts;

			ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
			ASSERT_TRUE(cap_check(_metadata, &c, &buf));
			ts = (uint64_t)buf.timestamp.tv_sec * 1000000000ull +
			     buf.timestamp.tv_usec * 1000ull;
			if (n == 0) {
				/* Each STREAMON starts the count again. */
				EXPECT_GT(8u, buf.sequence) TH_LOG("first sequence %u", buf.sequence);
				seq0 = buf.sequence;
				ts0 = ts;
			} else {
				uint64_t want = (uint64_t)(buf.sequence - seq0) * period_ps / 1000;
				int64_t diff = (int64_t)(ts - ts0) - (int64_t)want;

				EXPECT_GE(2000, llabs(diff))
					TH_LOG("seq %u: %" PRIu64 " ns after seq %u, want %" PRIu64,
					       buf.sequence, ts - ts0, seq0, want);
			}
			cap_qbuf(_metadata, &c, buf.index);
		}
		cap_off(_metadata, &c);
		for (unsigned int i = 0; i < c.nbufs; i++)
			cap_qbuf(_metadata, &c, i);
	}
	cap_free(&c);
}

/* ---- tests: bad input ---------------------------------------------------------------- */

TEST_F_TIMEOUT(daqcap, bad_ioctls_change_nothing, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_pix_format before, after, pix;
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers req;
	struct v4l2_buffer buf;
	unsigned int in, ninputs;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_create_buffers cb;
	struct v4l2_frmsizeenum fs;
	struct v4l2_fmtdesc fdsc;
	struct v4l2_input inp;
	struct v4l2_enum_dv_timings et;
	unsigned int nbufs;
	void *small = NULL;
	int32_t v, v2;
	struct cap c;
	int fd, fd2;

	ASSERT_LE(0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_RGB24, 0, &before));
	ninputs = count_inputs(fd);

	/* S_INPUT out of range. */
	in = ninputs;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_INPUT, &in));
	in = ~0u;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_INPUT, &in));
	EXPECT_EQ((unsigned int)ch % ninputs, get_input(fd));

	/* A bogus pixel format falls back to a supported one; TRY changes nothing. */
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_FMT, &f));
	f.fmt.pix.pixelformat = v4l2_fourcc('B', 'O', 'G', 'S');
	f.fmt.pix.width = 12345;
	f.fmt.pix.height = 3;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_TRY_FMT, &f));
	EXPECT_NE(NULL, fmt_by_fourcc(f.fmt.pix.pixelformat));
	EXPECT_EQ(640u, f.fmt.pix.width);
	EXPECT_EQ(480u, f.fmt.pix.height);
	ASSERT_EQ(0, get_fmt(fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	f.fmt.pix.pixelformat = v4l2_fourcc('B', 'O', 'G', 'S');
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_FMT, &f));
	EXPECT_NE(NULL, fmt_by_fourcc(f.fmt.pix.pixelformat));
	EXPECT_EQ(640u, f.fmt.pix.width);
	ASSERT_EQ(0, get_fmt(fd, &pix));
	EXPECT_EQ(f.fmt.pix.pixelformat, pix.pixelformat);
	EXPECT_EQ(f.fmt.pix.sizeimage, pix.sizeimage);
	/* Wrong buffer type. */
	f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_FMT, &f));
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_RGB24, 0, &before));

	/* Enumerations past their end or for formats the card lacks. */
	memset(&fs, 0, sizeof(fs));
	fs.pixel_format = v4l2_fourcc('B', 'O', 'G', 'S');
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs));
	fs.pixel_format = V4L2_PIX_FMT_GREY;
	fs.index = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs));
	memset(&fdsc, 0, sizeof(fdsc));
	fdsc.index = NFORMATS;
	fdsc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_ENUM_FMT, &fdsc));
	memset(&inp, 0, sizeof(inp));
	inp.index = ninputs;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_ENUMINPUT, &inp));
	memset(&et, 0, sizeof(et));
	et.index = 10000;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &et));

	/*
	 * Controls out of range: menus refuse, integers are clamped into
	 * range by the control framework; a read-only control refuses.
	 */
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_TEST_PATTERN, &v));
	EXPECT_GT(0, set_ctrl(fd, V4L2_CID_TEST_PATTERN, 2));
	EXPECT_GT(0, set_ctrl(fd, V4L2_CID_TEST_PATTERN, -1));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_TEST_PATTERN, &v2));
	EXPECT_EQ(v, v2);
	EXPECT_GT(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, 3));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, &v2));
	EXPECT_EQ(DAQCAP_IRQ_COALESCE_FRAME, v2);
	EXPECT_GT(0, set_ctrl(fd, V4L2_CID_DV_RX_POWER_PRESENT, 0));
	EXPECT_GT(0, set_ctrl(fd, V4L2_CID_USER_DAQCAP_BASE + 0x40, 1));
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 0));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, &v2));
	EXPECT_EQ(1, v2);
	EXPECT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 1000));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, &v2));
	EXPECT_EQ(DAQCAP_MAX_CHUNK_LINES, v2);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 16));

	/* Another file handle may look, but not take the queue or change the format. */
	fd2 = open_node(self, 0, ch);
	ASSERT_LE(0, fd2);

	/* REQBUFS with a bad memory type or buffer type. */
	memset(&req, 0, sizeof(req));
	req.count = 4;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = 0;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_REQBUFS, &req));
	req.memory = 77;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_REQBUFS, &req));
	req.memory = V4L2_MEMORY_MMAP;
	req.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_REQBUFS, &req));

	/* Nothing to stream, nothing to dequeue. */
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_STREAMON, &type));
	memset(&buf, 0, sizeof(buf));
	buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	buf.memory = V4L2_MEMORY_MMAP;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_DQBUF, &buf));

	/* QBUF/QUERYBUF with an index out of range or the wrong memory. */
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_RGB24, 0,
		    DAQCAP_PATTERN_VERIFY);
	memset(&req, 0, sizeof(req));
	req.count = 4;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_MMAP;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &req));
	nbufs = req.count;
	memset(&buf, 0, sizeof(buf));
	buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	buf.memory = V4L2_MEMORY_MMAP;
	buf.index = req.count;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QBUF, &buf));
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QUERYBUF, &buf));
	buf.index = 1000;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QBUF, &buf));
	buf.index = 0;
	buf.memory = V4L2_MEMORY_USERPTR;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QBUF, &buf));
	/* The queue is this file handle's. */
	memset(&req, 0, sizeof(req));
	req.count = 2;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_MMAP;
	EXPECT_EQ(-EBUSY, xioctl(fd2, VIDIOC_REQBUFS, &req));
	EXPECT_EQ(-EBUSY, xioctl(fd2, VIDIOC_STREAMON, &type));
	EXPECT_EQ(-EBUSY, set_fmt(fd2, V4L2_PIX_FMT_GREY, 0, NULL));
	ASSERT_EQ(0, get_fmt(fd2, &pix));
	EXPECT_EQ(V4L2_PIX_FMT_RGB24, pix.pixelformat);
	/* CREATE_BUFS smaller than the format's image: refused; larger: fine. */
	memset(&cb, 0, sizeof(cb));
	cb.count = 1;
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_FMT, &cb.format));
	cb.format.fmt.pix.sizeimage /= 2;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_CREATE_BUFS, &cb));
	cb.format.fmt.pix.sizeimage *= 4;
	EXPECT_EQ(0, xioctl(fd, VIDIOC_CREATE_BUFS, &cb));
	EXPECT_EQ(nbufs, cb.index);
	EXPECT_EQ(1u, cb.count);
	memset(&buf, 0, sizeof(buf));
	buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	buf.memory = V4L2_MEMORY_MMAP;
	buf.index = cb.index;
	EXPECT_EQ(0, xioctl(fd, VIDIOC_PREPARE_BUF, &buf));
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_PREPARE_BUF, &buf));
	close(fd2);
	/* Busy: format, input, timings. */
	in = (ch + 1) % ninputs;
	EXPECT_EQ(-EBUSY, xioctl(fd, VIDIOC_S_INPUT, &in));
	EXPECT_EQ(-EBUSY, set_fmt(fd, V4L2_PIX_FMT_GREY, 0, NULL));
	ASSERT_EQ(0, get_fmt(fd, &after));
	EXPECT_EQ(V4L2_PIX_FMT_RGB24, after.pixelformat);
	req.count = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &req));

	/* USERPTR smaller than the image. */
	memset(&req, 0, sizeof(req));
	req.count = 4;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_USERPTR;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &req));
	ASSERT_EQ(0, posix_memalign(&small, 4096, c.pix.sizeimage));
	memset(&buf, 0, sizeof(buf));
	buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	buf.memory = V4L2_MEMORY_USERPTR;
	buf.index = 0;
	buf.m.userptr = (unsigned long)small;
	buf.length = c.pix.sizeimage - 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QBUF, &buf));
	buf.length = 0;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_QBUF, &buf));
	buf.m.userptr = 0;
	buf.length = c.pix.sizeimage;
	EXPECT_GT(0, xioctl(fd, VIDIOC_QBUF, &buf));
	free(small);
	req.count = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &req));

	/* After all that, the channel still captures what it should. */
	ASSERT_EQ(0, get_fmt(fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	capture(_metadata, fd, node_of(self, 0, ch), V4L2_PIX_FMT_RGB24, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);
}

/* ---- tests: two cards, every channel at once ------------------------------------------- */

TEST_F_TIMEOUT(daqcap, all_channels_all_cards, 240)
{
	struct cap caps[MAX_NODES];
	bool done[MAX_NODES] = { false };
	int n = self->nnodes, remaining;
	const unsigned int want = 3;

	if (self->ncards < 2)
		SKIP(return, "%d card(s): this test wants two (utils/daqcap-vm --cards 2)",
		     self->ncards);
	for (int i = 0; i < n; i++) {
		const struct dnode *nd = &self->nodes[i];
		int fd = chan_fd(_metadata, self, nd->card, nd->chan);

		/* Every channel at 640x480, whatever its source; formats vary. */
		set_size(_metadata, fd, 640, 480);
		cap_prepare(_metadata, &caps[i], fd, nd, formats[(i * 3) % NFORMATS].fourcc,
			    0, DAQCAP_PATTERN_VERIFY);
		cap_alloc(_metadata, &caps[i], V4L2_MEMORY_MMAP, 4, 0, NULL);
	}
	for (int i = 0; i < n; i++)
		cap_on(_metadata, &caps[i]);
	remaining = n;
	while (remaining) {
		struct pollfd p[MAX_NODES];

		for (int i = 0; i < n; i++) {
			p[i].fd = done[i] ? -1 : caps[i].fd;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		ASSERT_LT(0, poll(p, n, DQ_TIMEOUT_MS * 2))
			TH_LOG("no frame from %d streaming channels", remaining);
		for (int i = 0; i < n; i++) {
			struct v4l2_buffer buf;

			if (done[i] || !(p[i].revents & (POLLIN | POLLERR)))
				continue;
			ASSERT_EQ(0, cap_dq(&caps[i], &buf, DQ_TIMEOUT_MS));
			ASSERT_TRUE(cap_check(_metadata, &caps[i], &buf));
			cap_qbuf(_metadata, &caps[i], buf.index);
			if (caps[i].good >= want) {
				done[i] = true;
				remaining--;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		cap_off(_metadata, &caps[i]);
		cap_free(&caps[i]);
	}
}

/* ---- tests: cable events (QMP) ---------------------------------------------------------- */

/* The channel of card 0 on its default input in, opened; -1 if none. */
static int chan_on_input(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
			 unsigned int in)
{
	int fd = chan_fd(_metadata, self, 0, in);
	unsigned int cur = get_input(fd);

	if (cur != in)
		ASSERT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	return fd;
}

TEST_F_TIMEOUT(daqcap, source_change_events, 120)
{
	struct v4l2_dv_timings q, g;
	struct v4l2_input inp = { .index = 0 };
	struct v4l2_event ev;
	int fd, other;
	int32_t power;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, 0);
	other = chan_fd(_metadata, self, 0, 1);
	ASSERT_EQ(0, query_timings(fd, &q));
	ASSERT_EQ(0, subscribe_source_change(fd, 0));
	ASSERT_EQ(0, subscribe_source_change(other, get_input(other)));
	flush_events(fd);
	flush_events(other);

	/* New timings: an event; QUERY has them, the channel keeps its own. */
	ASSERT_EQ(0, set_input_timings(self, 0, 0, "1280x720p60"));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no SOURCE_CHANGE event");
	EXPECT_EQ(V4L2_EVENT_SOURCE_CHANGE, ev.type);
	EXPECT_TRUE(ev.u.src_change.changes & V4L2_EVENT_SRC_CH_RESOLUTION);
	EXPECT_EQ(0u, ev.id);
	ASSERT_EQ(0, query_timings(fd, &g));
	EXPECT_EQ(1280u, g.bt.width);
	EXPECT_EQ(720u, g.bt.height);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(q.bt.width, g.bt.width);
	/* Taking them resizes the format, and frames come at the new size. */
	ASSERT_EQ(0, query_timings(fd, &g));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &g));
	capture(_metadata, fd, node_of(self, 0, 0), V4L2_PIX_FMT_GREY, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);

	/* Signal off: an event, no timings, and the input says so. */
	ASSERT_EQ(0, set_input_signal(self, 0, 0, false));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no event for signal loss");
	EXPECT_EQ(V4L2_EVENT_SOURCE_CHANGE, ev.type);
	EXPECT_EQ(-ENOLINK, query_timings(fd, &g));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUMINPUT, &inp));
	EXPECT_TRUE(inp.status & V4L2_IN_ST_NO_SIGNAL);
	EXPECT_TRUE(inp.status & V4L2_IN_ST_NO_POWER);
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DV_RX_POWER_PRESENT, &power));
	EXPECT_EQ(0, power & 1);
	EXPECT_NE(0, power & 2);

	/* Signal back: an event, the timings it had. */
	ASSERT_EQ(0, set_input_signal(self, 0, 0, true));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no event for signal back");
	ASSERT_EQ(0, query_timings(fd, &g));
	EXPECT_EQ(1280u, g.bt.width);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUMINPUT, &inp));
	EXPECT_EQ(0u, inp.status);
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DV_RX_POWER_PRESENT, &power));
	EXPECT_NE(0, power & 1);

	/* Back to the original timings. */
	ASSERT_EQ(0, set_input_timings(self, 0, 0, "1920x1080p60"));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS));
	ASSERT_EQ(0, query_timings(fd, &g));
	EXPECT_EQ(q.bt.width, g.bt.width);
	EXPECT_EQ(q.bt.height, g.bt.height);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &g));

	/* A channel on another input heard nothing. */
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(-ENOENT, xioctl(other, VIDIOC_DQEVENT, &ev))
		TH_LOG("channel 1 got an event type %u id %u", ev.type, ev.id);
}

/*
 * V4L2 (event.rst): a SOURCE_CHANGE subscription's id is the input index
 * the application wants events for, and the event carries that input.
 */
TEST_F_TIMEOUT(daqcap, source_change_event_id_is_input, 60)
{
	struct v4l2_event ev;
	int fd, r;
	unsigned int in = 3;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, in);
	ASSERT_EQ(0, subscribe_source_change(fd, in));
	flush_events(fd);
	ASSERT_EQ(0, set_input_timings(self, 0, in, "640x480p60"));
	r = wait_event(fd, &ev, 3000);
	if (r == -ETIMEDOUT) {
		int fd0 = open_node(self, 0, in);

		/* Is it there under id 0? */
		ASSERT_LE(0, fd0);
		ASSERT_EQ(0, subscribe_source_change(fd0, 0));
		ASSERT_EQ(0, set_input_timings(self, 0, in, "640x480p60"));
		r = wait_event(fd0, &ev, EV_TIMEOUT_MS);
		close(fd0);
		if (!r && ev.id == 0)
			FAIL_MSG(return, "SOURCE_CHANGE of input %u is sent with id 0, not the input index", in);
	}
	ASSERT_EQ(0, r);
	EXPECT_EQ(in, ev.id);
}

/*
 * Every timing the card's sources know (datasheet, "Built-in timings"):
 * QUERY_DV_TIMINGS reports them exactly, named after their CEA-861 entry,
 * and a channel set to them captures good frames.
 */
TEST_F_TIMEOUT(daqcap, query_every_builtin_timing, 180)
{
	static const struct {
		const char *name;
		uint32_t w, h, htot, vtot, hfp, hs, vfp, vs;
		uint64_t pclk;
		bool pos;
		bool capture;
	} modes[] = {
		{ "640x480p60", 640, 480, 800, 525, 16, 96, 10, 2, 25175000, false, true },
		{ "720x480p60", 720, 480, 858, 525, 16, 62, 9, 6, 27000000, false, true },
		{ "720x576p50", 720, 576, 864, 625, 12, 64, 5, 5, 27000000, false, true },
		{ "1280x720p50", 1280, 720, 1980, 750, 440, 40, 5, 5, 74250000, true, true },
		{ "1280x720p60", 1280, 720, 1650, 750, 110, 40, 5, 5, 74250000, true, false },
		{ "1920x1080p24", 1920, 1080, 2750, 1125, 638, 44, 4, 5, 74250000, true, true },
		{ "1920x1080p25", 1920, 1080, 2640, 1125, 528, 44, 4, 5, 74250000, true, false },
		{ "1920x1080p30", 1920, 1080, 2200, 1125, 88, 44, 4, 5, 74250000, true, false },
		{ "1920x1080p50", 1920, 1080, 2640, 1125, 528, 44, 4, 5, 148500000, true, false },
		{ "1920x1080p60", 1920, 1080, 2200, 1125, 88, 44, 4, 5, 148500000, true, false },
		{ "3840x2160p24", 3840, 2160, 5500, 2250, 1276, 88, 8, 10, 297000000, true, false },
		{ "3840x2160p25", 3840, 2160, 5280, 2250, 1056, 88, 8, 10, 297000000, true, false },
		{ "3840x2160p30", 3840, 2160, 4400, 2250, 176, 88, 8, 10, 297000000, true, false },
		{ "3840x2160p60", 3840, 2160, 4400, 2250, 176, 88, 8, 10, 594000000, true, false },
		{ "4096x2160p30", 4096, 2160, 4400, 2250, 88, 88, 8, 10, 297000000, true, true },
	};
	const unsigned int in = 3;
	int fd;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, in);
	for (unsigned int i = 0; i < ARRAY_SIZE(modes); i++) {
		const struct v4l2_bt_timings *bt;
		struct v4l2_dv_timings q;
		struct v4l2_input inp = { .index = in };
		uint32_t pol = modes[i].pos ? V4L2_DV_HSYNC_POS_POL | V4L2_DV_VSYNC_POS_POL : 0;

		ASSERT_EQ(0, set_input_timings(self, 0, in, modes[i].name));
		ASSERT_EQ(0, query_timings(fd, &q)) TH_LOG("%s", modes[i].name);
		bt = &q.bt;
		EXPECT_EQ(modes[i].w, bt->width) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].h, bt->height) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].htot, V4L2_DV_BT_FRAME_WIDTH(bt)) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].vtot, V4L2_DV_BT_FRAME_HEIGHT(bt)) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].hfp, bt->hfrontporch) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].hs, bt->hsync) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].vfp, bt->vfrontporch) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].vs, bt->vsync) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(modes[i].pclk, bt->pixelclock) TH_LOG("%s", modes[i].name);
		EXPECT_EQ(pol, bt->polarities) TH_LOG("%s", modes[i].name);
		EXPECT_FALSE(bt->interlaced);
		EXPECT_TRUE(bt->standards & V4L2_DV_BT_STD_CEA861)
			TH_LOG("%s is not named after its CEA-861 entry", modes[i].name);
		ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUMINPUT, &inp));
		EXPECT_EQ(0u, inp.status);
		if (!modes[i].capture)
			continue;
		/* Take the timings (the exact CEA entry) and capture at that size. */
		ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q)) TH_LOG("%s", modes[i].name);
		capture(_metadata, fd, node_of(self, 0, in), formats[i % NFORMATS].fourcc, 0,
			DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);
	}
	ASSERT_EQ(0, set_input_timings(self, 0, in, "640x480p60"));
}

/* Signal loss while streaming: DQBUF fails with EIO; a restart recovers. */
TEST_F_TIMEOUT(daqcap, signal_loss_while_streaming, 120)
{
	struct v4l2_buffer buf;
	struct cap c;
	int fd, r = 0;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	long long hs0;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, 3);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, 3), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	ASSERT_EQ(0, set_input_signal(self, 0, 3, false));
	for (int n = 0; n < 50; n++) {
		r = cap_dq(&c, &buf, DQ_TIMEOUT_MS);
		if (r)
			break;
		cap_check(_metadata, &c, &buf);	/* good or error buffers, in order */
		/* The error state may come between DQBUF and QBUF. */
		r = cap_requeue(_metadata, &c, buf.index);
		if (r)
			break;
	}
	EXPECT_EQ(-EIO, r) TH_LOG("DQBUF after signal loss: %s", strerror(-r));
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };

		EXPECT_EQ(1, poll(&p, 1, 0));
		EXPECT_TRUE(p.revents & POLLERR);
	}
	ASSERT_EQ(0, xioctl(fd, VIDIOC_STREAMOFF, &type));
	c.streaming = false;

	/*
	 * STREAMON without a signal succeeds; the channel neither captures
	 * nor drops (its sequence stands still) until the signal is back.
	 */
	for (unsigned int i = 0; i < c.nbufs; i++)
		cap_qbuf(_metadata, &c, i);
	cap_on(_metadata, &c);
	hs0 = dbg_counter(c.node->pci, 3, "hw_sequence");
	EXPECT_EQ(-ETIMEDOUT, cap_dq(&c, &buf, 300));
	EXPECT_EQ(hs0, dbg_counter(c.node->pci, 3, "hw_sequence"));
	ASSERT_EQ(0, set_input_signal(self, 0, 3, true));
	cap_run(_metadata, &c, 3);
	EXPECT_GT(8u, c.first_seq) TH_LOG("first sequence %u after the signal came back",
					 c.first_seq);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/* Timings that shrink under a running channel: EIO; same size: it goes on. */
TEST_F_TIMEOUT(daqcap, timings_change_while_streaming, 120)
{
	struct v4l2_event ev;
	struct v4l2_buffer buf;
	struct cap c;
	int fd, r = 0;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	NEED_QMP();
	/* Same size again (the source restarts): an event, frames go on. */
	fd = chan_on_input(_metadata, self, 3);
	ASSERT_EQ(0, subscribe_source_change(fd, 3));
	flush_events(fd);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, 3), V4L2_PIX_FMT_Y16, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	ASSERT_EQ(0, set_input_timings(self, 0, 3, "640x480p60"));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no SOURCE_CHANGE with id 3");
	EXPECT_EQ(3u, ev.id);
	for (unsigned int good = c.good + 3; c.good < good;) {
		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		cap_check(_metadata, &c, &buf);	/* the frame cut short is in error */
		cap_qbuf(_metadata, &c, buf.index);
		ASSERT_GT(5u, c.errors);
	}
	cap_off(_metadata, &c);
	cap_free(&c);

	/* Smaller than the channel's frames: the queue errors out. */
	fd = chan_on_input(_metadata, self, 1);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, 1), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	ASSERT_EQ(1280u, c.pf.width);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	ASSERT_EQ(0, set_input_timings(self, 0, 1, "640x480p60"));
	for (int n = 0; n < 50; n++) {
		r = cap_dq(&c, &buf, DQ_TIMEOUT_MS);
		if (r)
			break;
		cap_check(_metadata, &c, &buf);
		r = cap_requeue(_metadata, &c, buf.index);
		if (r)
			break;
	}
	EXPECT_EQ(-EIO, r);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_STREAMOFF, &type));
	c.streaming = false;
	cap_free(&c);
	ASSERT_EQ(0, set_input_timings(self, 0, 1, "1280x720p60"));
}

/* ---- tests: fault injection (QMP) ------------------------------------------------------- */

/* Stream channel ch of card 0 (on its own input) in GREY, VERIFY. */
static void fault_stream(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
			 struct cap *c, unsigned int ch, unsigned int nbufs)
{
	int fd = chan_on_input(_metadata, self, ch);

	cap_prepare(_metadata, c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, c, V4L2_MEMORY_MMAP, nbufs, 0, NULL);
	cap_on(_metadata, c);
	cap_run(_metadata, c, 2);
}

/* Dropped frames are sequence gaps, and the card counted every one. */
TEST_F_TIMEOUT(daqcap, injected_drops_are_gaps, 120)
{
	const unsigned int ch = 3, k = 4;
	long long d0, d1;
	unsigned long long gaps;
	struct cap c;

	NEED_QMP();
	d0 = card_stat(self, 0, ch, "drops");
	ASSERT_LE(0, d0);
	fault_stream(_metadata, self, &c, ch, 8);
	for (unsigned int i = 0; i < k; i++) {
		ASSERT_EQ(0, inject(self, 0, "drop", ch));
		cap_run(_metadata, &c, 3);
	}
	cap_off(_metadata, &c);
	d1 = card_stat(self, 0, ch, "drops");
	gaps = (unsigned long long)c.last_seq + 1 - c.dequeued;
	TH_LOG("%u injected, %llu gaps seen, card dropped %lld", k, gaps, d1 - d0);
	EXPECT_LE(k, gaps);
	EXPECT_LE(k, d1 - d0);
	EXPECT_GE(d1 - d0, (long long)gaps);
	EXPECT_LE(k, dbg_counter(c.node->pci, ch, "drop_irqs"));
	cap_free(&c);
}

/* A FIFO overflow loses one chunk: that buffer comes back flagged in error. */
TEST_F_TIMEOUT(daqcap, fifo_overflow_error_buffer, 120)
{
	const unsigned int ch = 3;
	long long e0, e1, f0;
	struct v4l2_buffer buf;
	struct cap c;
	bool seen = false;
	int fd;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, ch);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 16));
	e0 = card_stat(self, 0, ch, "error-frames");
	f0 = dbg_counter(node_of(self, 0, ch)->pci, ch, "fifo_overflows");
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	c.canary = CANARY;
	c.refill = true;
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	ASSERT_EQ(0, inject(self, 0, "fifo-overflow", ch));
	for (int n = 0; n < 30 && !seen; n++) {
		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		if (!cap_check(_metadata, &c, &buf)) {
			uint32_t nchunks = (c.pf.height + 15) / 16;
			uint32_t lost = nchunks / 2 * 16;

			seen = true;
			/* Every other chunk landed; the lost one was never written. */
			check_frame(_metadata, &c, c.b[buf.index].data, c.b[buf.index].len,
				    buf.sequence, lost, 16);
			for (uint32_t y = lost; y < lost + 16; y++) {
				for (uint32_t x = 0; x < c.line_bytes; x++) {
					ASSERT_EQ(CANARY, c.b[buf.index].data[y * c.pix.bytesperline + x])
						TH_LOG("lost line %u written", y);
				}
			}
		}
		cap_qbuf(_metadata, &c, buf.index);
	}
	ASSERT_TRUE(seen) TH_LOG("no buffer flagged V4L2_BUF_FLAG_ERROR");
	EXPECT_EQ(1u, c.errors);
	cap_run(_metadata, &c, 3);
	cap_off(_metadata, &c);
	cap_free(&c);
	e1 = card_stat(self, 0, ch, "error-frames");
	EXPECT_EQ(e0 + 1, e1);
	EXPECT_EQ(f0 + 1, dbg_counter(node_of(self, 0, ch)->pci, ch, "fifo_overflows"));
}

/*
 * A broken or hostile card: completion records that name no buffer, a
 * chunk past the frame or a wrong line count, or come twice. The driver
 * rejects or ignores each; a buffer whose chunk went unreported comes back
 * in error at once (not held until STREAMOFF), and the stream goes on with
 * all its buffers, every other frame intact.
 */
TEST_F_TIMEOUT(daqcap, lying_completions, 180)
{
	static const struct {
		const char *fault;
		bool loses_chunk;
	} lies[] = {
		{ "bad-cookie", true },
		{ "bad-chunk", true },
		{ "bad-lines", true },
		{ "dup-completion", false },
	};
	const unsigned int ch = 3;
	const struct dnode *node;
	struct v4l2_buffer buf;
	struct cap c;
	int fd;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, ch);
	node = node_of(self, 0, ch);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 16));
	cap_prepare(_metadata, &c, fd, node, V4L2_PIX_FMT_GREY, 0, DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	for (unsigned int i = 0; i < ARRAY_SIZE(lies); i++) {
		long long bad0 = dbg_counter(node->pci, ch, "bad_completions");
		long long dup0 = dbg_counter(node->pci, ch, "dup_completions");
		long long inc0 = dbg_counter(node->pci, ch, "incomplete_frames");
		unsigned int errors0 = c.errors, after = 0;
		long long seen = 0;

		ASSERT_LE(0, bad0);
		ASSERT_LE(0, inc0);
		ASSERT_EQ(0, inject(self, 0, lies[i].fault, ch));
		/* The lie comes with the next chunk; then a few more frames. */
		for (int n = 0; n < 40 && after < 3; n++) {
			ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS))
				TH_LOG("%s: DQBUF: a buffer held back?", lies[i].fault);
			cap_check(_metadata, &c, &buf);
			cap_qbuf(_metadata, &c, buf.index);
			seen = dbg_counter(node->pci, ch, "bad_completions") - bad0 +
			       dbg_counter(node->pci, ch, "dup_completions") - dup0;
			if (seen)
				after++;
		}
		/* A duplicate of an EOF record comes after its buffer is done: bad. */
		EXPECT_EQ(1, seen) TH_LOG("%s: records rejected or ignored", lies[i].fault);
		EXPECT_EQ(lies[i].loses_chunk ? 1 : 0,
			  dbg_counter(node->pci, ch, "incomplete_frames") - inc0)
			TH_LOG("%s: buffers returned incomplete", lies[i].fault);
		EXPECT_EQ(errors0 + (lies[i].loses_chunk ? 1 : 0), c.errors)
			TH_LOG("%s: buffers dequeued with V4L2_BUF_FLAG_ERROR", lies[i].fault);
	}
	/* All NBUFS buffers still go round, none held back, frames intact. */
	for (unsigned int n = 0, seen_bufs = 0; n < 2 * NBUFS; n++) {
		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		ASSERT_TRUE(cap_check(_metadata, &c, &buf));
		cap_qbuf(_metadata, &c, buf.index);
		seen_bufs |= 1u << buf.index;
		if (n == 2 * NBUFS - 1)
			EXPECT_EQ((1u << NBUFS) - 1, seen_bufs);
	}
	cap_off(_metadata, &c);
	cap_free(&c);
}

/* A DMA error halts the channel: EIO, and STREAMOFF/STREAMON recovers. */
TEST_F_TIMEOUT(daqcap, dma_error_then_restart, 120)
{
	const unsigned int ch = 3;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer buf;
	struct cap c;
	long long e0;
	int r = 0;

	NEED_QMP();
	e0 = dbg_counter(node_of(self, 0, ch)->pci, ch, "dma_errors");
	fault_stream(_metadata, self, &c, ch, NBUFS);
	ASSERT_EQ(0, inject(self, 0, "dma-error", ch));
	for (int n = 0; n < 30; n++) {
		r = cap_dq(&c, &buf, DQ_TIMEOUT_MS);
		if (r)
			break;
		cap_check(_metadata, &c, &buf);
		r = cap_requeue(_metadata, &c, buf.index);
		if (r)
			break;
	}
	ASSERT_EQ(-EIO, r) TH_LOG("DQBUF after a DMA error: %s", strerror(-r));
	EXPECT_EQ(e0 + 1, dbg_counter(c.node->pci, ch, "dma_errors"));
	ASSERT_EQ(0, xioctl(c.fd, VIDIOC_STREAMOFF, &type));
	c.streaming = false;
	for (unsigned int i = 0; i < c.nbufs; i++)
		cap_qbuf(_metadata, &c, i);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 4);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/*
 * A lost interrupt while the channel streams: the next interrupt drains
 * what the lost one would have, every frame arrives, none goes missing and
 * the card counted exactly one lost interrupt. That alone does not need the
 * driver's watchdog: a streaming channel interrupts many times per
 * watchdog period (a frame's, or a drop's when user space falls behind),
 * so the watchdog never finds it quiet.
 *
 * So then a lost interrupt, and then nothing: with interrupts coalesced by
 * the card's 65 ms timer, the timer's interrupt is swallowed and the channel
 * stalled before the next one; a stall cancels the timer, so the frames
 * completed since the last interrupt that got through can only reach user
 * space through the driver's watchdog. Every frame the card completed must
 * be dequeued.
 */
TEST_F_TIMEOUT(daqcap, lost_irq_watchdog, 240)
{
	const unsigned int ch = 3;
	bool rescued = false;
	int fd;

	NEED_QMP();
	{
		long long l0 = card_stat(self, 0, ch, "lost-irqs");
		struct cap c;

		ASSERT_LE(0, l0);
		fault_stream(_metadata, self, &c, ch, NBUFS);
		ASSERT_EQ(0, inject(self, 0, "lost-irq", ch));
		cap_run(_metadata, &c, 8);
		EXPECT_EQ(l0 + 1, card_stat(self, 0, ch, "lost-irqs"));
		cap_off(_metadata, &c);	/* and no frame went missing */
		cap_free(&c);
	}
	fd = chan_on_input(_metadata, self, ch);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_COALESCE, DAQCAP_IRQ_COALESCE_DELAY));
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_IRQ_DELAY_US, 65535));
	for (int attempt = 0; attempt < 4 && !rescued; attempt++) {
		long long f0, l0, w0, s0, w1, polls = 0;
		unsigned long long completed;
		struct v4l2_buffer buf;
		uint64_t t0, t1, t2;
		struct cap c;
		int r;

		f0 = card_stat(self, 0, ch, "frames");
		l0 = card_stat(self, 0, ch, "lost-irqs");
		w0 = dbg_counter(node_of(self, 0, ch)->pci, ch, "watchdog_completions");
		s0 = dbg_counter(node_of(self, 0, ch)->pci, ch, "stop_resets");
		ASSERT_LE(0, f0);
		ASSERT_LE(0, l0);
		fault_stream(_metadata, self, &c, ch, 8);
		t0 = now_ns();
		ASSERT_EQ(0, inject(self, 0, "lost-irq", ch));
		t1 = now_ns();
		while (card_stat(self, 0, ch, "lost-irqs") == l0 && polls < 1000)
			polls++;
		/* A frame's worth after the swallowed interrupt, well before the next. */
		sleep_ms(20);
		ASSERT_EQ(0, inject(self, 0, "stall", ch));
		t2 = now_ns();
		completed = card_stat(self, 0, ch, "frames") - f0;
		/* Dequeue everything the card completed, whoever drains it. */
		while (c.dequeued < completed) {
			r = cap_dq(&c, &buf, DQ_TIMEOUT_MS);
			ASSERT_EQ(0, r) TH_LOG("%u of %llu completed frames dequeued: %s",
					       c.dequeued, completed, strerror(-r));
			ASSERT_TRUE(cap_check(_metadata, &c, &buf));
			cap_qbuf(_metadata, &c, buf.index);
		}
		/* Records of the frame cut short by the stall: the watchdog's too. */
		for (int i = 0; i < 100; i++) {
			w1 = dbg_counter(c.node->pci, ch, "watchdog_completions");
			if (w1 > w0)
				break;
			sleep_ms(50);
		}
		TH_LOG("attempt %d: inject %" PRIu64 " ms, %lld polls and stall %" PRIu64 " ms; %llu frames, %lld records drained by the watchdog",
		       attempt, (t1 - t0) / 1000000, polls, (t2 - t1) / 1000000, completed,
		       w1 - w0);
		rescued = w1 > w0;
		/* Stalled: STREAMOFF must not hang; the driver resets the channel. */
		cap_off(_metadata, &c);
		EXPECT_EQ(s0 + 1, dbg_counter(c.node->pci, ch, "stop_resets"));
		cap_rotate_requeue(_metadata, &c);
		cap_on(_metadata, &c);
		cap_run(_metadata, &c, 3);
		cap_off(_metadata, &c);
		cap_free(&c);
	}
	ASSERT_TRUE(rescued) TH_LOG("the watchdog never had to drain anything");
}

/* A stalled channel: STREAMOFF returns (the channel is reset) and it restarts. */
TEST_F_TIMEOUT(daqcap, stall_then_streamoff, 120)
{
	const unsigned int ch = 3;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer buf;
	long long s0, f0, f1;
	uint64_t t0, t1;
	struct cap c;

	NEED_QMP();
	s0 = dbg_counter(node_of(self, 0, ch)->pci, ch, "stop_resets");
	fault_stream(_metadata, self, &c, ch, NBUFS);
	ASSERT_EQ(0, inject(self, 0, "stall", ch));
	/* Whatever completed before the stall may still come; then nothing. */
	f0 = card_stat(self, 0, ch, "frames");
	sleep_ms(300);
	f1 = card_stat(self, 0, ch, "frames");
	EXPECT_EQ(f0, f1) TH_LOG("the stalled channel still completes frames");
	while (!cap_dq(&c, &buf, 500)) {
		cap_check(_metadata, &c, &buf);
		cap_qbuf(_metadata, &c, buf.index);
	}
	t0 = now_ns();
	ASSERT_EQ(0, xioctl(c.fd, VIDIOC_STREAMOFF, &type));
	t1 = now_ns();
	c.streaming = false;
	TH_LOG("STREAMOFF of the stalled channel took %" PRIu64 " ms", (t1 - t0) / 1000000);
	EXPECT_EQ(s0 + 1, dbg_counter(c.node->pci, ch, "stop_resets"));
	for (unsigned int i = 0; i < c.nbufs; i++)
		cap_qbuf(_metadata, &c, i);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 3);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/* ---- tests: unbinding the driver (last: the nodes come back renumbered) ---------------- */

static int write_sysfs(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -errno;
}

/*
 * Unbinding the driver (as a surprise removal would) while an application
 * streams: its file handle answers ENODEV, closing it releases everything,
 * and binding again brings back a working card.
 */
TEST_F_TIMEOUT(daqcap, unbind_while_streaming_then_rebind, 120)
{
	const struct dnode *n = node_of(self, 0, 3);
	struct v4l2_buffer buf;
	struct pollfd p;
	char pci[32];
	struct cap c;
	int fd, idle, r, ncards;
	uint8_t sink = 0;

	ASSERT_NE(NULL, n);
	snprintf(pci, sizeof(pci), "%s", n->pci);
	fd = chan_fd(_metadata, self, 0, 3);
	idle = chan_fd(_metadata, self, 0, 1);	/* open, not streaming */
	cap_prepare(_metadata, &c, fd, n, V4L2_PIX_FMT_GREY, 0, DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);

	ASSERT_EQ(0, write_sysfs("/sys/bus/pci/drivers/daqcap/unbind", pci));
	r = cap_dq(&c, &buf, 2000);
	EXPECT_EQ(-ENODEV, r);
	EXPECT_EQ(-ENODEV, xioctl(idle, VIDIOC_G_INPUT, &(unsigned int){ 0 }));
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & (POLLERR | POLLHUP));
	/* The mapped buffers stay readable until unmapped (no SIGBUS). */
	for (unsigned int i = 0; i < c.nbufs; i++)
		sink ^= *(volatile uint8_t *)c.b[i].data;
	(void)sink;
	c.streaming = false;
	c.node = NULL;
	cap_free(&c);
	for (int i = 0; i < MAX_NODES; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
		self->fds[i] = -1;
	}
	EXPECT_EQ(0, find_nodes(self->nodes, MAX_NODES, &ncards));

	ASSERT_EQ(0, write_sysfs("/sys/bus/pci/drivers/daqcap/bind", pci));
	for (int i = 0; i < 100; i++) {
		self->nnodes = find_nodes(self->nodes, MAX_NODES, &self->ncards);
		if (self->nnodes >= 4)
			break;
		sleep_ms(100);
	}
	ASSERT_LE(4, self->nnodes);
	memset(self->touched, 0, sizeof(self->touched));
	fd = chan_fd(_metadata, self, 0, 3);
	capture(_metadata, fd, node_of(self, 0, 3), V4L2_PIX_FMT_RGB24, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 3, -1);
}

/* ---- tests: the card through the system's lifecycle ------------------------------------ */

/* Whether the kernel log has a report of a kernel bug: WARN, BUG, oops, IOMMU fault. */
static bool kernel_log_reports(char *first, size_t size)
{
	static const char * const marks[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "DMAR: DRHD: handling fault",
		"DMAR: [DMA Write", "DMAR: [DMA Read", "list_del corruption", "refcount_t:",
	};
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *log, *line, *save;
	bool found = false;

	if (len <= 0)
		return false;
	log = calloc(1, len + 1);
	if (!log)
		return false;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len);
	for (line = strtok_r(log, "\n", &save); line && !found && len > 0;
	     line = strtok_r(NULL, "\n", &save))
		for (size_t m = 0; m < ARRAY_SIZE(marks); m++)
			if (strstr(line, marks[m])) {
				snprintf(first, size, "%s", line);
				found = true;
				break;
			}
	free(log);
	return found;
}


/*
 * Every channel of card 0 streams the VERIFY pattern at 640x480 into MMAP
 * buffers; an event (a function reset, a PCIe error, a system sleep)
 * happens; then every channel must go on delivering byte-exact frames
 * with increasing sequence numbers, no buffer flagged in error, and every
 * buffer it was given back exactly once: after the last requeue, each
 * channel's queued buffers all come back.
 */
struct lifecycle {
	struct cap caps[DAQCAP_MAX_CHANNELS];
	int n;
	char pci[32];
	unsigned int good_before[DAQCAP_MAX_CHANNELS];
	/* The card's count of channels cut short by a loss of state; -1: no QMP. */
	long long cut0;
	bool log_dirty;		/* the kernel log had a report before the event */
	FIXTURE_DATA(daqcap) *self;
};

/* The model's cut-while-running counter (see the datasheet), or -1 without QMP. */
static long long card_cut_while_running(FIXTURE_DATA(daqcap) *self)
{
	unsigned long long v;

	if (fixture_qmp(self) || qmp_get_u64(&self->qmp, 0, "cut-while-running", &v))
		return -1;
	return (long long)v;
}

#define LC_BUFS		4
#define LC_FRAMES	3

/* Dequeue, check and requeue until every channel has @want more good frames. */
static void lifecycle_run(struct __test_metadata *_metadata, struct lifecycle *lc,
			  unsigned int want, bool requeue)
{
	unsigned int target[DAQCAP_MAX_CHANNELS];
	int remaining = lc->n;

	for (int i = 0; i < lc->n; i++)
		target[i] = lc->caps[i].good + want;
	while (remaining) {
		struct pollfd p[DAQCAP_MAX_CHANNELS];

		for (int i = 0; i < lc->n; i++) {
			bool done = requeue ? lc->caps[i].good >= target[i] : !lc->caps[i].queued;

			p[i].fd = done ? -1 : lc->caps[i].fd;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		ASSERT_LT(0, poll(p, lc->n, DQ_TIMEOUT_MS * 2))
			TH_LOG("no frame from %d streaming channels", remaining);
		remaining = 0;
		for (int i = 0; i < lc->n; i++) {
			struct cap *c = &lc->caps[i];
			struct v4l2_buffer buf;

			if (p[i].revents & (POLLIN | POLLERR)) {
				ASSERT_EQ(0, cap_dq(c, &buf, DQ_TIMEOUT_MS))
					TH_LOG("ch%d: DQBUF after the event", i);
				ASSERT_TRUE(cap_check(_metadata, c, &buf))
					TH_LOG("ch%d: buffer seq %u flagged in error", i,
					       buf.sequence);
				if (requeue)
					cap_qbuf(_metadata, c, buf.index);
			}
			if (requeue ? c->good < target[i] : c->queued != 0)
				remaining++;
		}
	}
}

static void lifecycle_start(struct __test_metadata *_metadata,
			    FIXTURE_DATA(daqcap) *self, struct lifecycle *lc)
{
	memset(lc, 0, sizeof(*lc));
	for (int i = 0; i < self->nnodes && lc->n < DAQCAP_MAX_CHANNELS; i++) {
		const struct dnode *nd = &self->nodes[i];
		int fd;

		if (nd->card != 0)
			continue;
		snprintf(lc->pci, sizeof(lc->pci), "%s", nd->pci);
		fd = chan_fd(_metadata, self, 0, nd->chan);
		set_size(_metadata, fd, 640, 480);
		cap_prepare(_metadata, &lc->caps[lc->n], fd, nd,
			    formats[(lc->n * 3) % NFORMATS].fourcc, 0, DAQCAP_PATTERN_VERIFY);
		cap_alloc(_metadata, &lc->caps[lc->n], V4L2_MEMORY_MMAP, LC_BUFS, 0, NULL);
		lc->n++;
	}
	ASSERT_LT(0, lc->n);
	for (int i = 0; i < lc->n; i++)
		cap_on(_metadata, &lc->caps[i]);
	lifecycle_run(_metadata, lc, LC_FRAMES, true);
	for (int i = 0; i < lc->n; i++) {
		lc->good_before[i] = lc->caps[i].good;
		/* The card's counters restart with its reset: no drop accounting. */
		lc->caps[i].hw_drops0 = -1;
		lc->caps[i].resync = true;
	}
	lc->self = self;
	lc->cut0 = card_cut_while_running(self);
	{
		char report[512];

		lc->log_dirty = kernel_log_reports(report, sizeof(report));
	}
}

/*
 * After the event: frames again, every buffer back, then stop. The card
 * was reset, so its numbering restarted and the frames after the event
 * match the pattern at a new offset from the buffers' sequence: exactly
 * one jump, forward (cap_check() sees the sequence increase).
 */
static void lifecycle_finish(struct __test_metadata *_metadata, struct lifecycle *lc,
			     const char *event)
{
	uint64_t t_back = now_ns();

	lifecycle_run(_metadata, lc, LC_FRAMES, true);
	/* No more requeues: every buffer the driver holds must come back. */
	lifecycle_run(_metadata, lc, 0, false);
	/* No WARN, BUG or IOMMU fault came with the event. */
	if (!lc->log_dirty) {
		char report[512] = "";

		EXPECT_FALSE(kernel_log_reports(report, sizeof(report)))
			TH_LOG("%s: %s", event, report);
	}
	/* The driver stopped every channel before the card lost its state. */
	if (lc->cut0 >= 0)
		EXPECT_EQ(lc->cut0, card_cut_while_running(lc->self))
			TH_LOG("%s: the card was reset or put in D3hot with channels running",
			       event);
	for (int i = 0; i < lc->n; i++) {
		struct cap *c = &lc->caps[i];

		EXPECT_EQ(1, c->resyncs)
			TH_LOG("%s: the frames' numbering restarted %u times: was the card reset?",
			       c->node->path, c->resyncs);
		ksft_print_msg("daqcap: %s: %s: %u frames before, %u after; gap %u; all %u buffers back; first new frame %llu ms after\n",
			       event, c->node->path, lc->good_before[i], c->good - lc->good_before[i],
			       c->resync_gap, c->nbufs,
			       c->resyncs ? (unsigned long long)(c->resync_ns - t_back) / 1000000 : 0);
		cap_off(_metadata, c);
		cap_free(c);
	}
}

static long long lifecycle_counter(const char *pci, const char *key)
{
	return dbg_file_counter(pci, "lifecycle", key);
}

/* Wait up to @ms for a lifecycle counter to reach @want. */
static long long wait_lifecycle(const char *pci, const char *key, long long want,
				unsigned int ms)
{
	long long v = -1;

	for (unsigned int t = 0; t <= ms; t += 100) {
		v = lifecycle_counter(pci, key);
		if (v >= want)
			break;
		sleep_ms(100);
	}
	return v;
}

/* A function reset through sysfs while every channel streams. */
TEST_F_TIMEOUT(daqcap, function_reset_while_streaming, 180)
{
	struct lifecycle lc;
	char path[96];
	long long resets;

	lifecycle_start(_metadata, self, &lc);
	resets = lifecycle_counter(lc.pci, "resets");
	ASSERT_LE(0, resets) TH_LOG("no lifecycle counters in debugfs");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", lc.pci);
	ASSERT_EQ(0, write_sysfs(path, "1")) TH_LOG("%s", path);
	EXPECT_EQ(resets + 1, lifecycle_counter(lc.pci, "resets"));
	lifecycle_finish(_metadata, &lc, "function reset");
}

/*
 * The card is lost: every stream ends in error (what was finished before
 * may still be dequeued), poll() says so, QBUF fails, and so does a new
 * STREAMON, at once instead of waiting for frames that never come.
 */
static void lifecycle_expect_lost(struct __test_metadata *_metadata, struct lifecycle *lc)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	char report[512] = "";

	for (int i = 0; i < lc->n; i++) {
		struct cap *c = &lc->caps[i];
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		struct v4l2_buffer buf;
		int r;

		do {
			r = cap_dq(c, &buf, 2000);
		} while (r == 0);
		EXPECT_EQ(-EIO, r) TH_LOG("%s: DQBUF: %s", c->node->path, strerror(-r));
		EXPECT_EQ(1, poll(&p, 1, 0));
		EXPECT_TRUE(p.revents & POLLERR);
		EXPECT_EQ(-EIO, cap_requeue(_metadata, c, (buf.index + 1) % c->nbufs));
		c->hw_drops0 = -1;
		cap_off(_metadata, c);
		for (unsigned int b = 0; b < c->nbufs; b++)
			cap_qbuf(_metadata, c, b);
		EXPECT_EQ(-EIO, xioctl(c->fd, VIDIOC_STREAMON, &type));
		cap_free(c);
	}
	EXPECT_FALSE(kernel_log_reports(report, sizeof(report))) TH_LOG("%s", report);
}

/*
 * The slot holds another card after a reset (the model's "replace" fault:
 * its VERSION differs): the driver must not program it as the old one.
 * Every stream ends in error, STREAMON fails, nothing hangs (tests/driver/run
 * runs this in a VM of its own: the card stays lost until a rebind).
 */
TEST_F_TIMEOUT(daqcap, another_card_after_reset_ends_streams, 120)
{
	struct lifecycle lc;
	long long lost;
	char path[96];

	NEED_QMP();
	lifecycle_start(_metadata, self, &lc);
	lost = lifecycle_counter(lc.pci, "lost");
	ASSERT_EQ(0, inject(self, 0, "replace", 0));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", lc.pci);
	ASSERT_EQ(0, write_sysfs(path, "1"));
	EXPECT_EQ(lost + 1, lifecycle_counter(lc.pci, "lost"));
	lifecycle_expect_lost(_metadata, &lc);
}

/* A PCIe error injected at the card (QEMU's AER injector) while all stream. */
static void aer_while_streaming(struct __test_metadata *_metadata,
				FIXTURE_DATA(daqcap) *self, const char *error)
{
	char cmd[256], reply[4096];
	struct lifecycle lc;
	long long rec, errs;

	NEED_QMP();
	lifecycle_start(_metadata, self, &lc);
	rec = lifecycle_counter(lc.pci, "recoveries");
	errs = lifecycle_counter(lc.pci, "pci_errors");
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"pcie_aer_inject_error daqcap0 %s\"}",
		 error);
	ASSERT_EQ(0, qmp_exec(&self->qmp, cmd, reply, sizeof(reply))) TH_LOG("%s: %s", cmd, reply);
	ASSERT_EQ(NULL, strstr(reply, "rror")) TH_LOG("%s", reply);
	EXPECT_LE(errs + 1, wait_lifecycle(lc.pci, "pci_errors", errs + 1, 20000))
		TH_LOG("the driver never heard of the error (is AER native in the guest?)");
	EXPECT_LE(rec + 1, wait_lifecycle(lc.pci, "recoveries", rec + 1, 20000));
	lifecycle_finish(_metadata, &lc, error);
}

TEST_F_TIMEOUT(daqcap, aer_nonfatal_while_streaming, 180)
{
	aer_while_streaming(_metadata, self, "POISON_TLP");
}

TEST_F_TIMEOUT(daqcap, aer_fatal_while_streaming, 180)
{
	aer_while_streaming(_metadata, self, "MALF_TLP");
}

/*
 * A fatal error the platform cannot recover from: Linux resets the link,
 * the link does not come back, and the PCI core gives up without telling
 * the driver. The streams must end in error (DQBUF -EIO, POLLERR), never
 * hang, and closing everything must work. Run where recovery fails: QEMU
 * 7.2's pcie-root-port at its default speed does not report the link
 * active after a secondary bus reset (tests/driver/run runs this test in
 * a VM of its own: the card stays lost).
 */
TEST_F_TIMEOUT(daqcap, aer_unrecovered_ends_streams_in_error, 180)
{
	char cmd[256], reply[4096];
	struct lifecycle lc;
	long long lost;

	NEED_QMP();
	lifecycle_start(_metadata, self, &lc);
	lost = lifecycle_counter(lc.pci, "lost");
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"pcie_aer_inject_error daqcap0 MALF_TLP\"}");
	ASSERT_EQ(0, qmp_exec(&self->qmp, cmd, reply, sizeof(reply))) TH_LOG("%s", reply);
	ASSERT_LE(lost + 1, wait_lifecycle(lc.pci, "lost", lost + 1, 90000))
		TH_LOG("the driver did not give the card up (did the recovery succeed here?)");
	lifecycle_expect_lost(_metadata, &lc);
}

/* ---- runtime PM ---- */

static int read_sysfs(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* The card's runtime PM status ("active", "suspended", ...). */
static void rpm_status(const char *pci, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/runtime_status", pci);
	if (read_sysfs(path, buf, size))
		snprintf(buf, size, "?");
}

/* Wait up to @ms for the card to reach runtime PM status @want. */
static bool wait_rpm(const char *pci, const char *want, unsigned int ms)
{
	char st[32];

	for (unsigned int t = 0; t <= ms; t += 20) {
		rpm_status(pci, st, sizeof(st));
		if (!strcmp(st, want))
			return true;
		sleep_ms(20);
	}
	return false;
}

struct rpm_delay {
	char path[128];
	char saved[32];
};

/* A short autosuspend delay for the test, the old one back at the end. */
static int rpm_delay_set(struct rpm_delay *d, const char *pci, const char *ms)
{
	snprintf(d->path, sizeof(d->path), "/sys/bus/pci/devices/%s/power/autosuspend_delay_ms",
		 pci);
	if (read_sysfs(d->path, d->saved, sizeof(d->saved)))
		return -1;
	return write_sysfs(d->path, ms);
}

/*
 * The idle card sleeps in D3hot, and everything that touches it wakes it
 * and finds it restored: the model loses its registers in D3hot, so a
 * test pattern not restored shows in the frames, and a register read of
 * a sleeping card would read all ones (no signal).
 */
TEST_F_TIMEOUT(daqcap, runtime_pm_idle_card_sleeps_and_wakes, 120)
{
	const struct dnode *n = node_of(self, 0, 0);
	struct v4l2_input inp = { .index = 0 };
	struct v4l2_dv_timings t;
	struct rpm_delay delay;
	char path[128], st[32];
	long long resumes0;
	int32_t pattern;
	struct cap c;
	int fd;

	ASSERT_NE(NULL, n);
	ASSERT_EQ(0, rpm_delay_set(&delay, n->pci, "100"));
	fd = chan_fd(_metadata, self, 0, 0);
	set_size(_metadata, fd, 640, 480);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_TEST_PATTERN, DAQCAP_PATTERN_VERIFY));
	resumes0 = lifecycle_counter(n->pci, "runtime_resumes");
	ASSERT_LE(0, resumes0);

	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000)) TH_LOG("the idle card did not suspend");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power_state", n->pci);
	if (!read_sysfs(path, st, sizeof(st)))
		EXPECT_STREQ("D3hot", st);
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_TEST_PATTERN, &pattern));
	EXPECT_EQ(DAQCAP_PATTERN_VERIFY, pattern) TH_LOG("the test pattern was not restored");

	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000));
	ASSERT_EQ(0, query_timings(fd, &t)) TH_LOG("QUERY_DV_TIMINGS on a sleeping card");
	EXPECT_LE(640u, t.bt.width);

	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUMINPUT, &inp));
	EXPECT_EQ(0u, inp.status) TH_LOG("ENUMINPUT on a sleeping card: status 0x%x", inp.status);

	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000));
	ASSERT_LE(0, dbg_register(n->pci, 0, "STATUS")) TH_LOG("debugfs registers");

	/* A stream keeps it awake, and its frames show the restored pattern. */
	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000));
	cap_prepare(_metadata, &c, fd, n, V4L2_PIX_FMT_YUYV, 0, -1);
	EXPECT_EQ(DAQCAP_PATTERN_VERIFY, c.pf.pattern);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 3);
	sleep_ms(400);
	rpm_status(n->pci, st, sizeof(st));
	EXPECT_STREQ("active", st) TH_LOG("the card sleeps while streaming");
	cap_run(_metadata, &c, 3);
	cap_off(_metadata, &c);
	cap_free(&c);
	EXPECT_TRUE(wait_rpm(n->pci, "suspended", 5000)) TH_LOG("no sleep after STREAMOFF");
	EXPECT_LE(resumes0 + 5, lifecycle_counter(n->pci, "runtime_resumes"));
	write_sysfs(delay.path, delay.saved);
}

/*
 * A card in D3hot cannot raise an input change interrupt: a listener
 * keeps the card awake and gets its event at once; a change while the
 * card slept with no listener is found when it wakes (here, for the
 * next subscriber).
 */
TEST_F_TIMEOUT(daqcap, runtime_pm_source_change_reaches_listener, 120)
{
	const struct dnode *n = node_of(self, 0, 0);
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_SOURCE_CHANGE };
	struct rpm_delay delay;
	struct v4l2_event ev;
	char st[32];
	int fd;

	NEED_QMP();
	ASSERT_NE(NULL, n);
	ASSERT_EQ(0, rpm_delay_set(&delay, n->pci, "100"));
	fd = chan_on_input(_metadata, self, 0);
	ASSERT_LE(0, fd);
	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000));

	ASSERT_EQ(0, subscribe_source_change(fd, 0));
	flush_events(fd);
	sleep_ms(500);
	rpm_status(n->pci, st, sizeof(st));
	EXPECT_STREQ("active", st) TH_LOG("the card sleeps with a listener");
	ASSERT_EQ(0, set_input_timings(self, 0, 0, "1280x720p60"));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no event for a listener");
	EXPECT_EQ(0u, ev.id);

	sub.id = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_UNSUBSCRIBE_EVENT, &sub));
	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000)) TH_LOG("no sleep without a listener");
	ASSERT_EQ(0, set_input_timings(self, 0, 0, "1920x1080p60"));
	sleep_ms(200);
	ASSERT_EQ(0, subscribe_source_change(fd, 0));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS))
		TH_LOG("the change made while the card slept was lost");
	EXPECT_EQ(V4L2_EVENT_SOURCE_CHANGE, ev.type);
	EXPECT_EQ(0u, ev.id);
	write_sysfs(delay.path, delay.saved);
}

/*
 * Another card in the slot when the idle card wakes (the model's "replace"
 * fault takes effect on D3hot to D0): the ioctl that woke it returns, and
 * the card is lost, from a context that may wait for the channels' locks
 * (the waking thread holds one). tests/driver/run runs this in a VM of its
 * own: the card stays lost until a rebind.
 */
TEST_F_TIMEOUT(daqcap, runtime_pm_another_card_on_wake, 60)
{
	const struct dnode *n = node_of(self, 0, 0);
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_dv_timings t;
	struct rpm_delay delay;
	struct cap c;
	long long lost;
	int fd;

	NEED_QMP();
	ASSERT_NE(NULL, n);
	ASSERT_EQ(0, rpm_delay_set(&delay, n->pci, "100"));
	fd = chan_fd(_metadata, self, 0, 0);
	lost = lifecycle_counter(n->pci, "lost");
	ASSERT_TRUE(wait_rpm(n->pci, "suspended", 5000));
	ASSERT_EQ(0, inject(self, 0, "replace", 0));
	query_timings(fd, &t);	/* wakes it; whatever it reads, it returns */
	EXPECT_LE(lost + 1, wait_lifecycle(n->pci, "lost", lost + 1, 5000))
		TH_LOG("the driver kept another card as its own");
	cap_prepare(_metadata, &c, fd, n, V4L2_PIX_FMT_GREY, 0, -1);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	EXPECT_EQ(-EIO, xioctl(fd, VIDIOC_STREAMON, &type));
	cap_free(&c);
	write_sysfs(delay.path, delay.saved);
}

/* ---- surprise removal ---- */

struct blocked_dq {
	int fd;
	int err;	/* what the blocking DQBUF ended with */
	unsigned int frames;
};

/* An application blocked in DQBUF (a blocking file handle). */
static void *blocked_dq_thread(void *arg)
{
	struct blocked_dq *b = arg;

	fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) & ~O_NONBLOCK);
	for (;;) {
		struct v4l2_buffer buf = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};

		if (ioctl(b->fd, VIDIOC_DQBUF, &buf)) {
			b->err = errno;
			return NULL;
		}
		b->frames++;
		if (ioctl(b->fd, VIDIOC_QBUF, &buf)) {
			b->err = errno;
			return NULL;
		}
	}
}

struct debugfs_reader {
	char path[128];
	volatile bool stop;
	unsigned int reads;
};

/* Someone reading the card's debugfs files over and over. */
static void *debugfs_reader_thread(void *arg)
{
	struct debugfs_reader *r = arg;
	char buf[4096];

	while (!r->stop) {
		int fd = open(r->path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			sleep_ms(5);
			continue;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		r->reads++;
	}
	return NULL;
}

static bool pci_present(const char *pci)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", pci);
	return access(path, F_OK) == 0;
}

/*
 * The card pulled out (QMP device_del: the guest's pciehp removes it) while
 * every channel streams, one application blocks in DQBUF, another holds
 * the media device open and a third reads debugfs: no kernel report, the
 * DQBUF returns an error, every close frees its state, and device_add
 * brings back a card that captures at the same PCI address.
 */
TEST_F_TIMEOUT(daqcap, surprise_removal_while_streaming, 180)
{
	char reply[4096], report[512] = "";
	struct debugfs_reader reader = { 0 };
	struct blocked_dq blocked = { 0 };
	pthread_t t_dq, t_dbg;
	struct lifecycle lc;
	struct v4l2_buffer buf;
	int mfd, fd, i;

	NEED_QMP();
	ASSERT_FALSE(kernel_log_reports(report, sizeof(report))) TH_LOG("before: %s", report);
	lifecycle_start(_metadata, self, &lc);
	mfd = find_media(lc.pci);
	ASSERT_LE(0, mfd);
	snprintf(reader.path, sizeof(reader.path), "/sys/kernel/debug/daqcap/%s/ch1", lc.pci);
	blocked.fd = lc.caps[0].fd;
	ASSERT_EQ(0, pthread_create(&t_dq, NULL, blocked_dq_thread, &blocked));
	ASSERT_EQ(0, pthread_create(&t_dbg, NULL, debugfs_reader_thread, &reader));
	sleep_ms(300);

	ASSERT_EQ(0, qmp_exec(&self->qmp,
			      "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"daqcap0\"}",
			      reply, sizeof(reply))) TH_LOG("%s", reply);
	for (i = 0; i < 300 && pci_present(lc.pci); i++)
		sleep_ms(100);
	ASSERT_FALSE(pci_present(lc.pci)) TH_LOG("the card is still there 30 s after device_del");

	pthread_join(t_dq, NULL);
	/*
	 * Woken by the unregistration's STREAMOFF, vb2 answers EINVAL
	 * ("streaming off"); a call made after it, ENODEV.
	 */
	EXPECT_TRUE(blocked.err == ENODEV || blocked.err == EIO || blocked.err == EINVAL)
		TH_LOG("the blocked DQBUF ended with %s", strerror(blocked.err));
	reader.stop = true;
	pthread_join(t_dbg, NULL);
	for (i = 1; i < lc.n; i++)
		EXPECT_EQ(-ENODEV, cap_dq(&lc.caps[i], &buf, 1000));
	EXPECT_NE(0, xioctl(mfd, MEDIA_IOC_DEVICE_INFO, &(struct media_device_info){ 0 }));
	close(mfd);
	for (i = 0; i < lc.n; i++) {
		lc.caps[i].streaming = false;
		lc.caps[i].node = NULL;
		cap_free(&lc.caps[i]);
	}
	for (i = 0; i < MAX_NODES; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
		self->fds[i] = -1;
	}
	EXPECT_FALSE(kernel_log_reports(report, sizeof(report))) TH_LOG("after removal: %s", report);
	ksft_print_msg("daqcap: surprise removal: blocked DQBUF returned %s after %u frames; %u debugfs reads\n",
		       strerror(blocked.err), blocked.frames, reader.reads);

	ASSERT_EQ(0, qmp_exec(&self->qmp,
			      "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"daqcap\",\"id\":\"daqcap0\",\"bus\":\"rp0\"}",
			      reply, sizeof(reply))) TH_LOG("%s", reply);
	for (i = 0; i < 300; i++) {
		self->nnodes = find_nodes(self->nodes, MAX_NODES, &self->ncards);
		if (self->nnodes >= lc.n && pci_present(lc.pci))
			break;
		sleep_ms(100);
	}
	ASSERT_LE(lc.n, self->nnodes) TH_LOG("the card did not come back after device_add");
	EXPECT_STREQ(lc.pci, self->nodes[0].pci);
	memset(self->touched, 0, sizeof(self->touched));
	fd = chan_fd(_metadata, self, 0, 0);
	set_size(_metadata, fd, 640, 480);
	capture(_metadata, fd, node_of(self, 0, 0), V4L2_PIX_FMT_YUYV, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 3, -1);
	EXPECT_FALSE(kernel_log_reports(report, sizeof(report))) TH_LOG("after device_add: %s", report);
}

/* ---- DMA that will not stop ---- */

/* How many lines of the kernel log contain @needle. */
static int kernel_log_count(const char *needle)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *log, *p;

	if (len <= 0)
		return -1;
	log = calloc(1, len + 1);
	if (!log)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len);
	for (p = log; len > 0 && (p = strstr(p, needle)); p++)
		n++;
	free(log);
	return n;
}

/* Stream @c on channel @ch, then wedge the channel: nothing more comes. */
static void wedge_stream(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
			 struct cap *c, unsigned int ch)
{
	struct v4l2_buffer buf;

	fault_stream(_metadata, self, c, ch, NBUFS);
	ASSERT_EQ(0, inject(self, 0, "wedge", ch));
	while (!cap_dq(c, &buf, 500)) {
		cap_check(_metadata, c, &buf);
		cap_qbuf(_metadata, c, buf.index);
	}
}

/*
 * A channel whose DMA does not stop and which ignores its own reset (the
 * model's "wedge"), alone on the card: STREAMOFF must not free what the
 * channel may still write on the strength of a reset it wrote; the driver
 * resets the whole card, gives it back its test patterns, and everything
 * works afterwards.
 */
TEST_F_TIMEOUT(daqcap, wedged_channel_stopped_by_a_card_reset, 120)
{
	const unsigned int ch = 3;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int other, msgs, pattern;
	long long s0;
	struct cap c;

	NEED_QMP();
	other = chan_on_input(_metadata, self, 0);
	ASSERT_EQ(0, set_ctrl(other, V4L2_CID_TEST_PATTERN, DAQCAP_PATTERN_VERIFY));
	s0 = dbg_counter(node_of(self, 0, ch)->pci, ch, "stop_resets");
	msgs = kernel_log_count("stopped by a reset of the whole card");
	wedge_stream(_metadata, self, &c, ch);
	ASSERT_EQ(0, xioctl(c.fd, VIDIOC_STREAMOFF, &type));
	c.streaming = false;
	EXPECT_EQ(s0 + 1, dbg_counter(c.node->pci, ch, "stop_resets"));
	EXPECT_EQ(msgs + 1, kernel_log_count("stopped by a reset of the whole card"))
		TH_LOG("the card was not reset to stop the wedged channel");
	EXPECT_EQ(0, lifecycle_counter(c.node->pci, "lost"));
	/* The card reset forgot the other input's pattern; the driver did not. */
	ASSERT_EQ(0, get_ctrl(other, V4L2_CID_TEST_PATTERN, &pattern));
	EXPECT_EQ(DAQCAP_PATTERN_VERIFY, pattern);
	for (unsigned int i = 0; i < c.nbufs; i++)
		cap_qbuf(_metadata, &c, i);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 3);
	cap_off(_metadata, &c);
	cap_free(&c);
	set_size(_metadata, other, 640, 480);
	capture(_metadata, other, node_of(self, 0, 0), V4L2_PIX_FMT_YUYV, 0, -1,
		V4L2_MEMORY_MMAP, 3, -1);
}

/*
 * The same with another channel streaming: a card reset would stop that
 * one silently, so the driver takes bus mastering away instead, and both
 * streams end in error; the card is lost until the driver is bound again
 * (tests/driver/run runs this in a VM of its own).
 */
TEST_F_TIMEOUT(daqcap, wedged_channel_beside_another_cuts_the_bus, 120)
{
	const unsigned int ch = 3;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer buf;
	char report[512] = "";
	struct cap c, o;
	int fd, r;

	NEED_QMP();
	fd = chan_fd(_metadata, self, 0, 1);
	set_size(_metadata, fd, 640, 480);
	cap_prepare(_metadata, &o, fd, node_of(self, 0, 1), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &o, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &o);
	cap_run(_metadata, &o, 2);
	wedge_stream(_metadata, self, &c, ch);
	ASSERT_EQ(0, xioctl(c.fd, VIDIOC_STREAMOFF, &type));
	c.streaming = false;
	EXPECT_EQ(1, kernel_log_count("bus mastering disabled, the card is lost"));
	/* The other stream ends in error, without waiting for a timeout. */
	do {
		r = cap_dq(&o, &buf, 2000);
	} while (r == 0);
	EXPECT_EQ(-EIO, r) TH_LOG("the other stream: %s", strerror(-r));
	/* A lost card starts nothing: STREAMON fails once the buffers are in. */
	for (unsigned int i = 0; i < c.nbufs; i++)
		cap_qbuf(_metadata, &c, i);
	EXPECT_EQ(-EIO, xioctl(c.fd, VIDIOC_STREAMON, &type));
	o.hw_drops0 = -1;
	cap_off(_metadata, &o);
	cap_free(&o);
	cap_free(&c);
	EXPECT_FALSE(kernel_log_reports(report, sizeof(report))) TH_LOG("%s", report);
}

/* ---- system sleep (needs a guest whose root survives it: daqcap-vm --ram-root) ---- */

static bool root_survives_sleep(void)
{
	char line[512];
	bool ok = true;
	FILE *f = fopen("/proc/mounts", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char dev[128], dir[256], type[64];

		if (sscanf(line, "%127s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "9p"))
			ok = false;
	}
	fclose(f);
	return ok;
}

static bool sysfs_offers(const char *path, const char *word)
{
	char buf[256], *tok, *save;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word) || (tok[0] == '[' && !strncmp(tok + 1, word, strlen(word)) &&
					   tok[strlen(word) + 1] == ']'))
			return true;
	return false;
}

/*
 * Sleep as `rtcwake -m STATE -s 3` does: an RTC alarm, then the state.
 * pm_test, if not NULL, stops the sleep at that stage instead.
 */
static void system_sleep(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
			 const char *state, const char *mem_sleep, const char *pm_test)
{
	struct lifecycle lc;
	long long resumes;
	int r;

	if (!root_survives_sleep())
		SKIP(return, "the root is on virtio-9p, which does not survive a system sleep: run under utils/daqcap-vm --ram-root");
	if (!sysfs_offers("/sys/power/state", state))
		SKIP(return, "this machine offers no '%s' in /sys/power/state", state);
	if (mem_sleep && !sysfs_offers("/sys/power/mem_sleep", mem_sleep))
		SKIP(return, "this machine offers no '%s' in /sys/power/mem_sleep", mem_sleep);
	lifecycle_start(_metadata, self, &lc);
	resumes = lifecycle_counter(lc.pci, "resumes");
	if (mem_sleep)
		ASSERT_EQ(0, write_sysfs("/sys/power/mem_sleep", mem_sleep));
	if (pm_test) {
		ASSERT_EQ(0, write_sysfs("/sys/power/pm_test", pm_test));
	} else {
		ASSERT_EQ(0, write_sysfs("/sys/class/rtc/rtc0/wakealarm", "0"));
		ASSERT_EQ(0, write_sysfs("/sys/class/rtc/rtc0/wakealarm", "+3"));
	}
	r = write_sysfs("/sys/power/state", state);
	if (pm_test)
		write_sysfs("/sys/power/pm_test", "none");
	ASSERT_EQ(0, r) TH_LOG("echo %s > /sys/power/state: %s", state, strerror(-r));
	EXPECT_EQ(resumes + 1, lifecycle_counter(lc.pci, "resumes"));
	lifecycle_finish(_metadata, &lc, pm_test ? "pm_test=devices" : state);
}

TEST_F_TIMEOUT(daqcap, system_sleep_pm_test_devices, 180)
{
	system_sleep(_metadata, self, "mem", NULL, "devices");
}

TEST_F_TIMEOUT(daqcap, system_sleep_s2idle, 180)
{
	system_sleep(_metadata, self, "freeze", NULL, NULL);
}

TEST_F_TIMEOUT(daqcap, system_sleep_s3, 180)
{
	system_sleep(_metadata, self, "mem", "deep", NULL);
}

TEST_HARNESS_MAIN
