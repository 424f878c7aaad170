/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DAQCAP multi-channel PCIe video and data-acquisition card: driver state.
 *
 * One struct daqcap_dev per card owns the PCI resources, the v4l2_device
 * and the media device; it embeds one struct daqcap_chan per DMA channel,
 * each with its video node and vb2 queue. A queued vb2 buffer is a
 * struct daqcap_buffer, which carries the buffer's descriptor table (built
 * once per buffer memory) and the accounting of its frame's line chunks.
 */
#ifndef DAQCAP_H
#define DAQCAP_H

#include <linux/bitfield.h>
#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <media/media-device.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-dev.h>
#include <media/v4l2-device.h>
#include <media/videobuf2-v4l2.h>

#include "daqcap-regs.h"

#define DAQCAP_DRV_NAME		"daqcap"

/* Buffers per queue; a buffer's vb2 index is its cookie on the card. */
#define DAQCAP_MAX_BUFFERS	32
/* Smallest crop window, in pixels and lines. */
#define DAQCAP_CROP_MIN		16
/* Descriptor ring entries: one CHAIN entry per queued buffer at most. */
#define DAQCAP_DESC_RING_LOG2	6
#define DAQCAP_DESC_RING_SIZE	BIT(DAQCAP_DESC_RING_LOG2)
/*
 * How often a polled card is looked at (daqcap_poll()): once per chunk of
 * the fastest streaming channel, so that a frame is done within a chunk
 * period of its last line, as with an interrupt per chunk; no more often
 * than DAQCAP_POLL_MIN_NS, which bounds the CPU the polling takes (the
 * completion ring holds four frames of chunks, so no poll period can fill
 * it), and no less often than DAQCAP_POLL_MAX_NS, which bounds the latency
 * of slow chunks. With nothing streaming, input changes are looked for
 * every DAQCAP_POLL_IDLE_NS.
 */
#define DAQCAP_POLL_MIN_NS	(100 * NSEC_PER_USEC)
#define DAQCAP_POLL_MAX_NS	(4 * NSEC_PER_MSEC)
#define DAQCAP_POLL_IDLE_NS	(20 * NSEC_PER_MSEC)

/* Chunks of a frame: DAQCAP_MAX_HEIGHT lines one line at a time. */
#define DAQCAP_MAX_FRAME_CHUNKS	DAQCAP_MAX_HEIGHT

/**
 * struct daqcap_desc - a segment or CHAIN descriptor, as the card reads it
 * @addr: bus address of the segment, or of the descriptor table (CHAIN)
 * @len: segment length in bytes, or table entries (CHAIN)
 * @flags: DAQCAP_DESC_FLAG_* bits
 * @cookie: the buffer's vb2 index, in a buffer's first descriptor
 */
struct daqcap_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 cookie;
};

/**
 * struct daqcap_cpl - a chunk completion record, as the card writes it
 * @ts_sof: card time of the frame's first line, ns
 * @ts_end: card time of the chunk's last line, ns
 * @sequence: hardware frame sequence
 * @cookie: cookie of the buffer the chunk was written to
 * @chunk: chunk index in the frame
 * @first_line: first line of the chunk
 * @lines: lines in the chunk
 * @status: DAQCAP_CPL_STATUS_* bits; written last by the card
 */
struct daqcap_cpl {
	__le64 ts_sof;
	__le64 ts_end;
	__le32 sequence;
	__le16 cookie;
	__le16 chunk;
	__le16 first_line;
	__le16 lines;
	__le32 status;
};

/**
 * struct daqcap_format - a pixel format the card can write
 * @fourcc: V4L2 pixel format
 * @hw_code: DAQCAP_FMT_* code for CH_FORMAT
 * @bpp: bytes per pixel of a line (of each plane's lines, for two planes)
 * @yuv: a Y'CbCr format (limited range) rather than RGB or luma (full range)
 * @chroma_vdiv: 0 for one plane; else the lines per chroma line of the
 *	second plane, which follows the luma lines in the buffer (1 for NV16,
 *	2 for NV12, whose height must be even)
 */
struct daqcap_format {
	u32 fourcc;
	u32 hw_code;
	u8 bpp;
	bool yuv;
	u8 chroma_vdiv;
};

