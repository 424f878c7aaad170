// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_io: the daqcap driver's tests of capturing frames (kselftest).
 *
 * The pattern checker itself, the node (capabilities, formats, inputs,
 * controls), formats, sizes, strides and chunks, the I/O methods (MMAP,
 * USERPTR, DMABUF, read()), sequence numbers and timestamps, and every
 * channel of two cards at once.
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
		EXPECT_EQ(pix.bytesperline *
			  daqcap_pattern_rows(fmt_by_fourcc(pix.pixelformat)->code, pix.height),
			  pix.sizeimage);

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

/*
 * How many lines of /proc/interrupts name the action @name: the last
 * fields of a line, after the chip and the trigger, are the actions' names,
 * separated by ", " when a line is shared.
 */
static int irq_lines_named(const char *interrupts, const char *name)
{
	size_t len = strlen(name);
	const char *p = interrupts;
	int n = 0;

	while ((p = strstr(p, name))) {
		bool start = p > interrupts && (p[-1] == ' ' || p[-1] == ',');
		bool end = p[len] == '\n' || p[len] == ',' || p[len] == '\0';

		if (start && end)
			n++;
		p += len;
	}
	return n;
}

/*
 * Every vector of the card says whose it is in /proc/interrupts: with
 * MSI-X, daqcap-<pci address>-chN per channel and daqcap-<pci address> for
 * the global events; with one vector, daqcap-<pci address>; polled, none.
 */
TEST_F(daqcap, interrupt_vectors_are_named)
{
	static char interrupts[1 << 16];
	char mode[16] = "", name[64], path[128];
	ssize_t len;
	int fd;

	fd = open("/proc/interrupts", O_RDONLY);
	ASSERT_LE(0, fd);
	len = read(fd, interrupts, sizeof(interrupts) - 1);
	close(fd);
	ASSERT_LT(0, len);
	interrupts[len] = '\0';
	fd = open("/sys/module/daqcap/parameters/irq_mode", O_RDONLY);
	if (fd >= 0) {
		len = read(fd, mode, sizeof(mode) - 1);
		mode[len > 0 ? len : 0] = '\0';
		mode[strcspn(mode, "\n")] = '\0';
		close(fd);
	}

	for (int i = 0; i < self->nnodes; i++) {
		const struct dnode *n = &self->nodes[i];
		unsigned int nchan = 0, vectors = 0;
		struct dirent *de;
		DIR *d;

		if (i && !strcmp(self->nodes[i - 1].pci, n->pci))
			continue;
		for (int j = 0; j < self->nnodes; j++)
			nchan += !strcmp(self->nodes[j].pci, n->pci);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", n->pci);
		d = opendir(path);
		while (d && (de = readdir(d)))
			vectors += de->d_name[0] != '.';
		if (d)
			closedir(d);

		snprintf(name, sizeof(name), "daqcap-%s", n->pci);
		if (!strcmp(mode, "poll")) {
			EXPECT_EQ(0, irq_lines_named(interrupts, name))
				TH_LOG("%s: polled, yet %s has a vector", n->pci, name);
			EXPECT_EQ(0u, vectors);
			continue;
		}
		EXPECT_EQ(1, irq_lines_named(interrupts, name))
			TH_LOG("%s: no line '%s' in /proc/interrupts", n->pci, name);
		for (unsigned int c = 0; c < nchan; c++) {
			snprintf(name, sizeof(name), "daqcap-%s-ch%u", n->pci, c);
			EXPECT_EQ(vectors == nchan + 1 ? 1 : 0,
				  irq_lines_named(interrupts, name))
				TH_LOG("%s: %u vectors for %u channels, line '%s'",
				       n->pci, vectors, nchan, name);
		}
		TH_LOG("%s: irq_mode=%s, %u message-signalled vectors for %u channels",
		       n->pci, mode, vectors, nchan);
	}
}

/* The module was loaded with irq_mode=poll: no interrupt is counted. */
static bool polled_card(void)
{
	char mode[16] = "";
	FILE *f = fopen("/sys/module/daqcap/parameters/irq_mode", "r");

	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
	}
	return !strncmp(mode, "poll", 4);
}

