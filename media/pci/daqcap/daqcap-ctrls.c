// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: controls.
 *
 * The test pattern belongs to the input the channel captures; the chunk
 * size, the interrupt coalescing rule and the timestamp source belong to
 * the channel. The
 * driver's own control IDs are in include/uapi/linux/daqcap.h.
 */

#include <linux/daqcap.h>

#include "daqcap.h"

static const char * const daqcap_pattern_menu[] = {
	"Colour Bars",
	"Verification",
	NULL,
};

static const char * const daqcap_coalesce_menu[] = {
	[DAQCAP_IRQ_COALESCE_CHUNKS] = "Every N Chunks",
	[DAQCAP_IRQ_COALESCE_FRAME] = "End of Frame",
	[DAQCAP_IRQ_COALESCE_DELAY] = "Maximum Delay",
	NULL,
};

static const char * const daqcap_ts_source_menu[] = {
	[DAQCAP_TIMESTAMP_END_OF_FRAME] = "End of Frame",
	[DAQCAP_TIMESTAMP_START_OF_FRAME] = "Start of Frame",
	NULL,
};

static struct daqcap_chan *ctrl_to_chan(struct v4l2_ctrl *ctrl)
{
	return container_of(ctrl->handler, struct daqcap_chan, ctrl_handler);
}

static u32 daqcap_coalesce_reg(s32 mode, s32 chunks, s32 delay_us)
{
	return FIELD_PREP(DAQCAP_COALESCE_MODE_MASK, mode) |
	       FIELD_PREP(DAQCAP_COALESCE_COUNT_MASK, chunks) |
	       FIELD_PREP(DAQCAP_COALESCE_DELAY_MASK, delay_us);
}

/**
 * daqcap_ctrls_coalesce() - CH_IRQ_COALESCE value for the channel
 * @chan: the channel
 *
 * From the controls' current values: ->val may hold a value that
 * VIDIOC_TRY_EXT_CTRLS tried, or a failed VIDIOC_S_EXT_CTRLS left.
 *
 * Return: the register value the coalescing controls describe.
 */
u32 daqcap_ctrls_coalesce(struct daqcap_chan *chan)
{
	return daqcap_coalesce_reg(v4l2_ctrl_g_ctrl(chan->ctrl_coalesce),
				   v4l2_ctrl_g_ctrl(chan->ctrl_irq_chunks),
				   v4l2_ctrl_g_ctrl(chan->ctrl_irq_delay));
}

/**
 * daqcap_ctrls_chunk_lines() - lines per chunk to start the channel with
 * @chan: the channel
 *
 * Return: the control's current value (see daqcap_ctrls_coalesce()).
 */
u32 daqcap_ctrls_chunk_lines(struct daqcap_chan *chan)
{
	return v4l2_ctrl_g_ctrl(chan->ctrl_chunk_lines);
}

/**
 * daqcap_ctrls_ts_from_sof() - whether buffers get their frame's start time
 * @chan: the channel
 *
 * Return: the timestamp source control's current value is start of frame
 * (see daqcap_ctrls_coalesce()).
 */
bool daqcap_ctrls_ts_from_sof(struct daqcap_chan *chan)
{
	return v4l2_ctrl_g_ctrl(chan->ctrl_ts_source) ==
	       DAQCAP_TIMESTAMP_START_OF_FRAME;
}

static int daqcap_g_volatile_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daqcap_chan *chan = ctrl_to_chan(ctrl);
	struct daqcap_dev *dev = chan->dev;
	unsigned int i;
	int ret;

	ret = daqcap_pm_get(dev);
	if (ret)
		return ret;
	switch (ctrl->id) {
	case V4L2_CID_TEST_PATTERN:
		ctrl->val = daqcap_in_read(dev, chan->input, DAQCAP_IN_PATTERN);
		if (ctrl->val >= DAQCAP_PATTERN_COUNT)
			ctrl->val = DAQCAP_PATTERN_BARS;
		break;
	case V4L2_CID_DV_RX_POWER_PRESENT:
		/* A bit per V4L2 input. */
		ctrl->val = 0;
		for (i = 0; i < dev->num_offered; i++)
			if (daqcap_in_read(dev, dev->offered[i],
					   DAQCAP_IN_STATUS) &
			    DAQCAP_IN_STATUS_POWER)
				ctrl->val |= BIT(i);
		break;
	default:
		ret = -EINVAL;
	}
	daqcap_pm_put(dev);
	return ret;
}

