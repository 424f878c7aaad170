/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * DAQCAP multi-channel PCIe video and data-acquisition card: hardware contract.
 *
 * This header is the single source of truth for the card's register offsets,
 * register fields, reset values and the layouts of the descriptor and
 * completion records it exchanges with the host. The Linux driver, the QEMU
 * device model and the user-space pattern checker all include it, so it holds
 * nothing but plain integer constants: no kernel-only or QEMU-only macros, no
 * types, no includes. Documentation/hw/daqcap-card.rst is the datasheet that
 * explains each item; scripts/check-contract verifies that the two agree.
 *
 * Conventions: all registers are 32 bits wide, little-endian, and must be
 * accessed with aligned 32-bit reads and writes. "RO" registers ignore
 * writes, "RW" are read/write, "W1C" bits are cleared by writing 1 and "WO"
 * registers read as 0. Reserved bits read as 0 and must be written as 0.
 * All multi-byte fields in host memory are little-endian.
 */
#ifndef DAQCAP_REGS_H
#define DAQCAP_REGS_H

/* ---- PCI identity ------------------------------------------------------ */

/* Prototype ID from QEMU's experimental range (docs/specs/pci-ids.txt). */
#define DAQCAP_PCI_VENDOR_ID		0x1af4
#define DAQCAP_PCI_DEVICE_ID		0x10f0
#define DAQCAP_PCI_REVISION		0x01
/* Class 04h (multimedia), subclass 00h (video), prog-if 00h. */
#define DAQCAP_PCI_CLASS		0x0400
/*
 * Subsystem device ID names the board variant: bits 15:8 hold the number of
 * DMA channels and bits 7:0 the number of inputs, e.g. 0x0404 is the
 * four-channel, four-input DAQCAP-4.
 */
#define DAQCAP_PCI_SUBSYS_VENDOR_ID	0x1af4
#define DAQCAP_PCI_SUBSYS_CHANNELS_MASK	0xff00
#define DAQCAP_PCI_SUBSYS_CHANNELS_SHIFT	8
#define DAQCAP_PCI_SUBSYS_INPUTS_MASK	0x00ff

/* BAR0: registers (64 KiB, 32-bit memory). BAR2: MSI-X table and PBA. */
#define DAQCAP_REGS_BAR			0
#define DAQCAP_REGS_SIZE		0x10000
#define DAQCAP_MSIX_BAR			2

/* Architectural limits of the register map. */
#define DAQCAP_MAX_CHANNELS		16
#define DAQCAP_MAX_INPUTS		16

/*
 * MSI-X vectors: vector 0 carries global events (input status changes),
 * vector 1 + N carries every interrupt of DMA channel N.
 */
#define DAQCAP_MSIX_VEC_GLOBAL		0
#define DAQCAP_MSIX_VEC_CHANNEL(ch)	(1 + (ch))

/* ---- Global register block -------------------------------------------- */

#define DAQCAP_REG_ID			0x0000	/* RO */
#define   DAQCAP_ID_VALUE		0x44414351	/* "DAQC" */

#define DAQCAP_REG_VERSION		0x0004	/* RO */
#define   DAQCAP_VERSION_MAJOR_MASK	0xffff0000
#define   DAQCAP_VERSION_MAJOR_SHIFT	16
#define   DAQCAP_VERSION_MINOR_MASK	0x0000ffff
#define   DAQCAP_VERSION_VALUE		0x00010000	/* contract 1.0 */

#define DAQCAP_REG_CAP			0x0008	/* RO */
#define   DAQCAP_CAP_CHANNELS_MASK	0x000000ff
#define   DAQCAP_CAP_CHANNELS_SHIFT	0
#define   DAQCAP_CAP_INPUTS_MASK	0x0000ff00
#define   DAQCAP_CAP_INPUTS_SHIFT	8
#define   DAQCAP_CAP_MAX_CHUNK_MASK	0x00ff0000
#define   DAQCAP_CAP_MAX_CHUNK_SHIFT	16

#define DAQCAP_REG_CAP_FORMATS		0x000c	/* RO: bit N = format code N */

#define DAQCAP_REG_CAP_MAX_SIZE		0x0010	/* RO */
#define   DAQCAP_SIZE_WIDTH_MASK	0x0000ffff
#define   DAQCAP_SIZE_WIDTH_SHIFT	0
#define   DAQCAP_SIZE_HEIGHT_MASK	0xffff0000
#define   DAQCAP_SIZE_HEIGHT_SHIFT	16