/* Dequeue every FRAME_SYNC event pending, adding their sequences to @seqs. */
static unsigned int take_frame_syncs(int fd, uint32_t *seqs, unsigned int n,
				     unsigned int max)
{
	struct v4l2_event ev;

	while (!xioctl(fd, VIDIOC_DQEVENT, &ev))
		if (ev.type == V4L2_EVENT_FRAME_SYNC && n < max)
			seqs[n++] = ev.u.frame_sync.frame_sequence;
	return n;
}

/*
 * FRAME_SYNC: one event at each start of frame, numbered as the frame's
 * buffer, there before the buffer is; the start-of-frame interrupt only
 * while someone subscribes (one interrupt per frame otherwise).
 */
TEST_F_TIMEOUT(daqcap, frame_sync_events, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_FRAME_SYNC };
	const unsigned int frames = 24;
	uint32_t seqs[64], bufseq[32];
	unsigned int nev = 0, matched = 0, j;
	long long irqs0, irqs1, syncs0, syncs1, drops0, drops1;
	const struct dnode *node;
	struct cap c;
	int fd;

	ASSERT_LE(0, ch) TH_LOG("no input at 640x480");
	node = node_of(self, 0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	/* Events are sent with id 0: another id would wait for nothing. */
	sub.id = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub));
	sub.id = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub));
	cap_prepare(_metadata, &c, fd, node, V4L2_PIX_FMT_GREY, 0, DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	irqs0 = dbg_counter(node->pci, node->chan, "irqs");
	syncs0 = dbg_counter(node->pci, node->chan, "frame_syncs");
	ASSERT_LE(0, syncs0) TH_LOG("no frame_syncs in debugfs");
	cap_on(_metadata, &c);
	for (unsigned int n = 0; n < frames; n++) {
		struct v4l2_buffer buf;
		bool seen = false;

		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		ASSERT_TRUE(cap_check(_metadata, &c, &buf));
		bufseq[n] = buf.sequence;
		/* The frame's start was told before its end. */
		nev = take_frame_syncs(fd, seqs, nev, 64);
		for (j = 0; j < nev; j++)
			seen |= seqs[j] == buf.sequence;
		matched += seen;
		cap_qbuf(_metadata, &c, buf.index);
	}
	irqs1 = dbg_counter(node->pci, node->chan, "irqs");
	syncs1 = dbg_counter(node->pci, node->chan, "frame_syncs");
	EXPECT_EQ(DAQCAP_CH_IRQ_SOF, dbg_register(node->pci, node->chan, "IRQ_MASK") &
				     DAQCAP_CH_IRQ_SOF) TH_LOG("SOF masked while subscribed");
	/* Events in order, none for a frame that has not started. */
	for (j = 1; j < nev; j++)
		EXPECT_LT(seqs[j - 1], seqs[j]) TH_LOG("event %u: sequence %u after %u",
						       j, seqs[j], seqs[j - 1]);
	ASSERT_LT(0u, nev);
	EXPECT_LE(seqs[nev - 1], bufseq[frames - 1] + 2);
	/*
	 * Two starts before one interrupt tell only the later one: under TCG
	 * an interrupt can be that late now and then, not often.
	 */
	EXPECT_LE(frames - 2, matched) TH_LOG("%u of %u buffers had their start event first",
					      matched, frames);
	EXPECT_LE((long long)nev, syncs1 - syncs0);
	/* Two interrupts a frame: its start, its end (a polled card: none). */
	if (!polled_card())
		EXPECT_LE(frames + frames / 2, irqs1 - irqs0)
			TH_LOG("%lld interrupts for %u frames", irqs1 - irqs0, frames);

	/* Unsubscribed: no event, no start-of-frame interrupt. */
	ASSERT_EQ(0, xioctl(fd, VIDIOC_UNSUBSCRIBE_EVENT, &sub));
	flush_events(fd);
	EXPECT_EQ(0, dbg_register(node->pci, node->chan, "IRQ_MASK") & DAQCAP_CH_IRQ_SOF)
		TH_LOG("SOF unmasked with no subscriber");
	cap_run(_metadata, &c, 2);
	irqs0 = dbg_counter(node->pci, node->chan, "irqs");
	syncs0 = dbg_counter(node->pci, node->chan, "frame_syncs");
	drops0 = dbg_counter(node->pci, node->chan, "hw_drops");
	cap_run(_metadata, &c, frames);
	irqs1 = dbg_counter(node->pci, node->chan, "irqs");
	syncs1 = dbg_counter(node->pci, node->chan, "frame_syncs");
	drops1 = dbg_counter(node->pci, node->chan, "hw_drops");
	EXPECT_EQ(syncs0, syncs1);
	/* A frame's end, and a drop's own interrupt if TCG fell behind. */
	if (!polled_card())
		EXPECT_LE(irqs1 - irqs0, frames + (drops1 - drops0) + 3)
		TH_LOG("%lld interrupts for %u frames and %lld drops", irqs1 - irqs0, frames,
		       drops1 - drops0);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/* The smallest gap from a buffer's timestamp to its DQBUF, over @n frames. */
static int64_t min_timestamp_age(struct __test_metadata *_metadata, struct cap *c,
				 unsigned int n, uint32_t want_src)
{
	int64_t best = INT64_MAX;
	uint64_t last = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct v4l2_buffer buf;
		uint64_t ts, now;
		int r = cap_dq(c, &buf, DQ_TIMEOUT_MS);

		EXPECT_EQ(0, r);
		if (r)
			return best;
		now = now_ns();
		EXPECT_TRUE(cap_check(_metadata, c, &buf));
		ts = buf.timestamp.tv_sec * 1000000000ull + buf.timestamp.tv_usec * 1000ull;
		EXPECT_EQ(want_src, buf.flags & V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
		EXPECT_EQ(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC,
			  buf.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK);
		EXPECT_LT(last, ts);
		last = ts;
		if ((int64_t)(now - ts) < best)
			best = (int64_t)(now - ts);
		cap_qbuf(_metadata, c, buf.index);
	}
	return best;
}

/*
 * The Timestamp Source control: the end of the frame by default, its
 * start when asked, with the flags to match; fixed while streaming.
 */
TEST_F_TIMEOUT(daqcap, timestamp_source, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_dv_timings t;
	struct v4l2_buffer qb = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				  .memory = V4L2_MEMORY_MMAP };
	int64_t age_eof, age_sof, active_ns;
	int32_t v;
	struct cap c;
	int fd;

	ASSERT_LE(0, ch) TH_LOG("no input at 640x480");
	fd = chan_fd(_metadata, self, 0, ch);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &t));
	active_ns = (int64_t)(frame_period_ps(&t.bt) / 1000 * t.bt.height /
			      V4L2_DV_BT_FRAME_HEIGHT(&t.bt));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DAQCAP_TIMESTAMP_SOURCE, &v));
	EXPECT_EQ(DAQCAP_TIMESTAMP_END_OF_FRAME, v);
	EXPECT_EQ(-ERANGE, set_ctrl(fd, V4L2_CID_DAQCAP_TIMESTAMP_SOURCE, 2));

	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	age_eof = min_timestamp_age(_metadata, &c, 12, V4L2_BUF_FLAG_TSTAMP_SRC_EOF);
	EXPECT_EQ(-EBUSY, set_ctrl(fd, V4L2_CID_DAQCAP_TIMESTAMP_SOURCE,
				   DAQCAP_TIMESTAMP_START_OF_FRAME));
	cap_off(_metadata, &c);

	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_TIMESTAMP_SOURCE,
			      DAQCAP_TIMESTAMP_START_OF_FRAME));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_QUERYBUF, &qb));
	EXPECT_EQ(V4L2_BUF_FLAG_TSTAMP_SRC_SOE, qb.flags & V4L2_BUF_FLAG_TSTAMP_SRC_MASK);
	cap_rotate_requeue(_metadata, &c);
	c.tstamp_src = V4L2_BUF_FLAG_TSTAMP_SRC_SOE;
	cap_on(_metadata, &c);
	age_sof = min_timestamp_age(_metadata, &c, 12, V4L2_BUF_FLAG_TSTAMP_SRC_SOE);
	cap_off(_metadata, &c);
	cap_free(&c);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_TIMESTAMP_SOURCE,
			      DAQCAP_TIMESTAMP_END_OF_FRAME));

	/* A frame's start is its active lines' time before its end. */
	TH_LOG("DQBUF came at least %lld us after the end, %lld us after the start; active lines take %lld us",
	       (long long)age_eof / 1000, (long long)age_sof / 1000, (long long)active_ns / 1000);
	EXPECT_LE(0, age_eof);
	EXPECT_LE(active_ns - active_ns / 10, age_sof);
	EXPECT_LE(age_eof + active_ns / 2, age_sof);
}

