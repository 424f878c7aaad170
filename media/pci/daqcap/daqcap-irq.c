// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: interrupt handlers.
 *
 * With MSI-X every channel has a vector of its own and vector 0 carries
 * input changes; with MSI or INTx one handler reads the global status and
 * serves each source it names. Everything runs in hard IRQ context: it
 * only drains completion rings, completes vb2 buffers and queues events,
 * none of which sleeps or allocates.
 *
 * Without any vector (irq_mode=poll, or none to be had) an hrtimer polls
 * the card instead (daqcap_poll()) and serves the same handlers.
 *
 * The card's message interrupts are edges. Each handler acknowledges its
 * status before draining, so a completion posted while it drains raises a
 * new interrupt rather than being left behind.
 *
 * Each interrupt does a bounded amount of work (one status read, one
 * acknowledge, at most one ring's worth of records) and never loops on the
 * status, so a status that does not clear cannot hold a CPU inside one
 * handler; the rate of interrupts that find nothing to do bounds a storm
 * of them (daqcap_chan_storm()).
 */

#include <linux/interrupt.h>
#include <media/v4l2-event.h>

#include "daqcap.h"
#include "daqcap-compat.h"

/* Channel interrupts that are errors, and those after which it is halted. */
#define DAQCAP_CH_IRQ_ERRORS	(DAQCAP_CH_IRQ_FIFO_OVERFLOW | \
				 DAQCAP_CH_IRQ_DMA_ERROR | \
				 DAQCAP_CH_IRQ_DESC_ERROR)
#define DAQCAP_CH_IRQ_HALTING	(DAQCAP_CH_IRQ_DMA_ERROR | \
				 DAQCAP_CH_IRQ_DESC_ERROR)

/*
 * A storm: in one DAQCAP_STORM_WINDOW, more than DAQCAP_STORM_IDLE channel
 * interrupts that found nothing to do beyond those that found completions.
 */
#define DAQCAP_STORM_WINDOW	HZ
#define DAQCAP_STORM_IDLE	1000

/* Names of the CH_IRQ_STATUS bits, by bit number. */
static const char * const daqcap_chan_irq_names[] = {
	"data", "FIFO overflow: lines lost",
	"DMA write failed: channel halted",
	"malformed descriptor: channel halted", "frame dropped",
	"start of frame",
};

/*
 * Count a channel interrupt in the current rate window: @idle if it
 * consumed no completion. An honest card gives at most one idle interrupt
 * per busy one (its completion consumed by the handler before, which the
 * message came after) plus one per dropped frame or error, a few hundred a
 * second at most; DAQCAP_STORM_IDLE more than that is a storm, a status
 * that does not clear or a vector that fires for nothing. A streaming
 * channel is then stopped (daqcap_chan_fail(), which masks its interrupts
 * on the card); a card that goes on regardless loses the channel's MSI-X
 * vector, its alone, until the next STREAMON. A shared vector is left to
 * the interrupt core: the idle interrupts' IRQ_NONE feeds its detector.
 */
static void daqcap_chan_storm(struct daqcap_chan *chan, bool idle, u32 status)
{
	struct device *dev = &chan->dev->pdev->dev;
	unsigned int ms;

	lockdep_assert_held(&chan->lock);
	if (time_after(jiffies, chan->storm_start + DAQCAP_STORM_WINDOW)) {
		chan->storm_start = jiffies;
		chan->storm_idle = 0;
		chan->storm_busy = 0;
	}
	if (!idle) {
		chan->storm_busy++;
		return;
	}
	if (++chan->storm_idle <= chan->storm_busy + DAQCAP_STORM_IDLE)
		return;
	ms = jiffies_to_msecs(jiffies - chan->storm_start);
	chan->storm_start = jiffies;
	chan->storm_idle = 0;
	chan->storm_busy = 0;
	if (chan->running && !chan->failed) {
		chan->stats.irq_storms++;
		dev_warn_ratelimited(dev, "ch%u: interrupt storm: over %u interrupts in %u ms with nothing to do (status 0x%08x): channel stopped\n",
				     chan->index, DAQCAP_STORM_IDLE, ms, status);
		daqcap_chan_fail(chan);
	} else if (chan->dev->msix && !chan->irq_off) {
		chan->irq_off = true;
		disable_irq_nosync(chan->irq);
		dev_warn(dev, "ch%u: interrupt storm with the channel's interrupts masked: vector disabled\n",
			 chan->index);
	}
}

/*
 * A frame started: tell the FRAME_SYNC subscribers its sequence, numbered
 * as its buffer will be. The card holds the last start's sequence only: if
 * two came before this interrupt, the later one is told; one that is not
 * past the last told is no new start (the interrupt of a start this
 * handler already read, or a card that repeats itself) and is not told.
 *
 * Return: a new start was told.
 */
