// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: descriptor tables, the channel's rings, and frame accounting.
 *
 * Each vb2 buffer gets a table of segment descriptors, built once from its
 * DMA-mapped scatter-gather list when the buffer memory is set up
 * (buf_init). Queueing a buffer to the card writes a single CHAIN entry,
 * pointing at that table, into the channel's descriptor ring.
 *
 * The card writes a frame in chunks of lines and posts one completion
 * record per chunk. Everything in a record is untrusted: the cookie must
 * name a buffer the card owns, the chunk and its lines must be the ones the
 * channel was started with, and a chunk counts once. A buffer is handed
 * back to vb2 when every chunk of its frame has landed, in any order; one
 * whose chunk went unreported, in error, once the card has moved on to a
 * later buffer.
 */

#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <media/videobuf2-dma-sg.h>

#include "daqcap.h"

/* How often the watchdog looks for completions whose interrupt was lost. */
#define DAQCAP_WATCHDOG_MS	250

/*
 * How often a streaming channel maps the card clock to CLOCK_MONOTONIC
 * again: the card's crystal (+-100 ppm) drifts up to 0.1 ms a second from
 * the host's, a timestamp error that stays below that at this period.
 */
#define DAQCAP_CLOCK_SYNC_MS	1000
/*
 * Bounds on what the card's clock is believed: a drift beyond 1000 ppm is
 * no crystal's, no frame is a minute from the last clock sample, and a
 * sample more than 1 ms (and that drift over the time since the last) from
 * where the mapping so far puts it is a bad read, not the crystal.
 */
#define DAQCAP_CLOCK_DRIFT_MAX_PPB	1000000
#define DAQCAP_CLOCK_SPAN_NS		(60LL * NSEC_PER_SEC)
#define DAQCAP_CLOCK_STEP_MAX_NS	(1LL * NSEC_PER_MSEC)
/*
 * Samples in a row that disagree with the mapping: then the mapping is
 * what is wrong (its first sample was a bad one), and it starts over.
 */
#define DAQCAP_CLOCK_REJECTS_MAX	3
/* How long stop waits for the channel's DMA to go idle before a reset. */
#define DAQCAP_IDLE_TIMEOUT_US	100000
/*
 * How late the driver may see a frame start, past the frames that came
 * meanwhile, when it checks the next start's sequence: a lost interrupt
 * delays it by a watchdog period, a busy or emulated machine by more.
 */
#define DAQCAP_SEQ_SLACK_NS	(10LL * NSEC_PER_SEC)

static_assert(sizeof(struct daqcap_desc) == DAQCAP_DESC_SIZE);
static_assert(offsetof(struct daqcap_desc, addr) == DAQCAP_DESC_ADDR);
static_assert(offsetof(struct daqcap_desc, len) == DAQCAP_DESC_LEN);
static_assert(offsetof(struct daqcap_desc, flags) == DAQCAP_DESC_FLAGS);
static_assert(offsetof(struct daqcap_desc, cookie) == DAQCAP_DESC_COOKIE);
static_assert(sizeof(struct daqcap_cpl) == DAQCAP_CPL_SIZE);
static_assert(offsetof(struct daqcap_cpl, ts_sof) == DAQCAP_CPL_TS_SOF);
static_assert(offsetof(struct daqcap_cpl, ts_end) == DAQCAP_CPL_TS_END);
static_assert(offsetof(struct daqcap_cpl, sequence) == DAQCAP_CPL_SEQUENCE);
static_assert(offsetof(struct daqcap_cpl, cookie) == DAQCAP_CPL_COOKIE);
static_assert(offsetof(struct daqcap_cpl, chunk) == DAQCAP_CPL_CHUNK);
static_assert(offsetof(struct daqcap_cpl, first_line) == DAQCAP_CPL_FIRST_LINE);
static_assert(offsetof(struct daqcap_cpl, lines) == DAQCAP_CPL_LINES);
static_assert(offsetof(struct daqcap_cpl, status) == DAQCAP_CPL_STATUS);
/* Every buffer the queue may hold fits in the ring at once. */
static_assert(DAQCAP_MAX_BUFFERS < DAQCAP_DESC_RING_SIZE);

/* CTRL for the channel as hw_start() configured it (also from the IRQ). */
static u32 daqcap_chan_ctrl(struct daqcap_chan *chan, bool enable)
{
	return (enable ? DAQCAP_CH_CTRL_ENABLE : 0) |
	       (chan->frame_cropped ? DAQCAP_CH_CTRL_CROP : 0) |
	       FIELD_PREP(DAQCAP_CH_CTRL_INPUT_MASK, chan->input);
}

/* Free one descriptor table, if there is one. */
static void daqcap_desc_table_free(struct daqcap_chan *chan,
				   struct daqcap_desc_table *t)
{
	if (!t->desc)
		return;
	dma_free_coherent(&chan->dev->pdev->dev, t->size, t->desc, t->dma);
	t->desc = NULL;
	t->dma = 0;
	t->size = 0;
	t->nents = 0;
}

/*
 * Free the tables of buffers that lost their memory without buf_cleanup:
 * when QBUF names a file descriptor that is not a dmabuf, videobuf2's
 * __prepare_dmabuf() releases the buffer's previous dmabuf and leaves the
 * buffer without memory, but calls no buf_cleanup, and its table would
 * leak (found by the verifier kernel's DMA-API debugging). A table is its
 * buffer's for as long as vb2 gives that buffer a scatter-gather table.
 */
static void daqcap_chan_tables_sweep(struct daqcap_chan *chan)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(chan->tables); i++) {
		struct vb2_buffer *vb;

		if (!chan->tables[i].desc)
			continue;
		vb = vb2_get_buffer(&chan->queue, i);
		if (!vb || !vb2_dma_sg_plane_desc(vb, 0))
			daqcap_desc_table_free(chan, &chan->tables[i]);
	}
}

/**
 * daqcap_buf_table_build() - describe a buffer's memory to the card
 * @chan: the channel, with @chan->mutex held (vb2's buf_init)
 * @buf: the buffer, its memory already mapped by vb2-dma-sg
 *
 * Writes one segment descriptor per DMA segment of the plane, the first
 * flagged SOF and carrying the buffer's cookie, the last flagged EOF.
 * Segments may have any length and alignment (USERPTR pages start
 * mid-page); the table covers the plane and no more.
 *
 * A table left at the buffer's index is freed first (see
 * daqcap_chan_tables_sweep()). No other table is swept here: before Linux
 * 6.8, vb2_get_buffer() does not find the buffers allocated earlier in
 * the same REQBUFS until the last is set up.
 *
 * Return: 0, or a negative error code.
 */