#define DAQCAP_REG_CAP_RINGS		0x0014	/* RO */
#define   DAQCAP_CAP_RINGS_MIN_LOG2_MASK	0x000000ff
#define   DAQCAP_CAP_RINGS_MIN_LOG2_SHIFT	0
#define   DAQCAP_CAP_RINGS_MAX_LOG2_MASK	0x0000ff00
#define   DAQCAP_CAP_RINGS_MAX_LOG2_SHIFT	8

#define DAQCAP_REG_RESET		0x0020	/* WO */
#define   DAQCAP_RESET_MAGIC		0x52535421	/* "RST!" */

#define DAQCAP_REG_IRQ_STATUS		0x0024	/* RO, summary of all sources */
#define   DAQCAP_IRQ_CHANNEL(ch)	(1u << (ch))
#define   DAQCAP_IRQ_CHANNELS_MASK	0x0000ffff
#define   DAQCAP_IRQ_INPUT_CHANGE	0x00010000

#define DAQCAP_REG_IRQ_MASK		0x0028	/* RW, same bits as IRQ_STATUS */

#define DAQCAP_REG_DATA_READY		0x002c	/* RO: bit N = channel N */

#define DAQCAP_REG_INPUT_CHANGED	0x0030	/* W1C: bit N = input N */

#define DAQCAP_REG_SCRATCH		0x0034	/* RW */

#define DAQCAP_REG_TIMESTAMP_LO		0x0038	/* RO, latches TIMESTAMP_HI */
#define DAQCAP_REG_TIMESTAMP_HI		0x003c	/* RO, value latched by _LO */

/* ---- Input register blocks --------------------------------------------- */

#define DAQCAP_INPUT_BASE(in)		(0x0100 + (in) * 0x40)

#define DAQCAP_IN_STATUS		0x00	/* RO */
#define   DAQCAP_IN_STATUS_POWER	0x00000001	/* +5V / cable present */
#define   DAQCAP_IN_STATUS_LOCKED	0x00000002	/* timings detected */
#define   DAQCAP_IN_STATUS_HOTPLUG	0x00000004	/* the card asserts hotplug */
#define   DAQCAP_IN_STATUS_HSYNC_POS	0x00000010
#define   DAQCAP_IN_STATUS_VSYNC_POS	0x00000020

#define DAQCAP_IN_ACTIVE_SIZE		0x04	/* RO, DAQCAP_SIZE_* fields */
#define DAQCAP_IN_TOTAL_SIZE		0x08	/* RO, DAQCAP_SIZE_* fields */

#define DAQCAP_IN_HSYNC			0x0c	/* RO */
#define DAQCAP_IN_VSYNC			0x10	/* RO */
#define   DAQCAP_SYNC_FRONT_PORCH_MASK	0x0000ffff
#define   DAQCAP_SYNC_FRONT_PORCH_SHIFT	0
#define   DAQCAP_SYNC_WIDTH_MASK	0xffff0000
#define   DAQCAP_SYNC_WIDTH_SHIFT	16

#define DAQCAP_IN_PIXEL_CLOCK		0x14	/* RO, Hz */

#define DAQCAP_IN_PATTERN		0x18	/* RW */
#define   DAQCAP_PATTERN_BARS		0	/* colour bars, moving box, frame number */
#define   DAQCAP_PATTERN_VERIFY		1	/* byte-exact verification pattern */
#define   DAQCAP_PATTERN_COUNT		2

#define DAQCAP_IN_FRAME_COUNT		0x1c	/* RO */

#define DAQCAP_IN_CAPS			0x20	/* RO */
#define   DAQCAP_IN_CAPS_EDID		0x00000001	/* HDMI-like: EDID, hotplug */

/*
 * An HDMI-like input's EDID, as its source reads it: EDID_BLOCKS valid
 * blocks (0 drops hotplug; any other value asserts it again, and the
 * source reads the EDID anew), accessed 4 bytes at a time through
 * EDID_DATA at byte offset EDID_ADDR, which each access advances.
 */
