// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_faults: the daqcap driver's tests of faults (kselftest).
 *
 * Bad input from applications, faults injected into the card over QMP,
 * and unbinding the driver while streaming. Unbinding stays last: the
 * nodes come back renumbered (new tests go above its section).
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

/* ---- tests: fault injection (QMP) ------------------------------------------------------- */

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
		/*
		 * The lie comes with the next chunk; then a few more frames,
		 * and the buffer in error: a slow guest (the verifier kernel)
		 * may have more done buffers waiting than those few.
		 */
		for (int n = 0; n < 40 && (after < 3 ||
				c.errors - errors0 < (lies[i].loses_chunk ? 1u : 0u)); n++) {
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

/* ---- tests: a card that lies, further (issue 9 §6) ------------------------------------- */

/* The driver's counters a lie about completions moves. */
struct lie_counts {
	long long bad, unfetched, sequence, incomplete, log;
	unsigned int errors;
};

static void lie_counts(const struct cap *c, const char *log_needle, struct lie_counts *n)
{
	n->bad = dbg_counter(c->node->pci, c->node->chan, "bad_completions");
	n->unfetched = dbg_counter(c->node->pci, c->node->chan, "unfetched_completions");
	n->sequence = dbg_counter(c->node->pci, c->node->chan, "sequence_errors");
	n->incomplete = dbg_counter(c->node->pci, c->node->chan, "incomplete_frames");
	n->log = kernel_log_count(log_needle);
	n->errors = c->errors;
}

/*
 * Stream channel 3 in 16-line chunks into buffers refilled with the canary
 * at every QBUF, arm @fault and go on until @counter moved and a round of
 * buffers more came. Every buffer is checked as it comes (cap_check()): one
 * handed back before the card wrote it (canary bytes), a sequence or a
 * timestamp going back, a torn frame, all fail. Then every buffer must
 * still go round, byte-exact. @d gets what moved.
 */
static void lie_run(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
		    const char *fault, const char *counter, const char *log_needle,
		    struct lie_counts *d, uint32_t *chunks)
{
	const unsigned int ch = 3;
	const struct dnode *node = node_of(self, 0, ch);
	struct lie_counts before, after;
	struct v4l2_buffer buf;
	unsigned int seen_bufs = 0;
	long long c0;
	struct cap c;
	int fd, moved = 0;

	fd = chan_on_input(_metadata, self, ch);
	ASSERT_EQ(0, set_ctrl(fd, V4L2_CID_DAQCAP_CHUNK_LINES, 16));
	cap_prepare(_metadata, &c, fd, node, V4L2_PIX_FMT_GREY, 0, DAQCAP_PATTERN_VERIFY);
	c.canary = CANARY;
	c.refill = true;
	*chunks = (c.pix.height + 15) / 16;
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	/*
	 * The warnings are rate-limited (10 in 5 s): let the lies of the
	 * tests before this one age out, so that this one's is printed.
	 */
	sleep_ms(5100);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	lie_counts(&c, log_needle, &before);
	c0 = dbg_counter(node->pci, ch, counter);
	ASSERT_LE(0, c0);
	ASSERT_EQ(0, inject(self, 0, fault, ch));
	/*
	 * After the lie, as many frames as there are buffers and two: every
	 * buffer in flight at the time (the one the lie cost a chunk among
	 * them) has come back, however far behind the application was.
	 */
	for (int n = 0; n < 40 && moved < NBUFS + 2; n++) {
		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS))
			TH_LOG("%s: DQBUF after %u buffers", fault, c.dequeued);
		cap_check(_metadata, &c, &buf);
		cap_qbuf(_metadata, &c, buf.index);
		if (moved || dbg_counter(node->pci, ch, counter) != c0)
			moved++;
	}
	ASSERT_NE(0, moved) TH_LOG("%s: %s never moved", fault, counter);
	for (unsigned int n = 0; n < 2 * NBUFS; n++) {
		ASSERT_EQ(0, cap_dq(&c, &buf, DQ_TIMEOUT_MS));
		ASSERT_TRUE(cap_check(_metadata, &c, &buf))
			TH_LOG("%s: seq %u in error, long after the lie", fault, buf.sequence);
		cap_qbuf(_metadata, &c, buf.index);
		seen_bufs |= 1u << buf.index;
	}
	EXPECT_EQ((1u << NBUFS) - 1, seen_bufs) TH_LOG("%s: a buffer held back", fault);
	lie_counts(&c, log_needle, &after);
	d->bad = after.bad - before.bad;
	d->unfetched = after.unfetched - before.unfetched;
	d->sequence = after.sequence - before.sequence;
	d->incomplete = after.incomplete - before.incomplete;
	d->log = after.log - before.log;
	d->errors = after.errors - before.errors;
	TH_LOG("%s: %lld bad, %lld not taken, %lld sequence, %lld incomplete; %u error buffers",
	       fault, d->bad, d->unfetched, d->sequence, d->incomplete, d->errors);
	cap_off(_metadata, &c);
	cap_free(&c);
}