/**
 * struct daqcap_desc_table - a buffer's segment descriptors
 * @desc: the descriptors, in coherent memory; NULL when there is no table
 * @dma: bus address of @desc
 * @size: bytes allocated for @desc
 * @nents: entries in @desc
 *
 * Written once, in buf_init, and only read by the card after.
 */
struct daqcap_desc_table {
	struct daqcap_desc *desc;
	dma_addr_t dma;
	size_t size;
	unsigned int nents;
};

/**
 * struct daqcap_buffer - a vb2 buffer and its frame accounting
 * @vb: the vb2 buffer; first, as vb2 allocates this struct
 * @list: entry in &daqcap_chan.pending while not yet given to the card
 * @chunks_done: chunks of the frame that have landed
 * @nchunks_done: bits set in @chunks_done
 * @link_seq: the channel's descriptor tail when the buffer was linked: the
 *	order in which the card takes buffers
 * @sequence: hardware sequence of the frame being written
 * @errors: DAQCAP_CPL_STATUS_ERR_* bits seen in the frame's chunks
 * @ts_sof: card time of the frame's first line
 * @ts_end: card time of the frame's last line
 *
 * Its descriptor table is &daqcap_chan.tables[@vb.vb2_buf.index].
 * The frame accounting (@chunks_done to @ts_end) is protected by
 * &daqcap_chan.lock.
 */
struct daqcap_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
	DECLARE_BITMAP(chunks_done, DAQCAP_MAX_FRAME_CHUNKS);
	unsigned int nchunks_done;
	u32 link_seq;
	u32 sequence;
	u32 errors;
	u64 ts_sof;
	u64 ts_end;
};

/**
 * struct daqcap_chan_stats - what a channel counted since it was created
 *
 * Only u64 counters, each in daqcap_chan_counters[], which debugfs and
 * VIDIOC_LOG_STATUS print.
 *
 * @frames: buffers completed without error
 * @error_frames: buffers completed with VB2_BUF_STATE_ERROR
 * @chunks: chunk completions accounted
 * @irqs: channel interrupts handled
 * @polls: looks of the poll timer at the channel that found completions or
 *	events (a polled card's @irqs)
 * @bad_completions: completion records rejected (cookie, chunk or lines
 *	out of range, or a sequence not matching the buffer's frame)
 * @dup_completions: completion records for a chunk already accounted
 * @incomplete_frames: buffers the card finished without an accepted record
 *	for every chunk, returned in error (see daqcap_chan_start_frame())
 * @watchdog_completions: completions found by the watchdog, not an IRQ
 * @fifo_overflows: FIFO overflow interrupts
 * @dma_errors: DMA error interrupts (the channel halted)
 * @desc_errors: descriptor error interrupts (the channel halted)
 * @drop_irqs: frame-dropped interrupts
 * @source_changes: source change events sent
 * @stop_resets: channel resets because DMA did not go idle on stop
 * @unfetched_completions: completion records rejected because they name a
 *	buffer the card has not taken from the descriptor ring (also counted
 *	in @bad_completions)
 * @sequence_errors: completion records rejected for a frame sequence that
 *	cannot be (also counted in @bad_completions)
 * @cpl_overruns: completion ring overruns, the card writing more records
 *	than the ring holds (the channel stopped)
 * @all_ones_reads: channel register reads that returned all ones while
 *	streaming: the card stopped answering (the card is given up)
 * @spurious_irqs: channel interrupts with nothing pending
 * @irq_storms: interrupt storms (the channel stopped)
 * @frame_syncs: V4L2_EVENT_FRAME_SYNC events sent (start-of-frame
 *	interrupts, taken only while an application subscribes)
 * @clock_syncs: times the card clock was mapped to CLOCK_MONOTONIC again
 *	while streaming (daqcap_chan_clock_sync())
 * @clock_rejects: samples of the card clock not believed: all ones, or
 *	farther from the mapping than the drift explains (the mapping kept)
 */