/*
 * A card whose crystal runs fast (utils/daqcap-vm --card-opts clock-ppm=P,
 * and DAQCAP_CARD_CLOCK_PPM=P for this test): over a long capture its
 * timestamps stay on CLOCK_MONOTONIC, never in the future, never going
 * backwards; the driver measures the drift.
 */
TEST_F_TIMEOUT(daqcap, timestamps_follow_a_drifting_card_clock, 180)
{
	const char *env = getenv("DAQCAP_CARD_CLOCK_PPM");
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	const unsigned int window = 180, middle = 840;	/* 3 s, 14 s at 60 Hz */
	int64_t first, last, drift_ppb, want_ppb;
	const struct dnode *node;
	long long syncs0, syncs1;
	struct cap c;
	int fd;

	if (!env)
		SKIP(return, "the card's clock does not drift here: run with --card-opts clock-ppm=P and DAQCAP_CARD_CLOCK_PPM=P");
	want_ppb = strtoll(env, NULL, 10) * 1000;
	ASSERT_LE(0, ch) TH_LOG("no input at 640x480");
	node = node_of(self, 0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	cap_prepare(_metadata, &c, fd, node, V4L2_PIX_FMT_GREY, 0, DAQCAP_PATTERN_VERIFY);
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	syncs0 = dbg_counter(node->pci, node->chan, "clock_syncs");
	cap_on(_metadata, &c);
	first = min_timestamp_age(_metadata, &c, window, V4L2_BUF_FLAG_TSTAMP_SRC_EOF);
	min_timestamp_age(_metadata, &c, middle, V4L2_BUF_FLAG_TSTAMP_SRC_EOF);
	last = min_timestamp_age(_metadata, &c, window, V4L2_BUF_FLAG_TSTAMP_SRC_EOF);
	drift_ppb = dbg_counter(node->pci, node->chan, "card_clock_drift_ppb");
	syncs1 = dbg_counter(node->pci, node->chan, "clock_syncs");
	cap_off(_metadata, &c);
	cap_free(&c);

	TH_LOG("DQBUF at least %lld us after the frame's end in the first 3 s, %lld us in the last; card clock %+lld ppb (configured %+lld)",
	       (long long)first / 1000, (long long)last / 1000, (long long)drift_ppb,
	       (long long)want_ppb);
	/* Mapped once at STREAMON, 100 ppm would have moved them 2 ms by now. */
	EXPECT_LE(0, last) TH_LOG("timestamps in the future");
	EXPECT_LE(llabs(last - first), 500000);
	EXPECT_LE(15, syncs1 - syncs0);
	/*
	 * Against the guest's CLOCK_MONOTONIC, whose own calibration under
	 * TCG is off by about 10 ppm (measured with clock-ppm=0).
	 */
	EXPECT_LE(llabs(drift_ppb - want_ppb), 40000)
		TH_LOG("measured %lld ppb, the card's crystal is %lld", (long long)drift_ppb,
		       (long long)want_ppb);
}

/*
 * The driver's latency histogram (debugfs latency-chN) counts every frame
 * it completes whole, once, in one bucket, and its figures agree.
 */
TEST_F_TIMEOUT(daqcap, latency_histogram_counts_frames, 120)
{
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	const struct dnode *node;
	long long frames0, frames1, good0, good1, max_us, mean_us, sum = 0;
	char path[160], line[128], file[32];
	unsigned int buckets = 0;
	FILE *f;
	int fd;

	ASSERT_LE(0, ch) TH_LOG("no input at 640x480");
	node = node_of(self, 0, ch);
	fd = chan_fd(_metadata, self, 0, ch);
	snprintf(file, sizeof(file), "latency-ch%u", node->chan);
	frames0 = dbg_file_counter(node->pci, file, "frames");
	good0 = dbg_counter(node->pci, node->chan, "frames");
	ASSERT_LE(0, frames0) TH_LOG("no debugfs %s", file);
	capture(_metadata, fd, node, V4L2_PIX_FMT_YUYV, 0, DAQCAP_PATTERN_VERIFY,
		V4L2_MEMORY_MMAP, 16, -1);
	frames1 = dbg_file_counter(node->pci, file, "frames");
	good1 = dbg_counter(node->pci, node->chan, "frames");
	EXPECT_EQ(good1 - good0, frames1 - frames0)
		TH_LOG("%lld frames completed, %lld measured", good1 - good0,
		       frames1 - frames0);
	EXPECT_LE(16, frames1 - frames0);

	snprintf(path, sizeof(path), "/sys/kernel/debug/daqcap/%s/%s", node->pci, file);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long from, count;
		char to[24];

		if (sscanf(line, "%llu-%23[0-9]: %llu", &from, to, &count) == 3 ||
		    sscanf(line, "%llu-: %llu", &from, &count) == 2) {
			sum += count;
			buckets++;
		}
	}
	fclose(f);
	EXPECT_EQ(24u, buckets);
	EXPECT_EQ(frames1, sum) TH_LOG("the buckets hold %lld frames of %lld", sum, frames1);
	max_us = dbg_file_counter(node->pci, file, "max_us");
	mean_us = dbg_file_counter(node->pci, file, "mean_us");
	EXPECT_LE(mean_us, max_us);
	TH_LOG("%s: %lld frames, mean %lld us, max %lld us", file, frames1, mean_us, max_us);
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

static bool rect_is(const struct v4l2_rect *r, int32_t left, int32_t top,
		    uint32_t width, uint32_t height)
{
	return r->left == left && r->top == top && r->width == width &&
	       r->height == height;
}

/*
 * A crop window (VIDIOC_S_SELECTION, V4L2_SEL_TGT_CROP): the card writes
 * exactly the window's pixels of the source's frame, byte for byte; the
 * format's size is the window's; bounds and default are the timings'
 * frame. A request is adjusted to a window the card takes; a bad target
 * changes nothing; the window is fixed while buffers exist and reset by new
 * timings.
 */
TEST_F_TIMEOUT(daqcap, crop_window, 240)
{
	static const struct {
		struct v4l2_rect r;
		uint32_t fourcc;
		int pattern;
	} windows[] = {
		/* Below the top; a height that is no multiple of the chunks. */
		{ { 100, 50, 64, 37 }, V4L2_PIX_FMT_GREY, DAQCAP_PATTERN_VERIFY },
		/* 3 bytes a pixel: the window starts mid-word of a VERIFY line. */
		{ { 2, 0, 34, 16 }, V4L2_PIX_FMT_RGB24, DAQCAP_PATTERN_VERIFY },
		/* The bottom right corner: bars, the box and the ramp. */
		{ { 320, 400, 320, 80 }, V4L2_PIX_FMT_YUYV, DAQCAP_PATTERN_BARS },
		{ { 6, 10, 200, 100 }, V4L2_PIX_FMT_XBGR32, DAQCAP_PATTERN_VERIFY },
		/* Two planes: the window's luma lines, then its chroma. */
		{ { 10, 33, 96, 41 }, V4L2_PIX_FMT_NV16, DAQCAP_PATTERN_VERIFY },
		{ { 64, 100, 128, 64 }, V4L2_PIX_FMT_NV12, DAQCAP_PATTERN_BARS },
	};
	/*
	 * The constraint flags, in a 640x480 GREY frame: GE gives a window
	 * that contains the one asked for, LE one inside it, rounding the
	 * edges out or in to an even left edge and width.
	 */
	static const struct {
		uint32_t flags;
		struct v4l2_rect want, got;
	} flagged[] = {
		{ V4L2_SEL_FLAG_GE, { 100, 100, 63, 33 }, { 100, 100, 64, 33 } },
		{ V4L2_SEL_FLAG_LE, { 100, 100, 63, 33 }, { 100, 100, 62, 33 } },
		{ V4L2_SEL_FLAG_GE, { 1, 0, 64, 16 }, { 0, 0, 66, 16 } },
		{ V4L2_SEL_FLAG_LE, { 101, 0, 63, 16 }, { 102, 0, 62, 16 } },
		{ V4L2_SEL_FLAG_LE, { -20, 0, 100, 100 }, { 0, 0, 80, 100 } },
		{ V4L2_SEL_FLAG_LE, { 600, 400, 200, 200 }, { 600, 400, 40, 80 } },
		{ V4L2_SEL_FLAG_GE, { 630, 0, 4, 4 }, { 624, 0, 16, 16 } },
		{ V4L2_SEL_FLAG_LE | V4L2_SEL_FLAG_GE, { 2, 2, 64, 33 }, { 2, 2, 64, 33 } },
	};
	/* Requests no window keeps to: ERANGE. */
	static const struct {
		uint32_t flags;
		struct v4l2_rect r;
	} no_window[] = {
		{ V4L2_SEL_FLAG_LE, { 0, 0, 8, 100 } },		/* below 16 */
		{ V4L2_SEL_FLAG_LE, { 101, 0, 16, 100 } },	/* 14 from an even edge */
		{ V4L2_SEL_FLAG_GE, { 0, 0, 642, 100 } },	/* wider than the frame */
		{ V4L2_SEL_FLAG_GE, { 0, 0, 100, 481 } },	/* taller */
		{ V4L2_SEL_FLAG_GE, { 600, 0, 100, 16 } },	/* past its right edge */
		{ V4L2_SEL_FLAG_GE, { -2, 0, 100, 16 } },	/* left of it */
		{ V4L2_SEL_FLAG_GE, { 0, 0, 0xffffffff, 100 } },
		{ V4L2_SEL_FLAG_LE | V4L2_SEL_FLAG_GE, { 0, 0, 63, 33 } },	/* odd */
		{ V4L2_SEL_FLAG_LE | V4L2_SEL_FLAG_GE, { 1, 0, 64, 33 } },
	};
	int ch = chan_with_input_size(_metadata, self, 640, 480);
	struct v4l2_selection sel = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers rb = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_frmsizeenum fs = { .index = 0 };
	struct v4l2_dv_timings t;
	struct v4l2_pix_format pix;
	struct v4l2_rect r, before;
	int fd;

	ASSERT_LE(0, ch) TH_LOG("no input at 640x480");
	fd = chan_fd(_metadata, self, 0, ch);
	/* Formats stay from one test to the next: one without NV12's rules. */
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_GREY, 0, &pix));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP_BOUNDS, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, 640, 480));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP_DEFAULT, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, 640, 480));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, 640, 480));

	for (unsigned int i = 0; i < ARRAY_SIZE(windows); i++) {
		r = windows[i].r;
		ASSERT_EQ(0, set_crop(fd, &r));
		ASSERT_EQ(0, memcmp(&r, &windows[i].r, sizeof(r)))
			TH_LOG("window %u adjusted to %ux%u at (%d, %d)", i,
			       r.width, r.height, r.left, r.top);
		ASSERT_EQ(0, get_fmt(fd, &pix));
		EXPECT_EQ(r.width, pix.width);
		EXPECT_EQ(r.height, pix.height);
		capture(_metadata, fd, node_of(self, 0, ch), windows[i].fourcc, 0,
			windows[i].pattern, V4L2_MEMORY_MMAP, 4, CANARY);
	}

	/* A one-plane format, which leaves Y and the height alone. */
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_GREY, 0, &pix));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_FMT, &f));

	/* Adjusted: X and the width even, at least 16 square, inside. */
	r = (struct v4l2_rect){ 101, 7, 63, 5 };
	ASSERT_EQ(0, set_crop(fd, &r));
	EXPECT_TRUE(rect_is(&r, 100, 7, 62, 16))
		TH_LOG("got %ux%u at (%d, %d)", r.width, r.height, r.left, r.top);
	r = (struct v4l2_rect){ -20, 470, 1000, 100 };
	ASSERT_EQ(0, set_crop(fd, &r));
	EXPECT_TRUE(rect_is(&r, 0, 380, 640, 100))
		TH_LOG("got %ux%u at (%d, %d)", r.width, r.height, r.left, r.top);
	/* NV12 also keeps pairs of lines whole: Y and the height even. */
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_NV12, 0, &pix));
	r = (struct v4l2_rect){ 101, 7, 63, 33 };
	ASSERT_EQ(0, set_crop(fd, &r));
	EXPECT_TRUE(rect_is(&r, 100, 6, 62, 32))
		TH_LOG("got %ux%u at (%d, %d)", r.width, r.height, r.left, r.top);
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_GREY, 0, &pix));

	/*
	 * No scaler: a smaller format size keeps the window's size; a larger
	 * one grows the window from its corner, up to the whole frame.
	 */
	r = (struct v4l2_rect){ 600, 400, 20, 20 };
	ASSERT_EQ(0, set_crop(fd, &r));
	f.fmt.pix.width = 10;
	f.fmt.pix.height = 10;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_FMT, &f));
	EXPECT_EQ(20u, f.fmt.pix.width);
	EXPECT_EQ(20u, f.fmt.pix.height);
	f.fmt.pix.width = 100;
	f.fmt.pix.height = 50;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_TRY_FMT, &f));
	EXPECT_EQ(100u, f.fmt.pix.width);
	EXPECT_EQ(50u, f.fmt.pix.height);
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_TRUE(rect_is(&r, 600, 400, 20, 20));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_FMT, &f));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_TRUE(rect_is(&r, 540, 400, 100, 50))
		TH_LOG("got %ux%u at (%d, %d)", r.width, r.height, r.left, r.top);
	f.fmt.pix.width = 1920;
	f.fmt.pix.height = 1080;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_FMT, &f));
	EXPECT_EQ(640u, f.fmt.pix.width);
	EXPECT_EQ(480u, f.fmt.pix.height);
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, 640, 480));
	/* What OpenCV asks at open: the whole frame stays. */
	f.fmt.pix.width = 320;
	f.fmt.pix.height = 240;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_FMT, &f));
	EXPECT_EQ(640u, f.fmt.pix.width);
	EXPECT_EQ(480u, f.fmt.pix.height);
	r = (struct v4l2_rect){ 600, 400, 20, 20 };
	ASSERT_EQ(0, set_crop(fd, &r));
	fs.pixel_format = V4L2_PIX_FMT_GREY;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs));
	EXPECT_EQ(20u, fs.discrete.width);
	EXPECT_EQ(20u, fs.discrete.height);
	/* ... and the window lands unscaled: compose is the format, fixed. */
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_COMPOSE, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, 20, 20));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_COMPOSE_BOUNDS, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, 20, 20));
	sel.target = V4L2_SEL_TGT_COMPOSE;
	sel.r = (struct v4l2_rect){ 4, 4, 8, 8 };
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_SELECTION, &sel));
	EXPECT_TRUE(rect_is(&sel.r, 0, 0, 20, 20));
	/* An odd window in NV12: the format's has whole line pairs. */
	r = (struct v4l2_rect){ 600, 400, 20, 21 };
	ASSERT_EQ(0, set_crop(fd, &r));
	fs.pixel_format = V4L2_PIX_FMT_NV12;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs));
	EXPECT_EQ(20u, fs.discrete.height);
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_NV12, 0, &pix));
	EXPECT_EQ(20u, pix.height);
	EXPECT_EQ(20u * 30, pix.sizeimage);
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_GREY, 0, &pix));

	/* Not a crop target: refused, and nothing changes. */
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &before));
	sel.target = V4L2_SEL_TGT_CROP_BOUNDS;
	sel.r = (struct v4l2_rect){ 0, 0, 32, 32 };
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_SELECTION, &sel));
	sel.target = V4L2_SEL_TGT_COMPOSE_PADDED;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_SELECTION, &sel));
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_G_SELECTION, &sel));
	sel.target = V4L2_SEL_TGT_NATIVE_SIZE;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_G_SELECTION, &sel));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_EQ(0, memcmp(&r, &before, sizeof(r)));

	/* The constraint flags (see flagged[]); refused, nothing changes. */
	sel.target = V4L2_SEL_TGT_CROP;
	for (unsigned int i = 0; i < ARRAY_SIZE(flagged); i++) {
		const struct v4l2_rect *g = &flagged[i].got;

		sel.flags = flagged[i].flags;
		sel.r = flagged[i].want;
		ASSERT_EQ(0, xioctl(fd, VIDIOC_S_SELECTION, &sel)) TH_LOG("flagged[%u]", i);
		EXPECT_TRUE(rect_is(&sel.r, g->left, g->top, g->width, g->height))
			TH_LOG("flagged[%u]: got %ux%u at (%d, %d)", i, sel.r.width,
			       sel.r.height, sel.r.left, sel.r.top);
	}
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &before));
	for (unsigned int i = 0; i < ARRAY_SIZE(no_window); i++) {
		sel.flags = no_window[i].flags;
		sel.r = no_window[i].r;
		EXPECT_EQ(-ERANGE, xioctl(fd, VIDIOC_S_SELECTION, &sel))
			TH_LOG("flags %u, %ux%u", no_window[i].flags, no_window[i].r.width,
			       no_window[i].r.height);
		ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
		EXPECT_EQ(0, memcmp(&r, &before, sizeof(r)));
	}
	sel.flags = 1u << 2;	/* no flag of a video node's */
	sel.r = (struct v4l2_rect){ 0, 0, 64, 64 };
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_SELECTION, &sel));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_EQ(0, memcmp(&r, &before, sizeof(r)));
	/* NV12's top edge and height are even: GE rounds them out, LE in. */
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_NV12, 0, &pix));
	sel.flags = V4L2_SEL_FLAG_GE;
	sel.r = (struct v4l2_rect){ 100, 101, 64, 33 };
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_SELECTION, &sel));
	EXPECT_TRUE(rect_is(&sel.r, 100, 100, 64, 34))
		TH_LOG("NV12 GE: got %ux%u at (%d, %d)", sel.r.width, sel.r.height,
		       sel.r.left, sel.r.top);
	sel.flags = V4L2_SEL_FLAG_LE;
	sel.r = (struct v4l2_rect){ 100, 101, 64, 33 };
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_SELECTION, &sel));
	EXPECT_TRUE(rect_is(&sel.r, 100, 102, 64, 32))
		TH_LOG("NV12 LE: got %ux%u at (%d, %d)", sel.r.width, sel.r.height,
		       sel.r.left, sel.r.top);
	ASSERT_EQ(0, set_fmt(fd, V4L2_PIX_FMT_GREY, 0, &pix));
	sel.flags = 0;
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &before));

	/* Fixed while buffers exist, unless asked for the same window. */
	rb.count = 2;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &rb));
	r = (struct v4l2_rect){ 0, 0, 64, 64 };
	EXPECT_EQ(-EBUSY, set_crop(fd, &r));
	r = before;
	EXPECT_EQ(0, set_crop(fd, &r));
	rb.count = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_REQBUFS, &rb));

	/* New timings: the window is their whole frame. */
	ASSERT_EQ(0, find_timings(fd, 1280, 720, 0, &t));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, t.bt.width, t.bt.height));
	ASSERT_EQ(0, query_timings(fd, &t));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t));
	ASSERT_EQ(0, get_selection(fd, V4L2_SEL_TGT_CROP, &r));
	EXPECT_TRUE(rect_is(&r, 0, 0, 640, 480));
	ASSERT_EQ(0, get_fmt(fd, &pix));
	EXPECT_EQ(640u, pix.width);
	EXPECT_EQ(480u, pix.height);
}

