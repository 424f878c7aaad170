// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: video nodes, vb2 queues and the V4L2 ioctls.
 *
 * Every DMA channel is a capture node. A channel selects one of the card's
 * inputs (S_INPUT); its DV timings follow the input's detected timings when
 * the input is selected and can be set to any timings the card supports.
 * The frame size is the crop window's (VIDIOC_S_SELECTION), the timings'
 * whole frame by default: the card has no scaler. Frames larger than the
 * source come back flagged in error. The pixel format and a stride of at
 * least one line are the user's.
 */

#include <linux/error-injection.h>
#include <linux/math.h>
#include <linux/pm_runtime.h>
#include <linux/v4l2-dv-timings.h>
#include <media/media-entity.h>
#include <media/v4l2-dv-timings.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/v4l2-rect.h>
#include <media/videobuf2-dma-sg.h>

#include "daqcap.h"
#include "daqcap-compat.h"

const struct daqcap_format daqcap_formats[] = {
	{ V4L2_PIX_FMT_YUYV, DAQCAP_FMT_YUYV, 2, true, 0 },
	{ V4L2_PIX_FMT_UYVY, DAQCAP_FMT_UYVY, 2, true, 0 },
	{ V4L2_PIX_FMT_RGB24, DAQCAP_FMT_RGB24, 3, false, 0 },
	{ V4L2_PIX_FMT_BGR24, DAQCAP_FMT_BGR24, 3, false, 0 },
	{ V4L2_PIX_FMT_XBGR32, DAQCAP_FMT_XBGR32, 4, false, 0 },
	{ V4L2_PIX_FMT_GREY, DAQCAP_FMT_GREY, 1, false, 0 },
	{ V4L2_PIX_FMT_Y16, DAQCAP_FMT_Y16, 2, false, 0 },
	{ V4L2_PIX_FMT_NV12, DAQCAP_FMT_NV12, 1, true, 2 },
	{ V4L2_PIX_FMT_NV16, DAQCAP_FMT_NV16, 1, true, 1 },
};

/*
 * What the card's inputs accept, as DV timings capabilities. The card
 * measures whatever a source sends (datasheet, "Input timings"): any
 * progressive timings within these limits, the standards' or not.
 */
static const struct v4l2_dv_timings_cap daqcap_timings_cap = {
	.type = V4L2_DV_BT_656_1120,
	V4L2_INIT_BT_TIMINGS(640, DAQCAP_MAX_WIDTH, 480, DAQCAP_MAX_HEIGHT,
			     25000000, 600000000,
			     V4L2_DV_BT_STD_CEA861 | V4L2_DV_BT_STD_DMT |
			     V4L2_DV_BT_STD_CVT | V4L2_DV_BT_STD_GTF,
			     V4L2_DV_BT_CAP_PROGRESSIVE |
			     V4L2_DV_BT_CAP_REDUCED_BLANKING |
			     V4L2_DV_BT_CAP_CUSTOM)
};

/* A channel whose input has no signal starts with these timings. */
static const struct v4l2_dv_timings daqcap_default_timings =
	V4L2_DV_BT_CEA_1920X1080P60;

static const struct daqcap_format *daqcap_find_format(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daqcap_formats); i++)
		if (daqcap_formats[i].fourcc == fourcc)
			return &daqcap_formats[i];
	return NULL;
}

/**
 * daqcap_input_query_timings() - what the card detects on an input
 * @dev: the card
 * @input: the input
 * @timings: the detected timings, matched to a CEA-861 or DMT entry if one
 *	fits
 *
 * Safe in any context: it only reads registers.
 *
 * Return: 0, -ENOLINK with no source, -ENOLCK with a source but no lock,
 * or -ERANGE for timings outside what the card supports.
 */
int daqcap_input_query_timings(struct daqcap_dev *dev, unsigned int input,
			       struct v4l2_dv_timings *timings)
{
	u32 status = daqcap_in_read(dev, input, DAQCAP_IN_STATUS);
	u32 active = daqcap_in_read(dev, input, DAQCAP_IN_ACTIVE_SIZE);
	u32 total = daqcap_in_read(dev, input, DAQCAP_IN_TOTAL_SIZE);
	u32 hsync = daqcap_in_read(dev, input, DAQCAP_IN_HSYNC);
	u32 vsync = daqcap_in_read(dev, input, DAQCAP_IN_VSYNC);
	struct v4l2_bt_timings *bt = &timings->bt;
	u32 htotal, vtotal;

	if (status == U32_MAX || !(status & DAQCAP_IN_STATUS_POWER))
		return -ENOLINK;
	if (!(status & DAQCAP_IN_STATUS_LOCKED))
		return -ENOLCK;

	memset(timings, 0, sizeof(*timings));
	timings->type = V4L2_DV_BT_656_1120;
	bt->width = FIELD_GET(DAQCAP_SIZE_WIDTH_MASK, active);
	bt->height = FIELD_GET(DAQCAP_SIZE_HEIGHT_MASK, active);
	htotal = FIELD_GET(DAQCAP_SIZE_WIDTH_MASK, total);
	vtotal = FIELD_GET(DAQCAP_SIZE_HEIGHT_MASK, total);
	bt->hfrontporch = FIELD_GET(DAQCAP_SYNC_FRONT_PORCH_MASK, hsync);
	bt->hsync = FIELD_GET(DAQCAP_SYNC_WIDTH_MASK, hsync);
	bt->vfrontporch = FIELD_GET(DAQCAP_SYNC_FRONT_PORCH_MASK, vsync);
	bt->vsync = FIELD_GET(DAQCAP_SYNC_WIDTH_MASK, vsync);
	/* The card reports totals; an impossible blanking is out of range. */
	if (htotal < bt->width + bt->hfrontporch + bt->hsync ||
	    vtotal < bt->height + bt->vfrontporch + bt->vsync)
		return -ERANGE;
	bt->hbackporch = htotal - bt->width - bt->hfrontporch - bt->hsync;
	bt->vbackporch = vtotal - bt->height - bt->vfrontporch - bt->vsync;
	bt->pixelclock = daqcap_in_read(dev, input, DAQCAP_IN_PIXEL_CLOCK);
	bt->polarities = (status & DAQCAP_IN_STATUS_HSYNC_POS ?
			  V4L2_DV_HSYNC_POS_POL : 0) |
			 (status & DAQCAP_IN_STATUS_VSYNC_POS ?
			  V4L2_DV_VSYNC_POS_POL : 0);

	if (!v4l2_valid_dv_timings(timings, &daqcap_timings_cap, NULL, NULL))
		return -ERANGE;
	/* Name them after the CEA-861 or DMT entry they are, if any. */
	v4l2_find_dv_timings_cap(timings, &daqcap_timings_cap, 0, NULL, NULL);
	return 0;
}