static int daqcap_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daqcap_chan *chan = ctrl_to_chan(ctrl);
	int ret;

	switch (ctrl->id) {
	case V4L2_CID_TEST_PATTERN:
		ret = daqcap_pm_get(chan->dev);
		if (ret)
			return ret;
		daqcap_in_write(chan->dev, chan->input, DAQCAP_IN_PATTERN,
				ctrl->val);
		/* Kept for the card's restore after a reset or D3hot. */
		WRITE_ONCE(chan->dev->inputs[chan->input].pattern, ctrl->val);
		daqcap_pm_put(chan->dev);
		return 0;
	case V4L2_CID_DAQCAP_CHUNK_LINES:
		/* Programmed at stream start; grabbed while streaming. */
		return 0;
	case V4L2_CID_DAQCAP_CARD_INPUT:
		/* Read-only: only S_INPUT sets it, after the fact. */
		return 0;
	case V4L2_CID_DAQCAP_TIMESTAMP_SOURCE:
		/*
		 * Taken at stream start, grabbed while streaming; the flags
		 * QUERYBUF and DQBUF report follow at once.
		 */
		chan->queue.timestamp_flags &= ~V4L2_BUF_FLAG_TSTAMP_SRC_MASK;
		chan->queue.timestamp_flags |=
			ctrl->val == DAQCAP_TIMESTAMP_START_OF_FRAME ?
			V4L2_BUF_FLAG_TSTAMP_SRC_SOE : V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
		return 0;
	case V4L2_CID_DAQCAP_IRQ_COALESCE:
		/*
		 * The cluster's master: ->val of all three is the new rule.
		 * The card applies it at once, even while streaming.
		 */
		if (vb2_is_streaming(&chan->queue))
			daqcap_ch_write(chan, DAQCAP_CH_IRQ_COALESCE,
					daqcap_coalesce_reg(chan->ctrl_coalesce->val,
							    chan->ctrl_irq_chunks->val,
							    chan->ctrl_irq_delay->val));
		return 0;
	}
	return -EINVAL;
}

static const struct v4l2_ctrl_ops daqcap_ctrl_ops = {
	.g_volatile_ctrl = daqcap_g_volatile_ctrl,
	.s_ctrl = daqcap_s_ctrl,
};

static const struct v4l2_ctrl_config daqcap_ctrl_chunk_lines = {
	.ops = &daqcap_ctrl_ops,
	.id = V4L2_CID_DAQCAP_CHUNK_LINES,
	.name = "Lines per Chunk",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 1,
	.max = DAQCAP_MAX_CHUNK_LINES,
	.step = 1,
	.def = DAQCAP_CHUNK_LINES_DEFAULT,
};

static const struct v4l2_ctrl_config daqcap_ctrl_coalesce = {
	.ops = &daqcap_ctrl_ops,
	.id = V4L2_CID_DAQCAP_IRQ_COALESCE,
	.name = "Interrupt Coalescing",
	.type = V4L2_CTRL_TYPE_MENU,
	.max = DAQCAP_IRQ_COALESCE_DELAY,
	.def = DAQCAP_IRQ_COALESCE_FRAME,
	.qmenu = daqcap_coalesce_menu,
};

static const struct v4l2_ctrl_config daqcap_ctrl_irq_chunks = {
	.ops = &daqcap_ctrl_ops,
	.id = V4L2_CID_DAQCAP_IRQ_CHUNKS,
	.name = "Interrupt Every N Chunks",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 1,
	.max = 255,
	.step = 1,
	.def = 1,
};

