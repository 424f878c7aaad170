// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_lifecycle: the daqcap driver's tests of the card through the
 * system's lifecycle (kselftest).
 *
 * Function reset, PCIe errors (AER), another card in the slot, runtime PM,
 * surprise removal, DMA that will not stop, system sleep. Some of them need
 * a VM of their own (tests/driver/run runs them so); the whole program runs
 * after daqcap_faults, as these tests too leave the nodes renumbered.
 *
 * One of the programs of the driver's test suite, which share
 * daqcap_common.h (where the suite is described) and daqcap_common.c.
 */
#include "daqcap_common.h"

/* The data is FIXTURE_DATA(daqcap), in daqcap_common.h. */
FIXTURE(daqcap);

FIXTURE_SETUP(daqcap)
{
	daqcap_fixture_setup(_metadata, self);
}

FIXTURE_TEARDOWN(daqcap)
{
	daqcap_fixture_teardown(_metadata, self);
}

/* ---- tests: the card through the system's lifecycle ------------------------------------ */

/*
 * How many lines of the kernel log report a kernel bug (WARN, BUG, oops, an
 * IOMMU fault), the last of them in @last. A test compares the counts
 * before and after its event: a report an earlier test left (the suite's
 * scan of the whole log, scripts/kernel-reports, judges those) is not
 * this event's.
 */
static int kernel_log_reports(char *last, size_t size)
{
	static const char * const marks[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "DMAR: DRHD: handling fault",
		"DMAR: [DMA Write", "DMAR: [DMA Read", "list_del corruption", "refcount_t:",
	};
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *log, *line, *save;
	int found = 0;

	if (len <= 0)
		return 0;
	log = calloc(1, len + 1);
	if (!log)
		return 0;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, len);
	for (line = strtok_r(log, "\n", &save); line && len > 0;
	     line = strtok_r(NULL, "\n", &save)) {
		/*
		 * DMA-API debugging's reports (the verifier kernel's) are the
		 * suite's to judge (scripts/kernel-reports): a removal while
		 * user space maps buffers makes one that is no fault.
		 */
		if (strstr(line, "WARNING:") && strstr(line, "kernel/dma/debug.c"))
			continue;
		for (size_t m = 0; m < ARRAY_SIZE(marks); m++)
			if (strstr(line, marks[m])) {
				snprintf(last, size, "%s", line);
				found++;
				break;
			}
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
	int log_reports;	/* reports in the kernel log before the event */
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

		lc->log_reports = kernel_log_reports(report, sizeof(report));
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
	{
		char report[512] = "";

		EXPECT_EQ(lc->log_reports, kernel_log_reports(report, sizeof(report)))
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
	EXPECT_EQ(0, kernel_log_reports(report, sizeof(report))) TH_LOG("%s", report);
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

/* A PCIe error injected at the card (QEMU's AER injector) while all stream. */
static void aer_while_streaming(struct __test_metadata *_metadata,
				FIXTURE_DATA(daqcap) *self, const char *error)
{
	const struct dnode *n = node_of(self, 0, 0);
	char cmd[256], reply[4096];
	struct rpm_delay delay;
	struct lifecycle lc;
	long long rec, errs;

	NEED_QMP();
	/*
	 * The card first sleeps (runtime PM) and wakes: before Linux 6.12,
	 * that used up the configuration saved at probe, which the recovery
	 * of a fatal error, resetting the link, must still restore.
	 */
	ASSERT_NE(NULL, n);
	ASSERT_EQ(0, rpm_delay_set(&delay, n->pci, "100"));
	EXPECT_TRUE(wait_rpm(n->pci, "suspended", 5000)) TH_LOG("the idle card did not suspend");
	write_sysfs(delay.path, delay.saved);
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
	expect_no_dma_left(_metadata, lc.pci);
	EXPECT_EQ(lc.log_reports, kernel_log_reports(report, sizeof(report)))
		TH_LOG("after removal: %s", report);
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
	EXPECT_EQ(lc.log_reports, kernel_log_reports(report, sizeof(report)))
		TH_LOG("after device_add: %s", report);
}

/* ---- DMA that will not stop ---- */

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
	EXPECT_EQ(0, kernel_log_reports(report, sizeof(report))) TH_LOG("%s", report);
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