/* Derive the format's geometry from a crop window of the channel. */
static void daqcap_fill_format(struct daqcap_chan *chan,
			       struct v4l2_pix_format *pix,
			       const struct v4l2_rect *crop)
{
	const struct daqcap_format *fmt = daqcap_find_format(pix->pixelformat);
	u32 min_bpl;

	if (!fmt)
		fmt = &daqcap_formats[0];
	pix->pixelformat = fmt->fourcc;
	pix->width = crop->width;
	pix->height = crop->height;
	pix->field = V4L2_FIELD_NONE;
	min_bpl = pix->width * fmt->bpp;
	/* A larger stride is the user's choice; the card takes any. */
	pix->bytesperline = clamp_t(u32, pix->bytesperline, min_bpl,
				    DAQCAP_MAX_STRIDE);
	/* Both planes at the same stride, the chroma right after the luma. */
	pix->sizeimage = pix->bytesperline *
			 (pix->height + (fmt->chroma_vdiv ?
					 pix->height / fmt->chroma_vdiv : 0));
	pix->colorspace = V4L2_COLORSPACE_REC709;
	pix->xfer_func = V4L2_XFER_FUNC_709;
	pix->ycbcr_enc = V4L2_YCBCR_ENC_709;
	pix->quantization = fmt->yuv ? V4L2_QUANTIZATION_LIM_RANGE :
				       V4L2_QUANTIZATION_FULL_RANGE;
	pix->flags = 0;
}

/* ---- vb2 ----------------------------------------------------------------- */

static int daqcap_queue_setup(struct vb2_queue *q, unsigned int *nbuffers,
			      unsigned int *nplanes, unsigned int sizes[],
			      struct device *alloc_devs[])
{
	struct daqcap_chan *chan = vb2_get_drv_priv(q);
	unsigned int have = vb2_get_num_buffers(q);

	if (*nplanes)
		return sizes[0] < chan->format.sizeimage ? -EINVAL : 0;
	if (have + *nbuffers < 3)
		*nbuffers = 3 - have;
	*nplanes = 1;
	sizes[0] = chan->format.sizeimage;
	return 0;
}

static int daqcap_buf_init(struct vb2_buffer *vb)
{
	struct daqcap_chan *chan = vb2_get_drv_priv(vb->vb2_queue);

	return daqcap_buf_table_build(chan, to_daqcap_buffer(vb));
}

static void daqcap_buf_cleanup(struct vb2_buffer *vb)
{
	struct daqcap_chan *chan = vb2_get_drv_priv(vb->vb2_queue);

	daqcap_buf_table_free(chan, to_daqcap_buffer(vb));
}

static int daqcap_buf_prepare(struct vb2_buffer *vb)
{
	struct daqcap_chan *chan = vb2_get_drv_priv(vb->vb2_queue);

	if (vb2_plane_size(vb, 0) < chan->format.sizeimage)
		return -EINVAL;
	vb2_set_plane_payload(vb, 0, chan->format.sizeimage);
	return 0;
}

static void daqcap_buf_queue(struct vb2_buffer *vb)
{
	struct daqcap_chan *chan = vb2_get_drv_priv(vb->vb2_queue);
	struct daqcap_buffer *buf = to_daqcap_buffer(vb);
	unsigned long flags;

	spin_lock_irqsave(&chan->lock, flags);
	if (chan->running)
		daqcap_chan_link(chan, buf);
	else
		list_add_tail(&buf->list, &chan->pending);
	spin_unlock_irqrestore(&chan->lock, flags);
}