#define DAQCAP_IN_EDID_BLOCKS		0x24	/* RW, 0..DAQCAP_EDID_MAX_BLOCKS */
#define DAQCAP_IN_EDID_ADDR		0x28	/* RW, byte offset, multiple of 4 */
#define DAQCAP_IN_EDID_DATA		0x2c	/* RW, 4 bytes LE at EDID_ADDR */
#define DAQCAP_EDID_BLOCK_SIZE		128
#define DAQCAP_EDID_MAX_BLOCKS		4

/* ---- DMA channel register blocks --------------------------------------- */

#define DAQCAP_CHANNEL_BASE(ch)		(0x1000 + (ch) * 0x100)

#define DAQCAP_CH_CTRL			0x00	/* RW */
#define   DAQCAP_CH_CTRL_ENABLE		0x00000001
#define   DAQCAP_CH_CTRL_CROP		0x00000002	/* SIZE is a window at CROP_ORIGIN */
#define   DAQCAP_CH_CTRL_INPUT_MASK	0x00000f00
#define   DAQCAP_CH_CTRL_INPUT_SHIFT	8
#define   DAQCAP_CH_CTRL_RESET		0x80000000	/* self-clearing */

#define DAQCAP_CH_STATUS		0x04	/* RO */
#define   DAQCAP_CH_STATUS_RUNNING	0x00000001
#define   DAQCAP_CH_STATUS_BUSY		0x00000002	/* DMA in flight */
#define   DAQCAP_CH_STATUS_HALTED	0x00000004	/* stopped by an error */
#define   DAQCAP_CH_STATUS_CONFIG_ERR	0x00000008	/* last enable refused */
#define   DAQCAP_CH_STATUS_STARVED	0x00000010	/* last frame was dropped */

/*
 * The frame geometry (FORMAT, SIZE, STRIDE, CHUNK_LINES) is checked when
 * the channel is enabled and ignores writes while it runs; CHUNK_LINES
 * also ignores values outside 1..CAP.MAX_CHUNK.
 */
#define DAQCAP_CH_FORMAT		0x08	/* RW, DAQCAP_FMT_* */
#define DAQCAP_CH_SIZE			0x0c	/* RW, DAQCAP_SIZE_* fields */
#define DAQCAP_CH_STRIDE		0x10	/* RW, bytes per line */
#define DAQCAP_CH_CHUNK_LINES		0x14	/* RW, 1..CAP.MAX_CHUNK */
#define   DAQCAP_CHUNK_LINES_DEFAULT	16

/*
 * Interrupt coalescing, changeable at any time. COUNT 0 acts as 1; a
 * non-zero DELAY bounds how long any completion waits for its interrupt,
 * in every mode; in DELAY mode with DELAY 0 every completion interrupts.
 * Mode 3 is reserved and acts as DELAY.
 */
#define DAQCAP_CH_IRQ_COALESCE		0x18	/* RW */
#define   DAQCAP_COALESCE_MODE_MASK	0x00000003
#define   DAQCAP_COALESCE_MODE_SHIFT	0
#define   DAQCAP_COALESCE_MODE_CHUNKS	0	/* every COUNT chunks, and at EOF */
#define   DAQCAP_COALESCE_MODE_FRAME	1	/* end of frame only */
#define   DAQCAP_COALESCE_MODE_DELAY	2	/* only when DELAY expires */
#define   DAQCAP_COALESCE_COUNT_MASK	0x0000ff00
#define   DAQCAP_COALESCE_COUNT_SHIFT	8
#define   DAQCAP_COALESCE_DELAY_MASK	0xffff0000	/* microseconds, 0 = off */
#define   DAQCAP_COALESCE_DELAY_SHIFT	16
#define   DAQCAP_COALESCE_RESET		0x00000100	/* CHUNKS, COUNT 1 */

#define DAQCAP_CH_IRQ_STATUS		0x1c	/* W1C */
#define DAQCAP_CH_IRQ_MASK		0x20	/* RW, same bits */
#define   DAQCAP_CH_IRQ_DATA		0x00000001	/* completions posted */
#define   DAQCAP_CH_IRQ_FIFO_OVERFLOW	0x00000002	/* lines lost */
#define   DAQCAP_CH_IRQ_DMA_ERROR	0x00000004	/* write failed: halted */
#define   DAQCAP_CH_IRQ_DESC_ERROR	0x00000008	/* bad descriptor: halted */
#define   DAQCAP_CH_IRQ_DROP		0x00000010	/* frame dropped */
#define   DAQCAP_CH_IRQ_SOF		0x00000020	/* frame started: SOF_SEQUENCE */
#define   DAQCAP_CH_IRQ_ALL		0x0000003f

