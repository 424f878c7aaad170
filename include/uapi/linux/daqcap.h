/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * daqcap: user-space API of the DAQCAP capture driver beyond standard V4L2.
 *
 * The driver's own controls. The base is provisional: an upstream
 * submission reserves a range next to the other drivers' in
 * include/uapi/linux/v4l2-controls.h and these IDs move there.
 */
#ifndef _UAPI_LINUX_DAQCAP_H
#define _UAPI_LINUX_DAQCAP_H

#include <linux/v4l2-controls.h>

#define V4L2_CID_USER_DAQCAP_BASE		(V4L2_CID_USER_BASE + 0x1200)

/*
 * Lines the card writes per chunk, 1..64 (default 16). Each chunk is one
 * completion record; a buffer is done when all of its frame's chunks have
 * landed. Cannot change while streaming.
 */
#define V4L2_CID_DAQCAP_CHUNK_LINES		(V4L2_CID_USER_DAQCAP_BASE + 0)

/* When the card interrupts: a menu of enum daqcap_irq_coalesce. */
#define V4L2_CID_DAQCAP_IRQ_COALESCE		(V4L2_CID_USER_DAQCAP_BASE + 1)

enum daqcap_irq_coalesce {
	DAQCAP_IRQ_COALESCE_CHUNKS = 0,	/* every N chunks and at end of frame */
	DAQCAP_IRQ_COALESCE_FRAME = 1,	/* at end of frame only (default) */
	DAQCAP_IRQ_COALESCE_DELAY = 2,	/* when the maximum delay expires */
};

/* N for DAQCAP_IRQ_COALESCE_CHUNKS, 1..255 (default 1). */
#define V4L2_CID_DAQCAP_IRQ_CHUNKS		(V4L2_CID_USER_DAQCAP_BASE + 2)

/*
 * Longest time, in microseconds, a completion may wait for its interrupt;
 * 0 (default) for no limit. Bounds the latency of every coalescing mode;
 * in DAQCAP_IRQ_COALESCE_DELAY mode, 0 interrupts on every chunk.
 */
#define V4L2_CID_DAQCAP_IRQ_DELAY_US		(V4L2_CID_USER_DAQCAP_BASE + 3)

/*
 * Which moment of the frame a buffer's timestamp is: a menu of enum
 * daqcap_timestamp_source, with V4L2_BUF_FLAG_TSTAMP_SRC_EOF or _SOE in
 * the buffer's flags to match. Both come from the card's clock, brought to
 * CLOCK_MONOTONIC. Cannot change while streaming.
 */
#define V4L2_CID_DAQCAP_TIMESTAMP_SOURCE	(V4L2_CID_USER_DAQCAP_BASE + 4)

enum daqcap_timestamp_source {
	DAQCAP_TIMESTAMP_END_OF_FRAME = 0,	/* its last line (default) */
	DAQCAP_TIMESTAMP_START_OF_FRAME = 1,	/* its first line */
};

/*
 * The card's number of the input the channel captures (read-only; its
 * maximum is the card's last input). The V4L2 input number
 * (VIDIOC_G_INPUT) counts only the inputs the board wires; the card
 * numbers all of them, and its test patterns carry its own number.
 */
#define V4L2_CID_DAQCAP_CARD_INPUT		(V4L2_CID_USER_DAQCAP_BASE + 5)

#endif /* _UAPI_LINUX_DAQCAP_H */