/* Give every buffer the driver or the card holds back to vb2. */
static void daqcap_return_all_buffers(struct daqcap_chan *chan,
				      enum vb2_buffer_state state)
{
	struct daqcap_buffer *buf, *tmp;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&chan->lock, flags);
	for (i = 0; i < DAQCAP_MAX_BUFFERS; i++) {
		buf = chan->inflight[i];
		if (!buf)
			continue;
		chan->inflight[i] = NULL;
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
	list_for_each_entry_safe(buf, tmp, &chan->pending, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
	spin_unlock_irqrestore(&chan->lock, flags);
}

/*
 * While the card is held (a system sleep, a reset, PCIe error recovery),
 * STREAMON succeeds and the buffers wait: the card starts when it is back.
 */
static int daqcap_start_streaming(struct vb2_queue *q, unsigned int count)
{
	struct daqcap_chan *chan = vb2_get_drv_priv(q);
	unsigned long flags;
	int ret = 0;

	/*
	 * An unregistered node starts nothing: a read() or poll() that got
	 * past the core's registration check before the driver was unbound
	 * would start the read emulation on a card being removed.
	 */
	if (!video_is_registered(&chan->vdev)) {
		daqcap_return_all_buffers(chan, VB2_BUF_STATE_QUEUED);
		return -ENODEV;
	}

	switch (daqcap_card_state(chan->dev)) {
	case DAQCAP_CARD_UP:
		/* The stream keeps the card awake until STREAMOFF. */
		ret = daqcap_pm_get(chan->dev);
		if (ret)
			break;
		ret = daqcap_chan_hw_start(chan, false);
		if (ret)
			daqcap_pm_put(chan->dev);
		else
			chan->pm_held = true;
		break;
	case DAQCAP_CARD_HELD:
		/* A new stream: its numbering starts when the card does. */
		spin_lock_irqsave(&chan->lock, flags);
		chan->seq_base = 0;
		chan->last_ts = 0;
		chan->delivered = false;
		spin_unlock_irqrestore(&chan->lock, flags);
		chan->held = true;
		break;
	case DAQCAP_CARD_GONE:
		ret = -EIO;
		break;
	}
	if (ret) {
		daqcap_return_all_buffers(chan, VB2_BUF_STATE_QUEUED);
		return ret;
	}
	v4l2_ctrl_grab(chan->ctrl_chunk_lines, true);
	v4l2_ctrl_grab(chan->ctrl_ts_source, true);
	return 0;
}

static void daqcap_stop_streaming(struct vb2_queue *q)
{
	struct daqcap_chan *chan = vb2_get_drv_priv(q);

	if (!chan->held)
		daqcap_chan_hw_stop(chan);
	chan->held = false;
	daqcap_return_all_buffers(chan, VB2_BUF_STATE_ERROR);
	v4l2_ctrl_grab(chan->ctrl_chunk_lines, false);
	v4l2_ctrl_grab(chan->ctrl_ts_source, false);
	if (chan->pm_held)
		daqcap_pm_put(chan->dev);
	chan->pm_held = false;
}

/**
 * daqcap_chan_hold() - stop the card's channel, keep the application's stream
 * @chan: the channel
 *
 * For a system sleep, a reset or PCIe error recovery: if the channel
 * streams, its DMA stops (confirmed, see daqcap_chan_hw_stop()) and the
 * buffers the card had go back to the pending list, in order, none
 * returned to the application. The queue keeps streaming; DQBUF waits.
 */
void daqcap_chan_hold(struct daqcap_chan *chan)
{
	unsigned long flags;

	mutex_lock(&chan->mutex);
	if (chan->running) {
		daqcap_chan_hw_stop(chan);
		spin_lock_irqsave(&chan->lock, flags);
		daqcap_chan_unlink_all(chan);
		spin_unlock_irqrestore(&chan->lock, flags);
		chan->held = true;
		chan->held_sleep_ns = ktime_get_boottime_ns() - ktime_get_ns();
	}
	mutex_unlock(&chan->mutex);
}

/**
 * daqcap_chan_restart() - start a held channel again, on a restored card
 * @chan: the channel
 *
 * The buffers held are given to the card in their order, and sequence
 * numbers continue past the frames lost meanwhile. A channel that cannot
 * start errors its queue, as a halted channel does.
 */
void daqcap_chan_restart(struct daqcap_chan *chan)
{
	int ret;

	mutex_lock(&chan->mutex);
	if (chan->held) {
		/*
		 * A stream started while the card was held has no runtime
		 * PM reference yet; the card is awake, being restored.
		 */
		if (!chan->pm_held) {
			pm_runtime_get_noresume(&chan->dev->pdev->dev);
			chan->pm_held = true;
		}
		ret = daqcap_chan_hw_start(chan, true);
		if (ret) {
			unsigned long flags;

			dev_err(&chan->dev->pdev->dev,
				"ch%u: cannot restart streaming: %d\n",
				chan->index, ret);
			/* Held for good: the buffers wait for STREAMOFF. */
			spin_lock_irqsave(&chan->lock, flags);
			daqcap_chan_unlink_all(chan);
			spin_unlock_irqrestore(&chan->lock, flags);
			vb2_queue_error(&chan->queue);
		} else {
			chan->held = false;
		}
	}
	mutex_unlock(&chan->mutex);
}

/**
 * daqcap_chan_lose() - the card is gone: end the channel's stream in error
 * @chan: the channel
 *
 * DMA stops as far as the card still answers; a streaming queue gets the
 * error flag, so DQBUF and QBUF fail with -EIO and poll() reports POLLERR
 * instead of waiting for frames that will never come. STREAMOFF returns
 * every buffer as usual.
 */
void daqcap_chan_lose(struct daqcap_chan *chan)
{
	mutex_lock(&chan->mutex);
	if (chan->running) {
		daqcap_chan_hw_stop(chan);
		chan->held = true;
	}
	if (chan->held)
		vb2_queue_error(&chan->queue);
	mutex_unlock(&chan->mutex);
}

static const struct vb2_ops daqcap_vb2_ops = {
	.queue_setup = daqcap_queue_setup,
	.buf_init = daqcap_buf_init,
	.buf_cleanup = daqcap_buf_cleanup,
	.buf_prepare = daqcap_buf_prepare,
	.buf_queue = daqcap_buf_queue,
	.start_streaming = daqcap_start_streaming,
	.stop_streaming = daqcap_stop_streaming,
	.wait_prepare = vb2_ops_wait_prepare,
	.wait_finish = vb2_ops_wait_finish,
};

/* ---- ioctls -------------------------------------------------------------- */

static int daqcap_querycap(struct file *file, void *priv,
			   struct v4l2_capability *cap)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct pci_dev *pdev = chan->dev->pdev;

	strscpy(cap->driver, DAQCAP_DRV_NAME, sizeof(cap->driver));
	snprintf(cap->card, sizeof(cap->card), "DAQCAP ch%u %s", chan->index,
		 pci_name(pdev));
	snprintf(cap->bus_info, sizeof(cap->bus_info), "PCI:%s", pci_name(pdev));
	return 0;
}

static int daqcap_enum_fmt(struct file *file, void *priv,
			   struct v4l2_fmtdesc *f)
{
	if (f->index >= ARRAY_SIZE(daqcap_formats))
		return -EINVAL;
	f->pixelformat = daqcap_formats[f->index].fourcc;
	return 0;
}

static int daqcap_g_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daqcap_chan *chan = video_drvdata(file);

	f->fmt.pix = chan->format;
	return 0;
}

static struct v4l2_rect daqcap_crop_bounds(struct daqcap_chan *chan)
{
	return (struct v4l2_rect){
		.width = chan->timings.bt.width,
		.height = chan->timings.bt.height,
	};
}

/*
 * Make @r a window the card takes in format @fmt: at least DAQCAP_CROP_MIN
 * square, inside the timings' frame, starting on an even pixel
 * (CROP_ORIGIN), and, unless it is the frame's whole width, of even width,
 * as the 4:2:2 and 4:2:0 formats need; NV12's also on an even line, of an
 * even height, so that its frame always has whole line pairs.
 */
static void daqcap_crop_adjust(struct daqcap_chan *chan,
			       const struct daqcap_format *fmt,
			       struct v4l2_rect *r)
{
	static const struct v4l2_rect min = {
		.width = DAQCAP_CROP_MIN, .height = DAQCAP_CROP_MIN,
	};
	struct v4l2_rect bounds = daqcap_crop_bounds(chan);

	v4l2_rect_set_max_size(r, &bounds);
	v4l2_rect_set_min_size(r, &min);
	if (r->width != bounds.width)
		r->width &= ~1U;
	if (fmt->chroma_vdiv == 2)
		r->height &= ~1U;	/* even for the whole frame's too */
	v4l2_rect_map_inside(r, &bounds);
	r->left &= ~1;
	if (fmt->chroma_vdiv == 2)
		r->top &= ~1;
}

/*
 * The channel's window as format @fourcc needs it (NV12 keeps line pairs
 * whole); an unknown format is YUYV, the default.
 */
static struct v4l2_rect daqcap_crop_for(struct daqcap_chan *chan, u32 fourcc)
{
	const struct daqcap_format *fmt = daqcap_find_format(fourcc);
	struct v4l2_rect crop = chan->crop;

	daqcap_crop_adjust(chan, fmt ? fmt : &daqcap_formats[0], &crop);
	return crop;
}

/*
 * No scaler: the format's size is the crop window's. A larger size grows
 * the window, up to the whole frame, its top-left corner staying where the
 * new size fits; a smaller size gets the window's. So an application that
 * asks for less than the frame (OpenCV asks for 640x480 at open) still gets
 * the whole picture: only VIDIOC_S_SELECTION chooses a part of it.
 */
