// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: debugfs.
 *
 * <debugfs>/daqcap/<pci address>/registers dumps the card's registers;
 * .../chN holds a channel's counters, the driver's beside the card's, and
 * how fast the card's clock ran against CLOCK_MONOTONIC while it streamed;
 * .../latency-chN how long its finished frames waited for the driver.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "daqcap.h"

static struct dentry *daqcap_debugfs_root;

#define DAQCAP_COUNTER(field) \
	{ .name = #field, .offset = offsetof(struct daqcap_chan_stats, field) }

/*
 * The one list of a channel's counters: debugfs, LOG_STATUS and, through
 * debugfs, daqcap-info show them from here. Their meaning is documented
 * with struct daqcap_chan_stats.
 */
const struct daqcap_counter daqcap_chan_counters[] = {
	DAQCAP_COUNTER(frames),
	DAQCAP_COUNTER(error_frames),
	DAQCAP_COUNTER(chunks),
	DAQCAP_COUNTER(irqs),
	DAQCAP_COUNTER(polls),
	DAQCAP_COUNTER(watchdog_completions),
	DAQCAP_COUNTER(bad_completions),
	DAQCAP_COUNTER(dup_completions),
	DAQCAP_COUNTER(incomplete_frames),
	DAQCAP_COUNTER(fifo_overflows),
	DAQCAP_COUNTER(dma_errors),
	DAQCAP_COUNTER(desc_errors),
	DAQCAP_COUNTER(drop_irqs),
	DAQCAP_COUNTER(source_changes),
	DAQCAP_COUNTER(stop_resets),
	DAQCAP_COUNTER(unfetched_completions),
	DAQCAP_COUNTER(sequence_errors),
	DAQCAP_COUNTER(cpl_overruns),
	DAQCAP_COUNTER(all_ones_reads),
	DAQCAP_COUNTER(spurious_irqs),
	DAQCAP_COUNTER(irq_storms),
	DAQCAP_COUNTER(frame_syncs),
	DAQCAP_COUNTER(clock_syncs),
	DAQCAP_COUNTER(clock_rejects),
};

/*
 * Every counter is in the table, and every one is a u64, as
 * daqcap_counter_value() reads them: the struct holds nothing else.
 */
static_assert(ARRAY_SIZE(daqcap_chan_counters) * sizeof(u64) ==
	      sizeof(struct daqcap_chan_stats));
const unsigned int daqcap_num_chan_counters = ARRAY_SIZE(daqcap_chan_counters);

/* The card's own counters of a channel, shown with a "hw_" prefix. */
const struct daqcap_counter daqcap_chan_hw_counters[] = {
	{ .name = "frames", .reg = DAQCAP_CH_FRAMES },
	{ .name = "drops", .reg = DAQCAP_CH_DROPS },
	{ .name = "drops_no_buffer", .reg = DAQCAP_CH_DROPS_NO_BUFFER },
	{ .name = "drops_ring_full", .reg = DAQCAP_CH_DROPS_RING_FULL },
	{ .name = "drops_late", .reg = DAQCAP_CH_DROPS_LATE },
	{ .name = "error_frames", .reg = DAQCAP_CH_ERROR_FRAMES },
	{ .name = "chunks", .reg = DAQCAP_CH_CHUNKS },
	{ .name = "sequence", .reg = DAQCAP_CH_SEQUENCE },
};

const unsigned int daqcap_num_chan_hw_counters =
	ARRAY_SIZE(daqcap_chan_hw_counters);

static const struct debugfs_reg32 daqcap_global_regs[] = {
	{ "ID", DAQCAP_REG_ID },
	{ "VERSION", DAQCAP_REG_VERSION },
	{ "CAP", DAQCAP_REG_CAP },
	{ "CAP_FORMATS", DAQCAP_REG_CAP_FORMATS },
	{ "CAP_MAX_SIZE", DAQCAP_REG_CAP_MAX_SIZE },
	{ "CAP_RINGS", DAQCAP_REG_CAP_RINGS },
	{ "IRQ_STATUS", DAQCAP_REG_IRQ_STATUS },
	{ "IRQ_MASK", DAQCAP_REG_IRQ_MASK },
	{ "DATA_READY", DAQCAP_REG_DATA_READY },
	{ "INPUT_CHANGED", DAQCAP_REG_INPUT_CHANGED },
	{ "SCRATCH", DAQCAP_REG_SCRATCH },
};

static const struct debugfs_reg32 daqcap_input_regs[] = {
	{ "STATUS", DAQCAP_IN_STATUS },
	{ "ACTIVE_SIZE", DAQCAP_IN_ACTIVE_SIZE },
	{ "TOTAL_SIZE", DAQCAP_IN_TOTAL_SIZE },
	{ "HSYNC", DAQCAP_IN_HSYNC },
	{ "VSYNC", DAQCAP_IN_VSYNC },
	{ "PIXEL_CLOCK", DAQCAP_IN_PIXEL_CLOCK },
	{ "PATTERN", DAQCAP_IN_PATTERN },
	{ "FRAME_COUNT", DAQCAP_IN_FRAME_COUNT },
	{ "CAPS", DAQCAP_IN_CAPS },
	{ "EDID_BLOCKS", DAQCAP_IN_EDID_BLOCKS },
};

/*
 * Reading BYTES_LO latches BYTES_HI and TIMESTAMP_LO latches TIMESTAMP_HI:
 * a dump leaves those pairs to the driver and shows the rest.
 */
static const struct debugfs_reg32 daqcap_chan_regs[] = {
	{ "CTRL", DAQCAP_CH_CTRL },
	{ "STATUS", DAQCAP_CH_STATUS },
	{ "FORMAT", DAQCAP_CH_FORMAT },
	{ "SIZE", DAQCAP_CH_SIZE },
	{ "STRIDE", DAQCAP_CH_STRIDE },
	{ "CHUNK_LINES", DAQCAP_CH_CHUNK_LINES },
	{ "IRQ_COALESCE", DAQCAP_CH_IRQ_COALESCE },
	{ "IRQ_STATUS", DAQCAP_CH_IRQ_STATUS },
	{ "IRQ_MASK", DAQCAP_CH_IRQ_MASK },
	{ "CROP_ORIGIN", DAQCAP_CH_CROP_ORIGIN },
	{ "DESC_BASE_LO", DAQCAP_CH_DESC_BASE_LO },
	{ "DESC_BASE_HI", DAQCAP_CH_DESC_BASE_HI },
	{ "DESC_SIZE_LOG2", DAQCAP_CH_DESC_SIZE_LOG2 },
	{ "DESC_HEAD", DAQCAP_CH_DESC_HEAD },
	{ "DESC_TAIL", DAQCAP_CH_DESC_TAIL },
	{ "CPL_BASE_LO", DAQCAP_CH_CPL_BASE_LO },
	{ "CPL_BASE_HI", DAQCAP_CH_CPL_BASE_HI },
	{ "CPL_SIZE_LOG2", DAQCAP_CH_CPL_SIZE_LOG2 },
	{ "CPL_HEAD", DAQCAP_CH_CPL_HEAD },
	{ "CPL_TAIL", DAQCAP_CH_CPL_TAIL },
	{ "SEQUENCE", DAQCAP_CH_SEQUENCE },
	{ "FRAMES", DAQCAP_CH_FRAMES },
	{ "DROPS", DAQCAP_CH_DROPS },
	{ "CHUNKS", DAQCAP_CH_CHUNKS },
	{ "ERROR_FRAMES", DAQCAP_CH_ERROR_FRAMES },
	{ "DROPS_NO_BUFFER", DAQCAP_CH_DROPS_NO_BUFFER },
	{ "DROPS_RING_FULL", DAQCAP_CH_DROPS_RING_FULL },
	{ "DROPS_LATE", DAQCAP_CH_DROPS_LATE },
	{ "SOF_SEQUENCE", DAQCAP_CH_SOF_SEQUENCE },
};

static int daqcap_registers_show(struct seq_file *s, void *unused)
{
	struct daqcap_dev *dev = s->private;
	unsigned int i;
	int ret;

	ret = daqcap_pm_get(dev);
	if (ret)
		return ret;
	seq_puts(s, "global:\n");
	debugfs_print_regs32(s, daqcap_global_regs,
			     ARRAY_SIZE(daqcap_global_regs), dev->regs, "  ");
	for (i = 0; i < dev->num_inputs; i++) {
		seq_printf(s, "input %u:\n", i);
		debugfs_print_regs32(s, daqcap_input_regs,
				     ARRAY_SIZE(daqcap_input_regs),
				     dev->regs + DAQCAP_INPUT_BASE(i), "  ");
	}
	for (i = 0; i < dev->num_channels; i++) {
		seq_printf(s, "channel %u:\n", i);
		debugfs_print_regs32(s, daqcap_chan_regs,
				     ARRAY_SIZE(daqcap_chan_regs),
				     dev->chans[i].regs, "  ");
	}
	daqcap_pm_put(dev);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(daqcap_registers);

static int daqcap_chan_stats_show(struct seq_file *s, void *unused)
{
	struct daqcap_chan *chan = s->private;
	struct daqcap_chan_stats st;
	unsigned long flags;
	s64 drift_ppb;
	unsigned int i;
	int ret;

	ret = daqcap_pm_get(chan->dev);
	if (ret)
		return ret;
	spin_lock_irqsave(&chan->lock, flags);
	st = chan->stats;
	drift_ppb = chan->clock_drift_ppb;
	spin_unlock_irqrestore(&chan->lock, flags);

	for (i = 0; i < daqcap_num_chan_counters; i++)
		seq_printf(s, "%s: %llu\n", daqcap_chan_counters[i].name,
			   daqcap_counter_value(&st, &daqcap_chan_counters[i]));
	for (i = 0; i < daqcap_num_chan_hw_counters; i++)
		seq_printf(s, "hw_%s: %u\n", daqcap_chan_hw_counters[i].name,
			   daqcap_ch_read(chan, daqcap_chan_hw_counters[i].reg));
	/* Measured over the last (or current) stream, from clock_syncs. */
	seq_printf(s, "card_clock_drift_ppb: %lld\n", drift_ppb);
	daqcap_pm_put(chan->dev);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(daqcap_chan_stats);

static int daqcap_chan_latency_show(struct seq_file *s, void *unused)
{
	struct daqcap_chan *chan = s->private;
	struct daqcap_latency lat;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&chan->lock, flags);
	lat = chan->latency;
	spin_unlock_irqrestore(&chan->lock, flags);

	seq_puts(s, "# end of frame to buffer done, in microseconds\n");
	seq_printf(s, "frames: %llu\n", lat.frames);
	seq_printf(s, "mean_us: %llu\n",
		   lat.frames ? div64_u64(lat.sum_ns, lat.frames * NSEC_PER_USEC) : 0);
	seq_printf(s, "max_us: %llu\n", div_u64(lat.max_ns, NSEC_PER_USEC));
	seq_puts(s, "# frames by latency: from_us-to_us: frames\n");
	seq_printf(s, "0-1: %llu\n", lat.buckets[0]);
	for (i = 1; i < DAQCAP_LATENCY_BUCKETS - 1; i++)
		seq_printf(s, "%lu-%lu: %llu\n", BIT(i - 1), BIT(i),
			   lat.buckets[i]);
	seq_printf(s, "%lu-: %llu\n", BIT(DAQCAP_LATENCY_BUCKETS - 2),
		   lat.buckets[DAQCAP_LATENCY_BUCKETS - 1]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(daqcap_chan_latency);

static int daqcap_lifecycle_show(struct seq_file *s, void *unused)
{
	static const char * const states[] = {
		[DAQCAP_CARD_UP] = "up",
		[DAQCAP_CARD_HELD] = "held",
		[DAQCAP_CARD_GONE] = "gone",
	};
	struct daqcap_dev *dev = s->private;
	const struct daqcap_lifecycle_stats *st = &dev->lifecycle;

	seq_printf(s, "state: %s\n", states[daqcap_card_state(dev)]);
	seq_printf(s, "suspends: %llu\n", st->suspends);
	seq_printf(s, "resumes: %llu\n", st->resumes);
	seq_printf(s, "resets: %llu\n", st->resets);
	seq_printf(s, "pci_errors: %llu\n", st->pci_errors);
	seq_printf(s, "recoveries: %llu\n", st->recoveries);
	seq_printf(s, "lost: %llu\n", st->lost);
	seq_printf(s, "runtime_suspends: %llu\n", st->runtime_suspends);
	seq_printf(s, "runtime_resumes: %llu\n", st->runtime_resumes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(daqcap_lifecycle);

/**
 * daqcap_debugfs_init() - create the card's debugfs files
 * @dev: the card
 *
 * debugfs is optional: failures are ignored, as debugfs wants.
 */
void daqcap_debugfs_init(struct daqcap_dev *dev)
{
	unsigned int c;

	dev->debugfs = debugfs_create_dir(pci_name(dev->pdev),
					  daqcap_debugfs_root);
	debugfs_create_file("registers", 0400, dev->debugfs, dev,
			    &daqcap_registers_fops);
	debugfs_create_file("lifecycle", 0444, dev->debugfs, dev,
			    &daqcap_lifecycle_fops);
	for (c = 0; c < dev->num_channels; c++) {
		char name[24];

		snprintf(name, sizeof(name), "ch%u", c);
		debugfs_create_file(name, 0444, dev->debugfs, &dev->chans[c],
				    &daqcap_chan_stats_fops);
		snprintf(name, sizeof(name), "latency-ch%u", c);
		debugfs_create_file(name, 0444, dev->debugfs, &dev->chans[c],
				    &daqcap_chan_latency_fops);
	}
}

/**
 * daqcap_debugfs_exit() - remove the card's debugfs files
 * @dev: the card
 */
void daqcap_debugfs_exit(struct daqcap_dev *dev)
{
	debugfs_remove_recursive(dev->debugfs);
	dev->debugfs = NULL;
}

/**
 * daqcap_debugfs_root_init() - create <debugfs>/daqcap at module load
 */
void daqcap_debugfs_root_init(void)
{
	daqcap_debugfs_root = debugfs_create_dir(DAQCAP_DRV_NAME, NULL);
}

/**
 * daqcap_debugfs_root_exit() - remove <debugfs>/daqcap at module unload
 */
void daqcap_debugfs_root_exit(void)
{
	debugfs_remove(daqcap_debugfs_root);
}
