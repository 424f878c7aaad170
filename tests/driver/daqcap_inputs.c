// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_inputs: the daqcap driver's tests of its inputs (kselftest).
 *
 * The media graph, inputs and timings, and cable events (a source's
 * timings or signal changed over QMP).
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

/*
 * An input's EDID a test replaced, put back at its teardown whether it
 * passed or not (the next tests want the card's own EDID and the source
 * it makes send).
 */
static struct {
	bool pending;
	int fd;
	unsigned int input;
	uint8_t edid[128];
} edid_restore;

FIXTURE_TEARDOWN(daqcap)
{
	if (edid_restore.pending) {
		struct v4l2_edid e = { .pad = edid_restore.input, .blocks = 1,
				       .edid = edid_restore.edid };

		if (xioctl(edid_restore.fd, VIDIOC_S_EDID, &e))
			TH_LOG("could not put back input %u's EDID", edid_restore.input);
		edid_restore.pending = false;
	}
	daqcap_fixture_teardown(_metadata, self);
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
		EXPECT_EQ(pix.bytesperline *
			  daqcap_pattern_rows(fmt_by_fourcc(pix.pixelformat)->code, pix.height),
			  pix.sizeimage);
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
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(1280u, g.bt.width);
	ASSERT_EQ(0, get_fmt(fd, &pix2));
	EXPECT_EQ(1280u, pix2.width);

	/* Valid timings of no standard are taken as they are. */
	t = q;
	t.bt.hfrontporch += 2;
	t.bt.hbackporch -= 2;
	t.bt.standards = 0;
	t.bt.flags = 0;
	t.bt.cea861_vic = 0;
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &t));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(q.bt.hfrontporch + 2, g.bt.hfrontporch);
	EXPECT_EQ(0u, g.bt.standards);
	ASSERT_EQ(0, get_fmt(fd, &pix2));
	EXPECT_EQ(1920u, pix2.width);

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

/* ---- tests: cable events (QMP) ---------------------------------------------------------- */

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

/* The inputs that are SDI-like (no EDID), as the VM's card was made. */
static unsigned long sdi_inputs(void)
{
	const char *env = getenv("DAQCAP_SDI_INPUTS");

	return env ? strtoul(env, NULL, 0) : 0;
}

static int g_edid(int fd, unsigned int pad, unsigned int start, unsigned int blocks,
		  uint8_t *data, struct v4l2_edid *e)
{
	memset(e, 0, sizeof(*e));
	e->pad = pad;
	e->start_block = start;
	e->blocks = blocks;
	e->edid = data;
	return xioctl(fd, VIDIOC_G_EDID, e);
}

static int s_edid(int fd, unsigned int pad, unsigned int blocks, uint8_t *data)
{
	struct v4l2_edid e = { .pad = pad, .blocks = blocks, .edid = data };

	return xioctl(fd, VIDIOC_S_EDID, &e);
}

/* Make block 0's preferred timing descriptor say @t, and fix its checksum. */
static void edid_prefer(uint8_t *e, const struct v4l2_bt_timings *t)
{
	uint32_t hblank = V4L2_DV_BT_BLANKING_WIDTH(t);
	uint32_t vblank = V4L2_DV_BT_BLANKING_HEIGHT(t);
	uint8_t *d = e + 54, sum = 0;

	memset(d, 0, 18);
	d[0] = (t->pixelclock / 10000) & 0xff;
	d[1] = (t->pixelclock / 10000) >> 8;
	d[2] = t->width & 0xff;
	d[3] = hblank & 0xff;
	d[4] = (t->width >> 8) << 4 | hblank >> 8;
	d[5] = t->height & 0xff;
	d[6] = vblank & 0xff;
	d[7] = (t->height >> 8) << 4 | vblank >> 8;
	d[8] = t->hfrontporch;
	d[9] = t->hsync;
	d[10] = (t->vfrontporch & 0xf) << 4 | (t->vsync & 0xf);
	d[11] = (t->hfrontporch >> 8) << 6 | (t->hsync >> 8) << 4 |
		(t->vfrontporch >> 4) << 2 | t->vsync >> 4;
	d[17] = 0x1e;
	for (int i = 0; i < 127; i++)
		sum += e[i];
	e[127] = -sum;
}