/*
 * Right after a frame, the card reports a whole frame for the next buffer
 * in the ring, one it has not taken: with no older buffer in flight, the
 * driver must still check DESC_HEAD. Believed, the lie would hand that
 * buffer back unwritten (the canary), and the card would write it later
 * while the application holds it. Every record is rejected, no buffer
 * comes back in error, and the buffer gets its real frame in turn.
 */
TEST_F_TIMEOUT(daqcap, unfetched_cookie_rejected, 180)
{
	struct lie_counts d;
	uint32_t chunks;

	NEED_QMP();
	lie_run(_metadata, self, "unfetched-cookie", "unfetched_completions",
		"(buffer not taken by the card)", &d, &chunks);
	EXPECT_EQ(chunks, d.unfetched);
	EXPECT_EQ(chunks, d.bad);
	EXPECT_EQ(0, d.sequence);
	EXPECT_EQ(0, d.incomplete);
	EXPECT_EQ(0u, d.errors);
	EXPECT_LT(0, d.log) TH_LOG("no rate-limited warning naming the lie");
}

/*
 * The first record of a frame carries a sequence 0x10000 ahead of the
 * frame's. Believed, it would number the buffer (and reject the frame's
 * other records), and the next buffers' sequences would go back. Rejected,
 * the buffer misses one chunk: it comes back in error, with its real
 * sequence, when the card starts the next one.
 */
TEST_F_TIMEOUT(daqcap, bad_sequence_rejected, 180)
{
	struct lie_counts d;
	uint32_t chunks;

	NEED_QMP();
	lie_run(_metadata, self, "bad-sequence", "sequence_errors",
		"(impossible frame sequence)", &d, &chunks);
	EXPECT_EQ(1, d.sequence);
	EXPECT_EQ(1, d.bad);
	EXPECT_EQ(0, d.unfetched);
	EXPECT_EQ(1, d.incomplete);
	EXPECT_EQ(1u, d.errors);
	EXPECT_LT(0, d.log) TH_LOG("no rate-limited warning naming the lie");
}

/*
 * The first record of a frame carries the cookie of another buffer in
 * flight, not the one the card took (nor the next: the one after it).
 * Believed, it would retire the buffer being written (with the previous
 * buffer's sequence) and start the named one early. Rejected, only the
 * buffer being written comes back in error, missing that chunk; the named
 * one gets its own frame, byte-exact.
 */
TEST_F_TIMEOUT(daqcap, other_cookie_rejected, 180)
{
	struct lie_counts d;
	uint32_t chunks;

	NEED_QMP();
	lie_run(_metadata, self, "other-cookie", "unfetched_completions",
		"(buffer not taken by the card)", &d, &chunks);
	EXPECT_EQ(1, d.unfetched);
	EXPECT_EQ(1, d.bad);
	EXPECT_EQ(0, d.sequence);
	EXPECT_EQ(1, d.incomplete);
	EXPECT_EQ(1u, d.errors);
	EXPECT_LT(0, d.log) TH_LOG("no rate-limited warning naming the lie");
}

/*
 * Stream channel 3 (canary-filled buffers), arm @fault, and dequeue until
 * DQBUF fails: it must fail with EIO (the driver stopped the channel and
 * said so) rather than time out, every buffer before it byte-exact. Then
 * STREAMOFF, STREAMON with every buffer, and byte-exact frames again.
 */