/*
 * With CTRL.CROP set, the channel captures the SIZE window whose top-left
 * corner is here, in the input's active frame; X must be even.
 */
#define DAQCAP_CH_CROP_ORIGIN		0x24	/* RW */
#define   DAQCAP_CROP_X_MASK		0x0000ffff
#define   DAQCAP_CROP_X_SHIFT		0
#define   DAQCAP_CROP_Y_MASK		0xffff0000
#define   DAQCAP_CROP_Y_SHIFT		16

/*
 * Rings can only be moved while the channel is disabled. Enabling the
 * channel sets DESC_HEAD, CPL_HEAD, CPL_TAIL and SEQUENCE to 0 (not
 * DESC_TAIL): the card then reads descriptors from slot 0 and writes
 * completions from slot 0 with PHASE 1, so the driver clears the
 * completion ring before each enable. CPL_HEAD only moves forward, up to
 * CPL_TAIL; other writes are ignored while the channel runs.
 */
#define DAQCAP_CH_DESC_BASE_LO		0x30	/* RW, 16-byte aligned */
#define DAQCAP_CH_DESC_BASE_HI		0x34	/* RW */
#define DAQCAP_CH_DESC_SIZE_LOG2	0x38	/* RW, entries = 1 << value */
#define DAQCAP_CH_DESC_HEAD		0x3c	/* RO, card's consumer index */
#define DAQCAP_CH_DESC_TAIL		0x40	/* RW, driver's producer index */

#define DAQCAP_CH_CPL_BASE_LO		0x44	/* RW, 32-byte aligned */
#define DAQCAP_CH_CPL_BASE_HI		0x48	/* RW */
#define DAQCAP_CH_CPL_SIZE_LOG2		0x4c	/* RW, entries = 1 << value */
#define DAQCAP_CH_CPL_HEAD		0x50	/* RW, driver's consumer index */
#define DAQCAP_CH_CPL_TAIL		0x54	/* RO, card's producer index */

#define DAQCAP_CH_SEQUENCE		0x60	/* RO, sequence of the next frame */
#define DAQCAP_CH_FRAMES		0x64	/* RO, frames completed */
#define DAQCAP_CH_DROPS			0x68	/* RO, frames dropped */
#define DAQCAP_CH_CHUNKS		0x6c	/* RO, chunk completions posted */
#define DAQCAP_CH_BYTES_LO		0x70	/* RO, latches BYTES_HI */
#define DAQCAP_CH_BYTES_HI		0x74	/* RO */
#define DAQCAP_CH_ERROR_FRAMES		0x78	/* RO, frames completed in error */
#define DAQCAP_CH_DROPS_NO_BUFFER	0x7c	/* RO, drops: no buffer queued */
#define DAQCAP_CH_DROPS_RING_FULL	0x80	/* RO, drops: completion ring full */
#define DAQCAP_CH_DROPS_LATE		0x84	/* RO, drops: card fell behind */
#define DAQCAP_CH_SOF_SEQUENCE		0x88	/* RO, sequence of the last start */

/* Ring sizes accepted by DESC_SIZE_LOG2 and CPL_SIZE_LOG2. */
#define DAQCAP_RING_MIN_LOG2		4	/* 16 entries */
#define DAQCAP_RING_MAX_LOG2		16	/* 65536 entries */

/* Maximum lines per chunk (CAP.MAX_CHUNK) and maximum frame size. */
#define DAQCAP_MAX_CHUNK_LINES		64
#define DAQCAP_MAX_WIDTH		4096
#define DAQCAP_MAX_HEIGHT		4096
#define DAQCAP_MAX_STRIDE		0x40000

/* ---- Pixel formats (CH_FORMAT codes) ----------------------------------- */