static bool daqcap_chan_frame_sync(struct daqcap_chan *chan)
{
	struct v4l2_event ev = { .type = V4L2_EVENT_FRAME_SYNC };
	u32 seq;

	lockdep_assert_held(&chan->lock);
	if (!chan->running || !chan->frame_sync_subs)
		return false;
	seq = daqcap_ch_read(chan, DAQCAP_CH_SOF_SEQUENCE);
	if (chan->sof_told && (s32)(seq - chan->last_sof_seq) <= 0)
		return false;
	chan->sof_told = true;
	chan->last_sof_seq = seq;
	ev.u.frame_sync.frame_sequence = seq + chan->seq_base;
	v4l2_event_queue(&chan->vdev, &ev);
	chan->stats.frame_syncs++;
	return true;
}

/*
 * Serve a channel's events @status, already acknowledged, and drain its
 * completion ring: for an interrupt, or for the poll timer (@polled).
 */
static void daqcap_chan_serve(struct daqcap_chan *chan, unsigned long status,
			      bool polled)
{
	struct device *dev = &chan->dev->pdev->dev;
	unsigned int bit, n;
	bool sof = false;

	spin_lock(&chan->lock);
	/*
	 * Before the drain, which may take long enough for the next start:
	 * its sequence would be told now and again at its own interrupt.
	 * Latched even while masked: only a subscriber's is an event.
	 */
	if (status & DAQCAP_CH_IRQ_SOF)
		sof = daqcap_chan_frame_sync(chan);
	n = daqcap_chan_drain(chan);
	if (polled) {
		if (n || status)
			chan->stats.polls++;
	} else {
		chan->stats.irqs++;
		/*
		 * A new start told is work done; a start bit that does not
		 * clear, or comes with no new start, is an idle interrupt.
		 */
		daqcap_chan_storm(chan, !n && !sof, status);
	}
	if (status & DAQCAP_CH_IRQ_FIFO_OVERFLOW)
		chan->stats.fifo_overflows++;
	if (status & DAQCAP_CH_IRQ_DROP)
		chan->stats.drop_irqs++;
	if (status & DAQCAP_CH_IRQ_DMA_ERROR)
		chan->stats.dma_errors++;
	if (status & DAQCAP_CH_IRQ_DESC_ERROR)
		chan->stats.desc_errors++;
	/*
	 * A halted channel completes nothing more: wake the application with
	 * an error, and STREAMOFF resets the channel. Only while streaming,
	 * under the lock that daqcap_chan_hw_stop() clears @running with: an
	 * error flagged after STREAMOFF would fail the next session's QBUF.
	 */
	if (status & DAQCAP_CH_IRQ_HALTING && chan->running)
		vb2_queue_error(&chan->queue);
	spin_unlock(&chan->lock);

	for_each_set_bit(bit, &status, ARRAY_SIZE(daqcap_chan_irq_names))
		if (BIT(bit) & DAQCAP_CH_IRQ_ERRORS)
			dev_err_ratelimited(dev, "ch%u: %s\n", chan->index,
					    daqcap_chan_irq_names[bit]);
	if (status & ~DAQCAP_CH_IRQ_ALL)
		dev_warn_ratelimited(dev, "ch%u: unknown interrupt bits 0x%08lx\n",
				     chan->index, status & ~DAQCAP_CH_IRQ_ALL);
}

static irqreturn_t daqcap_chan_service(struct daqcap_chan *chan)
{
	struct device *dev = &chan->dev->pdev->dev;
	u32 status;

	status = daqcap_ch_read(chan, DAQCAP_CH_IRQ_STATUS);
	if (!status) {
		spin_lock(&chan->lock);
		chan->stats.spurious_irqs++;
		daqcap_chan_storm(chan, true, 0);
		spin_unlock(&chan->lock);
		return IRQ_NONE;
	}
	if (status == U32_MAX) {
		spin_lock(&chan->lock);
		if (chan->running)
			daqcap_card_dead(chan, "IRQ_STATUS");
		else
			dev_err_ratelimited(dev, "ch%u: card not responding\n",
					    chan->index);
		spin_unlock(&chan->lock);
		return IRQ_NONE;
	}
	daqcap_ch_write(chan, DAQCAP_CH_IRQ_STATUS, status);
	daqcap_chan_serve(chan, status, false);
	return IRQ_HANDLED;
}