int daqcap_buf_table_build(struct daqcap_chan *chan, struct daqcap_buffer *buf)
{
	struct vb2_buffer *vb = &buf->vb.vb2_buf;
	struct daqcap_desc_table *t = &chan->tables[vb->index];
	struct sg_table *sgt = vb2_dma_sg_plane_desc(vb, 0);
	struct device *dmadev = &chan->dev->pdev->dev;
	unsigned long remaining = vb2_plane_size(vb, 0);
	struct scatterlist *sg;
	unsigned int n = 0, i;

	lockdep_assert_held(&chan->mutex);
	daqcap_desc_table_free(chan, t);
	if (!sgt->nents || sgt->nents > DAQCAP_CHAIN_MAX)
		return -EINVAL;
	t->size = sgt->nents * sizeof(*t->desc);
	t->desc = dma_alloc_coherent(dmadev, t->size, &t->dma, GFP_KERNEL);
	if (!t->desc)
		return -ENOMEM;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u32 len = min_t(unsigned long, sg_dma_len(sg), remaining);

		if (!len)
			break;
		t->desc[n].addr = cpu_to_le64(sg_dma_address(sg));
		t->desc[n].len = cpu_to_le32(len);
		t->desc[n].flags = cpu_to_le16(n ? 0 : DAQCAP_DESC_FLAG_SOF);
		t->desc[n].cookie = cpu_to_le16(vb->index);
		remaining -= len;
		n++;
	}
	if (!n) {
		daqcap_desc_table_free(chan, t);
		return -EINVAL;
	}
	t->desc[n - 1].flags |= cpu_to_le16(DAQCAP_DESC_FLAG_EOF);
	t->nents = n;
	return 0;
}
ALLOW_ERROR_INJECTION(daqcap_buf_table_build, ERRNO);

/**
 * daqcap_buf_table_free() - free a buffer's descriptor table
 * @chan: the channel, with @chan->mutex held (vb2's buf_cleanup)
 * @buf: the buffer
 *
 * Also frees any table whose buffer lost its memory meanwhile.
 */
void daqcap_buf_table_free(struct daqcap_chan *chan, struct daqcap_buffer *buf)
{
	lockdep_assert_held(&chan->mutex);
	daqcap_desc_table_free(chan, &chan->tables[buf->vb.vb2_buf.index]);
	daqcap_chan_tables_sweep(chan);
}

/**
 * daqcap_chan_tables_free() - free every descriptor table of a channel
 * @chan: the channel, with @chan->mutex held, its queue released
 *
 * Called when the card is unbound: vb2 has freed the queue's buffers by
 * then, and a table vb2 never asked the driver to free would otherwise
 * outlive the binding.
 */
void daqcap_chan_tables_free(struct daqcap_chan *chan)
{
	unsigned int i;

	lockdep_assert_held(&chan->mutex);
	for (i = 0; i < ARRAY_SIZE(chan->tables); i++)
		daqcap_desc_table_free(chan, &chan->tables[i]);
}

/**
 * daqcap_chan_link() - give a buffer to the card
 * @chan: the channel, running, with @chan->lock held
 * @buf: the buffer
 *
 * One CHAIN entry names the buffer's whole table, so queueing costs one
 * 16-byte write whatever the buffer's scatter-gather list looks like.
 */
void daqcap_chan_link(struct daqcap_chan *chan, struct daqcap_buffer *buf)
{
	struct daqcap_desc *d;
	unsigned int cookie = buf->vb.vb2_buf.index;

	lockdep_assert_held(&chan->lock);
	/* vb2 queues only buffers whose buf_init built a table. */
	WARN_ON_ONCE(!chan->tables[cookie].desc);

	bitmap_zero(buf->chunks_done, DAQCAP_MAX_FRAME_CHUNKS);
	buf->nchunks_done = 0;
	buf->errors = 0;
	buf->link_seq = chan->desc_tail;
	buf->ts_sof = 0;
	buf->ts_end = 0;
	chan->inflight[cookie] = buf;
	chan->link_cookie[chan->desc_tail & (DAQCAP_DESC_RING_SIZE - 1)] = cookie;

	d = &chan->desc_ring[chan->desc_tail & (DAQCAP_DESC_RING_SIZE - 1)];
	d->addr = cpu_to_le64(chan->tables[cookie].dma);
	d->len = cpu_to_le32(chan->tables[cookie].nents);
	d->flags = cpu_to_le16(DAQCAP_DESC_FLAG_CHAIN);
	d->cookie = cpu_to_le16(cookie);
	chan->desc_tail++;
	/*
	 * writel() orders the descriptor writes above before the doorbell,
	 * so the card never sees a tail ahead of the entries it covers.
	 */
	daqcap_ch_write(chan, DAQCAP_CH_DESC_TAIL, chan->desc_tail);
}

/*
 * Card time to CLOCK_MONOTONIC: the offset last sampled, corrected for
 * the drift measured so far over the time since (either way: a frame's
 * start can precede the sample). A time the card made up is taken as at
 * most a minute from the sample.
 */
static u64 daqcap_chan_card_to_mono(struct daqcap_chan *chan, u64 card_ns)
{
	s64 since = clamp_t(s64, (s64)(card_ns - chan->ts_sync_card),
			    -DAQCAP_CLOCK_SPAN_NS, DAQCAP_CLOCK_SPAN_NS);

	lockdep_assert_held(&chan->lock);
	return chan->ts_sync_card + since + chan->ts_offset -
	       div_s64(since * chan->clock_drift_ppb, NSEC_PER_SEC);
}

/*
 * Card time to a buffer's timestamp, never going backwards: not even when
 * the offset is sampled again (daqcap_chan_clock_sync()) and the card's
 * clock ran fast meanwhile.
 */
static u64 daqcap_chan_timestamp(struct daqcap_chan *chan, u64 card_ns)
{
	u64 ts = daqcap_chan_card_to_mono(chan, card_ns);

	if (ts <= chan->last_ts)
		ts = chan->last_ts + 1;
	chan->last_ts = ts;
	return ts;
}

