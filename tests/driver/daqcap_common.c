// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_common.c: the helpers the daqcap driver's test programs share
 * (declared, and the suite described, in daqcap_common.h).
 */

/*
 * kselftest_harness.h is made for a program of one file: besides its
 * macros (ASSERT_*, EXPECT_*, TH_LOG, SKIP) and struct __test_metadata,
 * which the helpers here use as the tests do, it defines the test runner,
 * partly with external linkage (_fixture_global, __active_test,
 * __wait_for_test(), __run_test()), which every test program has already.
 * Here those get names of their own, and the runner's static functions go
 * unused.
 */
#define _fixture_global	daqcap_common_unused_fixture_global
#define __active_test	daqcap_common_unused_active_test
#define __wait_for_test	daqcap_common_unused_wait_for_test
#define __run_test	daqcap_common_unused_run_test
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "daqcap_common.h"
#pragma GCC diagnostic pop
#undef _fixture_global
#undef __active_test
#undef __wait_for_test
#undef __run_test

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

/* Each program prints its own line: tests/driver/run adds them up. */
static void __attribute__((destructor)) suite_fini(void)
{
	if (getpid() != main_pid || !stats)
		return;
	printf("# daqcap: frames verified: %lu (%llu bytes), error frames seen: %lu\n",
	       stats->frames_verified, stats->bytes_verified,
	       stats->error_frames);
}