struct daqcap_chan_stats {
	u64 frames;
	u64 error_frames;
	u64 chunks;
	u64 irqs;
	u64 polls;
	u64 bad_completions;
	u64 dup_completions;
	u64 incomplete_frames;
	u64 watchdog_completions;
	u64 fifo_overflows;
	u64 dma_errors;
	u64 desc_errors;
	u64 drop_irqs;
	u64 source_changes;
	u64 stop_resets;
	u64 unfetched_completions;
	u64 sequence_errors;
	u64 cpl_overruns;
	u64 all_ones_reads;
	u64 spurious_irqs;
	u64 irq_storms;
	u64 frame_syncs;
	u64 clock_syncs;
	u64 clock_rejects;
};

/* Buckets of struct daqcap_latency: up to 2^22 us (4.2 s), and longer. */
#define DAQCAP_LATENCY_BUCKETS	24

/**
 * struct daqcap_latency - how long finished frames waited for the driver
 * @frames: frames measured: those completed whole and without error
 * @sum_ns: their latencies, added up
 * @max_ns: the longest
 * @buckets: frames by latency: [0] under 1 us, [i] from 2^(i-1) up to
 *	2^i us, the last one from 2^(DAQCAP_LATENCY_BUCKETS - 2) us on
 *
 * A frame's latency runs from the card's time of its last line, brought
 * to CLOCK_MONOTONIC, to the moment the driver hands its buffer to vb2:
 * the interrupt (or poll) delay and the driver's own work, not the
 * application's.
 */
struct daqcap_latency {
	u64 frames;
	u64 sum_ns;
	u64 max_ns;
	u64 buckets[DAQCAP_LATENCY_BUCKETS];
};

/**
 * struct daqcap_counter - a counter, as debugfs and LOG_STATUS name it
 * @name: its name: "name: value" in debugfs, which daqcap-info reads
 * @offset: the driver's counters: its offset in struct daqcap_chan_stats
 * @reg: the card's counters: its channel register
 */
struct daqcap_counter {
	const char *name;
	union {
		size_t offset;
		u32 reg;
	};
};

extern const struct daqcap_counter daqcap_chan_counters[];
extern const unsigned int daqcap_num_chan_counters;
extern const struct daqcap_counter daqcap_chan_hw_counters[];
extern const unsigned int daqcap_num_chan_hw_counters;

static inline u64 daqcap_counter_value(const struct daqcap_chan_stats *stats,
				       const struct daqcap_counter *c)
{
	return *(const u64 *)((const u8 *)stats + c->offset);
}

struct daqcap_dev;