static const struct v4l2_ctrl_config daqcap_ctrl_irq_delay = {
	.ops = &daqcap_ctrl_ops,
	.id = V4L2_CID_DAQCAP_IRQ_DELAY_US,
	.name = "Interrupt Maximum Delay (us)",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 0,
	.max = 65535,
	.step = 1,
	.def = 0,
};

static const struct v4l2_ctrl_config daqcap_ctrl_ts_source = {
	.ops = &daqcap_ctrl_ops,
	.id = V4L2_CID_DAQCAP_TIMESTAMP_SOURCE,
	.name = "Timestamp Source",
	.type = V4L2_CTRL_TYPE_MENU,
	.max = DAQCAP_TIMESTAMP_START_OF_FRAME,
	.def = DAQCAP_TIMESTAMP_END_OF_FRAME,
	.qmenu = daqcap_ts_source_menu,
};

static const struct v4l2_ctrl_config daqcap_ctrl_card_input = {
	.ops = &daqcap_ctrl_ops,
	.id = V4L2_CID_DAQCAP_CARD_INPUT,
	.name = "Card Input",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 0,
	.step = 1,
	.flags = V4L2_CTRL_FLAG_READ_ONLY,
};

/**
 * daqcap_ctrls_init() - create a channel's controls
 * @chan: the channel, its input selected
 *
 * Return: 0, or a negative error code; the handler is freed by
 * daqcap_chan_free() either way.
 */
int daqcap_ctrls_init(struct daqcap_chan *chan)
{
	struct v4l2_ctrl_handler *hdl = &chan->ctrl_handler;
	struct v4l2_ctrl_config chunk_lines, card_input;
	struct v4l2_ctrl *power;

	v4l2_ctrl_handler_init(hdl, 8);
	chan->ctrl_pattern =
		v4l2_ctrl_new_std_menu_items(hdl, &daqcap_ctrl_ops,
					     V4L2_CID_TEST_PATTERN,
					     DAQCAP_PATTERN_COUNT - 1, 0,
					     DAQCAP_PATTERN_BARS,
					     daqcap_pattern_menu);
	/*
	 * The pattern is the input's, shared by every channel that captures
	 * it: read it from the card, and always write it, so that a channel's
	 * control never shows or keeps a value another channel replaced.
	 */
	if (chan->ctrl_pattern)
		chan->ctrl_pattern->flags |= V4L2_CTRL_FLAG_VOLATILE |
					     V4L2_CTRL_FLAG_EXECUTE_ON_WRITE;
	power = v4l2_ctrl_new_std(hdl, &daqcap_ctrl_ops,
				  V4L2_CID_DV_RX_POWER_PRESENT, 0,
				  BIT(chan->dev->num_offered) - 1, 0, 0);
	if (power)
		power->flags |= V4L2_CTRL_FLAG_VOLATILE;
	chunk_lines = daqcap_ctrl_chunk_lines;
	chunk_lines.def = chan->default_chunk_lines;
	chan->ctrl_chunk_lines = v4l2_ctrl_new_custom(hdl, &chunk_lines, NULL);
	chan->ctrl_coalesce =
		v4l2_ctrl_new_custom(hdl, &daqcap_ctrl_coalesce, NULL);
	chan->ctrl_irq_chunks =
		v4l2_ctrl_new_custom(hdl, &daqcap_ctrl_irq_chunks, NULL);
	chan->ctrl_irq_delay =
		v4l2_ctrl_new_custom(hdl, &daqcap_ctrl_irq_delay, NULL);
	chan->ctrl_ts_source =
		v4l2_ctrl_new_custom(hdl, &daqcap_ctrl_ts_source, NULL);
	/* Its range is the card's inputs, so tools can see a gap in V4L2's. */
	card_input = daqcap_ctrl_card_input;
	card_input.max = chan->dev->num_inputs - 1;
	card_input.def = chan->input;
	chan->ctrl_card_input = v4l2_ctrl_new_custom(hdl, &card_input, NULL);
	if (hdl->error)
		return hdl->error;
	/* One register holds the rule: set its three fields together. */
	v4l2_ctrl_cluster(3, &chan->ctrl_coalesce);
	return 0;
}
