// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: debugfs.
 *
 * <debugfs>/daqcap/<pci address>/registers dumps the card's registers;
 * .../chN holds a channel's counters, the driver's beside the card's.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "daqcap.h"

static struct dentry *daqcap_debugfs_root;

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
	int ret;

	ret = daqcap_pm_get(chan->dev);
	if (ret)
		return ret;
	spin_lock_irqsave(&chan->lock, flags);
	st = chan->stats;
	spin_unlock_irqrestore(&chan->lock, flags);

	seq_printf(s, "frames: %llu\n", st.frames);
	seq_printf(s, "error_frames: %llu\n", st.error_frames);
	seq_printf(s, "chunks: %llu\n", st.chunks);
	seq_printf(s, "irqs: %llu\n", st.irqs);
	seq_printf(s, "watchdog_completions: %llu\n", st.watchdog_completions);
	seq_printf(s, "bad_completions: %llu\n", st.bad_completions);
	seq_printf(s, "dup_completions: %llu\n", st.dup_completions);
	seq_printf(s, "incomplete_frames: %llu\n", st.incomplete_frames);
	seq_printf(s, "fifo_overflows: %llu\n", st.fifo_overflows);
	seq_printf(s, "dma_errors: %llu\n", st.dma_errors);
	seq_printf(s, "desc_errors: %llu\n", st.desc_errors);
	seq_printf(s, "drop_irqs: %llu\n", st.drop_irqs);
	seq_printf(s, "source_changes: %llu\n", st.source_changes);
	seq_printf(s, "stop_resets: %llu\n", st.stop_resets);
	seq_printf(s, "unfetched_completions: %llu\n", st.unfetched_completions);
	seq_printf(s, "sequence_errors: %llu\n", st.sequence_errors);
	seq_printf(s, "cpl_overruns: %llu\n", st.cpl_overruns);
	seq_printf(s, "all_ones_reads: %llu\n", st.all_ones_reads);
	seq_printf(s, "spurious_irqs: %llu\n", st.spurious_irqs);
	seq_printf(s, "irq_storms: %llu\n", st.irq_storms);
	seq_printf(s, "hw_frames: %u\n", daqcap_ch_read(chan, DAQCAP_CH_FRAMES));
	seq_printf(s, "hw_drops: %u\n", daqcap_ch_read(chan, DAQCAP_CH_DROPS));
	seq_printf(s, "hw_error_frames: %u\n",
		   daqcap_ch_read(chan, DAQCAP_CH_ERROR_FRAMES));
	seq_printf(s, "hw_chunks: %u\n", daqcap_ch_read(chan, DAQCAP_CH_CHUNKS));
	seq_printf(s, "hw_sequence: %u\n",
		   daqcap_ch_read(chan, DAQCAP_CH_SEQUENCE));
	daqcap_pm_put(chan->dev);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(daqcap_chan_stats);

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
		char name[16];

		snprintf(name, sizeof(name), "ch%u", c);
		debugfs_create_file(name, 0444, dev->debugfs, &dev->chans[c],
				    &daqcap_chan_stats_fops);
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