/**
 * struct daqcap_chan - one DMA channel and its video node
 * @dev: the card
 * @index: channel number
 * @regs: the channel's register block
 * @irq: Linux IRQ number serving this channel; 0 when the card is polled
 * @irq_name: the name of the channel's MSI-X vector in /proc/interrupts
 * @vdev: the video node
 * @pad: the video node's sink pad
 * @queue: the vb2 queue
 * @mutex: serializes ioctls, file operations and vb2 (vdev.lock, queue.lock)
 *	and the lifecycle callbacks' work on the channel, and protects @input,
 *	@timings, @crop, @format, @fmt, @held, @pm_held, @held_sleep_ns and
 *	@tables
 * @ctrl_handler: the node's controls
 * @ctrl_pattern: V4L2_CID_TEST_PATTERN
 * @ctrl_chunk_lines: V4L2_CID_DAQCAP_CHUNK_LINES, grabbed while streaming
 * @ctrl_coalesce: V4L2_CID_DAQCAP_IRQ_COALESCE
 * @ctrl_irq_chunks: V4L2_CID_DAQCAP_IRQ_CHUNKS
 * @ctrl_irq_delay: V4L2_CID_DAQCAP_IRQ_DELAY_US
 * @ctrl_ts_source: V4L2_CID_DAQCAP_TIMESTAMP_SOURCE, grabbed while streaming
 * @ctrl_card_input: V4L2_CID_DAQCAP_CARD_INPUT, read-only, set by S_INPUT
 * @default_input: the card input the channel starts on (firmware
 *	"daqcap,default-input", else its own number's, else the first offered)
 * @default_chunk_lines: the Lines per Chunk control's default (firmware
 *	"daqcap,lines-per-chunk", else DAQCAP_CHUNK_LINES_DEFAULT)
 * @input: selected input, a card input number (offered)
 * @timings: DV timings the channel captures
 * @format: current format
 * @crop: the window of the @timings frame the channel captures, whose size
 *	is @format's (CTRL.CROP when it is less than the whole frame)
 * @fmt: the card's description of @format.pixelformat
 * @held: the queue streams but the card's channel is stopped, by a system
 *	sleep, a reset or a PCIe error, or for good if the card is gone; the
 *	buffers wait in @pending, in the order the card would have filled them
 * @pm_held: the stream holds a runtime PM reference on the card
 * @held_sleep_ns: CLOCK_BOOTTIME minus CLOCK_MONOTONIC when the channel was
 *	held: CLOCK_MONOTONIC stops while the system sleeps, the source does not
 * @tables: each buffer's descriptor table, by buffer index. The channel, not
 *	the buffer, owns them: vb2 may drop a buffer's memory without calling
 *	buf_cleanup (see daqcap_buf_table_build()), and every table must be
 *	freed while the card is still bound (daqcap_chan_tables_free())
 * @lock: protects the streaming state from @running to @stats, against the
 *	IRQ handler and the watchdog (@links_updating excepted)
 * @running: the card's channel is enabled and owns the buffers in @inflight
 * @failed: the card broke the channel's contract (see daqcap_chan_fail()):
 *	its DMA is stopped and its rings are no longer read, until STREAMOFF
 * @pending: buffers queued before streaming started
 * @inflight: buffers given to the card, indexed by cookie
 * @desc_ring: the descriptor ring (coherent), while streaming
 * @desc_ring_dma: its bus address
 * @desc_tail: next descriptor ring index to fill
 * @link_cookie: cookie linked at each descriptor ring index (our copy: the
 *	ring itself is memory the card can write)
 * @started_seq: link_seq of the buffer whose frame the card started last;
 *	buffers linked before it are finished
 * @started_sequence: that frame's hardware sequence, valid if @seq_started
 * @seq_started: a frame was started since the channel was enabled
 * @started_ns: CLOCK_MONOTONIC when it was, or when the channel was enabled
 * @cpl_ring: the completion ring (coherent), while streaming
 * @cpl_ring_dma: its bus address
 * @cpl_log2: log2 of @cpl_ring entries
 * @cpl_head: next completion index to read
 * @frame_width: frame width the card was started with
 * @frame_height: frame height the card was started with
 * @frame_left: crop window's first pixel the card was started with
 * @frame_top: crop window's first line the card was started with
 * @frame_cropped: the card was started with CTRL.CROP
 * @frame_chunk_lines: lines per chunk the card was started with
 * @frame_chunks: chunks per frame the card was started with
 * @ts_offset: CLOCK_MONOTONIC minus card time, ns, sampled at the start and
 *	every DAQCAP_CLOCK_SYNC_MS after (the card's crystal drifts)
 * @ts_sync_card: card time when @ts_offset was sampled
 * @ts_sync_ns: CLOCK_MONOTONIC then
 * @clock_rejected: samples in a row not believed (daqcap_chan_clock_sync())
 * @ts_first_offset: @ts_offset at the start, for @clock_drift_ppb
 * @ts_first_ns: CLOCK_MONOTONIC when it was sampled
 * @clock_sync_at: jiffies when @ts_offset is to be sampled again
 * @clock_drift_ppb: how much faster the card clock runs than
 *	CLOCK_MONOTONIC since the start, in parts per billion
 * @ts_from_sof: buffers get their frame's start time, not its end
 *	(V4L2_CID_DAQCAP_TIMESTAMP_SOURCE when the channel started)
 * @frame_sync_subs: V4L2_EVENT_FRAME_SYNC subscriptions: the start-of-frame
 *	interrupt is unmasked while there is one
 * @sof_told: a FRAME_SYNC event was sent since the channel was enabled
 * @last_sof_seq: the card's sequence of the last start told, if @sof_told
 * @last_ts: last timestamp handed out, to keep them increasing
 * @seq_base: added to the card's frame sequence: 0 from STREAMON, and
 *	past the frames lost while held once the card restarts at 0
 * @last_seq: the last sequence handed out, valid if @delivered
 * @delivered: a buffer was completed since STREAMON
 * @frame_period_ns: the frame period of the timings the card was started with
 * @poll_ns: how often a polled card must be looked at for this channel while
 *	it streams (daqcap_poll()); set before the channel is unmasked
 * @watchdog: drains completions whose interrupt never came
 * @watchdog_irqs: @stats.irqs when the watchdog last looked
 * @storm_start: jiffies when the current interrupt rate window began
 * @storm_idle: interrupts in that window that found nothing to do
 * @storm_busy: interrupts in that window that consumed completions
 * @irq_off: the channel's MSI-X vector was disabled for a storm that
 *	masking did not end; enabled again by the next start
 * @links_updating: daqcap_media_links_update() is changing the media links;
 *	under the media device's graph_mutex
 * @latency: end of frame to buffer done, of the frames completed
 * @stats: counters
 */