/* Account a finished frame's latency: its end on the card to now. */
static void daqcap_chan_latency(struct daqcap_chan *chan, u64 card_end_ns)
{
	struct daqcap_latency *lat = &chan->latency;
	s64 ns = (s64)(ktime_get_ns() - daqcap_chan_card_to_mono(chan, card_end_ns));
	unsigned int bucket;

	/* The clock offset is an estimate: a frame cannot end in the future. */
	if (ns < 0)
		ns = 0;
	bucket = min_t(unsigned int, fls64(div_u64(ns, NSEC_PER_USEC)),
		       DAQCAP_LATENCY_BUCKETS - 1);
	lat->buckets[bucket]++;
	lat->frames++;
	lat->sum_ns += ns;
	lat->max_ns = max_t(u64, lat->max_ns, ns);
}

/* Hand a buffer the card has finished back to vb2; in error unless whole. */
static void daqcap_buf_done(struct daqcap_chan *chan, struct daqcap_buffer *buf)
{
	enum vb2_buffer_state state = VB2_BUF_STATE_DONE;
	bool whole = buf->nchunks_done == chan->frame_chunks;

	chan->inflight[buf->vb.vb2_buf.index] = NULL;
	buf->vb.sequence = buf->sequence + chan->seq_base;
	buf->vb.field = V4L2_FIELD_NONE;
	buf->vb.vb2_buf.timestamp =
		daqcap_chan_timestamp(chan, chan->ts_from_sof ? buf->ts_sof
							      : buf->ts_end);
	chan->last_seq = buf->vb.sequence;
	chan->delivered = true;
	if (!whole)
		chan->stats.incomplete_frames++;
	if (buf->errors || !whole) {
		state = VB2_BUF_STATE_ERROR;
		chan->stats.error_frames++;
	} else {
		chan->stats.frames++;
		daqcap_chan_latency(chan, buf->ts_end);
	}
	vb2_buffer_done(&buf->vb.vb2_buf, state);
}

/* The buffer linked at ring index @seq, if it is still in flight. */
static struct daqcap_buffer *daqcap_chan_linked(struct daqcap_chan *chan,
						u32 seq)
{
	struct daqcap_buffer *b =
		chan->inflight[chan->link_cookie[seq & (DAQCAP_DESC_RING_SIZE - 1)]];

	return b && b->link_seq == seq ? b : NULL;
}

/*
 * Whether @sequence can number the next frame the card started. The card
 * numbers frames from 0 at enable, one more for every frame it starts or
 * drops: sequences only grow, and no faster than the input sends frames
 * since the last start the driver saw (or the enable), with
 * DAQCAP_SEQ_SLACK_NS for how late it may have seen that one.
 */
static bool daqcap_chan_sequence_ok(struct daqcap_chan *chan, u32 sequence)
{
	u64 ahead, most;

	if (chan->seq_started) {
		if ((s32)(sequence - chan->started_sequence) <= 0)
			return false;
		ahead = sequence - chan->started_sequence;
	} else {
		ahead = (u64)sequence + 1;
	}
	if (!chan->frame_period_ns)
		return true;
	most = div64_u64(ktime_get_ns() - chan->started_ns + DAQCAP_SEQ_SLACK_NS,
			 chan->frame_period_ns) + 1;
	return ahead <= most;
}

/*
 * The card takes buffers in the order they were linked and ends each frame
 * before it starts the next (datasheet, "Frame completion"): when it starts
 * @buf, every buffer linked before it is finished. One still in flight lost
 * a chunk to a record the accounting rejected and will never complete;
 * rather than hold it until STREAMOFF (and starve the card of it), return
 * it in error now, oldest first. @sequence and @sof are @buf's frame's.
 * The buffers that got no record at all took the sequence numbers just
 * before it, oldest first, and one that never got its end of frame time
 * ended before that start of frame.
 *
 * Only the buffers linked since the last start are looked at: with a card
 * that keeps to the datasheet, the one before @buf, already completed.
 * At most 32 buffers are in flight, so they all lie within the last
 * DAQCAP_DESC_RING_SIZE links.
 *
 * Every buffer's first record is checked against DESC_HEAD, not only one
 * that would retire others: a record for a buffer the card has not taken
 * is a lie whatever else is in flight, and believing it would return the
 * buffer to the application (which may queue it again, a second ring
 * entry for one buffer whose first the card has not read, until the ring
 * overruns) while the card is still to write it.
 *
 * Return: NULL, or why the record is a lie (nothing retired then).
 */
static const char *daqcap_chan_start_frame(struct daqcap_chan *chan,
					   struct daqcap_buffer *buf,
					   u32 sequence, u64 sof)
{
	u32 from = chan->started_seq, seq, unseen = 0, head;
	struct daqcap_buffer *b;

	if (!daqcap_chan_sequence_ok(chan, sequence)) {
		chan->stats.sequence_errors++;
		return "impossible frame sequence";
	}
	head = daqcap_ch_read(chan, DAQCAP_CH_DESC_HEAD);
	if (head == U32_MAX &&
	    daqcap_ch_read(chan, DAQCAP_CH_STATUS) == U32_MAX) {
		daqcap_card_dead(chan, "DESC_HEAD");
		return "card not responding";
	}
	if ((s32)(head - buf->link_seq) <= 0) {
		chan->stats.unfetched_completions++;
		return "buffer not taken by the card";
	}

	if (buf->link_seq - from > DAQCAP_DESC_RING_SIZE)
		from = buf->link_seq - DAQCAP_DESC_RING_SIZE;
	for (seq = from; seq != buf->link_seq; seq++) {
		b = daqcap_chan_linked(chan, seq);
		if (b)
			unseen += !b->nchunks_done;
	}
	for (seq = from; seq != buf->link_seq; seq++) {
		b = daqcap_chan_linked(chan, seq);
		if (!b)
			continue;
		if (!b->nchunks_done) {
			b->sequence = sequence - unseen--;
			b->ts_sof = sof;
		}
		if (!b->ts_end)
			b->ts_end = sof;
		daqcap_buf_done(chan, b);
	}
	chan->started_seq = buf->link_seq;
	chan->started_sequence = sequence;
	chan->seq_started = true;
	chan->started_ns = ktime_get_ns();
	buf->sequence = sequence;
	buf->ts_sof = sof;
	return NULL;
}