/*
 * EDID and hotplug: every HDMI-like input has the card's EDID at power-on,
 * preferring the timings its source sends; a new EDID makes the source
 * switch to its preferred timings, an empty one drops hotplug (the source
 * stops, its power stays), each with a source change event; the limits
 * of G/S_EDID; SDI-like inputs have none.
 */
TEST_F_TIMEOUT(daqcap, edid_and_hotplug, 120)
{
	uint8_t orig[4 * 128], e[5 * 128];
	struct v4l2_dv_timings q, t720;
	unsigned long sdi = sdi_inputs();
	unsigned int ninputs, in = 0;
	struct v4l2_event ev;
	struct v4l2_edid ed;
	int32_t power;
	int fd;

	fd = chan_fd(_metadata, self, 0, 0);
	ninputs = count_inputs(fd);
	for (unsigned int i = 0; i < ninputs; i++) {
		int r = g_edid(fd, i, 0, 0, NULL, &ed);

		if (sdi & (1ul << i)) {
			EXPECT_EQ(-EINVAL, r) TH_LOG("SDI-like input %u has an EDID", i);
			EXPECT_EQ(0u, ed.blocks);
			EXPECT_EQ(-EINVAL, s_edid(fd, i, 0, e));
			continue;
		}
		EXPECT_EQ(0, r) TH_LOG("input %u: no EDID", i);
		EXPECT_EQ(1u, ed.blocks) TH_LOG("input %u: %u blocks at power-on", i, ed.blocks);
	}
	EXPECT_EQ(-EINVAL, g_edid(fd, ninputs, 0, 0, NULL, &ed));
	while (in < ninputs && (sdi & (1ul << in)))
		in++;
	ASSERT_LT(in, ninputs) TH_LOG("no HDMI-like input");
	fd = chan_on_input(_metadata, self, in);

	/* The power-on EDID prefers what the source sends. */
	ASSERT_EQ(0, g_edid(fd, in, 0, 1, orig, &ed));
	ASSERT_EQ(1u, ed.blocks);
	memcpy(edid_restore.edid, orig, 128);
	edid_restore.fd = fd;
	edid_restore.input = in;
	edid_restore.pending = true;
	ASSERT_EQ(0, query_timings(fd, &q));
	EXPECT_EQ(0, memcmp(orig, "\x00\xff\xff\xff\xff\xff\xff\x00", 8));
	EXPECT_EQ(q.bt.width, orig[56] | (orig[58] & 0xf0) << 4);
	EXPECT_EQ(q.bt.height, orig[59] | (orig[61] & 0xf0) << 4);
	EXPECT_EQ(q.bt.pixelclock / 10000, (uint64_t)(orig[54] | orig[55] << 8));
	/* Past the end, and too many. */
	EXPECT_EQ(-EINVAL, g_edid(fd, in, 1, 1, e, &ed));
	ASSERT_EQ(0, g_edid(fd, in, 0, 4, e, &ed));
	EXPECT_EQ(1u, ed.blocks);
	ed.blocks = 5;
	ed.start_block = 0;
	ed.edid = e;
	EXPECT_EQ(-E2BIG, xioctl(fd, VIDIOC_S_EDID, &ed));
	EXPECT_EQ(4u, ed.blocks);
	ed.blocks = 1;
	ed.start_block = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, VIDIOC_S_EDID, &ed));

	ASSERT_EQ(0, subscribe_source_change(fd, in));
	flush_events(fd);
	/* An EDID that prefers 1280x720p60: the source switches to it. */
	ASSERT_EQ(0, find_timings(fd, 1280, 720, 60, &t720));
	memcpy(e, orig, 128);
	edid_prefer(e, &t720.bt);
	ASSERT_EQ(0, s_edid(fd, in, 1, e));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no event for the new EDID");
	EXPECT_EQ(V4L2_EVENT_SOURCE_CHANGE, ev.type);
	ASSERT_EQ(0, query_timings(fd, &q));
	EXPECT_EQ(1280u, q.bt.width);
	EXPECT_EQ(720u, q.bt.height);
	memset(e + 128, 0, 128);
	ASSERT_EQ(0, g_edid(fd, in, 0, 1, e + 128, &ed));
	EXPECT_EQ(0, memcmp(e, e + 128, 128)) TH_LOG("G_EDID is not what S_EDID set");
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q));
	capture(_metadata, fd, node_of(self, 0, in), V4L2_PIX_FMT_GREY, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);
	flush_events(fd);

	/* No EDID: hotplug low, the source stops; its +5 V stays. */
	ASSERT_EQ(0, s_edid(fd, in, 0, e));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no event for the cleared EDID");
	EXPECT_EQ(-ENOLCK, query_timings(fd, &q));
	ASSERT_EQ(0, get_ctrl(fd, V4L2_CID_DV_RX_POWER_PRESENT, &power));
	EXPECT_NE(0, power & (1 << in));
	ASSERT_EQ(0, g_edid(fd, in, 0, 0, NULL, &ed));
	EXPECT_EQ(0u, ed.blocks);
	EXPECT_EQ(-ENODATA, g_edid(fd, in, 0, 1, e, &ed));

	/* The card's EDID back: the source sends its preferred timings again. */
	flush_events(fd);
	ASSERT_EQ(0, s_edid(fd, in, 1, orig));
	ASSERT_EQ(0, wait_event(fd, &ev, EV_TIMEOUT_MS)) TH_LOG("no event for the EDID back");
	edid_restore.pending = false;
	ASSERT_EQ(0, query_timings(fd, &q));
	EXPECT_EQ((unsigned int)(orig[56] | (orig[58] & 0xf0) << 4), q.bt.width);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q));
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
	/* Sync polarities: both positive, both negative, H positive only. */
	const uint32_t pp = V4L2_DV_HSYNC_POS_POL | V4L2_DV_VSYNC_POS_POL, nn = 0;
	const uint32_t pn = V4L2_DV_HSYNC_POS_POL;
	const uint32_t cea = V4L2_DV_BT_STD_CEA861, dmt = V4L2_DV_BT_STD_DMT;
	const struct {
		const char *name;
		uint32_t w, h, htot, vtot, hfp, hs, vfp, vs;
		uint64_t pclk;
		uint32_t pol;
		uint32_t std;	/* the standard it is named after, 0: none */
		bool capture;
	} modes[] = {
		{ "640x480p60", 640, 480, 800, 525, 16, 96, 10, 2, 25175000, nn, cea, true },
		{ "720x480p60", 720, 480, 858, 525, 16, 62, 9, 6, 27000000, nn, cea, true },
		{ "720x576p50", 720, 576, 864, 625, 12, 64, 5, 5, 27000000, nn, cea, true },
		{ "1280x720p50", 1280, 720, 1980, 750, 440, 40, 5, 5, 74250000, pp, cea, true },
		{ "1280x720p60", 1280, 720, 1650, 750, 110, 40, 5, 5, 74250000, pp, cea, false },
		{ "1920x1080p24", 1920, 1080, 2750, 1125, 638, 44, 4, 5, 74250000, pp, cea, true },
		{ "1920x1080p25", 1920, 1080, 2640, 1125, 528, 44, 4, 5, 74250000, pp, cea, false },
		{ "1920x1080p30", 1920, 1080, 2200, 1125, 88, 44, 4, 5, 74250000, pp, cea, false },
		{ "1920x1080p50", 1920, 1080, 2640, 1125, 528, 44, 4, 5, 148500000, pp, cea, false },
		{ "1920x1080p60", 1920, 1080, 2200, 1125, 88, 44, 4, 5, 148500000, pp, cea, false },
		{ "3840x2160p24", 3840, 2160, 5500, 2250, 1276, 88, 8, 10, 297000000, pp, cea, false },
		{ "3840x2160p25", 3840, 2160, 5280, 2250, 1056, 88, 8, 10, 297000000, pp, cea, false },
		{ "3840x2160p30", 3840, 2160, 4400, 2250, 176, 88, 8, 10, 297000000, pp, cea, false },
		{ "3840x2160p60", 3840, 2160, 4400, 2250, 176, 88, 8, 10, 594000000, pp, cea, false },
		{ "4096x2160p30", 4096, 2160, 4400, 2250, 88, 88, 8, 10, 297000000, pp, cea, true },
		{ "1280x1024p60", 1280, 1024, 1688, 1066, 48, 112, 1, 3, 108000000, pp, dmt, true },
		{ "1920x1200p60rb", 1920, 1200, 2080, 1235, 48, 32, 3, 6, 154000000, pn, dmt, false },
		{ "2560x1080p60rb", 2560, 1080, 2720, 1111, 48, 32, 3, 10, 181250000, pn, 0, true },
	};
	const unsigned int in = 3;
	int fd;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, in);
	for (unsigned int i = 0; i < ARRAY_SIZE(modes); i++) {
		const struct v4l2_bt_timings *bt;
		struct v4l2_dv_timings q;
		struct v4l2_input inp = { .index = in };
		struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
		uint64_t rate_mhz = modes[i].pclk * 1000000 / (modes[i].htot * modes[i].vtot);
		uint64_t got_mhz;

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
		EXPECT_EQ(modes[i].pol, bt->polarities) TH_LOG("%s", modes[i].name);
		EXPECT_FALSE(bt->interlaced);
		if (modes[i].std) {
			EXPECT_TRUE(bt->standards & modes[i].std)
				TH_LOG("%s is not named after its standard's entry", modes[i].name);
		} else {
			EXPECT_FALSE(bt->standards & (cea | dmt))
				TH_LOG("%s is named after a standard it is not in", modes[i].name);
		}
		ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUMINPUT, &inp));
		EXPECT_EQ(0u, inp.status);
		/* The rate is the source's, whatever the channel's timings say. */
		ASSERT_EQ(0, xioctl(fd, VIDIOC_G_PARM, &parm));
		ASSERT_NE(0u, parm.parm.capture.timeperframe.numerator);
		got_mhz = (uint64_t)parm.parm.capture.timeperframe.denominator * 1000000 /
			  parm.parm.capture.timeperframe.numerator;
		EXPECT_GE(rate_mhz / 1000, got_mhz > rate_mhz ? got_mhz - rate_mhz : rate_mhz - got_mhz)
			TH_LOG("%s: G_PARM says %u/%u s", modes[i].name,
			       parm.parm.capture.timeperframe.numerator,
			       parm.parm.capture.timeperframe.denominator);
		if (!modes[i].capture)
			continue;
		/* Take the timings the query returned and capture at that size. */
		ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q)) TH_LOG("%s", modes[i].name);
		capture(_metadata, fd, node_of(self, 0, in), formats[i % NFORMATS].fourcc, 0,
			DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 2, -1);
	}
	ASSERT_EQ(0, set_input_timings(self, 0, in, "640x480p60"));
}