struct daqcap_chan {
	struct daqcap_dev *dev;
	unsigned int index;
	void __iomem *regs;
	int irq;
	char irq_name[40];

	struct video_device vdev;
	struct media_pad pad;
	struct vb2_queue queue;
	struct mutex mutex; /* ioctls, vb2, and the format state below */
	struct v4l2_ctrl_handler ctrl_handler;
	struct v4l2_ctrl *ctrl_pattern;
	struct v4l2_ctrl *ctrl_chunk_lines;
	struct v4l2_ctrl *ctrl_coalesce;
	struct v4l2_ctrl *ctrl_irq_chunks;
	struct v4l2_ctrl *ctrl_irq_delay;
	struct v4l2_ctrl *ctrl_ts_source;
	struct v4l2_ctrl *ctrl_card_input;

	unsigned int default_input;
	u32 default_chunk_lines;
	unsigned int input;
	struct v4l2_dv_timings timings;
	struct v4l2_pix_format format;
	struct v4l2_rect crop;
	const struct daqcap_format *fmt;
	bool held;
	bool pm_held;
	u64 held_sleep_ns;
	struct daqcap_desc_table tables[DAQCAP_MAX_BUFFERS];

	spinlock_t lock; /* the streaming state below, against the IRQ */
	bool running;
	bool failed;
	struct list_head pending;
	struct daqcap_buffer *inflight[DAQCAP_MAX_BUFFERS];
	struct daqcap_desc *desc_ring;
	dma_addr_t desc_ring_dma;
	u32 desc_tail;
	u8 link_cookie[DAQCAP_DESC_RING_SIZE];
	u32 started_seq;
	u32 started_sequence;
	bool seq_started;
	u64 started_ns;
	struct daqcap_cpl *cpl_ring;
	dma_addr_t cpl_ring_dma;
	unsigned int cpl_log2;
	u32 cpl_head;
	u32 frame_width;
	u32 frame_height;
	u32 frame_left;
	u32 frame_top;
	bool frame_cropped;
	u32 frame_chunk_lines;
	u32 frame_chunks;
	s64 ts_offset;
	u64 ts_sync_card;
	u64 ts_sync_ns;
	unsigned int clock_rejected;
	s64 ts_first_offset;
	u64 ts_first_ns;
	unsigned long clock_sync_at;
	s64 clock_drift_ppb;
	bool ts_from_sof;
	unsigned int frame_sync_subs;
	bool sof_told;
	u32 last_sof_seq;
	u64 last_ts;
	u32 seq_base;
	u32 last_seq;
	bool delivered;
	u64 frame_period_ns;
	u64 poll_ns;
	struct timer_list watchdog;
	u64 watchdog_irqs;
	unsigned long storm_start;
	u32 storm_idle;
	u32 storm_busy;
	bool irq_off;
	bool links_updating;
	struct daqcap_latency latency;
	struct daqcap_chan_stats stats;
};