/*
 * Account one completion record. The record is a copy: the card cannot
 * change it under us between the checks and the use.
 */
static void daqcap_chan_account(struct daqcap_chan *chan,
				const struct daqcap_cpl *rec)
{
	u32 status = le32_to_cpu(rec->status);
	unsigned int cookie = le16_to_cpu(rec->cookie);
	unsigned int chunk = le16_to_cpu(rec->chunk);
	unsigned int first = le16_to_cpu(rec->first_line);
	unsigned int lines = le16_to_cpu(rec->lines);
	u32 sequence = le32_to_cpu(rec->sequence);
	const char *why = "out of range";
	unsigned int want_lines;
	struct daqcap_buffer *buf;

	if (cookie >= DAQCAP_MAX_BUFFERS || !chan->inflight[cookie] ||
	    chunk >= chan->frame_chunks ||
	    chan->frame_chunks != FIELD_GET(DAQCAP_CPL_STATUS_CHUNKS_MASK, status))
		goto bad;
	want_lines = min(chan->frame_chunk_lines,
			 chan->frame_height - chunk * chan->frame_chunk_lines);
	if (first != chunk * chan->frame_chunk_lines || lines != want_lines)
		goto bad;

	buf = chan->inflight[cookie];
	if (!buf->nchunks_done) {
		why = daqcap_chan_start_frame(chan, buf, sequence,
					      le64_to_cpu(rec->ts_sof));
		if (why)
			goto bad;
	} else if (sequence != buf->sequence) {
		chan->stats.sequence_errors++;
		why = "sequence differs from the frame's";
		goto bad;
	}
	if (test_and_set_bit(chunk, buf->chunks_done)) {
		chan->stats.dup_completions++;
		return;
	}
	buf->nchunks_done++;
	buf->errors |= status & DAQCAP_CPL_STATUS_ERR_MASK;
	if (chunk == chan->frame_chunks - 1)
		buf->ts_end = le64_to_cpu(rec->ts_end);
	chan->stats.chunks++;
	if (buf->nchunks_done == chan->frame_chunks)
		daqcap_buf_done(chan, buf);
	return;

bad:
	chan->stats.bad_completions++;
	dev_warn_ratelimited(&chan->dev->pdev->dev,
			     "ch%u: bad completion (%s): cookie %u sequence %u chunk %u lines %u+%u status 0x%08x\n",
			     chan->index, why, cookie, sequence, chunk, first,
			     lines, status);
}

/**
 * daqcap_chan_drain() - account every completion the card has posted
 * @chan: the channel, with @chan->lock held
 *
 * A record is new when its phase bit matches the pass of the ring the head
 * is on; the card writes the status word, which holds the phase, last.
 * At most one ring's worth is read per call, so a card that keeps
 * posting cannot hold the CPU.
 *
 * Return: the number of records consumed.
 */
unsigned int daqcap_chan_drain(struct daqcap_chan *chan)
{
	u32 mask = (1u << chan->cpl_log2) - 1;
	unsigned int n;
	u32 tail;

	lockdep_assert_held(&chan->lock);
	if (!chan->running || chan->failed)
		return 0;

	for (n = 0; n <= mask; n++) {
		struct daqcap_cpl *slot = &chan->cpl_ring[chan->cpl_head & mask];
		u32 phase = (chan->cpl_head >> chan->cpl_log2) & 1 ?
			    0 : DAQCAP_CPL_STATUS_PHASE;
		struct daqcap_cpl rec;

		if ((le32_to_cpu(READ_ONCE(slot->status)) &
		     DAQCAP_CPL_STATUS_PHASE) != phase)
			break;
		/* Read the body only after the status that publishes it. */
		dma_rmb();
		memcpy(&rec, slot, sizeof(rec));
		chan->cpl_head++;
		daqcap_chan_account(chan, &rec);
		if (chan->failed)
			return n;
	}
	if (n)
		daqcap_ch_write(chan, DAQCAP_CH_CPL_HEAD, chan->cpl_head);

	/*
	 * The phase bits cannot tell a record written a whole ring ahead,
	 * over one not read yet, from one not written: the ring would look
	 * empty for good while the card, seeing it over-full, drops every
	 * frame. The card's producer index tells: an honest card never has
	 * more records outstanding than the ring holds.
	 */
	tail = daqcap_ch_read(chan, DAQCAP_CH_CPL_TAIL);
	if (tail == U32_MAX &&
	    daqcap_ch_read(chan, DAQCAP_CH_STATUS) == U32_MAX) {
		daqcap_card_dead(chan, "CPL_TAIL");
	} else if (tail - chan->cpl_head > mask + 1) {
		chan->stats.cpl_overruns++;
		dev_warn_ratelimited(&chan->dev->pdev->dev,
				     "ch%u: completion ring overrun: the card wrote %u records, the ring holds %u: channel stopped\n",
				     chan->index, tail - chan->cpl_head, mask + 1);
		daqcap_chan_fail(chan);
	}
	return n;
}

/**
 * daqcap_chan_fail() - stop a channel whose card broke its contract
 * @chan: the channel, with @chan->lock held
 *
 * The card overran the completion ring, storms with interrupts or stopped
 * answering: nothing it writes or says about the channel can be trusted
 * any more. From the interrupt handler or the watchdog, the channel's
 * interrupts are masked and its DMA disabled at once, its rings are no
 * longer read, and the queue is flagged in error, so that the application
 * learns of it (DQBUF fails with -EIO) instead of waiting. STREAMOFF then
 * stops the channel as usual (resetting it if it does not stop) and
 * returns the buffers; STREAMON starts it afresh.
 */
void daqcap_chan_fail(struct daqcap_chan *chan)
{
	lockdep_assert_held(&chan->lock);
	if (!chan->running || chan->failed)
		return;
	chan->failed = true;
	daqcap_ch_write(chan, DAQCAP_CH_IRQ_MASK, 0);
	daqcap_ch_write(chan, DAQCAP_CH_CTRL, daqcap_chan_ctrl(chan, false));
	vb2_queue_error(&chan->queue);
}