/**
 * daqcap_input_changed() - an input changed: tell the channels that use it
 * @dev: the card
 * @input: the card's input (not the V4L2 number)
 *
 * Queues a source change event on every channel that captures from the
 * input, and errors the queues of streaming channels whose frames can no
 * longer come as configured (no signal, or other timings). From the
 * interrupt handlers, and from a restore for a change the card could not
 * report while it was held.
 */
void daqcap_input_changed(struct daqcap_dev *dev, unsigned int input)
{
	/* The event's id is the V4L2 input, which applications subscribe. */
	const struct v4l2_event ev = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.id = dev->inputs[input].index,
		.u.src_change.changes = V4L2_EVENT_SRC_CH_RESOLUTION,
	};
	struct v4l2_dv_timings detected;
	bool lost = daqcap_input_query_timings(dev, input, &detected) < 0;
	unsigned long flags;
	unsigned int c;

	for (c = 0; c < dev->num_channels; c++) {
		struct daqcap_chan *chan = &dev->chans[c];
		bool broken = false;

		/*
		 * The input only changes while the queue is idle. A node not
		 * (or no longer) registered has no file handles to tell.
		 */
		if (READ_ONCE(chan->input) != input ||
		    !video_is_registered(&chan->vdev))
			continue;
		v4l2_event_queue(&chan->vdev, &ev);

		/*
		 * Under the lock daqcap_chan_hw_stop() clears @running with,
		 * so no error is flagged on a queue that has stopped.
		 */
		spin_lock_irqsave(&chan->lock, flags);
		chan->stats.source_changes++;
		/* A window must still fit in the source's frame. */
		if (chan->running &&
		    (lost ||
		     detected.bt.width < chan->frame_left + chan->frame_width ||
		     detected.bt.height < chan->frame_top + chan->frame_height)) {
			vb2_queue_error(&chan->queue);
			broken = true;
		}
		spin_unlock_irqrestore(&chan->lock, flags);
		if (broken)
			dev_info_ratelimited(&dev->pdev->dev,
					     "ch%u: input %u %s while streaming\n",
					     c, input, lost ? "lost" : "changed");
	}
}

static irqreturn_t daqcap_global_service(struct daqcap_dev *dev)
{
	unsigned long changed;
	unsigned int input;

	/* Masked while probe or remove has the nodes half set up. */
	if (!(READ_ONCE(dev->irq_mask) & DAQCAP_IRQ_INPUT_CHANGE))
		return IRQ_NONE;
	changed = daqcap_read(dev, DAQCAP_REG_INPUT_CHANGED);
	if (!changed || changed == U32_MAX)
		return IRQ_NONE;
	daqcap_write(dev, DAQCAP_REG_INPUT_CHANGED, changed);
	for_each_set_bit(input, &changed, dev->num_inputs)
		daqcap_input_changed(dev, input);
	return IRQ_HANDLED;
}

/**
 * daqcap_chan_irq() - MSI-X vector of one channel
 * @irq: the IRQ
 * @data: the channel
 *
 * Return: IRQ_HANDLED if the channel had something pending.
 */
irqreturn_t daqcap_chan_irq(int irq, void *data)
{
	return daqcap_chan_service(data);
}

/**
 * daqcap_global_irq() - MSI-X vector of global events
 * @irq: the IRQ
 * @data: the card
 *
 * Return: IRQ_HANDLED if an input had changed.
 */
irqreturn_t daqcap_global_irq(int irq, void *data)
{
	return daqcap_global_service(data);
}

/**
 * daqcap_shared_irq() - the single MSI or INTx vector
 * @irq: the IRQ
 * @data: the card
 *
 * The global status names the sources; INTx may be shared with other
 * devices, so an interrupt with nothing pending is not ours. The status
 * shows masked sources too (datasheet), which are not served here.
 *
 * Return: IRQ_HANDLED if the card had something pending.
 */
irqreturn_t daqcap_shared_irq(int irq, void *data)
{
	struct daqcap_dev *dev = data;
	unsigned long status = daqcap_read(dev, DAQCAP_REG_IRQ_STATUS);
	irqreturn_t ret = IRQ_NONE;
	unsigned int c;

	if (!status || status == U32_MAX)
		return IRQ_NONE;
	status &= READ_ONCE(dev->irq_mask);
	for_each_set_bit(c, &status, dev->num_channels)
		if (daqcap_chan_service(&dev->chans[c]) == IRQ_HANDLED)
			ret = IRQ_HANDLED;
	if (status & DAQCAP_IRQ_INPUT_CHANGE &&
	    daqcap_global_service(dev) == IRQ_HANDLED)
		ret = IRQ_HANDLED;
	return ret;
}