/* Lines per chunk that do not divide the height, and the extremes. */
TEST_F_TIMEOUT(daqcap, chunk_lines, 240)
{
	int ch1080 = chan_with_input_size(_metadata, self, 1920, 1080);
	int ch480 = chan_with_input_size(_metadata, self, 640, 480);
	static const int lines480[] = { 7, 1, 64, 13 };
	static const int odd_lines[] = { 7, 13 };	/* for NV12's line pairs */
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
	/*
	 * NV12 with odd lines per chunk: chunks end inside a line pair, and
	 * the chroma plane's lines come with their pairs' second luma line.
	 */
	for (unsigned int i = 0; i < ARRAY_SIZE(odd_lines); i++) {
		ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, odd_lines[i]));
		capture(_metadata, fd, node_of(self, 0, ch480), V4L2_PIX_FMT_NV12, 0,
			DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 3, -1);
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
	int fd, xfd, xch = -1, tables0, tables1;
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
	tables0 = dma_api_entries(c.node->pci, "coherent");
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
	/*
	 * The refused QBUFs dropped buffer 0's dmabuf without buf_cleanup
	 * (videobuf2): its descriptor table must not outlive the buffers.
	 * Counted by DMA-API debugging, on the verifier kernel only.
	 */
	tables1 = dma_api_entries(c.node->pci, "coherent");
	EXPECT_EQ(tables0, tables1) TH_LOG("coherent DMA allocations of %s: %d before the import, %d after",
					   c.node->pci, tables0, tables1);
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

TEST_HARNESS_MAIN