/**
 * daqcap_card_dead() - a channel register read all ones
 * @chan: the channel, with @chan->lock held
 * @reg: the register, for the log
 *
 * No register of the card reads all ones, so the card stopped answering:
 * its link is down, or it is gone (or only this channel's block fails, if
 * the global ID still reads right). Nothing it reports can be believed and
 * no register write can be relied on to stop it: the channel is failed,
 * and a card that does not answer at all loses bus mastering, which stops
 * its DMA whatever state it is in, and is given up by
 * &daqcap_dev.lose_work (which may sleep): every stream ends in error.
 */
void daqcap_card_dead(struct daqcap_chan *chan, const char *reg)
{
	struct daqcap_dev *dev = chan->dev;
	bool card = daqcap_read(dev, DAQCAP_REG_ID) == U32_MAX;

	lockdep_assert_held(&chan->lock);
	chan->stats.all_ones_reads++;
	if (!chan->running || chan->failed)
		return;
	dev_err_ratelimited(&dev->pdev->dev,
			    "ch%u: %s reads all ones: card not responding, %s\n",
			    chan->index, reg,
			    card ? "giving it up" : "channel stopped");
	daqcap_chan_fail(chan);
	if (!card || cmpxchg(&dev->lose_why, NULL,
			     "registers that read all ones"))
		return;
	pci_clear_master(dev->pdev);
	WRITE_ONCE(dev->state, DAQCAP_CARD_GONE);
	mod_delayed_work(system_wq, &dev->lose_work, 0);
}

/*
 * Sample the card clock against CLOCK_MONOTONIC, bracketing the read: the
 * offset, and the card's time of the sample in @card_at.
 */
static s64 daqcap_chan_clock_offset(struct daqcap_chan *chan, u64 *when,
				    u64 *card_at)
{
	s64 best = 0;
	u64 best_span = U64_MAX;
	int i;

	for (i = 0; i < 3; i++) {
		u64 before = ktime_get_ns();
		u64 card = daqcap_read_timestamp(chan->dev);
		u64 after = ktime_get_ns();

		if (after - before < best_span) {
			best_span = after - before;
			*when = before + (after - before) / 2;
			*card_at = card;
			best = (s64)*when - (s64)card;
		}
	}
	return best;
}

/*
 * Map the card clock to CLOCK_MONOTONIC again, and measure its drift
 * since the start, which corrects the times until the next sample
 * (daqcap_chan_card_to_mono()). The new offset applies to the frames
 * completed from now on; daqcap_chan_timestamp() keeps timestamps
 * increasing across the step, what the drift estimate missed in one
 * DAQCAP_CLOCK_SYNC_MS. A sample the mapping so far cannot explain is
 * not believed, unless DAQCAP_CLOCK_REJECTS_MAX in a row say the same.
 */
static void daqcap_chan_clock_sync(struct daqcap_chan *chan)
{
	u64 now, us, card;
	s64 offset, moved, off_by, bound;

	lockdep_assert_held(&chan->lock);
	chan->clock_sync_at = jiffies + msecs_to_jiffies(DAQCAP_CLOCK_SYNC_MS);
	offset = daqcap_chan_clock_offset(chan, &now, &card);
	off_by = (s64)(now - daqcap_chan_card_to_mono(chan, card));
	bound = DAQCAP_CLOCK_STEP_MAX_NS +
		div_s64((s64)(now - chan->ts_sync_ns) / NSEC_PER_USEC *
			DAQCAP_CLOCK_DRIFT_MAX_PPB, USEC_PER_SEC);
	if (card == U64_MAX ||
	    ((off_by > bound || off_by < -bound) &&
	     ++chan->clock_rejected < DAQCAP_CLOCK_REJECTS_MAX)) {
		chan->stats.clock_rejects++;
		return;
	}
	if (chan->clock_rejected >= DAQCAP_CLOCK_REJECTS_MAX) {
		chan->ts_first_offset = offset;
		chan->ts_first_ns = now;
	}
	chan->clock_rejected = 0;
	chan->ts_offset = offset;
	chan->ts_sync_card = card;
	chan->ts_sync_ns = now;
	/*
	 * A card clock that runs fast lowers the offset. In microseconds,
	 * and the offset's move bounded, so that no drift overflows.
	 */
	us = now > chan->ts_first_ns ?
	     div_u64(now - chan->ts_first_ns, NSEC_PER_USEC) : 0;
	moved = clamp_t(s64, chan->ts_first_offset - offset,
			-S64_MAX / USEC_PER_SEC, S64_MAX / USEC_PER_SEC);
	if (us)
		chan->clock_drift_ppb =
			clamp_t(s64, div64_s64(moved * USEC_PER_SEC, us),
				-DAQCAP_CLOCK_DRIFT_MAX_PPB,
				DAQCAP_CLOCK_DRIFT_MAX_PPB);
	chan->stats.clock_syncs++;
}

/*
 * The channel's interrupt mask: every event but the start of frame, which
 * costs an interrupt per frame and is taken only for FRAME_SYNC
 * subscribers; and no data event on a polled card, whose DATA_READY tells
 * of completions (daqcap_poll()).
 */
static u32 daqcap_chan_irq_mask(struct daqcap_chan *chan)
{
	u32 mask = DAQCAP_CH_IRQ_ALL & ~DAQCAP_CH_IRQ_SOF;

	lockdep_assert_held(&chan->lock);
	if (chan->dev->polled)
		mask &= ~DAQCAP_CH_IRQ_DATA;
	if (chan->frame_sync_subs)
		mask |= DAQCAP_CH_IRQ_SOF;
	return mask;
}

/**
 * daqcap_chan_frame_sync_subscribe() - count a FRAME_SYNC subscription
 * @chan: the channel
 * @add: a subscription comes (true) or goes (false)
 *
 * A streaming channel takes the start-of-frame interrupt from the first
 * subscription on, and stops with the last.
 */
void daqcap_chan_frame_sync_subscribe(struct daqcap_chan *chan, bool add)
{
	unsigned long flags;

	spin_lock_irqsave(&chan->lock, flags);
	if (add)
		chan->frame_sync_subs++;
	else if (!WARN_ON_ONCE(!chan->frame_sync_subs))
		chan->frame_sync_subs--;
	if (chan->running && !chan->failed) {
		/* A start latched long ago is not one to tell now. */
		if (add && chan->frame_sync_subs == 1)
			daqcap_ch_write(chan, DAQCAP_CH_IRQ_STATUS,
					DAQCAP_CH_IRQ_SOF);
		daqcap_ch_write(chan, DAQCAP_CH_IRQ_MASK,
				daqcap_chan_irq_mask(chan));
	}
	spin_unlock_irqrestore(&chan->lock, flags);
}

