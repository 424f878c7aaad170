// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_common.h: what the daqcap driver's test programs share.
 *
 * The driver's test suite (kselftest harness, TAP) is one program per
 * concern, each with its own TEST_HARNESS_MAIN (kselftest_harness.h keeps
 * its list of tests per translation unit):
 *
 *   daqcap_io.c         the pattern checker itself, the node, formats,
 *                       sizes, strides and chunks, the I/O methods,
 *                       sequence numbers and timestamps, every channel of
 *                       two cards at once
 *   daqcap_inputs.c     the media graph, inputs and timings, cable events
 *   daqcap_faults.c     bad input, fault injection, unbinding the driver
 *   daqcap_lifecycle.c  the card through the system's lifecycle: function
 *                       reset, PCIe errors, runtime PM, surprise removal,
 *                       DMA that will not stop, system sleep
 *
 * They share the helpers declared here (daqcap_common.c): the suite-wide
 * counters, the formats, debugfs, the QMP client, the fixture's data, setup
 * and teardown, the ioctl helpers and the capture and verification code.
 * Each program declares the fixture itself, named daqcap (so that its tests
 * are daqcap.<test>): FIXTURE(daqcap) (its data is FIXTURE_DATA(daqcap)
 * below), FIXTURE_SETUP(daqcap) and FIXTURE_TEARDOWN(daqcap), which call
 * daqcap_fixture_setup() and daqcap_fixture_teardown().
 *
 * They run as root inside the VM bench (utils/daqcap-vm) against the
 * emulated card. Every frame they capture is checked byte for byte against
 * the card's pattern with the shared implementation
 * (pattern/daqcap-pattern.c), so a torn, stale, shifted or misattributed
 * line is caught wherever it lands.
 *
 * build/tests/daqcap_test (tests/driver/daqcap_test) runs the programs in
 * the order above, each with the same harness arguments (a filter that
 * matches none of a program's tests leaves it the plan "1..0"), one TAP
 * stream after another. The tests after which the card's nodes come back
 * renumbered come last: daqcap_faults.c ends with unbinding the driver, and
 * daqcap_lifecycle.c (resets, removal) runs after it. Each program ends
 * with its own line "# daqcap: frames verified: N (M bytes), error frames
 * seen: E"; tests/driver/run adds up the programs' plans and these lines.
 * A new test goes into the program of its concern; a new program into the
 * list in tests/driver/daqcap_test, which tests/driver/run builds from.
 *
 * Cable events (input timings, signal) and fault injection go through
 * QEMU's QMP monitor, which the bench makes reachable from the guest at the
 * path in $DAQCAP_QMP (a tty or a virtio port). Without it those tests SKIP.
 *
 * Environment:
 *   DAQCAP_QMP          guest path of the QMP character device
 *   DAQCAP_TEST_CARDS   comma-separated PCI addresses (0000:00:03.0,...): the
 *                       tests use only these cards and leave the others
 *                       alone (a card in use, or one a board describes
 *                       differently); card indices count the cards kept,
 *                       while QMP names QEMU's devices daqcap<index> among
 *                       all of them, so the fault tests want every card
 *
 * Build and run: tests/driver/run.
 */
#ifndef DAQCAP_COMMON_H
#define DAQCAP_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

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

/* Fail the test with a message, and run "statement" (usually return). */
#define FAIL_MSG(statement, fmt, ...) do { \
	TH_LOG(fmt, ##__VA_ARGS__); \
	_metadata->exit_code = KSFT_FAIL; \
	statement; \
} while (0)

/* ---- formats -------------------------------------------------------------- */

struct fmtinfo {
	uint32_t fourcc;
	uint32_t code;
	unsigned int bpp;
	const char *name;
};

extern const struct fmtinfo formats[];
extern const int nformats;
#define NFORMATS nformats

/* ---- QMP ------------------------------------------------------------------ */

struct qmp {
	int fd;
	unsigned long next_id;
	size_t len;
	char buf[16384];
};

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

/* The fixture's data: each test program declares FIXTURE(daqcap) with it. */
FIXTURE_DATA(daqcap) {
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

/* Skip the test without QMP in the guest; fail it if QMP does not answer. */
#define NEED_QMP() do { \
	int __r = fixture_qmp(self); \
	if (__r == -ENOENT) \
		SKIP(return, "no QMP in the guest: DAQCAP_QMP is not set (utils/daqcap-vm --guest-qmp)"); \
	ASSERT_EQ(0, __r) TH_LOG("QMP at %s: %s", getenv("DAQCAP_QMP"), strerror(-__r)); \
} while (0)

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
	uint32_t rows;		/* in memory: lines, then any chroma lines */
	int canary;		/* -1, or the byte the card must never write */
	bool refill;		/* fill the whole buffer with the canary at QBUF */
	uint32_t tstamp_src;	/* V4L2_BUF_FLAG_TSTAMP_SRC_*: EOF unless asked */
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

/* ---- the helpers (daqcap_common.c) ---------------------------------------- */

/* suite-wide counters; time */
void count_frame(size_t bytes);
uint64_t now_ns(void);
void sleep_ms(unsigned int ms);
int xioctl(int fd, unsigned long req, void *arg);

/* formats */
const struct fmtinfo *fmt_by_fourcc(uint32_t fourcc);

/* debugfs */
long long dbg_file_counter(const char *pci, const char *file, const char *key);
long long dbg_counter(const char *pci, unsigned int chan, const char *key);
long long dbg_register(const char *pci, unsigned int chan, const char *name);

/* QMP */
int qmp_exec(struct qmp *q, const char *cmd, char *reply, size_t size);
int qmp_connect(struct qmp *q);
int qmp_set(struct qmp *q, int card, const char *prop, const char *json_value,
	    char *reply, size_t size);
int qmp_get(struct qmp *q, int card, const char *prop, char *value, size_t size);
int qmp_get_u64(struct qmp *q, int card, const char *prop, unsigned long long *v);

/* the fixture */
int find_nodes(struct dnode *nodes, int max, int *ncards);
int node_index(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan);
void daqcap_fixture_setup(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self);
int open_node(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan);
int chan_fd(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
	    int card, unsigned int chan);
const struct dnode *node_of(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan);
int fixture_qmp(FIXTURE_DATA(daqcap) *self);
int set_input_timings(FIXTURE_DATA(daqcap) *self, int card, unsigned int input,
		      const char *timings);
int set_input_signal(FIXTURE_DATA(daqcap) *self, int card, unsigned int input,
		     bool on);
int inject(FIXTURE_DATA(daqcap) *self, int card, const char *fault, unsigned int chan);
long long card_stat(FIXTURE_DATA(daqcap) *self, int card, unsigned int chan,
		    const char *what);
void reset_channel(int fd, unsigned int chan, unsigned int ninputs);
int set_crop(int fd, struct v4l2_rect *r);
int get_selection(int fd, uint32_t target, struct v4l2_rect *r);
unsigned int count_inputs(int fd);
void daqcap_fixture_teardown(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self);

/* small ioctl helpers */
int set_ctrl(int fd, uint32_t id, int32_t value);
int get_ctrl(int fd, uint32_t id, int32_t *value);
int get_fmt(int fd, struct v4l2_pix_format *pix);
int set_fmt(int fd, uint32_t fourcc, uint32_t bpl, struct v4l2_pix_format *pix);
unsigned int get_input(int fd);
int query_timings(int fd, struct v4l2_dv_timings *t);
int find_timings(int fd, uint32_t w, uint32_t h, unsigned int hz,
		 struct v4l2_dv_timings *out);
uint64_t frame_period_ps(const struct v4l2_bt_timings *bt);
int subscribe_source_change(int fd, uint32_t id);
int wait_event(int fd, struct v4l2_event *ev, int timeout_ms);
void flush_events(int fd);

/* capture */
bool find_sequence(uint32_t input, const uint8_t *line0, uint32_t from,
		   uint32_t *seq);
void cap_prepare(struct __test_metadata *_metadata, struct cap *c, int fd,
		 const struct dnode *node, uint32_t fourcc, uint32_t bpl,
		 int pattern);
void cap_qbuf(struct __test_metadata *_metadata, struct cap *c, unsigned int i);
int cap_requeue(struct __test_metadata *_metadata, struct cap *c, unsigned int i);
void cap_alloc(struct __test_metadata *_metadata, struct cap *c,
	       unsigned int memory, unsigned int n, size_t uoffset,
	       const int *dmabufs);
void cap_rotate_requeue(struct __test_metadata *_metadata, struct cap *c);
void cap_on(struct __test_metadata *_metadata, struct cap *c);
int cap_dq(struct cap *c, struct v4l2_buffer *buf, int timeout_ms);
void check_frame(struct __test_metadata *_metadata, const struct cap *c,
		 const uint8_t *data, size_t len, uint32_t seq, uint32_t skip_first,
		 uint32_t skip_lines);
bool frame_matches(const struct cap *c, const uint8_t *data, uint32_t seq,
		   uint32_t pattern);
bool cap_check(struct __test_metadata *_metadata, struct cap *c,
	       const struct v4l2_buffer *buf);
void cap_run(struct __test_metadata *_metadata, struct cap *c, unsigned int n);
void cap_off(struct __test_metadata *_metadata, struct cap *c);
void cap_free(struct cap *c);
void capture(struct __test_metadata *_metadata, int fd, const struct dnode *node,
	     uint32_t fourcc, uint32_t bpl, int pattern, unsigned int memory,
	     unsigned int nframes, int canary);
void set_size(struct __test_metadata *_metadata, int fd, uint32_t w, uint32_t h);
int chan_with_input_size(struct __test_metadata *_metadata,
			 FIXTURE_DATA(daqcap) *self, uint32_t w, uint32_t h);

/* channels, media devices, sysfs */
int chan_on_input(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
		  unsigned int in);
void fault_stream(struct __test_metadata *_metadata, FIXTURE_DATA(daqcap) *self,
		  struct cap *c, unsigned int ch, unsigned int nbufs);
int find_media(const char *pci);
int write_sysfs(const char *path, const char *value);
int kernel_log_count(const char *needle);
int dma_api_entries(const char *pci, const char *kind);
void expect_no_dma_left(struct __test_metadata *_metadata, const char *pci);

#endif /* DAQCAP_COMMON_H */