/**
 * struct daqcap_input - one input of the card in the media graph
 * @entity: the input's receiver entity (registered only if @offered)
 * @pad: its source pad
 * @name: entity name: the board's label, else "daqcap-<PCI address>-in<N>"
 * @label: the board's name for the input (firmware "label"), or empty
 * @offered: the board wires the input (no firmware "status" other than
 *	"okay"): it is a V4L2 input and in the media graph
 * @index: its V4L2 input index, if @offered (&daqcap_dev.offered)
 * @has_edid: an HDMI-like input, with EDID memory and hotplug (IN_CAPS at
 *	probe); an SDI-like one has neither
 * @pattern: the test pattern the driver set, restored after a reset (the
 *	card forgets it)
 * @held_status: IN_STATUS when the card was held; a change found on
 *	restore is reported as the interrupt the card could not raise
 * @held_active: IN_ACTIVE_SIZE when the card was held
 * @held_clock: IN_PIXEL_CLOCK when the card was held
 */
struct daqcap_input {
	struct media_entity entity;
	struct media_pad pad;
	char name[32];
	char label[32];
	bool offered;
	unsigned int index;
	bool has_edid;
	u32 pattern;
	u32 held_status;
	u32 held_active;
	u32 held_clock;
};

/**
 * enum daqcap_card_state - whether the driver may use the card
 * @DAQCAP_CARD_UP: in use; STREAMON starts the card's channel
 * @DAQCAP_CARD_HELD: stopped for a system sleep, a function reset or PCIe
 *	error recovery; STREAMON keeps the buffers until the card is back
 * @DAQCAP_CARD_GONE: removed, replaced, failed for good or shut down;
 *	streaming queues are in error and STREAMON fails with -EIO
 */
enum daqcap_card_state {
	DAQCAP_CARD_UP,
	DAQCAP_CARD_HELD,
	DAQCAP_CARD_GONE,
};

/* Who holds the card (&daqcap_dev.hold_reasons). */
#define DAQCAP_HOLD_SLEEP	BIT(0)
#define DAQCAP_HOLD_RESET	BIT(1)
#define DAQCAP_HOLD_ERROR	BIT(2)

/**
 * struct daqcap_lifecycle_stats - what the card lived through
 * @suspends: system sleeps entered
 * @resumes: system sleeps left with the card restored
 * @resets: function resets (reset_prepare to reset_done)
 * @pci_errors: PCIe errors reported to the driver (error_detected)
 * @recoveries: PCIe errors recovered from
 * @lost: times the card was found gone or different, or failed for good
 * @runtime_suspends: times the idle card went to D3hot
 * @runtime_resumes: times it came back to D0 and was restored
 */
struct daqcap_lifecycle_stats {
	u64 suspends;
	u64 resumes;
	u64 resets;
	u64 pci_errors;
	u64 recoveries;
	u64 lost;
	u64 runtime_suspends;
	u64 runtime_resumes;
};

/**
 * struct daqcap_dev - one card
 * @pdev: the PCI device
 * @regs: BAR0
 * @v4l2_dev: the card's v4l2_device; its release frees this struct
 * @mdev: the card's media device
 * @num_channels: DMA channels
 * @num_inputs: inputs
 * @num_offered: inputs the board wires, the V4L2 inputs (all without
 *	firmware properties)
 * @offered: the card input of each V4L2 input index, in card order
 * @nvecs: interrupt vectors allocated
 * @msix: one vector per channel plus a global one
 * @polled: no interrupt vector: @poll_timer looks at the card instead
 *	(irq_mode=poll, or no vector could be had)
 * @irq_name: the name of the card's global or only vector in
 *	/proc/interrupts
 * @poll_timer: polls the card while @irq_mask enables something, if @polled
 * @dma32: the platform gave only a 32-bit DMA mask
 * @reg_lock: protects read-modify-write of the global IRQ_MASK register
 *	and the latched read of the TIMESTAMP_LO/HI pair
 * @irq_mask: shadow of IRQ_MASK, under @reg_lock
 * @start_lock: serializes the start of a channel against a reset of the
 *	whole card from another channel's stop (daqcap_chan_force_stop())
 * @edid_lock: serializes the inputs' EDID accesses, EDID_ADDR then
 *	EDID_DATA, which two channels' nodes may do at once
 * @state: an enum daqcap_card_state, changed by probe, remove, shutdown
 *	and the lifecycle callbacks (which the driver core serializes under
 *	the device lock), and set to DAQCAP_CARD_GONE by a channel that takes
 *	the bus away; read with READ_ONCE() by the channels under their @mutex
 * @hold_reasons: DAQCAP_HOLD_* bits: who holds the card (a system sleep, a
 *	function reset and an error recovery may overlap); under the device
 *	lock, like everything down to @snapshot_valid
 * @hold_pm: the hold keeps a runtime PM reference: a card in D3hot reads
 *	all ones, and must not go there while held
 * @recovering: PCIe error recovery has held the card and not yet given it
 *	back
 * @lose_why: why @lose_work is to end the streams (a channel took bus
 *	mastering away, runtime resume found another card); written with
 *	WRITE_ONCE() outside the device lock, cleared under it
 * @snapshot_valid: the inputs' held_* registers were read from the card
 * @version: VERSION at probe: a restore checks it is still the same card
 * @cap: CAP at probe, likewise
 * @pci_state: the configuration space saved at probe, which error
 *	recovery restores after the link's reset (see daqcap_slot_reset())
 * @lifecycle: counters, under the device lock, except the runtime PM ones,
 *	which the runtime PM core serializes
 * @lose_work: ends the streams, under the device lock, when a recovery
 *	never completes (the PCI core tells no driver when it gives up), or
 *	for @lose_why
 * @debugfs: the card's debugfs directory
 * @inputs: the inputs' media entities
 * @chans: the channels
 */