/**
 * daqcap_chan_watchdog() - catch completions whose interrupt was lost
 * @t: the channel's watchdog timer
 *
 * Interrupts are edges; one that never arrives would leave finished frames
 * in the ring until the next one. Every DAQCAP_WATCHDOG_MS the watchdog
 * looks at a channel that took no interrupt since its last look and
 * drains what the card posted meanwhile. Frames come many times per
 * period, so an interrupt-less period means one went missing, not that a
 * coalescing rule is still waiting.
 */
void daqcap_chan_watchdog(struct timer_list *t)
{
	struct daqcap_chan *chan = from_timer(chan, t, watchdog);
	unsigned long flags;

	spin_lock_irqsave(&chan->lock, flags);
	if (chan->running) {
		/*
		 * A card that stopped answering sends no interrupt to tell:
		 * one register read per period finds it.
		 */
		if (daqcap_ch_read(chan, DAQCAP_CH_STATUS) == U32_MAX)
			daqcap_card_dead(chan, "CH_STATUS");
		/* A polled channel has no interrupt to lose. */
		if (chan->stats.irqs == chan->watchdog_irqs &&
		    !chan->dev->polled)
			chan->stats.watchdog_completions +=
				daqcap_chan_drain(chan);
		chan->watchdog_irqs = chan->stats.irqs;
		if (time_after_eq(jiffies, chan->clock_sync_at))
			daqcap_chan_clock_sync(chan);
		mod_timer(&chan->watchdog,
			  jiffies + msecs_to_jiffies(DAQCAP_WATCHDOG_MS));
	}
	spin_unlock_irqrestore(&chan->lock, flags);
}

/**
 * daqcap_chan_unlink_all() - take back the buffers the card was given
 * @chan: the channel, stopped by daqcap_chan_hw_stop(), with @chan->lock
 *	held
 *
 * Every buffer still in flight goes back to the head of @chan->pending,
 * in the order it was linked, which is the order the card would have
 * filled them in: when the channel restarts, they are linked again as if
 * just queued, and whatever the card wrote into them is written over.
 */
void daqcap_chan_unlink_all(struct daqcap_chan *chan)
{
	struct daqcap_buffer *b;
	LIST_HEAD(linked);
	unsigned int i;
	u32 seq;

	lockdep_assert_held(&chan->lock);

	for (seq = chan->desc_tail - DAQCAP_DESC_RING_SIZE;
	     seq != chan->desc_tail; seq++) {
		b = daqcap_chan_linked(chan, seq);
		if (!b)
			continue;
		chan->inflight[b->vb.vb2_buf.index] = NULL;
		list_add_tail(&b->list, &linked);
	}
	/* Nothing else is in flight, but no buffer may get lost if it is. */
	for (i = 0; i < DAQCAP_MAX_BUFFERS; i++) {
		b = chan->inflight[i];
		if (!b)
			continue;
		chan->inflight[i] = NULL;
		list_add_tail(&b->list, &linked);
	}
	list_splice(&linked, &chan->pending);
}

/* The frame period of the channel's timings, in ns; 0 if unknown. */
static u64 daqcap_chan_frame_period_ns(struct daqcap_chan *chan)
{
	const struct v4l2_bt_timings *bt = &chan->timings.bt;

	if (!bt->pixelclock)
		return 0;
	return div64_u64((u64)V4L2_DV_BT_FRAME_WIDTH(bt) *
			 V4L2_DV_BT_FRAME_HEIGHT(bt) * NSEC_PER_SEC,
			 bt->pixelclock);
}

/**
 * daqcap_chan_hw_start() - program and enable the channel
 * @chan: the channel, its format and controls set, with @chan->mutex held
 * @restart: the queue was streaming before the card was held (a system
 *	sleep, a reset or a PCIe error): keep the sequence numbers going
 *
 * Allocates the rings, programs the card, hands it every buffer queued so
 * far and enables the channel.
 *
 * The card numbers frames from 0 at every enable. On a restart, the
 * sequence numbers handed out continue from the last one past the frames
 * the source sent while the card was held, so that applications see the
 * loss as a gap, as they would see a dropped frame.
 *
 * Return: 0, or a negative error code with nothing left allocated or
 * enabled.
 */