void count_frame(size_t bytes)
{
	if (!stats)
		return;
	__atomic_fetch_add(&stats->frames_verified, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats->bytes_verified, bytes, __ATOMIC_RELAXED);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* ---- formats -------------------------------------------------------------- */

const struct fmtinfo formats[] = {
	{ V4L2_PIX_FMT_YUYV, DAQCAP_FMT_YUYV, 2, "YUYV" },
	{ V4L2_PIX_FMT_UYVY, DAQCAP_FMT_UYVY, 2, "UYVY" },
	{ V4L2_PIX_FMT_RGB24, DAQCAP_FMT_RGB24, 3, "RGB24" },
	{ V4L2_PIX_FMT_BGR24, DAQCAP_FMT_BGR24, 3, "BGR24" },
	{ V4L2_PIX_FMT_XBGR32, DAQCAP_FMT_XBGR32, 4, "XBGR32" },
	{ V4L2_PIX_FMT_GREY, DAQCAP_FMT_GREY, 1, "GREY" },
	{ V4L2_PIX_FMT_Y16, DAQCAP_FMT_Y16, 2, "Y16" },
	{ V4L2_PIX_FMT_NV12, DAQCAP_FMT_NV12, 1, "NV12" },
	{ V4L2_PIX_FMT_NV16, DAQCAP_FMT_NV16, 1, "NV16" },
};
const int nformats = (int)ARRAY_SIZE(formats);

const struct fmtinfo *fmt_by_fourcc(uint32_t fourcc)
{
	for (int i = 0; i < NFORMATS; i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

/* ---- debugfs -------------------------------------------------------------- */

/* A counter of <debugfs>/daqcap/<pci>/ch<N>, or -1. */
long long dbg_file_counter(const char *pci, const char *file, const char *key)
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

long long dbg_counter(const char *pci, unsigned int chan, const char *key)
{
	char file[16];

	snprintf(file, sizeof(file), "ch%u", chan);
	return dbg_file_counter(pci, file, key);
}

/* A register of channel @chan in <debugfs>/daqcap/<pci>/registers, or -1. */
long long dbg_register(const char *pci, unsigned int chan, const char *name)
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
int qmp_exec(struct qmp *q, const char *cmd, char *reply, size_t size)
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

int qmp_connect(struct qmp *q)
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

int qmp_set(struct qmp *q, int card, const char *prop, const char *json_value,
	    char *reply, size_t size)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"/machine/peripheral/daqcap%d\", \"property\": \"%s\", \"value\": %s}",
		 card, prop, json_value);
	return qmp_exec(q, cmd, reply, size);
}

int qmp_get(struct qmp *q, int card, const char *prop, char *value, size_t size)
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

int qmp_get_u64(struct qmp *q, int card, const char *prop, unsigned long long *v)
{
	char s[64], *end;
	int r = qmp_get(q, card, prop, s, sizeof(s));

	if (r)
		return r;
	*v = strtoull(s, &end, 10);
	return end == s ? -EPROTO : 0;
}

/* ---- the fixture ------------------------------------------------------------ */

static int dnode_cmp(const void *a, const void *b)
{
	const struct dnode *x = a, *y = b;
	int c = strcmp(x->pci, y->pci);

	return c ? c : (int)x->chan - (int)y->chan;
}

/* Whether $DAQCAP_TEST_CARDS, when set, lists the card at PCI address pci. */
static bool card_selected(const char *pci)
{
	const char *list = getenv("DAQCAP_TEST_CARDS");
	size_t len = strlen(pci);

	if (!list || !*list)
		return true;
	for (const char *p = list; *p; p += strcspn(p, ",")) {
		p += strspn(p, ",");
		if (!strncmp(p, pci, len) && (p[len] == ',' || !p[len]))
			return true;
	}
	return false;
}

/*
 * Every daqcap video node of the selected cards (card_selected()), sorted
 * by card then channel; returns the count.
 */
int find_nodes(struct dnode *nodes, int max, int *ncards)
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
			   nodes[n].pci) == 2 && card_selected(nodes[n].pci)) {
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

int node_index(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan)
{
	for (int i = 0; i < self->nnodes; i++)
		if (self->nodes[i].card == card && self->nodes[i].chan == chan)
			return i;
	return -1;
}

/* The body of every program's FIXTURE_SETUP(daqcap). */
void daqcap_fixture_setup(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self)
{
	self->t_setup = now_ns();
	self->nnodes = find_nodes(self->nodes, MAX_NODES, &self->ncards);
	for (int i = 0; i < MAX_NODES; i++)
		self->fds[i] = -1;
	self->qmp.fd = -1;
	if (!self->nnodes)
		SKIP(return, "no daqcap video node (is the module loaded, a card present?)");
}

int open_node(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan)
{
	int i = node_index(self, card, chan);

	if (i < 0)
		return -1;
	self->touched[i] = true;
	return open(self->nodes[i].path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

/* The fixture's file handle of a channel (opened once). */
int chan_fd(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
	    int card, unsigned int chan)
{
	int i = node_index(self, card, chan);

	ASSERT_LE(0, i) TH_LOG("no node for card %d channel %u", card, chan);
	if (self->fds[i] < 0)
		self->fds[i] = open_node(self, card, chan);
	ASSERT_LE(0, self->fds[i]) TH_LOG("open %s: %m", self->nodes[i].path);
	return self->fds[i];
}

const struct dnode *node_of(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan)
{
	int i = node_index(self, card, chan);

	return i < 0 ? NULL : &self->nodes[i];
}

int fixture_qmp(FIXTURE_DATA(daqcap) *self)
{
	if (!self->qmp_state) {
		int r = qmp_connect(&self->qmp);

		self->qmp_state = r ? r : 1;
	}
	return self->qmp_state == 1 ? 0 : self->qmp_state;
}

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
int set_input_timings(FIXTURE_DATA(daqcap) *self, int card, unsigned int input,
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

int set_input_signal(FIXTURE_DATA(daqcap) *self, int card, unsigned int input,
		     bool on)
{
	struct input_restore *r = restore_slot(self, card, input);
	char prop[32];

	if (r)
		r->signal_changed = true;
	snprintf(prop, sizeof(prop), "input%u-signal", input);
	return qmp_set(&self->qmp, card, prop, on ? "true" : "false", NULL, 0);
}

int inject(FIXTURE_DATA(daqcap) *self, int card, const char *fault, unsigned int chan)
{
	char val[64], reply[512];
	int r;

	snprintf(val, sizeof(val), "\"%s:%u\"", fault, chan);
	r = qmp_set(&self->qmp, card, "inject", val, reply, sizeof(reply));
	return r;
}

long long card_stat(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan,
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
void reset_channel(int fd, unsigned int chan, unsigned int ninputs)
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
	c.id = V4L2_CID_DAQCAP_TIMESTAMP_SOURCE;
	c.value = DAQCAP_TIMESTAMP_END_OF_FRAME;
	xioctl(fd, VIDIOC_S_CTRL, &c);
	set_crop(fd, NULL);
}

/* Set the crop window, @r or the default one; return S_SELECTION's result. */
int set_crop(int fd, struct v4l2_rect *r)
{
	struct v4l2_selection sel = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.target = V4L2_SEL_TGT_CROP_DEFAULT,
	};
	int ret;

	if (!r && xioctl(fd, VIDIOC_G_SELECTION, &sel))
		return -1;
	if (r)
		sel.r = *r;
	sel.target = V4L2_SEL_TGT_CROP;
	ret = xioctl(fd, VIDIOC_S_SELECTION, &sel);
	if (!ret && r)
		*r = sel.r;
	return ret;
}

/* Read a selection target's rectangle; return G_SELECTION's result. */
int get_selection(int fd, uint32_t target, struct v4l2_rect *r)
{
	struct v4l2_selection sel = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.target = target,
	};
	int ret = xioctl(fd, VIDIOC_G_SELECTION, &sel);

	if (!ret)
		*r = sel.r;
	return ret;
}

unsigned int count_inputs(int fd)
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

/* The body of every program's FIXTURE_TEARDOWN(daqcap). */
void daqcap_fixture_teardown(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self)
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

int set_ctrl(int fd, uint32_t id, int32_t value)
{
	struct v4l2_control c = { .id = id, .value = value };

	return xioctl(fd, VIDIOC_S_CTRL, &c);
}

int get_ctrl(int fd, uint32_t id, int32_t *value)
{
	struct v4l2_control c = { .id = id };
	int r = xioctl(fd, VIDIOC_G_CTRL, &c);

	if (!r)
		*value = c.value;
	return r;
}

int get_fmt(int fd, struct v4l2_pix_format *pix)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int r = xioctl(fd, VIDIOC_G_FMT, &f);

	if (!r)
		*pix = f.fmt.pix;
	return r;
}

int set_fmt(int fd, uint32_t fourcc, uint32_t bpl, struct v4l2_pix_format *pix)
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

unsigned int get_input(int fd)
{
	unsigned int in = ~0u;

	xioctl(fd, VIDIOC_G_INPUT, &in);
	return in;
}

int query_timings(int fd, struct v4l2_dv_timings *t)
{
	memset(t, 0, sizeof(*t));
	return xioctl(fd, VIDIOC_QUERY_DV_TIMINGS, t);
}

/* The enumerated CEA timings of a size and rate (0: any rate), or -ENOENT. */
int find_timings(int fd, uint32_t w, uint32_t h, unsigned int hz,
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
uint64_t frame_period_ps(const struct v4l2_bt_timings *bt)
{
	unsigned __int128 tot = (unsigned __int128)V4L2_DV_BT_FRAME_WIDTH(bt) *
				V4L2_DV_BT_FRAME_HEIGHT(bt) * 1000000000000ull;

	return bt->pixelclock ? (uint64_t)(tot / bt->pixelclock) : 0;
}

int subscribe_source_change(int fd, uint32_t id)
{
	struct v4l2_event_subscription sub = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.id = id,
	};

	return xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
}

/* Wait for an event; 0 with *ev filled, -ETIMEDOUT, or -errno. */
int wait_event(int fd, struct v4l2_event *ev, int timeout_ms)
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
void flush_events(int fd)
{
	struct v4l2_event ev;

	while (!xioctl(fd, VIDIOC_DQEVENT, &ev))
		;
}

/* ---- capture ------------------------------------------------------------------ */

/* The sequence of a VERIFY frame from its first word, searching forward. */
bool find_sequence(uint32_t input, const uint8_t *line0, uint32_t from,
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

/* Describe what the channel will send: format and pattern. */
void cap_prepare(struct __test_metadata *_metadata, struct cap *c, int fd,
		 const struct dnode *node, uint32_t fourcc, uint32_t bpl,
		 int pattern)
{
	const struct fmtinfo *fi = fmt_by_fourcc(fourcc);
	struct v4l2_rect crop, bounds;

	ASSERT_NE(NULL, fi);
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->node = node;
	c->canary = -1;
	c->tstamp_src = V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
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
	/*
	 * A window smaller than the frame is cut from the source's frame,
	 * drawn at its size: the timings', as the tests set them.
	 */
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &crop));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP_BOUNDS, &bounds));
	ASSERT_EQ(crop.width, c->pix.width);
	ASSERT_EQ(crop.height, c->pix.height);
	if (memcmp(&crop, &bounds, sizeof(crop))) {
		c->pf.width = bounds.width;
		c->pf.height = bounds.height;
		c->pf.crop = (struct daqcap_pattern_window){
			.left = crop.left, .top = crop.top,
			.width = crop.width, .height = crop.height,
		};
	}
	c->line_bytes = daqcap_pattern_line_bytes(fi->code, c->pix.width);
	c->rows = daqcap_pattern_rows(fi->code, c->pix.height);
	ASSERT_EQ((size_t)c->pix.width * fi->bpp, c->line_bytes);
	ASSERT_LE(c->line_bytes, c->pix.bytesperline);
	ASSERT_EQ((uint64_t)c->pix.bytesperline * c->rows, c->pix.sizeimage);
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