struct daqcap_dev {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct v4l2_device v4l2_dev;
	struct media_device mdev;
	unsigned int num_channels;
	unsigned int num_inputs;
	unsigned int num_offered;
	u8 offered[DAQCAP_MAX_INPUTS];
	unsigned int nvecs;
	bool msix;
	bool polled;
	char irq_name[24];
	struct hrtimer poll_timer;
	bool dma32;
	spinlock_t reg_lock; /* IRQ_MASK and TIMESTAMP read-modify-writes */
	u32 irq_mask;
	struct mutex start_lock; /* channel starts vs a card reset */
	struct mutex edid_lock; /* EDID_ADDR/EDID_DATA sequences */
	enum daqcap_card_state state;
	u32 hold_reasons;
	bool hold_pm;
	bool recovering;
	const char *lose_why;
	bool snapshot_valid;
	u32 version;
	u32 cap;
	struct pci_saved_state *pci_state;
	struct daqcap_lifecycle_stats lifecycle;
	struct delayed_work lose_work;
	struct dentry *debugfs;
	struct daqcap_input inputs[DAQCAP_MAX_INPUTS];
	struct daqcap_chan chans[DAQCAP_MAX_CHANNELS];
};

static inline u32 daqcap_read(struct daqcap_dev *dev, u32 reg)
{
	return readl(dev->regs + reg);
}

static inline void daqcap_write(struct daqcap_dev *dev, u32 reg, u32 val)
{
	writel(val, dev->regs + reg);
}

static inline u32 daqcap_in_read(struct daqcap_dev *dev, unsigned int input,
				 u32 reg)
{
	return readl(dev->regs + DAQCAP_INPUT_BASE(input) + reg);
}

static inline void daqcap_in_write(struct daqcap_dev *dev, unsigned int input,
				   u32 reg, u32 val)
{
	writel(val, dev->regs + DAQCAP_INPUT_BASE(input) + reg);
}

static inline u32 daqcap_ch_read(struct daqcap_chan *chan, u32 reg)
{
	return readl(chan->regs + reg);
}

static inline void daqcap_ch_write(struct daqcap_chan *chan, u32 reg, u32 val)
{
	writel(val, chan->regs + reg);
}

static inline struct daqcap_buffer *to_daqcap_buffer(struct vb2_buffer *vb)
{
	return container_of(to_vb2_v4l2_buffer(vb), struct daqcap_buffer, vb);
}

/*
 * Whether the channel captures less than its timings' whole frame, so the
 * card must be told the window (CTRL.CROP). Without CROP the card draws
 * the frame at the channel's size, which for the whole frame is the same.
 */
static inline bool daqcap_chan_cropped(const struct daqcap_chan *chan)
{
	return chan->crop.left || chan->crop.top ||
	       chan->crop.width != chan->timings.bt.width ||
	       chan->crop.height != chan->timings.bt.height;
}