/*
 * daqcap_poll() - look at a card that has no interrupt vector
 * @t: &daqcap_dev.poll_timer
 *
 * Two reads serve the whole card: DATA_READY names the channels whose
 * completion rings hold records, and IRQ_STATUS the channels with an event
 * pending (their data events are masked, DATA_READY tells of those) and an
 * input change; each is served as its interrupt would be. A card that
 * reads all ones is left to the channels' watchdogs, as with INTx.
 *
 * The timer runs while the driver wants the card's interrupts
 * (&daqcap_dev.irq_mask): every &daqcap_chan.poll_ns of the streaming
 * channels, the shortest, else every DAQCAP_POLL_IDLE_NS for input
 * changes. It rearms itself under &daqcap_dev.reg_lock, where the mask
 * changes and daqcap_poll_kick() starts it: a kick during a run leaves the
 * timer queued as the kick wanted, and a mask cleared meanwhile stops it.
 * daqcap_irqs_sync() waits for the last run.
 */
static enum hrtimer_restart daqcap_poll(struct hrtimer *t)
{
	struct daqcap_dev *dev = container_of(t, struct daqcap_dev, poll_timer);
	u32 mask = READ_ONCE(dev->irq_mask);
	u64 period = DAQCAP_POLL_IDLE_NS;
	unsigned long status, ready;
	unsigned int c;

	if (!mask)
		return HRTIMER_NORESTART;
	status = daqcap_read(dev, DAQCAP_REG_IRQ_STATUS);
	ready = daqcap_read(dev, DAQCAP_REG_DATA_READY);
	if (status != U32_MAX && ready != U32_MAX) {
		status &= mask;
		ready &= mask;
		for (c = 0; c < dev->num_channels; c++) {
			struct daqcap_chan *chan = &dev->chans[c];
			u32 events = 0;

			if (!((status | ready) & DAQCAP_IRQ_CHANNEL(c)))
				continue;
			if (status & DAQCAP_IRQ_CHANNEL(c)) {
				events = daqcap_ch_read(chan, DAQCAP_CH_IRQ_STATUS);
				if (events == U32_MAX)
					continue;
				daqcap_ch_write(chan, DAQCAP_CH_IRQ_STATUS, events);
			}
			daqcap_chan_serve(chan, events, true);
		}
		if (status & DAQCAP_IRQ_INPUT_CHANGE)
			daqcap_global_service(dev);
	}
	for (c = 0; c < dev->num_channels; c++)
		if (mask & DAQCAP_IRQ_CHANNEL(c))
			period = min(period, READ_ONCE(dev->chans[c].poll_ns));

	spin_lock(&dev->reg_lock);
	if (dev->irq_mask && !hrtimer_is_queued(t))
		hrtimer_start(t, ns_to_ktime(period), HRTIMER_MODE_REL);
	spin_unlock(&dev->reg_lock);
	return HRTIMER_NORESTART;
}

/**
 * daqcap_poll_init() - poll the card instead of taking its interrupts
 * @dev: the card, with no interrupt vector
 *
 * The card's global IRQ_MASK stays 0 (daqcap_irq_mask_update()), so it
 * never raises INTx, and its per-channel data events are masked: only
 * DATA_READY tells of completions.
 */
void daqcap_poll_init(struct daqcap_dev *dev)
{
	unsigned int c;

	dev->polled = true;
	hrtimer_setup(&dev->poll_timer, daqcap_poll, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL);
	for (c = 0; c < dev->num_channels; c++)
		dev->chans[c].irq = 0;
}

/**
 * daqcap_poll_kick() - start polling, or poll sooner
 * @dev: the polled card, with &daqcap_dev.reg_lock held
 *
 * Called when the interrupt mask changes: a channel that starts streaming
 * is looked at immediately, and from then on within its own poll period,
 * not the idle one.
 */
void daqcap_poll_kick(struct daqcap_dev *dev)
{
	lockdep_assert_held(&dev->reg_lock);
	if (dev->irq_mask)
		hrtimer_start(&dev->poll_timer, 0, HRTIMER_MODE_REL);
}

/**
 * daqcap_chan_irq_sync() - wait for the channel's running interrupt handler
 * @chan: the channel, no longer running, its interrupts masked
 *
 * A poll that read the mask before the channel was masked may still be
 * about to serve it: the timer is cancelled, which waits for it, and
 * started again for what the mask still wants.
 */
void daqcap_chan_irq_sync(struct daqcap_chan *chan)
{
	struct daqcap_dev *dev = chan->dev;

	if (!dev->polled) {
		synchronize_irq(chan->irq);
		return;
	}
	hrtimer_cancel(&dev->poll_timer);
	daqcap_irq_mask_update(dev, 0, 0);
}