static void daqcap_try_fmt_crop(struct daqcap_chan *chan,
				struct v4l2_pix_format *pix,
				struct v4l2_rect *crop)
{
	const struct daqcap_format *fmt = daqcap_find_format(pix->pixelformat);

	*crop = chan->crop;
	crop->width = max(crop->width, pix->width);
	crop->height = max(crop->height, pix->height);
	daqcap_crop_adjust(chan, fmt ? fmt : &daqcap_formats[0], crop);
	daqcap_fill_format(chan, pix, crop);
}

static int daqcap_try_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct v4l2_rect crop;

	daqcap_try_fmt_crop(chan, &f->fmt.pix, &crop);
	return 0;
}

static int daqcap_s_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct v4l2_rect crop;

	daqcap_try_fmt_crop(chan, &f->fmt.pix, &crop);
	if (vb2_is_busy(&chan->queue))
		return -EBUSY;
	chan->crop = crop;
	chan->format = f->fmt.pix;
	chan->fmt = daqcap_find_format(chan->format.pixelformat);
	return 0;
}

/* The window and the format follow new timings: the whole new frame. */
static void daqcap_chan_timings_changed(struct daqcap_chan *chan)
{
	chan->crop = daqcap_crop_bounds(chan);
	daqcap_crop_adjust(chan, chan->fmt, &chan->crop);
	chan->format.bytesperline = 0;
	daqcap_fill_format(chan, &chan->format, &chan->crop);
}

/*
 * Where the window lands in the buffer: unscaled, at its top-left corner,
 * filling the format. A fixed rectangle, reported so that applications
 * (and v4l2-compliance) can see that the card does not scale.
 */
static struct v4l2_rect daqcap_compose(struct daqcap_chan *chan)
{
	return (struct v4l2_rect){
		.width = chan->crop.width,
		.height = chan->crop.height,
	};
}

static int daqcap_g_selection(struct file *file, void *priv,
			      struct v4l2_selection *sel)
{
	struct daqcap_chan *chan = video_drvdata(file);

	if (sel->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	switch (sel->target) {
	case V4L2_SEL_TGT_CROP:
		sel->r = chan->crop;
		return 0;
	case V4L2_SEL_TGT_CROP_DEFAULT:
	case V4L2_SEL_TGT_CROP_BOUNDS:
		sel->r = daqcap_crop_bounds(chan);
		return 0;
	case V4L2_SEL_TGT_COMPOSE:
	case V4L2_SEL_TGT_COMPOSE_DEFAULT:
	case V4L2_SEL_TGT_COMPOSE_BOUNDS:
		sel->r = daqcap_compose(chan);
		return 0;
	default:
		return -EINVAL;
	}
}

/* @in lies inside @out (in 64 bits: an application's rectangle may wrap). */
static bool daqcap_rect_inside(const struct v4l2_rect *in,
			       const struct v4l2_rect *out)
{
	return in->left >= out->left && in->top >= out->top &&
	       (s64)in->left + in->width <= (s64)out->left + out->width &&
	       (s64)in->top + in->height <= (s64)out->top + out->height;
}

/*
 * What the constraint flags of VIDIOC_S_SELECTION ask of the rectangle
 * @got given for @want: V4L2_SEL_FLAG_GE that it contain @want,
 * V4L2_SEL_FLAG_LE that it lie inside it, both that it be @want.
 */
static int daqcap_sel_keeps_flags(u32 flags, const struct v4l2_rect *want,
				  const struct v4l2_rect *got)
{
	if (flags & V4L2_SEL_FLAG_GE && !daqcap_rect_inside(want, got))
		return -ERANGE;
	if (flags & V4L2_SEL_FLAG_LE && !daqcap_rect_inside(got, want))
		return -ERANGE;
	return 0;
}

/*
 * daqcap_crop_adjust() for VIDIOC_S_SELECTION: its constraint flags choose
 * which way the card's alignment rounds the edges. With V4L2_SEL_FLAG_GE
 * alone they move out (an odd frame's last column needs the whole line),
 * with V4L2_SEL_FLAG_LE alone in; then the window is adjusted as any, and
 * refused if it breaks a flag (daqcap_sel_keeps_flags() has the last word).
 */
static int daqcap_crop_adjust_flags(struct daqcap_chan *chan, u32 flags,
				    struct v4l2_rect *r)
{
	const struct v4l2_rect want = *r;
	const struct v4l2_rect bounds = daqcap_crop_bounds(chan);
	bool line_pairs = chan->fmt->chroma_vdiv == 2;
	s64 x0 = r->left, y0 = r->top;
	s64 x1 = x0 + r->width, y1 = y0 + r->height;

	switch (flags & (V4L2_SEL_FLAG_GE | V4L2_SEL_FLAG_LE)) {
	default:	/* none: the closest window; both: @want or nothing */
		daqcap_crop_adjust(chan, chan->fmt, r);
		return daqcap_sel_keeps_flags(flags, &want, r);
	case V4L2_SEL_FLAG_GE:
		x0 = round_down(x0, 2);
		x1 = x1 == bounds.width ? x1 : round_up(x1, 2);
		if (x1 == bounds.width && bounds.width & 1)
			x0 = 0;
		if (line_pairs) {
			y0 = round_down(y0, 2);
			y1 = round_up(y1, 2);
		}
		break;
	case V4L2_SEL_FLAG_LE:
		x0 = round_up(max_t(s64, x0, 0), 2);
		x1 = min_t(s64, x1, bounds.width);
		if (x0 || x1 != bounds.width)
			x1 = x0 + round_down(x1 - x0, 2);
		y1 = min_t(s64, y1, bounds.height);
		if (line_pairs) {
			y0 = round_up(max_t(s64, y0, 0), 2);
			y1 = y0 + round_down(y1 - y0, 2);
		}
		break;
	}
	/* Into the frame: what does not fit breaks the flag. */
	x0 = clamp_t(s64, x0, 0, bounds.width);
	y0 = clamp_t(s64, y0, 0, bounds.height);
	r->left = x0;
	r->top = y0;
	r->width = clamp_t(s64, x1 - x0, 0, bounds.width);
	r->height = clamp_t(s64, y1 - y0, 0, bounds.height);
	daqcap_crop_adjust(chan, chan->fmt, r);
	return daqcap_sel_keeps_flags(flags, &want, r);
}

/*
 * A new window sets the format's size (no scaler). The compose rectangle
 * cannot move: setting it returns it.
 */
static int daqcap_s_selection(struct file *file, void *priv,
			      struct v4l2_selection *sel)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct v4l2_rect r = sel->r;
	int ret;