static inline enum daqcap_card_state daqcap_card_state(struct daqcap_dev *dev)
{
	return READ_ONCE(dev->state);
}

/* daqcap-core.c */
void daqcap_irq_mask_update(struct daqcap_dev *dev, u32 clear, u32 set);
u64 daqcap_read_timestamp(struct daqcap_dev *dev);
bool daqcap_card_reset(struct daqcap_dev *dev);
int daqcap_card_check(struct daqcap_dev *dev);
void daqcap_irqs_sync(struct daqcap_dev *dev);

/* daqcap-pm.c */
extern const struct dev_pm_ops daqcap_pm_ops;
extern const struct pci_error_handlers daqcap_err_handlers;
void daqcap_shutdown(struct pci_dev *pdev);
void daqcap_lose_work(struct work_struct *work);
void daqcap_card_restore_globals(struct daqcap_dev *dev);
void daqcap_pm_init(struct daqcap_dev *dev);
void daqcap_pm_exit(struct daqcap_dev *dev);
int daqcap_pm_get(struct daqcap_dev *dev);
void daqcap_pm_put(struct daqcap_dev *dev);

/* daqcap-dma.c */
int daqcap_buf_table_build(struct daqcap_chan *chan, struct daqcap_buffer *buf);
void daqcap_buf_table_free(struct daqcap_chan *chan, struct daqcap_buffer *buf);
void daqcap_chan_tables_free(struct daqcap_chan *chan);
void daqcap_chan_link(struct daqcap_chan *chan, struct daqcap_buffer *buf);
int daqcap_chan_hw_start(struct daqcap_chan *chan, bool restart);
void daqcap_chan_hw_stop(struct daqcap_chan *chan);
void daqcap_chan_unlink_all(struct daqcap_chan *chan);
unsigned int daqcap_chan_drain(struct daqcap_chan *chan);
void daqcap_chan_fail(struct daqcap_chan *chan);
void daqcap_card_dead(struct daqcap_chan *chan, const char *reg);
void daqcap_chan_watchdog(struct timer_list *t);
void daqcap_chan_frame_sync_subscribe(struct daqcap_chan *chan, bool add);

/* daqcap-irq.c */
irqreturn_t daqcap_chan_irq(int irq, void *data);
irqreturn_t daqcap_global_irq(int irq, void *data);
irqreturn_t daqcap_shared_irq(int irq, void *data);
void daqcap_poll_init(struct daqcap_dev *dev);
void daqcap_poll_kick(struct daqcap_dev *dev);
void daqcap_chan_irq_sync(struct daqcap_chan *chan);
void daqcap_input_changed(struct daqcap_dev *dev, unsigned int input);

/* daqcap-video.c */
extern const struct daqcap_format daqcap_formats[];
int daqcap_chan_init(struct daqcap_chan *chan);
int daqcap_chan_register(struct daqcap_chan *chan);
void daqcap_chan_unregister(struct daqcap_chan *chan);
void daqcap_chan_free(struct daqcap_chan *chan);
int daqcap_input_query_timings(struct daqcap_dev *dev, unsigned int input,
			       struct v4l2_dv_timings *timings);
int daqcap_media_links_create(struct daqcap_dev *dev);
void daqcap_chan_log_status(struct daqcap_chan *chan);
void daqcap_chan_hold(struct daqcap_chan *chan);
void daqcap_chan_restart(struct daqcap_chan *chan);
void daqcap_chan_lose(struct daqcap_chan *chan);

/* daqcap-ctrls.c */
int daqcap_ctrls_init(struct daqcap_chan *chan);
u32 daqcap_ctrls_coalesce(struct daqcap_chan *chan);
u32 daqcap_ctrls_chunk_lines(struct daqcap_chan *chan);
bool daqcap_ctrls_ts_from_sof(struct daqcap_chan *chan);

/* daqcap-fw.c */
void daqcap_fw_read(struct daqcap_dev *dev);

/* daqcap-debugfs.c */
void daqcap_debugfs_init(struct daqcap_dev *dev);
void daqcap_debugfs_exit(struct daqcap_dev *dev);
void daqcap_debugfs_root_init(void);
void daqcap_debugfs_root_exit(void);

#endif /* DAQCAP_H */