void cap_qbuf(struct __test_metadata *_metadata, struct cap *c, unsigned int i)
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
int cap_requeue(struct __test_metadata *_metadata, struct cap *c, unsigned int i)
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
void cap_alloc(struct __test_metadata *_metadata, struct cap *c,
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
void cap_rotate_requeue(struct __test_metadata *_metadata, struct cap *c)
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

void cap_on(struct __test_metadata *_metadata, struct cap *c)
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
int cap_dq(struct cap *c, struct v4l2_buffer *buf, int timeout_ms)
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
void check_frame(struct __test_metadata *_metadata, const struct cap *c,
		 const uint8_t *data, size_t len, uint32_t seq, uint32_t skip_first,
		 uint32_t skip_lines)
{
	struct daqcap_pattern_frame f = c->pf;
	uint32_t bpl = c->pix.bytesperline;
	size_t lb = c->line_bytes;

	f.sequence = seq;
	for (uint32_t y = 0; y < c->rows; y++) {
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
bool frame_matches(const struct cap *c, const uint8_t *data, uint32_t seq,
		   uint32_t pattern)
{
	struct daqcap_pattern_frame f = c->pf;

	f.sequence = seq;
	f.pattern = pattern;
	for (uint32_t y = 0; y < c->rows; y++)
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
bool cap_check(struct __test_metadata *_metadata, struct cap *c,
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
	ASSERT_EQ(c->tstamp_src, buf->flags & V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
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
void cap_run(struct __test_metadata *_metadata, struct cap *c, unsigned int n)
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
void cap_off(struct __test_metadata *_metadata, struct cap *c)
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

void cap_free(struct cap *c)
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
void capture(struct __test_metadata *_metadata, int fd, const struct dnode *node,
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
void set_size(struct __test_metadata *_metadata, int fd, uint32_t w, uint32_t h)
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
int chan_with_input_size(struct __test_metadata *_metadata,
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

/* ---- channels, media devices, sysfs -------------------------------------------- */

/* The channel of card 0 on its default input in, opened; -1 if none. */
int chan_on_input(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
		  unsigned int in)
{
	int fd = chan_fd(_metadata, self, 0, in);
	unsigned int cur = get_input(fd);

	if (cur != in)
		ASSERT_EQ(0, xioctl(fd, VIDIOC_S_INPUT, &in));
	return fd;
}

/* Stream channel ch of card 0 (on its own input) in GREY, VERIFY. */
void fault_stream(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
		  struct cap *c, unsigned int ch, unsigned int nbufs)
{
	int fd = chan_on_input(_metadata, self, ch);

	cap_prepare(_metadata, c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, c, V4L2_MEMORY_MMAP, nbufs, 0, NULL);
	cap_on(_metadata, c);
	cap_run(_metadata, c, 2);
}

/* The media device of the card at PCI address @pci, opened; -1 if none. */
int find_media(const char *pci)
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

/* Write @value to a sysfs attribute: 0 or -errno. */
int write_sysfs(const char *path, const char *value)
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
 * How many DMA mappings or allocations of kind @kind ("scatter-gather",
 * "coherent", ...) DMA-API debugging holds for device @pci; -1 without it
 * (only the verifier kernel has /sys/kernel/debug/dma-api).
 */
int dma_api_entries(const char *pci, const char *kind)
{
	FILE *f = fopen("/sys/kernel/debug/dma-api/dump", "r");
	char line[512], word[64];
	int n = 0;

	if (!f)
		return -1;
	snprintf(word, sizeof(word), " %s ", kind);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, pci) && strstr(line, word))
			n++;
	fclose(f);
	return n;
}

/*
 * After the card at @pci was unbound or removed and every buffer unmapped
 * and freed, DMA-API debugging must hold nothing of it. Its buffers' DMA
 * mappings may outlive the binding while user space maps them (vb2 frees
 * a buffer with its last reference; DMA-API debugging reports that at
 * unbind, and scripts/kernel-reports excuses it, naming one leaked entry
 * only): they must be gone now, and the driver's own coherent allocations
 * (rings, descriptor tables) must not have outlived the binding. Nothing
 * to check without DMA-API debugging (Debian's kernels).
 */
void expect_no_dma_left(struct __test_metadata *_metadata, const char *pci)
{
	int sg = dma_api_entries(pci, "scatter-gather");
	int coherent = dma_api_entries(pci, "coherent");

	if (sg >= 0)
		EXPECT_EQ(0, sg) TH_LOG("%d scatter-gather mappings of %s left after the buffers were freed",
					sg, pci);
	if (coherent >= 0)
		EXPECT_EQ(0, coherent) TH_LOG("%d coherent DMA allocations of %s left after it was unbound",
					      coherent, pci);
}

/* How many times @needle occurs in the kernel log; -1 if it cannot be read. */
int kernel_log_count(const char *needle)
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