	if (sel->type != V4L2_BUF_TYPE_VIDEO_CAPTURE ||
	    sel->flags & ~(V4L2_SEL_FLAG_GE | V4L2_SEL_FLAG_LE))
		return -EINVAL;
	if (sel->target == V4L2_SEL_TGT_COMPOSE) {
		r = daqcap_compose(chan);
		ret = daqcap_sel_keeps_flags(sel->flags, &sel->r, &r);
		if (!ret)
			sel->r = r;
		return ret;
	}
	if (sel->target != V4L2_SEL_TGT_CROP)
		return -EINVAL;
	ret = daqcap_crop_adjust_flags(chan, sel->flags, &r);
	if (ret)
		return ret;
	sel->r = r;
	if (v4l2_rect_equal(&r, &chan->crop))
		return 0;
	if (vb2_is_busy(&chan->queue))
		return -EBUSY;
	chan->crop = r;
	chan->format.bytesperline = 0;
	daqcap_fill_format(chan, &chan->format, &chan->crop);
	return 0;
}

static int daqcap_enum_framesizes(struct file *file, void *priv,
				  struct v4l2_frmsizeenum *fsize)
{
	struct daqcap_chan *chan = video_drvdata(file);

	struct v4l2_rect crop;

	if (fsize->index || !daqcap_find_format(fsize->pixel_format))
		return -EINVAL;
	crop = daqcap_crop_for(chan, fsize->pixel_format);
	fsize->type = V4L2_FRMSIZE_TYPE_DISCRETE;
	fsize->discrete.width = crop.width;
	fsize->discrete.height = crop.height;
	return 0;
}

/*
 * Frames come at the source's rate, whatever rate the channel's timings
 * name (the card starts a frame at each of the source's): while the input
 * has a source, its rate is the one reported; without one, the channel's
 * timings'.
 */
static struct v4l2_fract daqcap_frame_interval(struct daqcap_chan *chan)
{
	const struct v4l2_dv_timings *t = &chan->timings;
	struct v4l2_dv_timings source;
	struct v4l2_fract tpf;

	if (!daqcap_pm_get(chan->dev)) {
		if (!daqcap_input_query_timings(chan->dev, chan->input, &source))
			t = &source;
		daqcap_pm_put(chan->dev);
	}
	tpf = v4l2_calc_timeperframe(t);

	if (!tpf.numerator || !tpf.denominator)
		tpf = (struct v4l2_fract){ 1, 60 };
	return tpf;
}

static int daqcap_enum_frameintervals(struct file *file, void *priv,
				      struct v4l2_frmivalenum *fival)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct v4l2_rect crop;

	if (fival->index || !daqcap_find_format(fival->pixel_format))
		return -EINVAL;
	crop = daqcap_crop_for(chan, fival->pixel_format);
	if (fival->width != crop.width || fival->height != crop.height)
		return -EINVAL;
	fival->type = V4L2_FRMIVAL_TYPE_DISCRETE;
	fival->discrete = daqcap_frame_interval(chan);
	return 0;
}

static int daqcap_g_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *sp)
{
	struct daqcap_chan *chan = video_drvdata(file);

	if (sp->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	sp->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
	sp->parm.capture.timeperframe = daqcap_frame_interval(chan);
	sp->parm.capture.readbuffers = 3;
	return 0;
}

/* The source sets the frame rate: S_PARM reports it, changes nothing. */
static int daqcap_s_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *sp)
{
	return daqcap_g_parm(file, priv, sp);
}

static int daqcap_enum_input(struct file *file, void *priv,
			     struct v4l2_input *inp)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct daqcap_dev *dev = chan->dev;
	struct daqcap_input *in;
	unsigned int input;
	u32 status;
	int ret;

	if (inp->index >= dev->num_offered)
		return -EINVAL;
	input = dev->offered[inp->index];
	in = &dev->inputs[input];
	/* Unlabelled, an input keeps the card's number for it. */
	if (in->label[0])
		strscpy(inp->name, in->label, sizeof(inp->name));
	else
		snprintf(inp->name, sizeof(inp->name), "Input %u", input);
	inp->type = V4L2_INPUT_TYPE_CAMERA;
	inp->capabilities = V4L2_IN_CAP_DV_TIMINGS;
	ret = daqcap_pm_get(dev);
	if (ret)
		return ret;
	status = daqcap_in_read(dev, input, DAQCAP_IN_STATUS);
	daqcap_pm_put(dev);
	inp->status = 0;
	if (status == U32_MAX || !(status & DAQCAP_IN_STATUS_POWER))
		inp->status |= V4L2_IN_ST_NO_POWER | V4L2_IN_ST_NO_SIGNAL;
	else if (!(status & DAQCAP_IN_STATUS_LOCKED))
		inp->status |= V4L2_IN_ST_NO_SIGNAL | V4L2_IN_ST_NO_SYNC;
	return 0;
}

/*
 * EDIDs, on a video node: the pad is the V4L2 input; *@input is set to the
 * card's. Only HDMI-like inputs have one; the card holds up to
 * DAQCAP_EDID_MAX_BLOCKS blocks.
 */
static int daqcap_edid_input(struct daqcap_dev *dev, struct v4l2_edid *edid,
			     unsigned int *input)
{
	memset(edid->reserved, 0, sizeof(edid->reserved));
	if (edid->pad >= dev->num_offered ||
	    !dev->inputs[dev->offered[edid->pad]].has_edid) {
		edid->blocks = 0;
		return -EINVAL;
	}
	*input = dev->offered[edid->pad];
	return 0;
}

static int daqcap_g_edid(struct file *file, void *priv, struct v4l2_edid *edid)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct daqcap_dev *dev = chan->dev;
	unsigned int input;
	u32 blocks, i;
	int ret;

	ret = daqcap_edid_input(dev, edid, &input);
	if (ret)
		return ret;
	ret = daqcap_pm_get(dev);
	if (ret)
		return ret;
	mutex_lock(&dev->edid_lock);
	blocks = daqcap_in_read(dev, input, DAQCAP_IN_EDID_BLOCKS);
	if (blocks > DAQCAP_EDID_MAX_BLOCKS) {
		ret = -EIO;	/* all ones: the card is gone */
	} else if (!edid->start_block && !edid->blocks) {
		edid->blocks = blocks;
	} else if (!blocks) {
		ret = -ENODATA;
	} else if (edid->start_block >= blocks) {
		ret = -EINVAL;
	} else {
		edid->blocks = min(edid->blocks, blocks - edid->start_block);
		daqcap_in_write(dev, input, DAQCAP_IN_EDID_ADDR,
				edid->start_block * DAQCAP_EDID_BLOCK_SIZE);
		for (i = 0; i < edid->blocks * DAQCAP_EDID_BLOCK_SIZE; i += 4) {
			__le32 word = cpu_to_le32(daqcap_in_read(dev, input,
								 DAQCAP_IN_EDID_DATA));

			memcpy(edid->edid + i, &word, sizeof(word));
		}
	}
	mutex_unlock(&dev->edid_lock);
	daqcap_pm_put(dev);
	return ret;
}