int daqcap_chan_hw_start(struct daqcap_chan *chan, bool restart)
{
	struct device *dmadev = &chan->dev->pdev->dev;
	u32 height = chan->format.height;
	u32 chunk_lines = daqcap_ctrls_chunk_lines(chan);
	u32 chunks = DIV_ROUND_UP(height, chunk_lines);
	bool ts_from_sof = daqcap_ctrls_ts_from_sof(chan);
	struct daqcap_buffer *buf, *tmp;
	unsigned long flags;
	bool irq_off;
	u32 status;

	/* Room for four frames of chunks, so the card need not drop. */
	chan->cpl_log2 = clamp_t(unsigned int, order_base_2(4 * chunks),
				 DAQCAP_RING_MIN_LOG2, DAQCAP_RING_MAX_LOG2);
	chan->cpl_ring = dma_alloc_coherent(dmadev,
					    DAQCAP_CPL_SIZE << chan->cpl_log2,
					    &chan->cpl_ring_dma, GFP_KERNEL);
	if (!chan->cpl_ring)
		return -ENOMEM;
	chan->desc_ring = dma_alloc_coherent(dmadev,
					     DAQCAP_DESC_SIZE * DAQCAP_DESC_RING_SIZE,
					     &chan->desc_ring_dma, GFP_KERNEL);
	if (!chan->desc_ring) {
		dma_free_coherent(dmadev, DAQCAP_CPL_SIZE << chan->cpl_log2,
				  chan->cpl_ring, chan->cpl_ring_dma);
		chan->cpl_ring = NULL;
		return -ENOMEM;
	}

	/* A vector a storm disabled (daqcap_chan_storm()) serves again. */
	spin_lock_irqsave(&chan->lock, flags);
	irq_off = chan->irq_off;
	chan->irq_off = false;
	spin_unlock_irqrestore(&chan->lock, flags);
	if (irq_off)
		enable_irq(chan->irq);

	/* Before any CTRL write; the channel is stopped, its IRQ quiet. */
	chan->frame_cropped = daqcap_chan_cropped(chan);

	/* A reset of the whole card must not come between (see @start_lock). */
	mutex_lock(&chan->dev->start_lock);
	daqcap_ch_write(chan, DAQCAP_CH_CTRL, daqcap_chan_ctrl(chan, false));
	daqcap_ch_write(chan, DAQCAP_CH_FORMAT, chan->fmt->hw_code);
	daqcap_ch_write(chan, DAQCAP_CH_SIZE,
			FIELD_PREP(DAQCAP_SIZE_WIDTH_MASK, chan->format.width) |
			FIELD_PREP(DAQCAP_SIZE_HEIGHT_MASK, height));
	daqcap_ch_write(chan, DAQCAP_CH_CROP_ORIGIN,
			FIELD_PREP(DAQCAP_CROP_X_MASK, chan->crop.left) |
			FIELD_PREP(DAQCAP_CROP_Y_MASK, chan->crop.top));
	daqcap_ch_write(chan, DAQCAP_CH_STRIDE, chan->format.bytesperline);
	daqcap_ch_write(chan, DAQCAP_CH_CHUNK_LINES, chunk_lines);
	daqcap_ch_write(chan, DAQCAP_CH_IRQ_COALESCE, daqcap_ctrls_coalesce(chan));
	daqcap_ch_write(chan, DAQCAP_CH_DESC_BASE_LO, lower_32_bits(chan->desc_ring_dma));
	daqcap_ch_write(chan, DAQCAP_CH_DESC_BASE_HI, upper_32_bits(chan->desc_ring_dma));
	daqcap_ch_write(chan, DAQCAP_CH_DESC_SIZE_LOG2, DAQCAP_DESC_RING_LOG2);
	daqcap_ch_write(chan, DAQCAP_CH_DESC_TAIL, 0);
	daqcap_ch_write(chan, DAQCAP_CH_CPL_BASE_LO, lower_32_bits(chan->cpl_ring_dma));
	daqcap_ch_write(chan, DAQCAP_CH_CPL_BASE_HI, upper_32_bits(chan->cpl_ring_dma));
	daqcap_ch_write(chan, DAQCAP_CH_CPL_SIZE_LOG2, chan->cpl_log2);
	daqcap_ch_write(chan, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_ALL);

	spin_lock_irqsave(&chan->lock, flags);
	/* Under the lock: FRAME_SYNC subscriptions come and go without ioctls. */
	daqcap_ch_write(chan, DAQCAP_CH_IRQ_MASK, daqcap_chan_irq_mask(chan));
	chan->desc_tail = 0;
	chan->started_seq = 0;
	chan->seq_started = false;
	chan->started_ns = ktime_get_ns();
	chan->failed = false;
	chan->storm_start = jiffies;
	chan->storm_idle = 0;
	chan->storm_busy = 0;
	chan->cpl_head = 0;
	chan->frame_width = chan->format.width;
	chan->frame_height = height;
	chan->frame_left = chan->crop.left;
	chan->frame_top = chan->crop.top;
	chan->frame_chunk_lines = chunk_lines;
	chan->frame_chunks = chunks;
	chan->ts_offset = daqcap_chan_clock_offset(chan, &chan->ts_first_ns,
						   &chan->ts_sync_card);
	chan->ts_first_offset = chan->ts_offset;
	chan->ts_sync_ns = chan->ts_first_ns;
	chan->clock_rejected = 0;
	chan->clock_drift_ppb = 0;
	chan->clock_sync_at = jiffies + msecs_to_jiffies(DAQCAP_CLOCK_SYNC_MS);
	chan->ts_from_sof = ts_from_sof;
	chan->sof_told = false;
	chan->frame_period_ns = daqcap_chan_frame_period_ns(chan);
	/* Unknown, the period is 0: poll as often as the bound lets. */
	WRITE_ONCE(chan->poll_ns,
		   clamp_t(u64, div_u64(chan->frame_period_ns, chunks),
			   DAQCAP_POLL_MIN_NS, DAQCAP_POLL_MAX_NS));
	if (!restart) {
		chan->last_ts = 0;
		chan->seq_base = 0;
		chan->delivered = false;
	} else if (chan->delivered) {
		u64 now = ktime_get_ns(), lost = 0;
		/* The time asleep, which CLOCK_MONOTONIC did not count. */
		u64 asleep = ktime_get_boottime_ns() - now - chan->held_sleep_ns;

		if (chan->frame_period_ns && now > chan->last_ts)
			lost = div64_u64(now - chan->last_ts + asleep,
					 chan->frame_period_ns);
		chan->seq_base = chan->last_seq + 1 + (u32)lost;
	}
	chan->watchdog_irqs = chan->stats.irqs;
	chan->running = true;

	/*
	 * The buffers queued so far go into the ring before the channel is
	 * enabled (which leaves DESC_TAIL alone), so that the first start of
	 * frame already finds them.
	 */
	list_for_each_entry_safe(buf, tmp, &chan->pending, list) {
		list_del(&buf->list);
		daqcap_chan_link(chan, buf);
	}
	spin_unlock_irqrestore(&chan->lock, flags);

	daqcap_ch_write(chan, DAQCAP_CH_CTRL, daqcap_chan_ctrl(chan, true));
	status = daqcap_ch_read(chan, DAQCAP_CH_STATUS);
	/*
	 * Only once enabled: until the enable resets the card's ring indices,
	 * they and DATA_READY still describe the last session's ring, which a
	 * poll would take for an overrun of this one. An event of the channel
	 * latched meanwhile is delivered at the unmask.
	 */
	if (!(status & DAQCAP_CH_STATUS_CONFIG_ERR))
		daqcap_irq_mask_update(chan->dev, 0,
				       DAQCAP_IRQ_CHANNEL(chan->index));
	mutex_unlock(&chan->dev->start_lock);
	/* All ones, a card that does not answer, refuses too. */
	if (status & DAQCAP_CH_STATUS_CONFIG_ERR) {
		dev_err(dmadev, "ch%u: the card refused the configuration\n",
			chan->index);
		daqcap_chan_hw_stop(chan);
		return -EIO;
	}

	mod_timer(&chan->watchdog, jiffies + msecs_to_jiffies(DAQCAP_WATCHDOG_MS));
	return 0;
}
ALLOW_ERROR_INJECTION(daqcap_chan_hw_start, ERRNO);