/*
 * The frame rate is the source's: when the source goes from 1080p60 to
 * 1080p50 under a channel whose timings stay 1080p60's, G_PARM and
 * ENUM_FRAMEINTERVALS say 50 Hz, the rate frames come at; with no source,
 * the channel's timings' rate.
 */
TEST_F_TIMEOUT(daqcap, frame_rate_is_the_sources, 60)
{
	const unsigned int in = 3;
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_frmivalenum fi = {
		.pixel_format = V4L2_PIX_FMT_YUYV, .width = 1920, .height = 1080,
	};
	const struct v4l2_fract *tpf = &parm.parm.capture.timeperframe;
	struct v4l2_dv_timings q, g;
	int fd;

	NEED_QMP();
	fd = chan_on_input(_metadata, self, in);
	ASSERT_EQ(0, set_input_timings(self, 0, in, "1920x1080p60"));
	ASSERT_EQ(0, query_timings(fd, &q));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_S_DV_TIMINGS, &q));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_PARM, &parm));
	EXPECT_EQ(1u, tpf->numerator);
	EXPECT_EQ(60u, tpf->denominator);

	ASSERT_EQ(0, set_input_timings(self, 0, in, "1920x1080p50"));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_DV_TIMINGS, &g));
	EXPECT_EQ(2200u, V4L2_DV_BT_FRAME_WIDTH(&g.bt));	/* still 1080p60's */
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_PARM, &parm));
	EXPECT_EQ(1u, tpf->numerator);
	EXPECT_EQ(50u, tpf->denominator);
	ASSERT_EQ(0, xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi));
	EXPECT_EQ(1u, fi.discrete.numerator);
	EXPECT_EQ(50u, fi.discrete.denominator);

	ASSERT_EQ(0, set_input_signal(self, 0, in, false));
	ASSERT_EQ(0, xioctl(fd, VIDIOC_G_PARM, &parm));
	EXPECT_EQ(1u, tpf->numerator);
	EXPECT_EQ(60u, tpf->denominator);
	ASSERT_EQ(0, set_input_signal(self, 0, in, true));
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

TEST_HARNESS_MAIN