/*
 * Hotplug goes low while the EDID changes; with blocks, it comes back, and
 * the source reads the new EDID: a source change on the input either way.
 */
static int daqcap_s_edid(struct file *file, void *priv, struct v4l2_edid *edid)
{
	struct daqcap_chan *chan = video_drvdata(file);
	struct daqcap_dev *dev = chan->dev;
	unsigned int input;
	u32 i;
	int ret;

	ret = daqcap_edid_input(dev, edid, &input);
	if (ret)
		return ret;
	if (edid->start_block)
		return -EINVAL;
	if (edid->blocks > DAQCAP_EDID_MAX_BLOCKS) {
		edid->blocks = DAQCAP_EDID_MAX_BLOCKS;
		return -E2BIG;
	}
	ret = daqcap_pm_get(dev);
	if (ret)
		return ret;
	mutex_lock(&dev->edid_lock);
	daqcap_in_write(dev, input, DAQCAP_IN_EDID_BLOCKS, 0);
	if (edid->blocks) {
		daqcap_in_write(dev, input, DAQCAP_IN_EDID_ADDR, 0);
		for (i = 0; i < edid->blocks * DAQCAP_EDID_BLOCK_SIZE; i += 4) {
			__le32 word;

			memcpy(&word, edid->edid + i, sizeof(word));
			daqcap_in_write(dev, input, DAQCAP_IN_EDID_DATA,
					le32_to_cpu(word));
		}
		daqcap_in_write(dev, input, DAQCAP_IN_EDID_BLOCKS, edid->blocks);
	}
	mutex_unlock(&dev->edid_lock);
	daqcap_pm_put(dev);
	return 0;
}

static int daqcap_g_input(struct file *file, void *priv, unsigned int *i)
{
	struct daqcap_chan *chan = video_drvdata(file);

	*i = chan->dev->inputs[chan->input].index;
	return 0;
}

/* Enable the media link from @input to the channel, disable the others. */
static void daqcap_media_links_update(struct daqcap_chan *chan)
{
	struct daqcap_dev *dev = chan->dev;
	struct media_link *link;

	/*
	 * No test of the media device's registration: the links exist from
	 * daqcap_media_links_create() until media_device_unregister() removes
	 * them, both under graph_mutex, so outside that the list is empty.
	 */
	mutex_lock(&dev->mdev.graph_mutex);
	chan->links_updating = true;
	list_for_each_entry(link, &chan->vdev.entity.links, list) {
		bool on;

		if ((link->flags & MEDIA_LNK_FL_LINK_TYPE) !=
		    MEDIA_LNK_FL_DATA_LINK ||
		    link->sink->entity != &chan->vdev.entity)
			continue;
		on = link->source->entity == &dev->inputs[chan->input].entity;
		__media_entity_setup_link(link, on ? MEDIA_LNK_FL_ENABLED : 0);
	}
	chan->links_updating = false;
	mutex_unlock(&dev->mdev.graph_mutex);
}

/* Point the channel at @input and take the timings the input detects. */
static void daqcap_chan_select_input(struct daqcap_chan *chan,
				     unsigned int input)
{
	struct v4l2_dv_timings detected;

	WRITE_ONCE(chan->input, input);
	if (!daqcap_input_query_timings(chan->dev, input, &detected))
		chan->timings = detected;
	daqcap_chan_timings_changed(chan);
}

static int daqcap_s_input(struct file *file, void *priv, unsigned int i)
{
	struct daqcap_chan *chan = video_drvdata(file);
	unsigned int input;
	int ret;

	if (i >= chan->dev->num_offered)
		return -EINVAL;
	input = chan->dev->offered[i];
	if (input == chan->input)
		return 0;
	if (vb2_is_busy(&chan->queue))
		return -EBUSY;
	ret = daqcap_pm_get(chan->dev);
	if (ret)
		return ret;
	daqcap_chan_select_input(chan, input);
	daqcap_pm_put(chan->dev);
	daqcap_media_links_update(chan);
	v4l2_ctrl_s_ctrl(chan->ctrl_card_input, input);
	return 0;
}

static int daqcap_dv_timings_cap(struct file *file, void *priv,
				 struct v4l2_dv_timings_cap *cap)
{
	if (cap->pad)
		return -EINVAL;
	*cap = daqcap_timings_cap;
	return 0;
}

static int daqcap_enum_dv_timings(struct file *file, void *priv,
				  struct v4l2_enum_dv_timings *timings)
{
	if (timings->pad)
		return -EINVAL;
	return v4l2_enum_dv_timings_cap(timings, &daqcap_timings_cap, NULL, NULL);
}

static int daqcap_query_dv_timings(struct file *file, void *priv,
				   struct v4l2_dv_timings *timings)
{
	struct daqcap_chan *chan = video_drvdata(file);
	int ret;

	ret = daqcap_pm_get(chan->dev);
	if (ret)
		return ret;
	ret = daqcap_input_query_timings(chan->dev, chan->input, timings);
	daqcap_pm_put(chan->dev);
	return ret;
}

static int daqcap_g_dv_timings(struct file *file, void *priv,
			       struct v4l2_dv_timings *timings)
{
	struct daqcap_chan *chan = video_drvdata(file);

	*timings = chan->timings;
	return 0;
}

static int daqcap_s_dv_timings(struct file *file, void *priv,
			       struct v4l2_dv_timings *timings)
{
	struct daqcap_chan *chan = video_drvdata(file);

	if (!v4l2_valid_dv_timings(timings, &daqcap_timings_cap, NULL, NULL))
		return -ERANGE;
	/*
	 * Any valid timings: what QUERY_DV_TIMINGS returned must be
	 * settable, a standard's or not. Named after a standard's if they
	 * are one.
	 */
	v4l2_find_dv_timings_cap(timings, &daqcap_timings_cap, 0, NULL, NULL);
	if (v4l2_match_dv_timings(timings, &chan->timings, 0, false))
		return 0;
	if (vb2_is_busy(&chan->queue))
		return -EBUSY;
	chan->timings = *timings;
	daqcap_chan_timings_changed(chan);
	return 0;
}

/*
 * A card in D3hot cannot raise the input change interrupt: while someone
 * listens for source changes, the card stays awake.
 */
static int daqcap_src_change_add(struct v4l2_subscribed_event *sev,
				 unsigned int elems)
{
	struct daqcap_chan *chan = video_get_drvdata(sev->fh->vdev);

	return daqcap_pm_get(chan->dev);
}