static void fail_then_restart(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
			      const char *fault, const char *log_needle)
{
	const unsigned int ch = 3;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer buf;
	int fd, r = 0, l0;
	struct cap c;

	l0 = kernel_log_count(log_needle);
	fd = chan_on_input(_metadata, self, ch);
	cap_prepare(_metadata, &c, fd, node_of(self, 0, ch), V4L2_PIX_FMT_GREY, 0,
		    DAQCAP_PATTERN_VERIFY);
	c.canary = CANARY;
	c.refill = true;
	cap_alloc(_metadata, &c, V4L2_MEMORY_MMAP, NBUFS, 0, NULL);
	cap_on(_metadata, &c);
	cap_run(_metadata, &c, 2);
	ASSERT_EQ(0, inject(self, 0, fault, ch));
	for (int n = 0; n < 40; n++) {
		r = cap_dq(&c, &buf, DQ_TIMEOUT_MS);
		if (r)
			break;
		ASSERT_TRUE(cap_check(_metadata, &c, &buf))
			TH_LOG("%s: seq %u in error", fault, buf.sequence);
		r = cap_requeue(_metadata, &c, buf.index);
		if (r)
			break;
	}
	ASSERT_EQ(-EIO, r) TH_LOG("%s: DQBUF or QBUF: %s", fault, strerror(-r));
	/* The handler may still be printing as the application wakes up. */
	for (int i = 0; i < 20 && kernel_log_count(log_needle) <= l0; i++)
		sleep_ms(100);
	EXPECT_LT(l0, kernel_log_count(log_needle))
		TH_LOG("%s: no '%s' in the kernel log", fault, log_needle);
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
 * The card writes a record a whole ring ahead, over one not read yet: the
 * phase bits show an empty ring for good while the card, its ring
 * over-full, drops every frame. The driver compares CPL_TAIL, stops the
 * channel and says why.
 */
TEST_F_TIMEOUT(daqcap, cpl_overrun_stops_channel, 120)
{
	const unsigned int ch = 3;
	long long o0;

	NEED_QMP();
	o0 = dbg_counter(node_of(self, 0, ch)->pci, ch, "cpl_overruns");
	ASSERT_LE(0, o0);
	fail_then_restart(_metadata, self, "cpl-overrun", "completion ring overrun");
	EXPECT_EQ(o0 + 1, dbg_counter(node_of(self, 0, ch)->pci, ch, "cpl_overruns"));
}

/* Whether the card at @pci has its interrupts as MSI-X vectors. */
static bool card_uses_msix(const char *pci)
{
	char path[320], kind[16] = "";
	struct dirent *e;
	bool msix = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", pci);
	d = opendir(path);
	while (d && !msix && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs/%s",
			 pci, e->d_name);
		f = fopen(path, "r");
		if (f && fgets(kind, sizeof(kind), f))
			msix = !strncmp(kind, "msix", 4);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return msix;
}

/*
 * Interrupt storms: a DATA status that no acknowledge clears (each
 * acknowledge brings another message; with INTx the line stays up), then,
 * on the channel's own MSI-X vector, messages with nothing pending (at
 * each status read). The driver must not spin: it stops the channel,
 * which masks its interrupts, within its rate bound, and says why;
 * STREAMON brings the channel back. A shared vector with nothing pending
 * is the interrupt core's to disable (IRQ_NONE), not tested here.
 */
TEST_F_TIMEOUT(daqcap, irq_storm_stops_channel, 180)
{
	static const char * const storms[] = { "irq-stuck", "irq-spurious" };
	const unsigned int ch = 3;
	unsigned int nstorms;
	const char *pci;

	NEED_QMP();
	pci = node_of(self, 0, ch)->pci;
	nstorms = card_uses_msix(pci) ? 2 : 1;
	if (nstorms == 1)
		TH_LOG("no MSI-X: irq-spurious left out");
	for (unsigned int i = 0; i < nstorms; i++) {
		long long s0 = dbg_counter(pci, ch, "irq_storms");
		long long sp0 = dbg_counter(pci, ch, "spurious_irqs");

		ASSERT_LE(0, s0);
		ASSERT_LE(0, sp0);
		fail_then_restart(_metadata, self, storms[i], "interrupt storm");
		EXPECT_EQ(s0 + 1, dbg_counter(pci, ch, "irq_storms")) TH_LOG("%s", storms[i]);
		if (i == 1)
			EXPECT_LE(sp0 + 1000, dbg_counter(pci, ch, "spurious_irqs"));
	}
}

/*
 * With an IOMMU: the card writes a line to bus address 0, outside every
 * buffer (IOVA 0 is never mapped). The IOMMU refuses it (a DMAR fault in
 * the kernel log), the card halts the channel with a DMA error, the
 * driver puts the queue in error; no buffer was written outside its frame
 * (the canary), and after STREAMOFF the channel streams again.
 */
TEST_F_TIMEOUT(daqcap, wild_write_caught_by_iommu, 120)
{
	const unsigned int ch = 3;
	const char *pci;
	long long e0;
	int dmar0, dmar1 = 0;
	char path[96];

	NEED_QMP();
	pci = node_of(self, 0, ch)->pci;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", pci);
	if (access(path, F_OK))
		SKIP(return, "no IOMMU: the write would land in page 0 (utils/daqcap-vm --iommu)");
	e0 = dbg_counter(pci, ch, "dma_errors");
	dmar0 = kernel_log_count("DMAR: [DMA Write");
	ASSERT_LE(0, e0);
	ASSERT_LE(0, dmar0);
	fail_then_restart(_metadata, self, "wild-write", "DMA write failed: channel halted");
	EXPECT_EQ(e0 + 1, dbg_counter(pci, ch, "dma_errors"));
	for (int i = 0; i < 20 && dmar1 <= dmar0; i++) {
		dmar1 = kernel_log_count("DMAR: [DMA Write");
		if (dmar1 <= dmar0)
			sleep_ms(100);
	}
	EXPECT_LT(dmar0, dmar1) TH_LOG("no DMAR fault in the kernel log");
	/*
	 * The fault is this test's own doing: clear the log, so that later
	 * tests that look for IOMMU faults nobody expected do not trip on it,
	 * unless there was one before.
	 */
	if (!dmar0)
		klogctl(5 /* SYSLOG_ACTION_CLEAR */, NULL, 0);
}

/* ---- tests: unbinding the driver (last: the nodes come back renumbered) ---------------- */

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
	expect_no_dma_left(_metadata, pci);

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

/*
 * The card's link dies while it streams, the card still in its slot: its
 * registers read all ones and it signals nothing. The driver must notice
 * (its watchdog reads a register every 250 ms), not trust or wait for the
 * card: it takes bus mastering away, ends the stream in error (EIO, not a
 * DQBUF that waits forever), STREAMOFF returns at once, and STREAMON
 * fails while the card is gone. Unbinding, a function reset and binding
 * again bring back a card that captures byte-exact.
 */
TEST_F_TIMEOUT(daqcap, all_ones_card_is_given_up, 120)
{
	const struct dnode *n = node_of(self, 0, 3);
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	char pci[32], path[96], state[256] = "";
	struct v4l2_buffer buf;
	long long a0;
	int l0, lost0, fd, r = 0;
	uint64_t t0;
	struct cap c;
	FILE *f;

	NEED_QMP();
	ASSERT_NE(NULL, n);
	snprintf(pci, sizeof(pci), "%s", n->pci);
	a0 = dbg_counter(pci, 3, "all_ones_reads");
	ASSERT_LE(0, a0);
	l0 = kernel_log_count("reads all ones: card not responding, giving it up");
	lost0 = kernel_log_count("registers that read all ones: the card is lost");
	fault_stream(_metadata, self, &c, 3, NBUFS);
	ASSERT_EQ(0, inject(self, 0, "all-ones", 0));
	t0 = now_ns();
	for (int i = 0; i < 40; i++) {
		r = cap_dq(&c, &buf, DQ_TIMEOUT_MS);
		if (r)
			break;
		cap_check(_metadata, &c, &buf);
		r = cap_requeue(_metadata, &c, buf.index);
		if (r)
			break;
	}
	ASSERT_EQ(-EIO, r) TH_LOG("DQBUF or QBUF: %s", strerror(-r));
	EXPECT_GT(3000000000ull, now_ns() - t0) TH_LOG("the dead card was noticed late");
	EXPECT_LT(l0, kernel_log_count("reads all ones: card not responding, giving it up"));
	for (int i = 0; i < 20 && kernel_log_count("registers that read all ones: the card is lost") <= lost0; i++)
		sleep_ms(100);
	EXPECT_LT(lost0, kernel_log_count("registers that read all ones: the card is lost"));
	EXPECT_LE(a0 + 1, dbg_counter(pci, 3, "all_ones_reads"));
	snprintf(path, sizeof(path), "/sys/kernel/debug/daqcap/%s/lifecycle", pci);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(state, sizeof(state), f))
			state[0] = '\0';
		fclose(f);
	}
	EXPECT_STREQ("state: gone\n", state);
	t0 = now_ns();
	ASSERT_EQ(0, xioctl(c.fd, VIDIOC_STREAMOFF, &type));
	c.streaming = false;
	EXPECT_GT(1000000000ull, now_ns() - t0) TH_LOG("STREAMOFF waited for a dead card");
	for (unsigned int i = 0; i < c.nbufs; i++)
		cap_qbuf(_metadata, &c, i);
	EXPECT_EQ(-EIO, xioctl(c.fd, VIDIOC_STREAMON, &type));
	cap_free(&c);

	/* Unbind, reset the function (the link comes back), bind. */
	for (int i = 0; i < MAX_NODES; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
		self->fds[i] = -1;
	}
	ASSERT_EQ(0, write_sysfs("/sys/bus/pci/drivers/daqcap/unbind", pci));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", pci);
	ASSERT_EQ(0, write_sysfs(path, "1"));
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
	capture(_metadata, fd, node_of(self, 0, 3), V4L2_PIX_FMT_GREY, 0,
		DAQCAP_PATTERN_VERIFY, V4L2_MEMORY_MMAP, 3, CANARY);
}

TEST_HARNESS_MAIN