/*
 * Wait for the channel to report no DMA in flight and, after a reset, the
 * reset done. A card that reads all ones is unreachable (removed, or its
 * link frozen by a PCIe error): it cannot write to memory either.
 */
static bool daqcap_chan_wait_idle(struct daqcap_chan *chan)
{
	u32 status, ctrl;
	int ret;

	ret = readl_poll_timeout(chan->regs + DAQCAP_CH_STATUS, status,
				 status == U32_MAX ||
				 !(status & (DAQCAP_CH_STATUS_BUSY |
					     DAQCAP_CH_STATUS_RUNNING)),
				 10, DAQCAP_IDLE_TIMEOUT_US);
	if (ret)
		return false;
	ctrl = daqcap_ch_read(chan, DAQCAP_CH_CTRL);
	return ctrl == U32_MAX || !(ctrl & DAQCAP_CH_CTRL_RESET);
}

/* Whether a channel other than @chan has the card's DMA running. */
static bool daqcap_other_chans_running(struct daqcap_chan *chan)
{
	struct daqcap_dev *dev = chan->dev;
	unsigned long flags;
	bool running = false;
	unsigned int c;

	for (c = 0; c < dev->num_channels && !running; c++) {
		struct daqcap_chan *o = &dev->chans[c];

		if (o == chan)
			continue;
		spin_lock_irqsave(&o->lock, flags);
		running = o->running;
		spin_unlock_irqrestore(&o->lock, flags);
	}
	return running;
}

/*
 * The card does not stop: take bus mastering away, which stops all its
 * DMA, and end every other stream in error rather than let it wait.
 */
static void daqcap_chan_cut_bus(struct daqcap_chan *chan)
{
	struct daqcap_dev *dev = chan->dev;
	unsigned long flags;
	unsigned int c;

	dev_err(&dev->pdev->dev,
		"ch%u: the card does not stop: bus mastering disabled, the card is lost\n",
		chan->index);
	pci_clear_master(dev->pdev);
	WRITE_ONCE(dev->state, DAQCAP_CARD_GONE);
	WRITE_ONCE(dev->lose_why, "DMA that would not stop");
	for (c = 0; c < dev->num_channels; c++) {
		struct daqcap_chan *o = &dev->chans[c];

		spin_lock_irqsave(&o->lock, flags);
		if (o != chan && o->running)
			vb2_queue_error(&o->queue);
		spin_unlock_irqrestore(&o->lock, flags);
	}
	/* The held streams too, under the lock the lifecycle runs under. */
	mod_delayed_work(system_wq, &dev->lose_work, 0);
}

/*
 * The channel's DMA would not stop. Reset the channel; and since a posted
 * write is not a completed reset, free nothing the card may still write
 * until it reports the reset done. If it does not, reset the whole card,
 * when no other channel streams (it would stop them, silently), and give
 * the card back the global state the driver set; else, or if even that
 * does not take effect, take bus mastering away.
 */
static void daqcap_chan_force_stop(struct daqcap_chan *chan)
{
	struct daqcap_dev *dev = chan->dev;
	struct device *d = &dev->pdev->dev;

	daqcap_ch_write(chan, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_RESET);
	if (daqcap_chan_wait_idle(chan))
		return;
	dev_err(d, "ch%u: the channel reset did not take effect\n", chan->index);
	/* No other channel may start while the card is reset under it. */
	mutex_lock(&dev->start_lock);
	if (!daqcap_other_chans_running(chan) && daqcap_card_reset(dev) &&
	    daqcap_chan_wait_idle(chan)) {
		dev_warn(d, "ch%u: stopped by a reset of the whole card\n",
			 chan->index);
		daqcap_card_restore_globals(dev);
		mutex_unlock(&dev->start_lock);
		return;
	}
	mutex_unlock(&dev->start_lock);
	daqcap_chan_cut_bus(chan);
}

/**
 * daqcap_chan_hw_stop() - stop the channel and take back its memory
 * @chan: the channel, with @chan->mutex held
 *
 * Disables the channel and waits for its DMA to go idle, resetting the
 * channel if it does not and confirming the reset; then no interrupt
 * handler or watchdog can run for it any more and the rings are freed.
 * Buffers are not returned here.
 */
void daqcap_chan_hw_stop(struct daqcap_chan *chan)
{
	struct device *dmadev = &chan->dev->pdev->dev;
	unsigned long flags;
	u32 status;

	spin_lock_irqsave(&chan->lock, flags);
	chan->running = false;
	spin_unlock_irqrestore(&chan->lock, flags);

	daqcap_ch_write(chan, DAQCAP_CH_CTRL, daqcap_chan_ctrl(chan, false));
	if (!daqcap_chan_wait_idle(chan)) {
		dev_warn(dmadev, "ch%u: DMA did not stop, resetting the channel\n",
			 chan->index);
		spin_lock_irqsave(&chan->lock, flags);
		chan->stats.stop_resets++;
		spin_unlock_irqrestore(&chan->lock, flags);
		daqcap_chan_force_stop(chan);
	} else {
		status = daqcap_ch_read(chan, DAQCAP_CH_STATUS);
		/* A halted channel keeps its error state until reset. */
		if (status != U32_MAX && status & DAQCAP_CH_STATUS_HALTED)
			daqcap_chan_force_stop(chan);
	}
	daqcap_ch_write(chan, DAQCAP_CH_IRQ_MASK, 0);
	daqcap_irq_mask_update(chan->dev, DAQCAP_IRQ_CHANNEL(chan->index), 0);
	daqcap_chan_irq_sync(chan);
	timer_delete_sync(&chan->watchdog);

	dma_free_coherent(dmadev, DAQCAP_DESC_SIZE * DAQCAP_DESC_RING_SIZE,
			  chan->desc_ring, chan->desc_ring_dma);
	chan->desc_ring = NULL;
	dma_free_coherent(dmadev, DAQCAP_CPL_SIZE << chan->cpl_log2,
			  chan->cpl_ring, chan->cpl_ring_dma);
	chan->cpl_ring = NULL;
}