static void daqcap_src_change_del(struct v4l2_subscribed_event *sev)
{
	struct daqcap_chan *chan = video_get_drvdata(sev->fh->vdev);

	daqcap_pm_put(chan->dev);
}

/* As v4l2_src_change_event_subscribe(): an unread event gathers the changes. */
static void daqcap_src_change_replace(struct v4l2_event *old,
				      const struct v4l2_event *new)
{
	old->u.src_change.changes |= new->u.src_change.changes;
}

static void daqcap_src_change_merge(const struct v4l2_event *old,
				    struct v4l2_event *new)
{
	new->u.src_change.changes |= old->u.src_change.changes;
}

static const struct v4l2_subscribed_event_ops daqcap_src_change_ops = {
	.add = daqcap_src_change_add,
	.del = daqcap_src_change_del,
	.replace = daqcap_src_change_replace,
	.merge = daqcap_src_change_merge,
};

/* The start-of-frame interrupt is taken while anyone wants FRAME_SYNC. */
static int daqcap_frame_sync_add(struct v4l2_subscribed_event *sev,
				 unsigned int elems)
{
	daqcap_chan_frame_sync_subscribe(video_get_drvdata(sev->fh->vdev), true);
	return 0;
}

static void daqcap_frame_sync_del(struct v4l2_subscribed_event *sev)
{
	daqcap_chan_frame_sync_subscribe(video_get_drvdata(sev->fh->vdev), false);
}

static const struct v4l2_subscribed_event_ops daqcap_frame_sync_ops = {
	.add = daqcap_frame_sync_add,
	.del = daqcap_frame_sync_del,
};

/* Starts of frame an application may fall behind by before losing any. */
#define DAQCAP_FRAME_SYNC_EVENTS	8

static int daqcap_subscribe_event(struct v4l2_fh *fh,
				  const struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case V4L2_EVENT_SOURCE_CHANGE:
		return v4l2_event_subscribe(fh, sub, 0, &daqcap_src_change_ops);
	case V4L2_EVENT_FRAME_SYNC:
		/* The events' id is 0: another would never get one. */
		if (sub->id)
			return -EINVAL;
		return v4l2_event_subscribe(fh, sub, DAQCAP_FRAME_SYNC_EVENTS,
					    &daqcap_frame_sync_ops);
	default:
		return v4l2_ctrl_subscribe_event(fh, sub);
	}
}

static int daqcap_log_status(struct file *file, void *priv)
{
	struct daqcap_chan *chan = video_drvdata(file);
	int ret;

	ret = daqcap_pm_get(chan->dev);
	if (ret)
		return ret;
	daqcap_chan_log_status(chan);
	v4l2_ctrl_handler_log_status(&chan->ctrl_handler, chan->vdev.name);
	daqcap_pm_put(chan->dev);
	return 0;
}