#define DAQCAP_FMT_YUYV			0	/* Y0 U Y1 V, 2 bytes/pixel */
#define DAQCAP_FMT_UYVY			1	/* U Y0 V Y1, 2 bytes/pixel */
#define DAQCAP_FMT_RGB24		2	/* R G B, 3 bytes/pixel */
#define DAQCAP_FMT_BGR24		3	/* B G R, 3 bytes/pixel */
#define DAQCAP_FMT_XBGR32		4	/* B G R X(0xff), 4 bytes/pixel */
#define DAQCAP_FMT_GREY			5	/* Y, 1 byte/pixel */
#define DAQCAP_FMT_Y16			6	/* Y 16-bit little-endian, 2 bytes/pixel */
/*
 * Two planes in one buffer: the frame's luma lines (Y, 1 byte/pixel), then
 * its chroma lines (Cb Cr pairs, 1 byte/pixel), all at STRIDE; chroma line
 * j starts at (height + j) * STRIDE. Width even; NV12's height even too.
 */
#define DAQCAP_FMT_NV12			7	/* 4:2:0: height / 2 chroma lines */
#define DAQCAP_FMT_NV16			8	/* 4:2:2: height chroma lines */
#define DAQCAP_FMT_COUNT		9
#define DAQCAP_FORMATS_ALL		0x000001ff

/* ---- Submission descriptor (16 bytes, in host memory) ------------------ */

#define DAQCAP_DESC_SIZE		16
#define DAQCAP_DESC_ADDR		0x00	/* u64 bus address of the segment */
#define DAQCAP_DESC_LEN			0x08	/* u32 segment length in bytes, > 0 */
#define DAQCAP_DESC_FLAGS		0x0c	/* u16 */
#define   DAQCAP_DESC_FLAG_SOF		0x0001	/* first segment of a buffer */
#define   DAQCAP_DESC_FLAG_EOF		0x0002	/* last segment of a buffer */
#define   DAQCAP_DESC_FLAG_CHAIN	0x0004	/* a whole buffer: see below */
#define   DAQCAP_DESC_FLAGS_ALL		0x0007
#define DAQCAP_DESC_COOKIE		0x0e	/* u16 driver's buffer tag */
/*
 * A ring entry flagged CHAIN (and nothing else) stands for a whole buffer:
 * ADDR is the bus address of a table of LEN segment descriptors (16-byte
 * aligned, 1..DAQCAP_CHAIN_MAX entries, so LEN counts entries here, not
 * bytes). The table's first entry, and only it, carries SOF and the
 * cookie; its last entry, and only it, carries EOF. Drivers build a
 * buffer's table once and queue the buffer with a single ring entry.
 */
#define DAQCAP_CHAIN_MAX		65536

/* ---- Completion record (32 bytes, in host memory) ---------------------- */

#define DAQCAP_CPL_SIZE			32
#define DAQCAP_CPL_TS_SOF		0x00	/* u64 ns: frame's first line */
#define DAQCAP_CPL_TS_END		0x08	/* u64 ns: chunk's last line */
#define DAQCAP_CPL_SEQUENCE		0x10	/* u32 hardware frame sequence */
#define DAQCAP_CPL_COOKIE		0x14	/* u16 cookie of the SOF descriptor */
#define DAQCAP_CPL_CHUNK		0x16	/* u16 chunk index in the frame */
#define DAQCAP_CPL_FIRST_LINE		0x18	/* u16 first line of the chunk */
#define DAQCAP_CPL_LINES		0x1a	/* u16 lines in the chunk */
#define DAQCAP_CPL_STATUS		0x1c	/* u32, written last */
#define   DAQCAP_CPL_STATUS_PHASE	0x00000001
#define   DAQCAP_CPL_STATUS_SOF		0x00000002	/* first chunk of frame */
#define   DAQCAP_CPL_STATUS_EOF		0x00000004	/* last chunk of frame */
#define   DAQCAP_CPL_STATUS_ERR_FIFO	0x00000100	/* lines lost */
#define   DAQCAP_CPL_STATUS_ERR_SHORT	0x00000200	/* buffer too short */
#define   DAQCAP_CPL_STATUS_ERR_SIGNAL	0x00000400	/* input lost mid-frame */
#define   DAQCAP_CPL_STATUS_ERR_GEOMETRY	0x00000800	/* size exceeds input */
#define   DAQCAP_CPL_STATUS_ERR_MASK	0x0000ff00
#define   DAQCAP_CPL_STATUS_CHUNKS_MASK	0xffff0000	/* chunks in the frame */
#define   DAQCAP_CPL_STATUS_CHUNKS_SHIFT	16

#endif /* DAQCAP_REGS_H */