static const struct v4l2_ioctl_ops daqcap_ioctl_ops = {
	.vidioc_querycap = daqcap_querycap,
	.vidioc_enum_fmt_vid_cap = daqcap_enum_fmt,
	.vidioc_g_fmt_vid_cap = daqcap_g_fmt,
	.vidioc_try_fmt_vid_cap = daqcap_try_fmt,
	.vidioc_s_fmt_vid_cap = daqcap_s_fmt,
	.vidioc_g_selection = daqcap_g_selection,
	.vidioc_s_selection = daqcap_s_selection,
	.vidioc_enum_framesizes = daqcap_enum_framesizes,
	.vidioc_enum_frameintervals = daqcap_enum_frameintervals,
	.vidioc_g_parm = daqcap_g_parm,
	.vidioc_s_parm = daqcap_s_parm,
	.vidioc_enum_input = daqcap_enum_input,
	.vidioc_g_input = daqcap_g_input,
	.vidioc_s_input = daqcap_s_input,
	.vidioc_dv_timings_cap = daqcap_dv_timings_cap,
	.vidioc_enum_dv_timings = daqcap_enum_dv_timings,
	.vidioc_query_dv_timings = daqcap_query_dv_timings,
	.vidioc_g_edid = daqcap_g_edid,
	.vidioc_s_edid = daqcap_s_edid,
	.vidioc_g_dv_timings = daqcap_g_dv_timings,
	.vidioc_s_dv_timings = daqcap_s_dv_timings,
	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,
	.vidioc_log_status = daqcap_log_status,
	.vidioc_subscribe_event = daqcap_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

static const struct v4l2_file_operations daqcap_fops = {
	.owner = THIS_MODULE,
	.open = v4l2_fh_open,
	.release = vb2_fop_release,
	.read = vb2_fop_read,
	.poll = vb2_fop_poll,
	.mmap = vb2_fop_mmap,
	.unlocked_ioctl = video_ioctl2,
};

/*
 * The links show what S_INPUT chose; they are not a second way to choose
 * it. Only daqcap_media_links_update() may change them.
 */
static int daqcap_link_setup(struct media_entity *entity,
			     const struct media_pad *local,
			     const struct media_pad *remote, u32 flags)
{
	struct video_device *vdev = media_entity_to_video_device(entity);
	struct daqcap_chan *chan = container_of(vdev, struct daqcap_chan, vdev);

	return chan->links_updating ? 0 : -EBUSY;
}

static const struct media_entity_operations daqcap_entity_ops = {
	.link_setup = daqcap_link_setup,
};

/* ---- Registration -------------------------------------------------------- */

/**
 * daqcap_chan_init() - set up a channel's state, controls and queue
 * @chan: the channel, with @chan->dev, @chan->index and @chan->regs set
 *
 * Everything an interrupt handler may touch (the locks, the queue, the
 * watchdog) is ready when this returns, so the card's interrupts can be
 * requested after it; the video node is registered later.
 *
 * Return: 0, or a negative error code (daqcap_chan_free() still frees the
 * controls).
 */
int daqcap_chan_init(struct daqcap_chan *chan)
{
	struct daqcap_dev *dev = chan->dev;
	struct video_device *vdev = &chan->vdev;
	struct vb2_queue *q = &chan->queue;
	int ret;

	mutex_init(&chan->mutex);
	spin_lock_init(&chan->lock);
	INIT_LIST_HEAD(&chan->pending);
	timer_setup(&chan->watchdog, daqcap_chan_watchdog, 0);

	chan->timings = daqcap_default_timings;
	chan->format.pixelformat = V4L2_PIX_FMT_YUYV;
	chan->fmt = &daqcap_formats[0];
	daqcap_chan_select_input(chan, chan->default_input);

	ret = daqcap_ctrls_init(chan);
	if (ret)
		return ret;

	q->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	q->io_modes = VB2_MMAP | VB2_USERPTR | VB2_DMABUF | VB2_READ;
	q->drv_priv = chan;
	q->buf_struct_size = sizeof(struct daqcap_buffer);
	q->ops = &daqcap_vb2_ops;
	q->mem_ops = &vb2_dma_sg_memops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
			     V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
	q->min_queued_buffers = 2;
	q->lock = &chan->mutex;
	q->dev = &dev->pdev->dev;
	/* MMAP buffers the card reaches directly, not through bounce buffers. */
	if (dev->dma32)
		q->gfp_flags = GFP_DMA32;
	daqcap_vb2_set_max_buffers(q, DAQCAP_MAX_BUFFERS);
	ret = vb2_queue_init(q);
	if (ret)
		return ret;

	snprintf(vdev->name, sizeof(vdev->name), "daqcap-%s-ch%u",
		 pci_name(dev->pdev), chan->index);
	vdev->fops = &daqcap_fops;
	vdev->ioctl_ops = &daqcap_ioctl_ops;
	vdev->release = video_device_release_empty;
	vdev->v4l2_dev = &dev->v4l2_dev;
	vdev->lock = &chan->mutex;
	vdev->queue = q;
	vdev->ctrl_handler = &chan->ctrl_handler;
	vdev->vfl_dir = VFL_DIR_RX;
	vdev->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING |
			    V4L2_CAP_READWRITE;
	video_set_drvdata(vdev, chan);

	vdev->entity.ops = &daqcap_entity_ops;
	chan->pad.flags = MEDIA_PAD_FL_SINK;
	return media_entity_pads_init(&vdev->entity, 1, &chan->pad);
}
ALLOW_ERROR_INJECTION(daqcap_chan_init, ERRNO);

/**
 * daqcap_chan_register() - register a channel's video node
 * @chan: the channel, set up by daqcap_chan_init()
 *
 * Return: 0, or a negative error code with nothing registered.
 */
int daqcap_chan_register(struct daqcap_chan *chan)
{
	return video_register_device(&chan->vdev, VFL_TYPE_VIDEO, -1);
}
ALLOW_ERROR_INJECTION(daqcap_chan_register, ERRNO);

/**
 * daqcap_chan_unregister() - unregister a channel's video node
 * @chan: the channel
 *
 * Stops streaming and frees the queue's buffers if an application still
 * holds the node, and every descriptor table; the node's file handles then
 * only see -ENODEV.
 */
void daqcap_chan_unregister(struct daqcap_chan *chan)
{
	vb2_video_unregister_device(&chan->vdev);
	/*
	 * Linux 6.1's vb2_video_unregister_device() releases the queue only
	 * if it saw an owner, read without the queue lock: a read() or poll()
	 * that passed the registration check just before may start the read
	 * emulation after it looked, and a later close() would stop a channel
	 * whose registers are unmapped (found by tests/fuzz). Release the
	 * queue here, under its lock, while the registers are still mapped;
	 * from now on daqcap_start_streaming() refuses this node.
	 */
	mutex_lock(&chan->mutex);
	if (vb2_is_streaming(&chan->queue) || vb2_fileio_is_active(&chan->queue)) {
		vb2_queue_release(&chan->queue);
		chan->queue.owner = NULL;
	}
	daqcap_chan_tables_free(chan);
	mutex_unlock(&chan->mutex);
}

/**
 * daqcap_chan_free() - free what a channel keeps after unregistration
 * @chan: the channel
 *
 * Called from the v4l2_device release, once no file handle is left.
 */
void daqcap_chan_free(struct daqcap_chan *chan)
{
	v4l2_ctrl_handler_free(&chan->ctrl_handler);
	mutex_destroy(&chan->mutex);
}

/**
 * daqcap_media_links_create() - link every offered input to every channel
 * @dev: the card, its inputs' entities and video nodes registered
 *
 * The link from a channel's selected input is enabled; S_INPUT moves it.
 *
 * Return: 0, or a negative error code.
 */
int daqcap_media_links_create(struct daqcap_dev *dev)
{
	unsigned int c, i;
	int ret;

	for (c = 0; c < dev->num_channels; c++) {
		struct daqcap_chan *chan = &dev->chans[c];

		for (i = 0; i < dev->num_offered; i++) {
			unsigned int input = dev->offered[i];

			ret = media_create_pad_link(&dev->inputs[input].entity,
						    0, &chan->vdev.entity, 0,
						    input == chan->input ?
						    MEDIA_LNK_FL_ENABLED : 0);
			if (ret)
				return ret;
		}
	}
	return 0;
}
ALLOW_ERROR_INJECTION(daqcap_media_links_create, ERRNO);

/*
 * Print "counter value" pairs, a few to a line, for LOG_STATUS: the
 * driver's from @stats, or the card's (@stats NULL) from its registers.
 */
static void daqcap_log_counters(struct daqcap_chan *chan, const char *what,
				const struct daqcap_counter *counters,
				unsigned int n,
				const struct daqcap_chan_stats *stats)
{
	char line[128];
	unsigned int i, len = 0;

	for (i = 0; i < n; i++) {
		u64 value = stats ? daqcap_counter_value(stats, &counters[i]) :
				    daqcap_ch_read(chan, counters[i].reg);

		len += scnprintf(line + len, sizeof(line) - len, "%s%s %llu",
				 len ? ", " : "", counters[i].name, value);
		if (len < 80 && i + 1 < n)
			continue;
		v4l2_info(&chan->dev->v4l2_dev, "%s: %s: %s\n",
			  chan->vdev.name, what, line);
		len = 0;
	}
}

/**
 * daqcap_chan_log_status() - print a channel's state and counters
 * @chan: the channel
 */
void daqcap_chan_log_status(struct daqcap_chan *chan)
{
	struct daqcap_chan_stats s;
	unsigned long flags;
	u32 status;

	spin_lock_irqsave(&chan->lock, flags);
	s = chan->stats;
	spin_unlock_irqrestore(&chan->lock, flags);
	status = daqcap_ch_read(chan, DAQCAP_CH_STATUS);

	v4l2_info(&chan->dev->v4l2_dev, "%s: input %u, %ux%u %.4s, %s%s%s%s\n",
		  chan->vdev.name, chan->input, chan->format.width,
		  chan->format.height, (char *)&chan->format.pixelformat,
		  status & DAQCAP_CH_STATUS_RUNNING ? "running" : "stopped",
		  status & DAQCAP_CH_STATUS_HALTED ? ", halted" : "",
		  status & DAQCAP_CH_STATUS_STARVED ? ", starved" : "",
		  chan->dev->polled ? ", polled" : "");
	daqcap_log_counters(chan, "card", daqcap_chan_hw_counters,
			    daqcap_num_chan_hw_counters, NULL);
	daqcap_log_counters(chan, "driver", daqcap_chan_counters,
			    daqcap_num_chan_counters, &s);
}
