/*
 * DAQCAP multi-channel PCIe video and data-acquisition card
 *
 * Copyright (c) 2026 The daqcap authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * This is the card itself for as long as no silicon exists: the Linux
 * driver binds to it over PCI, takes its MSI-X, MSI or INTx interrupts and
 * hands it scatter-gather descriptor rings; the model writes frames into
 * guest memory with pci_dma_write(), through a vIOMMU when there is one.
 * The register map and record layouts come from daqcap-regs.h, the frame
 * content from daqcap-pattern.c; Documentation/hw/daqcap-card.rst in the
 * daqcap tree is the datasheet this file implements.
 *
 * Time model: every input has a free-running frame clock derived from its
 * timings (htotal * vtotal pixels per frame at the pixel clock) on
 * QEMU_CLOCK_VIRTUAL. A running channel follows the frame clock of the input
 * it selects: at start of frame it takes one complete buffer from its
 * descriptor ring, then writes the frame CHUNK_LINES lines at a time, each
 * chunk at the virtual time its last line has arrived from the input, and
 * posts one completion record per chunk. Everything the guest hands the
 * card (ring indices, descriptors, lengths) is validated; nothing it writes
 * can make the model abort, loop or touch memory outside the guest's DMA
 * address space.
 *
 * Power and resets: the card has a PCI power management capability with D0
 * and D3hot, No_Soft_Reset clear, so going D3hot stops every channel and
 * the way back to D0 resets the card as REG_RESET does; a Function Level
 * Reset or a conventional reset resets it with its configuration space.
 * All DMA goes through daqcap_dma_read() and daqcap_dma_write(), which
 * count it and refuse it, counted apart, while bus mastering is off or the
 * function is in D3hot.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qemu/module.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_aer.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "trace.h"

#include "daqcap-regs.h"
#include "daqcap-pattern.h"

#define TYPE_DAQCAP "daqcap"
OBJECT_DECLARE_SIMPLE_TYPE(DaqcapState, DAQCAP)

/* Timings of one input: CEA-861, VESA DMT or CVT. */
typedef struct DaqcapMode {
    const char *name;
    uint16_t width, height;
    uint16_t htotal, vtotal;
    uint16_t hfp, hsync, vfp, vsync;
    uint32_t pixclk;            /* Hz */
    bool hpos, vpos;            /* sync polarities */
} DaqcapMode;

static const DaqcapMode daqcap_modes[] = {
    { "640x480p60",   640,  480,  800,  525,   16, 96,  10,  2,  25175000, false, false },
    { "720x480p60",   720,  480,  858,  525,   16, 62,   9,  6,  27000000, false, false },
    { "720x576p50",   720,  576,  864,  625,   12, 64,   5,  5,  27000000, false, false },
    { "1280x720p50",  1280, 720,  1980, 750,  440, 40,   5,  5,  74250000, true,  true },
    { "1280x720p60",  1280, 720,  1650, 750,  110, 40,   5,  5,  74250000, true,  true },
    { "1920x1080p24", 1920, 1080, 2750, 1125, 638, 44,   4,  5,  74250000, true,  true },
    { "1920x1080p25", 1920, 1080, 2640, 1125, 528, 44,   4,  5,  74250000, true,  true },
    { "1920x1080p30", 1920, 1080, 2200, 1125,  88, 44,   4,  5,  74250000, true,  true },
    { "1920x1080p50", 1920, 1080, 2640, 1125, 528, 44,   4,  5, 148500000, true,  true },
    { "1920x1080p60", 1920, 1080, 2200, 1125,  88, 44,   4,  5, 148500000, true,  true },
    { "3840x2160p24", 3840, 2160, 5500, 2250, 1276, 88,  8, 10, 297000000, true,  true },
    { "3840x2160p25", 3840, 2160, 5280, 2250, 1056, 88,  8, 10, 297000000, true,  true },
    { "3840x2160p30", 3840, 2160, 4400, 2250, 176, 88,   8, 10, 297000000, true,  true },
    { "3840x2160p60", 3840, 2160, 4400, 2250, 176, 88,   8, 10, 594000000, true,  true },
    { "4096x2160p30", 4096, 2160, 4400, 2250,  88, 88,   8, 10, 297000000, true,  true },
    /* Computer sources: VESA DMT, and CVT reduced blanking with no DMT entry. */
    { "1280x1024p60", 1280, 1024, 1688, 1066,  48, 112,  1,  3, 108000000, true,  true },
    { "1920x1200p60rb", 1920, 1200, 2080, 1235, 48, 32,  3,  6, 154000000, true,  false },
    { "2560x1080p60rb", 2560, 1080, 2720, 1111, 48, 32,  3, 10, 181250000, true,  false },
};

/* Power-on timings of inputs 0..3; further inputs repeat the list. */
static const char *const daqcap_default_modes[] = {
    "1920x1080p60", "1280x720p60", "3840x2160p30", "640x480p60",
};

#define DAQCAP_EDID_BYTES (DAQCAP_EDID_MAX_BLOCKS * DAQCAP_EDID_BLOCK_SIZE)

typedef struct DaqcapInput {
    const DaqcapMode *mode;     /* the source's timings */
    bool signal;                /* a source is connected and powered */
    bool sdi;                   /* SDI-like: no EDID, no hotplug */
    uint8_t edid[DAQCAP_EDID_BYTES];
    uint32_t edid_blocks;       /* EDID_BLOCKS: 0 is hotplug low */
    uint32_t edid_addr;         /* EDID_ADDR */
    int64_t epoch_ns;           /* virtual time frame 0 started */
    uint64_t period_ps;         /* frame period */
    uint64_t line_ps;           /* line period */
    uint32_t pattern;           /* IN_PATTERN register */
} DaqcapInput;

typedef struct DaqcapSegment {
    uint64_t addr;
    uint64_t len;
} DaqcapSegment;

/* Faults armed through the "inject" property, consumed when they fire. */
enum {
    DAQCAP_FAULT_FIFO = 1 << 0,     /* lose lines in the next frame */
    DAQCAP_FAULT_DMA = 1 << 1,      /* fail the next data write */
    DAQCAP_FAULT_LOST_IRQ = 1 << 2, /* swallow the next interrupt message */
    DAQCAP_FAULT_DROP = 1 << 3,     /* drop the next frame */
    /* A hostile or broken card: the next completion record is wrong. */
    DAQCAP_FAULT_BAD_COOKIE = 1 << 4,   /* names no buffer of the driver's */
    DAQCAP_FAULT_BAD_CHUNK = 1 << 5,    /* a chunk past the frame's last */
    DAQCAP_FAULT_BAD_LINES = 1 << 6,    /* one line more than the chunk has */
    DAQCAP_FAULT_DUP_CPL = 1 << 7,      /* posted twice */
    /* A frame of records for a buffer still in the ring, after a frame. */
    DAQCAP_FAULT_UNTAKEN_CPL = 1 << 8,
    DAQCAP_FAULT_BAD_SEQ = 1 << 9,      /* next frame's first record: seq */
    DAQCAP_FAULT_OTHER_COOKIE = 1 << 10, /* next frame's first: another's */
    DAQCAP_FAULT_CPL_OVERRUN = 1 << 11, /* next record a whole ring ahead */
    DAQCAP_FAULT_WILD_WRITE = 1 << 12,  /* next chunk's data to bus address 0 */
    /*
     * Interrupt storms, which last until the driver masks the channel's
     * interrupts (or a reset): DATA that no W1C clears and that every
     * attempt signals again, or messages with nothing pending.
     */
    DAQCAP_FAULT_IRQ_STUCK = 1 << 13,
    DAQCAP_FAULT_IRQ_SPURIOUS = 1 << 14,
};

/* Sequence offset of the "bad-sequence" lie: far from any real frame's. */
#define DAQCAP_BAD_SEQ_OFFSET 0x10000

/* The card clock's error the "clock-ppm" property can set, either way. */
#define DAQCAP_CLOCK_PPM_MAX 1000

typedef struct DaqcapChannel {
    DaqcapState *card;
    unsigned index;
    QEMUTimer event_timer;      /* next start of frame or chunk */
    QEMUTimer delay_timer;      /* interrupt coalescing maximum delay */

    /* Registers. */
    uint32_t ctrl, status, format, size, stride, chunk_lines, coalesce;
    uint32_t crop_origin;
    uint32_t irq_status, irq_mask;
    uint64_t desc_base, cpl_base;
    uint32_t desc_log2, cpl_log2;
    uint32_t desc_head, desc_tail, cpl_head, cpl_tail;
    uint32_t sequence, frames, drops, chunks, error_frames;
    /* DROPS by reason; the injected faults' drops count in none of them */
    uint32_t drops_no_buffer, drops_ring_full, drops_late;
    uint32_t sof_sequence;      /* SOF_SEQUENCE register */
    uint64_t bytes;
    uint32_t bytes_hi_latch;

    /* Frame in progress, configuration latched at start of frame. */
    bool in_frame;
    int64_t next_sof_ns;
    int64_t sof_ns;
    uint32_t frame_seq, frame_input, frame_pattern, frame_format;
    uint32_t frame_width, frame_height;
    /* The frame the pattern is drawn on, and where the window is in it. */
    uint32_t frame_full_width, frame_full_height, frame_left, frame_top;
    uint32_t frame_stride, frame_chunk_lines, frame_line_bytes;
    uint32_t frame_chunks, next_chunk, fifo_chunk;
    uint32_t frame_status;      /* error bits every chunk of the frame gets */
    uint32_t frame_errors;      /* error bits any chunk of the frame got */
    uint16_t cookie;
    DaqcapSegment *segs;        /* DAQCAP_MAX_SEGMENTS entries */
    uint32_t nsegs;
    uint64_t buf_len;
    uint32_t seg_cursor;        /* segment holding seg_cursor_off */
    uint64_t seg_cursor_off;

    /* Interrupt coalescing. */
    uint32_t cpl_unsignalled;

    /* Fault injection. */
    uint32_t faults;
    /*
     * After a lie naming a buffer the card has not taken, it takes none
     * until the driver has read the lie (CPL_HEAD reaches lie_tail), so
     * that however late the driver reads it, the buffer is still untaken.
     */
    bool lie_hold;
    uint32_t lie_tail;
    bool stalled;
    bool wedged;                /* stalled, and deaf to a channel reset */

    uint8_t *staging;           /* DAQCAP_MAX_CHUNK_LINES lines */

    /* Read-only statistics for tests, cumulative since creation. */
    uint64_t stat_frames, stat_drops, stat_chunks, stat_bytes;
    uint64_t stat_error_frames, stat_irqs, stat_lost_irqs;
    uint64_t stat_lies;         /* injected lies told (records, messages) */
} DaqcapChannel;

/* PowerState values of the PMCSR: the card implements D0 and D3hot. */
enum {
    DAQCAP_PM_D0 = 0,
    DAQCAP_PM_D3HOT = 3,
};

struct DaqcapState {
    PCIDevice parent_obj;
    MemoryRegion mmio;
    uint8_t pm_cap;             /* offset of the PM capability */
    uint8_t power_state;        /* DAQCAP_PM_D0 or DAQCAP_PM_D3HOT */

    /* Properties. */
    uint32_t num_channels;
    uint32_t num_inputs;
    char *timings;
    char *last_inject;
    /*
     * The "replace" fault: after the next PCI reset or D3hot to D0, the
     * slot holds another card (its VERSION reads one minor revision up).
     */
    bool replace_pending;
    uint32_t version_bump;
    /*
     * The "all-ones" fault: the link is dead though the card is still in
     * its slot; registers read all ones, nothing is signalled or DMAed,
     * until a conventional or function level reset.
     */
    bool dead;

    /* Global registers. */
    uint32_t irq_mask;
    uint32_t input_changed;
    uint32_t scratch;
    uint32_t ts_hi_latch;
    int64_t ts_epoch_ns;
    int32_t clock_ppm;          /* "clock-ppm": the card clock's error */
    uint32_t sdi_inputs;        /* "sdi-inputs": bit N, input N is SDI-like */

    DaqcapInput inputs[DAQCAP_MAX_INPUTS];
    DaqcapChannel channels[DAQCAP_MAX_CHANNELS];

    /* Read-only DMA statistics for tests, cumulative since creation. */
    uint64_t stat_dma_writes;   /* write transactions issued */
    uint64_t stat_dma_reads;    /* read transactions issued */
    uint64_t stat_dma_blocked;  /* transactions refused, never issued */
    /*
     * Channels still running when the function lost its state (D3hot, a
     * conventional or function level reset): DMA the driver did not stop
     * before a sleep or a reset, cut short.
     */
    uint64_t stat_cut_while_running;
};

#define DAQCAP_CPL_STATUS_NO_DATA \
    (DAQCAP_CPL_STATUS_ERR_FIFO | DAQCAP_CPL_STATUS_ERR_SIGNAL | \
     DAQCAP_CPL_STATUS_ERR_GEOMETRY)

/* A buffer has at most as many segments as a ring or a table can hold. */
#define DAQCAP_MAX_SEGMENTS \
    MAX(DAQCAP_CHAIN_MAX, 1u << DAQCAP_RING_MAX_LOG2)

/* A chunk's lines of 4 bytes a pixel, or its luma and chroma rows. */
#define DAQCAP_STAGING_SIZE \
    ((size_t)DAQCAP_MAX_CHUNK_LINES * DAQCAP_MAX_WIDTH * 4)

static void daqcap_channel_schedule(DaqcapChannel *ch);
static void daqcap_channel_stop(DaqcapChannel *ch);

/*
 * DMA the card starts by itself (from its timers or from a QMP event) must
 * not reach the card's own registers: a segment or ring aimed at BAR0 would
 * re-enter the model in the middle of a transfer. Engaging the device's
 * re-entrancy guard, as an MMIO access does, makes such an access fail like
 * any other bad DMA target, and the channel halts with DMA_ERROR.
 */
static bool daqcap_guard_enter(DaqcapState *s)
{
    DeviceState *dev = DEVICE(s);
    bool was = dev->mem_reentrancy_guard.engaged_in_io;

    dev->mem_reentrancy_guard.engaged_in_io = true;
    return was;
}

static void daqcap_guard_exit(DaqcapState *s, bool was)
{
    DEVICE(s)->mem_reentrancy_guard.engaged_in_io = was;
}

/* ---- Helpers ----------------------------------------------------------- */

static int64_t daqcap_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * The card's clock at virtual time @ns: nanoseconds since the epoch, off
 * by the "clock-ppm" property's parts per million, as a real card's
 * crystal is (a positive value runs fast). Every time the card reports
 * (TIMESTAMP, completion records) is read from it.
 */
static uint64_t daqcap_card_time(DaqcapState *s, int64_t ns)
{
    uint64_t t = ns > s->ts_epoch_ns ? ns - s->ts_epoch_ns : 0;
    uint64_t skew = muldiv64(t, ABS(s->clock_ppm), 1000000);

    return s->clock_ppm >= 0 ? t + skew : t - skew;
}

static uint64_t daqcap_timestamp(DaqcapState *s)
{
    return daqcap_card_time(s, daqcap_now());
}

static const DaqcapMode *daqcap_find_mode(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(daqcap_modes); i++) {
        if (!strcmp(daqcap_modes[i].name, name)) {
            return &daqcap_modes[i];
        }
    }
    return NULL;
}

static bool daqcap_powered(DaqcapState *s)
{
    return s->power_state == DAQCAP_PM_D0;
}

static bool daqcap_chan_running(DaqcapChannel *ch)
{
    return ch->status & DAQCAP_CH_STATUS_RUNNING;
}

static uint32_t daqcap_chan_input(DaqcapChannel *ch)
{
    return (ch->ctrl & DAQCAP_CH_CTRL_INPUT_MASK) >> DAQCAP_CH_CTRL_INPUT_SHIFT;
}

/* ---- Inputs ------------------------------------------------------------ */

static void daqcap_input_set_mode(DaqcapInput *in, const DaqcapMode *mode)
{
    in->mode = mode;
    in->epoch_ns = daqcap_now();
    in->period_ps = (uint64_t)mode->htotal * mode->vtotal * 1000000000000ULL /
                    mode->pixclk;
    in->line_ps = (uint64_t)mode->htotal * 1000000000000ULL / mode->pixclk;
}

/* An HDMI-like source sends nothing while the card holds hotplug low. */
static bool daqcap_input_hotplug(const DaqcapInput *in)
{
    return !in->sdi && in->edid_blocks;
}

static bool daqcap_input_locked(DaqcapInput *in)
{
    return in->signal && in->mode && (in->sdi || daqcap_input_hotplug(in));
}

/* ---- EDID ---------------------------------------------------------------- */

static const uint8_t daqcap_edid_header[8] = {
    0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
};

/* Offset of the first (preferred) detailed timing descriptor of block 0. */
#define DAQCAP_EDID_DTD0 54
#define DAQCAP_EDID_DTD_SIZE 18

static uint8_t daqcap_edid_sum(const uint8_t *block)
{
    uint8_t sum = 0;

    for (unsigned i = 0; i < DAQCAP_EDID_BLOCK_SIZE; i++) {
        sum += block[i];
    }
    return sum;
}

/* @m as a detailed timing descriptor; false if it does not fit in one. */
static bool daqcap_edid_dtd(uint8_t *d, const DaqcapMode *m)
{
    uint32_t hblank = m->htotal - m->width, vblank = m->vtotal - m->height;

    if (m->width > 0xfff || m->height > 0xfff || hblank > 0xfff ||
        vblank > 0xfff || m->pixclk / 10000 > 0xffff) {
        return false;
    }
    memset(d, 0, DAQCAP_EDID_DTD_SIZE);
    stw_le_p(d, m->pixclk / 10000);
    d[2] = m->width;
    d[3] = hblank;
    d[4] = (m->width >> 8) << 4 | hblank >> 8;
    d[5] = m->height;
    d[6] = vblank;
    d[7] = (m->height >> 8) << 4 | vblank >> 8;
    d[8] = m->hfp;
    d[9] = m->hsync;
    d[10] = (m->vfp & 0xf) << 4 | (m->vsync & 0xf);
    d[11] = (m->hfp >> 8) << 6 | (m->hsync >> 8) << 4 |
            (m->vfp >> 4) << 2 | m->vsync >> 4;
    /* Digital separate sync, with the mode's polarities. */
    d[17] = 0x18 | (m->vpos ? 0x04 : 0) | (m->hpos ? 0x02 : 0);
    return true;
}

/*
 * The EDID of the card's EEPROM, loaded at power-on: one block naming
 * the card, the input's power-on timings as the preferred ones (640x480p60
 * if they do not fit a descriptor) and 640x480p60 in the established
 * timings, as every HDMI sink must.
 */
static void daqcap_edid_default(DaqcapInput *in, unsigned idx)
{
    static const char name[] = "DAQCAP in ";
    uint8_t *e = in->edid;
    uint8_t *d;

    memset(e, 0, sizeof(in->edid));
    memcpy(e, daqcap_edid_header, sizeof(daqcap_edid_header));
    e[8] = ('D' - '@') << 2 | ('Q' - '@') >> 3;     /* manufacturer "DQC" */
    e[9] = (('Q' - '@') & 7) << 5 | ('C' - '@');
    stw_le_p(e + 10, DAQCAP_PCI_DEVICE_ID);         /* product */
    stl_le_p(e + 12, idx);                          /* serial: the input */
    e[16] = 1;                                      /* week, year 2026 */
    e[17] = 2026 - 1990;
    e[18] = 1;                                      /* EDID 1.4 */
    e[19] = 4;
    e[20] = 0x80;                                   /* digital input */
    e[23] = 120;                                    /* gamma 2.2 */
    e[24] = 0x02;                                   /* preferred is native */
    e[35] = 0x20;                                   /* 640x480@60 */
    for (unsigned i = 38; i < 54; i++) {
        e[i] = 0x01;                                /* no standard timings */
    }
    if (!daqcap_edid_dtd(e + DAQCAP_EDID_DTD0, in->mode)) {
        daqcap_edid_dtd(e + DAQCAP_EDID_DTD0, &daqcap_modes[0]);
    }
    d = e + DAQCAP_EDID_DTD0 + DAQCAP_EDID_DTD_SIZE;    /* product name */
    d[3] = 0xfc;
    memset(d + 5, ' ', 13);
    snprintf((char *)d + 5, 13, "%s%u", name, idx);
    d[5 + strlen((char *)d + 5)] = '\n';
    for (unsigned k = 2; k < 4; k++) {              /* dummy descriptors */
        e[DAQCAP_EDID_DTD0 + k * DAQCAP_EDID_DTD_SIZE + 3] = 0x10;
    }
    e[127] = -daqcap_edid_sum(e);
    in->edid_blocks = 1;
}

/*
 * What a source offers once it has read the EDID: the timings of block
 * 0's preferred descriptor if they are its own (a built-in mode), else
 * 640x480p60, which every sink takes; also for an EDID it cannot parse.
 */
static const DaqcapMode *daqcap_edid_preferred(const DaqcapInput *in)
{
    const uint8_t *e = in->edid, *d = e + DAQCAP_EDID_DTD0;
    uint32_t pixclk = lduw_le_p(d) * 10000;
    uint32_t w = d[2] | (d[4] & 0xf0) << 4, hblank = d[3] | (d[4] & 0x0f) << 8;
    uint32_t h = d[5] | (d[7] & 0xf0) << 4, vblank = d[6] | (d[7] & 0x0f) << 8;

    if (memcmp(e, daqcap_edid_header, sizeof(daqcap_edid_header)) ||
        daqcap_edid_sum(e) || !pixclk || (d[17] & 0x80) /* interlaced */) {
        return &daqcap_modes[0];
    }
    for (size_t i = 0; i < ARRAY_SIZE(daqcap_modes); i++) {
        const DaqcapMode *m = &daqcap_modes[i];

        /* The descriptor's clock is in units of 10 kHz. */
        if (m->width == w && m->height == h && m->htotal == w + hblank &&
            m->vtotal == h + vblank && m->pixclk / 10000 == pixclk / 10000) {
            return m;
        }
    }
    return &daqcap_modes[0];
}

/* Start time of the first frame of @in that starts at or after @t. */
static int64_t daqcap_input_next_sof(DaqcapInput *in, int64_t t)
{
    uint64_t elapsed_ps, k;

    if (t <= in->epoch_ns) {
        return in->epoch_ns;
    }
    elapsed_ps = (uint64_t)(t - in->epoch_ns) * 1000;
    k = DIV_ROUND_UP(elapsed_ps, in->period_ps);
    return in->epoch_ns + (int64_t)(k * in->period_ps / 1000);
}

static uint32_t daqcap_input_frame_count(DaqcapInput *in)
{
    int64_t t = daqcap_now();

    if (!daqcap_input_locked(in) || t < in->epoch_ns) {
        return 0;
    }
    return (uint32_t)((uint64_t)(t - in->epoch_ns) * 1000 / in->period_ps);
}

/* ---- Interrupts -------------------------------------------------------- */

static uint32_t daqcap_irq_status(DaqcapState *s)
{
    uint32_t status = 0;

    for (unsigned c = 0; c < s->num_channels; c++) {
        DaqcapChannel *ch = &s->channels[c];

        if (ch->irq_status & ch->irq_mask) {
            status |= DAQCAP_IRQ_CHANNEL(c);
        }
    }
    if (s->input_changed) {
        status |= DAQCAP_IRQ_INPUT_CHANGE;
    }
    return status;
}

/* INTx is level-triggered: asserted while any unmasked source is pending. */
static void daqcap_update_intx(DaqcapState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool level = false;

    if (daqcap_powered(s) && !s->dead && !msix_enabled(pdev) &&
        !msi_enabled(pdev)) {
        level = (daqcap_irq_status(s) & s->irq_mask) != 0;
    }
    pci_set_irq(pdev, level);
}

/*
 * Message-signalled interrupts are edges: one message per event that sets
 * an unmasked status bit, whether or not the bit was already set. Drivers
 * clear the status bit before they drain the completion ring, so a
 * completion posted while they drain always brings a new message.
 */
static void daqcap_signal(DaqcapState *s, uint32_t source, DaqcapChannel *ch,
                          uint32_t bits)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    /*
     * Only an event whose own bit is unmasked sends a message, and nothing
     * is signalled from D3hot (whatever latches stays latched).
     */
    if (!daqcap_powered(s) || s->dead || !(s->irq_mask & source) ||
        (ch && !(ch->irq_mask & bits))) {
        daqcap_update_intx(s);
        return;
    }
    if (ch) {
        ch->stat_irqs++;
        if (ch->faults & DAQCAP_FAULT_LOST_IRQ) {
            ch->faults &= ~DAQCAP_FAULT_LOST_IRQ;
            ch->stat_lost_irqs++;
            trace_daqcap_irq_lost(ch->index);
            return;
        }
    }
    if (msix_enabled(pdev)) {
        unsigned vector = ch ? DAQCAP_MSIX_VEC_CHANNEL(ch->index)
                             : DAQCAP_MSIX_VEC_GLOBAL;
        trace_daqcap_irq_msix(vector);
        msix_notify(pdev, vector);
    } else if (msi_enabled(pdev)) {
        trace_daqcap_irq_msi(source);
        msi_notify(pdev, 0);
    } else {
        daqcap_update_intx(s);
    }
}

static void daqcap_chan_raise(DaqcapChannel *ch, uint32_t bits)
{
    ch->irq_status |= bits;
    trace_daqcap_chan_irq(ch->index, bits, ch->irq_status);
    daqcap_signal(ch->card, DAQCAP_IRQ_CHANNEL(ch->index), ch, bits);
}

/*
 * The "irq-spurious" fault: the channel's message goes out with nothing
 * pending, for as long as any of its interrupts is unmasked (the driver
 * ends the storm by masking them all). INTx has no message to send.
 */
static void daqcap_chan_spurious(DaqcapChannel *ch)
{
    DaqcapState *s = ch->card;
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!(ch->faults & DAQCAP_FAULT_IRQ_SPURIOUS) || !daqcap_powered(s) ||
        s->dead || !(s->irq_mask & DAQCAP_IRQ_CHANNEL(ch->index)) ||
        !ch->irq_mask) {
        return;
    }
    ch->stat_irqs++;
    ch->stat_lies++;
    trace_daqcap_irq_spurious(ch->index);
    if (msix_enabled(pdev)) {
        msix_notify(pdev, DAQCAP_MSIX_VEC_CHANNEL(ch->index));
    } else if (msi_enabled(pdev)) {
        msi_notify(pdev, 0);
    }
}

static void daqcap_chan_flush_data_irq(DaqcapChannel *ch)
{
    timer_del(&ch->delay_timer);
    ch->cpl_unsignalled = 0;
    daqcap_chan_raise(ch, DAQCAP_CH_IRQ_DATA);
}

static void daqcap_delay_timer_cb(void *opaque)
{
    DaqcapChannel *ch = opaque;
    bool guard = daqcap_guard_enter(ch->card);

    if (ch->cpl_unsignalled) {
        daqcap_chan_flush_data_irq(ch);
    }
    daqcap_guard_exit(ch->card, guard);
}

/* Apply the CH_IRQ_COALESCE rule after a completion has been posted. */
static void daqcap_chan_coalesce(DaqcapChannel *ch, bool eof)
{
    uint32_t mode = (ch->coalesce & DAQCAP_COALESCE_MODE_MASK) >>
                    DAQCAP_COALESCE_MODE_SHIFT;
    uint32_t count = (ch->coalesce & DAQCAP_COALESCE_COUNT_MASK) >>
                     DAQCAP_COALESCE_COUNT_SHIFT;
    uint32_t delay_us = (ch->coalesce & DAQCAP_COALESCE_DELAY_MASK) >>
                        DAQCAP_COALESCE_DELAY_SHIFT;
    bool fire = false;

    ch->cpl_unsignalled++;
    switch (mode) {
    case DAQCAP_COALESCE_MODE_CHUNKS:
        fire = eof || ch->cpl_unsignalled >= MAX(count, 1);
        break;
    case DAQCAP_COALESCE_MODE_FRAME:
        fire = eof;
        break;
    default:
        /* DELAY, and the reserved mode 3 which behaves like DELAY. */
        break;
    }
    if (fire) {
        daqcap_chan_flush_data_irq(ch);
    } else if (delay_us && !timer_pending(&ch->delay_timer)) {
        timer_mod(&ch->delay_timer, daqcap_now() + delay_us * SCALE_US);
    } else if (!delay_us && mode >= DAQCAP_COALESCE_MODE_DELAY) {
        /* DELAY mode with no delay programmed: signal at once. */
        daqcap_chan_flush_data_irq(ch);
    }
}

/* ---- DMA --------------------------------------------------------------- */

/*
 * Every DMA transaction of the card goes through these two. A function in
 * D3hot or without Bus Master Enable issues none: the access fails, as it
 * would on the bus, and is counted as blocked instead of issued.
 */
static bool daqcap_dma_allowed(DaqcapState *s, bool is_write, dma_addr_t addr,
                               dma_addr_t len)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    const char *why;

    if (!daqcap_powered(s)) {
        why = "function in D3hot";
    } else if (s->dead) {
        why = "link down";
    } else if (!(pci_get_word(pdev->config + PCI_COMMAND) &
                 PCI_COMMAND_MASTER)) {
        why = "bus mastering off";
    } else {
        return true;
    }
    s->stat_dma_blocked++;
    trace_daqcap_dma_blocked(is_write ? "write" : "read", addr, len, why);
    return false;
}

static MemTxResult daqcap_dma_read(DaqcapState *s, dma_addr_t addr, void *buf,
                                   dma_addr_t len)
{
    if (!daqcap_dma_allowed(s, false, addr, len)) {
        return MEMTX_ERROR;
    }
    s->stat_dma_reads++;
    return pci_dma_read(PCI_DEVICE(s), addr, buf, len);
}

static MemTxResult daqcap_dma_write(DaqcapState *s, dma_addr_t addr,
                                    const void *buf, dma_addr_t len)
{
    if (!daqcap_dma_allowed(s, true, addr, len)) {
        return MEMTX_ERROR;
    }
    s->stat_dma_writes++;
    return pci_dma_write(PCI_DEVICE(s), addr, buf, len);
}

/* A DMA failure stops the channel: no more reads, writes or completions. */
static void daqcap_chan_halt(DaqcapChannel *ch, uint32_t irq, const char *why)
{
    qemu_log_mask(LOG_GUEST_ERROR, "daqcap: channel %u halted: %s\n",
                  ch->index, why);
    trace_daqcap_chan_halt(ch->index, why);
    daqcap_channel_stop(ch);
    ch->status |= DAQCAP_CH_STATUS_HALTED;
    if (ch->in_frame) {
        ch->in_frame = false;
        ch->error_frames++;
        ch->stat_error_frames++;
    }
    daqcap_chan_raise(ch, irq);
}

/*
 * Write @len bytes at offset @off of the current buffer, across as many
 * segments as the range spans. Offsets only grow within a frame, so a
 * cursor makes the walk linear over the whole frame.
 */
static MemTxResult daqcap_buf_write(DaqcapChannel *ch, uint64_t off,
                                    const uint8_t *data, uint64_t len)
{
    if (off < ch->seg_cursor_off) {
        ch->seg_cursor = 0;
        ch->seg_cursor_off = 0;
    }
    while (len) {
        DaqcapSegment *seg;
        uint64_t in_seg, n;
        MemTxResult res;

        if (ch->seg_cursor >= ch->nsegs) {
            return MEMTX_ERROR; /* beyond the buffer: callers clip first */
        }
        seg = &ch->segs[ch->seg_cursor];
        if (off >= ch->seg_cursor_off + seg->len) {
            ch->seg_cursor_off += seg->len;
            ch->seg_cursor++;
            continue;
        }
        in_seg = off - ch->seg_cursor_off;
        n = MIN(len, seg->len - in_seg);
        res = daqcap_dma_write(ch->card, seg->addr + in_seg, data, n);
        if (res != MEMTX_OK) {
            return res;
        }
        off += n;
        data += n;
        len -= n;
    }
    return MEMTX_OK;
}

/*
 * Validate segment descriptor @desc as entry @n of a buffer and append it to
 * the segment table. Returns false, with *why set, if it is malformed.
 */
static bool daqcap_take_segment(DaqcapChannel *ch, const uint8_t *desc,
                                uint32_t n, uint64_t *total, const char **why)
{
    uint64_t addr = ldq_le_p(desc + DAQCAP_DESC_ADDR);
    uint32_t len = ldl_le_p(desc + DAQCAP_DESC_LEN);
    uint16_t flags = lduw_le_p(desc + DAQCAP_DESC_FLAGS);

    if (len == 0) {
        *why = "zero-length descriptor";
    } else if (flags & ~(DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF)) {
        *why = "reserved or misplaced descriptor flags";
    } else if (addr + len < addr) {
        *why = "segment wraps the address space";
    } else if ((n == 0) != !!(flags & DAQCAP_DESC_FLAG_SOF)) {
        *why = "SOF out of place";
    } else {
        if (n == 0) {
            ch->cookie = lduw_le_p(desc + DAQCAP_DESC_COOKIE);
        }
        ch->segs[n].addr = addr;
        ch->segs[n].len = len;
        *total += len;
        return true;
    }
    return false;
}

static void daqcap_buffer_taken(DaqcapChannel *ch, uint32_t nsegs,
                                uint64_t total, uint32_t ring_entries)
{
    ch->nsegs = nsegs;
    ch->buf_len = total;
    ch->seg_cursor = 0;
    ch->seg_cursor_off = 0;
    ch->desc_head += ring_entries;
}

/* Take the buffer described by the table a CHAIN ring entry points at. */
static int daqcap_fetch_chain(DaqcapChannel *ch, const uint8_t *entry)
{
    uint64_t table = ldq_le_p(entry + DAQCAP_DESC_ADDR);
    uint32_t count = ldl_le_p(entry + DAQCAP_DESC_LEN);
    uint16_t flags = lduw_le_p(entry + DAQCAP_DESC_FLAGS);
    uint8_t batch[64 * DAQCAP_DESC_SIZE];
    uint64_t total = 0;
    const char *why;

    if (flags != DAQCAP_DESC_FLAG_CHAIN || count == 0 ||
        count > DAQCAP_CHAIN_MAX || table & (DAQCAP_DESC_SIZE - 1) ||
        table + (uint64_t)count * DAQCAP_DESC_SIZE < table) {
        daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DESC_ERROR,
                         "malformed CHAIN descriptor");
        return -1;
    }
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *d = batch + (i % 64) * DAQCAP_DESC_SIZE;

        if (i % 64 == 0) {
            uint32_t n = MIN(64, count - i);

            if (daqcap_dma_read(ch->card,
                                table + (uint64_t)i * DAQCAP_DESC_SIZE,
                                batch, n * DAQCAP_DESC_SIZE) != MEMTX_OK) {
                daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DMA_ERROR,
                                 "descriptor table read failed");
                return -1;
            }
        }
        if (!daqcap_take_segment(ch, d, i, &total, &why)) {
            daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DESC_ERROR, why);
            return -1;
        }
        if (!!(lduw_le_p(d + DAQCAP_DESC_FLAGS) & DAQCAP_DESC_FLAG_EOF) !=
            (i == count - 1)) {
            daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DESC_ERROR,
                             "EOF out of place in a descriptor table");
            return -1;
        }
    }
    daqcap_buffer_taken(ch, count, total, 1);
    return 1;
}

/*
 * Take one complete buffer from the descriptor ring into the segment table:
 * either a run of segment descriptors from SOF to EOF, or one CHAIN entry.
 * Returns 1 when a buffer was taken, 0 when the ring holds none (yet), -1
 * when the channel was halted for a malformed ring.
 */
static int daqcap_fetch_buffer(DaqcapChannel *ch)
{
    uint32_t ring_size = 1u << ch->desc_log2;
    uint32_t avail = ch->desc_tail - ch->desc_head;
    uint64_t total = 0;
    const char *why;

    if (avail > ring_size) {
        daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DESC_ERROR,
                         "descriptor ring overrun (TAIL - HEAD > size)");
        return -1;
    }
    for (uint32_t n = 0; n < avail; n++) {
        uint32_t slot = (ch->desc_head + n) & (ring_size - 1);
        uint8_t desc[DAQCAP_DESC_SIZE];
        uint16_t flags;

        if (daqcap_dma_read(ch->card,
                            ch->desc_base + (uint64_t)slot * DAQCAP_DESC_SIZE,
                            desc, sizeof(desc)) != MEMTX_OK) {
            daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DMA_ERROR,
                             "descriptor read failed");
            return -1;
        }
        flags = lduw_le_p(desc + DAQCAP_DESC_FLAGS);
        trace_daqcap_desc(ch->index, slot, ldq_le_p(desc + DAQCAP_DESC_ADDR),
                          ldl_le_p(desc + DAQCAP_DESC_LEN), flags,
                          lduw_le_p(desc + DAQCAP_DESC_COOKIE));
        if (n == 0 && (flags & DAQCAP_DESC_FLAG_CHAIN)) {
            return daqcap_fetch_chain(ch, desc);
        }
        if (!daqcap_take_segment(ch, desc, n, &total, &why)) {
            daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DESC_ERROR, why);
            return -1;
        }
        if (flags & DAQCAP_DESC_FLAG_EOF) {
            daqcap_buffer_taken(ch, n + 1, total, n + 1);
            return 1;
        }
    }
    return 0;
}

/*
 * Write one record at CPL_TAIL, with the phase of that pass over the ring.
 * Return false if the write failed (the channel has halted).
 */
static bool daqcap_write_completion(DaqcapChannel *ch, uint16_t cookie,
                                    uint32_t seq, uint32_t chunk,
                                    uint32_t first_line,
                                    uint32_t lines, uint32_t status,
                                    int64_t end_ns)
{
    DaqcapState *s = ch->card;
    uint32_t slot = ch->cpl_tail & ((1u << ch->cpl_log2) - 1);
    uint64_t addr = ch->cpl_base + (uint64_t)slot * DAQCAP_CPL_SIZE;
    uint8_t rec[DAQCAP_CPL_SIZE];

    if (!((ch->cpl_tail >> ch->cpl_log2) & 1)) {
        status |= DAQCAP_CPL_STATUS_PHASE;
    }
    memset(rec, 0, sizeof(rec));
    stq_le_p(rec + DAQCAP_CPL_TS_SOF, daqcap_card_time(s, ch->sof_ns));
    stq_le_p(rec + DAQCAP_CPL_TS_END, daqcap_card_time(s, end_ns));
    stl_le_p(rec + DAQCAP_CPL_SEQUENCE, seq);
    stw_le_p(rec + DAQCAP_CPL_COOKIE, cookie);
    stw_le_p(rec + DAQCAP_CPL_CHUNK, chunk);
    stw_le_p(rec + DAQCAP_CPL_FIRST_LINE, first_line);
    stw_le_p(rec + DAQCAP_CPL_LINES, lines);
    stl_le_p(rec + DAQCAP_CPL_STATUS, status);

    /* The record body first, the status word carrying the phase last. */
    if (daqcap_dma_write(s, addr, rec, DAQCAP_CPL_STATUS) != MEMTX_OK ||
        daqcap_dma_write(s, addr + DAQCAP_CPL_STATUS,
                         rec + DAQCAP_CPL_STATUS, 4) != MEMTX_OK) {
        daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DMA_ERROR,
                         "completion write failed");
        return false;
    }
    trace_daqcap_cpl(ch->index, slot, seq, chunk, first_line, lines, status);
    ch->cpl_tail++;
    return true;
}

/*
 * The cookie of the @nth complete buffer (0: the next) that the descriptor
 * ring holds and the card has not taken, read as a fetch would read it.
 * For the lies of a broken card only: nothing is taken, nothing halts.
 */
static bool daqcap_peek_cookie(DaqcapChannel *ch, unsigned nth,
                               uint16_t *cookie)
{
    uint32_t ring_size = 1u << ch->desc_log2;
    uint32_t avail = ch->desc_tail - ch->desc_head;
    unsigned found = 0;
    bool in_buf = false;
    uint16_t c = 0;

    if (avail > ring_size) {
        return false;
    }
    for (uint32_t n = 0; n < avail; n++) {
        uint32_t slot = (ch->desc_head + n) & (ring_size - 1);
        uint8_t d[DAQCAP_DESC_SIZE];
        uint16_t flags;
        bool whole = false;

        if (daqcap_dma_read(ch->card,
                            ch->desc_base + (uint64_t)slot * DAQCAP_DESC_SIZE,
                            d, sizeof(d)) != MEMTX_OK) {
            return false;
        }
        flags = lduw_le_p(d + DAQCAP_DESC_FLAGS);
        if (!in_buf && flags == DAQCAP_DESC_FLAG_CHAIN) {
            uint8_t first[DAQCAP_DESC_SIZE];

            if (daqcap_dma_read(ch->card, ldq_le_p(d + DAQCAP_DESC_ADDR),
                                first, sizeof(first)) != MEMTX_OK) {
                return false;
            }
            c = lduw_le_p(first + DAQCAP_DESC_COOKIE);
            whole = true;
        } else {
            if (flags & DAQCAP_DESC_FLAG_SOF) {
                in_buf = true;
                c = lduw_le_p(d + DAQCAP_DESC_COOKIE);
            }
            if (in_buf && (flags & DAQCAP_DESC_FLAG_EOF)) {
                in_buf = false;
                whole = true;
            }
        }
        if (whole && found++ == nth) {
            *cookie = c;
            return true;
        }
    }
    return false;
}

/*
 * The "unfetched-cookie" fault, after a frame's last record: a whole frame
 * of records (no data written) for the next buffer in the ring, one the
 * card has not taken, numbered as the next frame will be. Only when such
 * a buffer waits and the completion ring has room for the frame; else the
 * fault waits for a later end of frame.
 */
static void daqcap_lie_untaken(DaqcapChannel *ch, int64_t end_ns)
{
    uint32_t size = 1u << ch->cpl_log2;
    uint32_t used = ch->cpl_tail - ch->cpl_head;
    uint16_t cookie;

    if (used > size || size - used < ch->frame_chunks ||
        !daqcap_peek_cookie(ch, 0, &cookie)) {
        return;
    }
    ch->faults &= ~DAQCAP_FAULT_UNTAKEN_CPL;
    ch->stat_lies++;
    trace_daqcap_lie(ch->index, "records for a buffer not taken", cookie);
    for (uint32_t k = 0; k < ch->frame_chunks; k++) {
        uint32_t first = k * ch->frame_chunk_lines;
        bool last = k == ch->frame_chunks - 1;
        uint32_t status = ch->frame_chunks << DAQCAP_CPL_STATUS_CHUNKS_SHIFT |
                          (k == 0 ? DAQCAP_CPL_STATUS_SOF : 0) |
                          (last ? DAQCAP_CPL_STATUS_EOF : 0);

        if (!daqcap_write_completion(ch, cookie, ch->sequence, k, first,
                                     MIN(ch->frame_chunk_lines,
                                         ch->frame_height - first),
                                     status, end_ns)) {
            return;
        }
    }
    ch->lie_hold = true;
    ch->lie_tail = ch->cpl_tail;
}

static void daqcap_post_completion(DaqcapChannel *ch, uint32_t chunk,
                                   uint32_t first_line, uint32_t lines,
                                   uint32_t status, int64_t end_ns)
{
    bool eof = status & DAQCAP_CPL_STATUS_EOF;
    uint16_t cookie = ch->cookie;
    uint32_t seq = ch->frame_seq;
    bool dup = false;

    status |= ch->frame_chunks << DAQCAP_CPL_STATUS_CHUNKS_SHIFT;

    /* The record lands a whole ring ahead, over one not read yet. */
    if (ch->faults & DAQCAP_FAULT_CPL_OVERRUN) {
        ch->faults &= ~DAQCAP_FAULT_CPL_OVERRUN;
        ch->stat_lies++;
        trace_daqcap_lie(ch->index, "completion ring overrun", cookie);
        ch->cpl_tail += 1u << ch->cpl_log2;
    }
    /* Lies about a frame's first record only. */
    if (chunk == 0 && (ch->faults & DAQCAP_FAULT_BAD_SEQ)) {
        ch->faults &= ~DAQCAP_FAULT_BAD_SEQ;
        ch->stat_lies++;
        seq += DAQCAP_BAD_SEQ_OFFSET;
        trace_daqcap_lie(ch->index, "wrong frame sequence", cookie);
    }
    if (chunk == 0 && (ch->faults & DAQCAP_FAULT_OTHER_COOKIE) &&
        (daqcap_peek_cookie(ch, 1, &cookie) ||
         daqcap_peek_cookie(ch, 0, &cookie))) {
        ch->faults &= ~DAQCAP_FAULT_OTHER_COOKIE;
        ch->stat_lies++;
        ch->lie_hold = true;
        ch->lie_tail = ch->cpl_tail + 1;
        trace_daqcap_lie(ch->index, "another queued buffer's cookie", cookie);
    }

    /* Injected lies: the chunk's data is in memory, its record is wrong. */
    if (ch->faults & DAQCAP_FAULT_BAD_COOKIE) {
        ch->faults &= ~DAQCAP_FAULT_BAD_COOKIE;
        cookie ^= 0x8000;
    } else if (ch->faults & DAQCAP_FAULT_BAD_CHUNK) {
        ch->faults &= ~DAQCAP_FAULT_BAD_CHUNK;
        chunk = ch->frame_chunks;
    } else if (ch->faults & DAQCAP_FAULT_BAD_LINES) {
        ch->faults &= ~DAQCAP_FAULT_BAD_LINES;
        lines++;
    } else if (ch->faults & DAQCAP_FAULT_DUP_CPL) {
        ch->faults &= ~DAQCAP_FAULT_DUP_CPL;
        dup = true;
    }
    if (!daqcap_write_completion(ch, cookie, seq, chunk, first_line, lines,
                                 status, end_ns)) {
        return;
    }
    /*
     * The duplicate only where the ring keeps room for it and for the
     * frame's records still to come (reserved at start of frame).
     */
    if (dup && (1u << ch->cpl_log2) - (ch->cpl_tail - ch->cpl_head) >=
               ch->frame_chunks - chunk &&
        !daqcap_write_completion(ch, cookie, seq, chunk, first_line, lines,
                                 status, end_ns)) {
        return;
    }
    ch->chunks++;
    ch->stat_chunks++;
    /* The lie goes out with the end of frame's interrupt. */
    if (eof && (ch->faults & DAQCAP_FAULT_UNTAKEN_CPL)) {
        daqcap_lie_untaken(ch, end_ns);
        if (!daqcap_chan_running(ch)) {
            return;
        }
    }
    daqcap_chan_coalesce(ch, eof);
}

/* ---- Frame engine ------------------------------------------------------ */

static bool daqcap_format_ok(uint32_t format)
{
    return format < DAQCAP_FMT_COUNT &&
           (DAQCAP_FORMATS_ALL & (1u << format));
}

static void daqcap_drop_frame(DaqcapChannel *ch, const char *why,
                              uint32_t *reason)
{
    trace_daqcap_drop(ch->index, ch->sequence, why);
    ch->sequence++;
    ch->drops++;
    if (reason) {
        (*reason)++;
    }
    ch->stat_drops++;
    ch->status |= DAQCAP_CH_STATUS_STARVED;
    daqcap_chan_raise(ch, DAQCAP_CH_IRQ_DROP);
}

static void daqcap_start_frame(DaqcapChannel *ch, int64_t sof)
{
    DaqcapState *s = ch->card;
    uint32_t in_idx = daqcap_chan_input(ch);
    DaqcapInput *in = &s->inputs[in_idx];
    uint32_t w = (ch->size & DAQCAP_SIZE_WIDTH_MASK) >> DAQCAP_SIZE_WIDTH_SHIFT;
    uint32_t h = (ch->size & DAQCAP_SIZE_HEIGHT_MASK) >> DAQCAP_SIZE_HEIGHT_SHIFT;
    uint32_t used, nchunks;
    int ret;

    /* Validated at enable, fixed while running; the pattern may change. */
    ch->frame_input = in_idx;
    ch->frame_pattern = in->pattern;
    ch->frame_format = ch->format;
    ch->frame_width = w;
    ch->frame_height = h;
    if (ch->ctrl & DAQCAP_CH_CTRL_CROP) {
        /* A window of the source's frame, drawn at the source's size. */
        ch->frame_left = (ch->crop_origin & DAQCAP_CROP_X_MASK) >>
                         DAQCAP_CROP_X_SHIFT;
        ch->frame_top = (ch->crop_origin & DAQCAP_CROP_Y_MASK) >>
                        DAQCAP_CROP_Y_SHIFT;
        ch->frame_full_width = in->mode->width;
        ch->frame_full_height = in->mode->height;
    } else {
        ch->frame_left = 0;
        ch->frame_top = 0;
        ch->frame_full_width = w;
        ch->frame_full_height = h;
    }
    ch->frame_stride = ch->stride;
    ch->frame_chunk_lines = ch->chunk_lines;
    ch->frame_line_bytes = daqcap_pattern_line_bytes(ch->format, w);
    nchunks = DIV_ROUND_UP(h, ch->chunk_lines);
    ch->frame_chunks = nchunks;
    ch->sof_ns = sof;
    /* Every start the card sees, whether it has a buffer for it or not. */
    ch->sof_sequence = ch->sequence;
    daqcap_chan_raise(ch, DAQCAP_CH_IRQ_SOF);

    if (ch->faults & DAQCAP_FAULT_DROP) {
        /* As if the line FIFO had no room: the queued buffer stays queued. */
        ch->faults &= ~DAQCAP_FAULT_DROP;
        daqcap_drop_frame(ch, "injected", NULL);
        return;
    }
    if (ch->lie_hold) {
        if ((int32_t)(ch->cpl_head - ch->lie_tail) < 0) {
            daqcap_drop_frame(ch, "lie not read yet", NULL);
            return;
        }
        ch->lie_hold = false;
    }
    used = ch->cpl_tail - ch->cpl_head;
    if (used > (1u << ch->cpl_log2) ||
        (1u << ch->cpl_log2) - used < nchunks) {
        daqcap_drop_frame(ch, "completion ring full", &ch->drops_ring_full);
        return;
    }
    ret = daqcap_fetch_buffer(ch);
    if (ret < 0) {
        return;
    }
    if (ret == 0) {
        daqcap_drop_frame(ch, "no buffer", &ch->drops_no_buffer);
        return;
    }

    ch->status &= ~DAQCAP_CH_STATUS_STARVED;
    ch->frame_seq = ch->sequence++;
    ch->in_frame = true;
    ch->next_chunk = 0;
    ch->frame_errors = 0;
    ch->frame_status = 0;
    ch->fifo_chunk = UINT32_MAX;
    if (ch->frame_left + w > in->mode->width ||
        ch->frame_top + h > in->mode->height) {
        ch->frame_status = DAQCAP_CPL_STATUS_ERR_GEOMETRY;
    } else if (ch->faults & DAQCAP_FAULT_FIFO) {
        /* The FIFO overflows halfway down the frame. */
        ch->faults &= ~DAQCAP_FAULT_FIFO;
        ch->fifo_chunk = nchunks / 2;
    }
    trace_daqcap_sof(ch->index, ch->frame_seq, ch->cookie, ch->nsegs,
                     ch->buf_len);
}

/* End the frame in progress; called after its last completion. */
static void daqcap_end_frame(DaqcapChannel *ch)
{
    ch->in_frame = false;
    ch->frames++;
    ch->stat_frames++;
    if (ch->frame_errors) {
        ch->error_frames++;
        ch->stat_error_frames++;
    }
}

static int64_t daqcap_chunk_end_ns(DaqcapChannel *ch, uint32_t k)
{
    DaqcapInput *in = &ch->card->inputs[ch->frame_input];
    uint32_t end_line = MIN((k + 1) * ch->frame_chunk_lines, ch->frame_height);

    /*
     * A window's lines arrive when the source sends them, after the lines
     * above it. Lines below the source's last are never coming: end with
     * its frame.
     */
    end_line = MIN(ch->frame_top + end_line, in->mode->height);
    return ch->sof_ns + (int64_t)((uint64_t)end_line * in->line_ps / 1000);
}

/*
 * The chroma rows (rows in memory order, see pattern/PATTERN.rst) that
 * luma lines [@a, @b) of a frame @h lines high complete: NV16's lines'
 * own; NV12's line pairs, each done when its second line has arrived;
 * none for a one-plane format.
 */
static void daqcap_chroma_rows(uint32_t format, uint32_t h, uint32_t a,
                               uint32_t b, uint32_t *row, uint32_t *n)
{
    switch (format) {
    case DAQCAP_FMT_NV16:
        *row = h + a;
        *n = b - a;
        break;
    case DAQCAP_FMT_NV12:
        *row = h + a / 2;
        *n = b / 2 - a / 2;
        break;
    default:
        *row = 0;
        *n = 0;
        break;
    }
}

/*
 * Write @n rendered rows from @src at the places of rows [@row, @row + @n)
 * in the buffer, never past its end (ERR_SHORT then).
 */
static MemTxResult daqcap_write_rows(DaqcapChannel *ch, const uint8_t *src,
                                     uint32_t row, uint32_t n,
                                     uint32_t *status, uint64_t *written)
{
    uint32_t lb = ch->frame_line_bytes;
    bool contiguous = ch->frame_stride == lb;
    MemTxResult res = MEMTX_OK;

    for (uint32_t i = 0; i < n && res == MEMTX_OK; ) {
        uint64_t off = (uint64_t)(row + i) * ch->frame_stride;
        uint32_t m = contiguous ? n - i : 1;
        uint64_t len = (uint64_t)m * lb;

        if (off >= ch->buf_len) {
            *status |= DAQCAP_CPL_STATUS_ERR_SHORT;
            break;
        }
        if (off + len > ch->buf_len) {
            /* Nothing is ever written past the end of a buffer. */
            len = ch->buf_len - off;
            *status |= DAQCAP_CPL_STATUS_ERR_SHORT;
        }
        res = daqcap_buf_write(ch, off, src + (size_t)i * lb, len);
        *written += len;
        i += m;
    }
    return res;
}

/* Render and write chunk @k of the frame in progress, then post it. */
static void daqcap_do_chunk(DaqcapChannel *ch, uint32_t k)
{
    uint32_t first = k * ch->frame_chunk_lines;
    uint32_t lines = MIN(ch->frame_chunk_lines, ch->frame_height - first);
    uint32_t lb = ch->frame_line_bytes;
    uint32_t status = ch->frame_status;
    struct daqcap_pattern_frame pf = {
        .input = ch->frame_input,
        .pattern = ch->frame_pattern,
        .format = ch->frame_format,
        .width = ch->frame_full_width,
        .height = ch->frame_full_height,
        .sequence = ch->frame_seq,
        .crop = {
            .left = ch->frame_left, .top = ch->frame_top,
            .width = ch->frame_width, .height = ch->frame_height,
        },
    };
    uint64_t written = 0;
    uint32_t crow, crows;
    MemTxResult res = MEMTX_OK;

    daqcap_chroma_rows(ch->frame_format, ch->frame_height, first,
                       first + lines, &crow, &crows);
    if (k == ch->fifo_chunk) {
        status |= DAQCAP_CPL_STATUS_ERR_FIFO;
        daqcap_chan_raise(ch, DAQCAP_CH_IRQ_FIFO_OVERFLOW);
    }
    /* Lines lost to the FIFO, the input or a bad geometry are not written. */
    if (!(status & DAQCAP_CPL_STATUS_NO_DATA)) {
        for (uint32_t i = 0; i < lines; i++) {
            daqcap_pattern_render_line(&pf, first + i, ch->staging + (size_t)i * lb);
        }
        for (uint32_t i = 0; i < crows; i++) {
            daqcap_pattern_render_line(&pf, crow + i,
                                       ch->staging + (size_t)(lines + i) * lb);
        }
        if (ch->faults & DAQCAP_FAULT_DMA) {
            ch->faults &= ~DAQCAP_FAULT_DMA;
            res = MEMTX_ERROR;
        } else if (ch->faults & DAQCAP_FAULT_WILD_WRITE) {
            /*
             * The chunk's first line goes to bus address 0, outside every
             * buffer: an IOMMU (which never maps IOVA 0) refuses it and the
             * channel halts; without one it lands in page 0 of memory.
             */
            ch->faults &= ~DAQCAP_FAULT_WILD_WRITE;
            ch->stat_lies++;
            trace_daqcap_lie(ch->index, "data written to bus address 0",
                             ch->cookie);
            res = daqcap_dma_write(ch->card, 0, ch->staging, lb);
        }
        /* A chunk's chroma rows land with its luma lines. */
        if (res == MEMTX_OK) {
            res = daqcap_write_rows(ch, ch->staging, first, lines, &status,
                                    &written);
        }
        if (res == MEMTX_OK && crows) {
            res = daqcap_write_rows(ch, ch->staging + (size_t)lines * lb,
                                    crow, crows, &status, &written);
        }
        if (res != MEMTX_OK) {
            daqcap_chan_halt(ch, DAQCAP_CH_IRQ_DMA_ERROR, "data write failed");
            return;
        }
    }
    ch->bytes += written;
    ch->stat_bytes += written;

    if (k == 0) {
        status |= DAQCAP_CPL_STATUS_SOF;
    }
    if (k == ch->frame_chunks - 1) {
        status |= DAQCAP_CPL_STATUS_EOF;
    }
    ch->frame_errors |= status & DAQCAP_CPL_STATUS_ERR_MASK;
    /*
     * A chunk ends when its last line has arrived; the rest of a frame cut
     * short by its source ends now.
     */
    daqcap_post_completion(ch, k, first, lines, status,
                           status & DAQCAP_CPL_STATUS_ERR_SIGNAL ?
                           daqcap_now() : daqcap_chunk_end_ns(ch, k));
    if (!daqcap_chan_running(ch)) {
        return; /* halted by a completion write failure */
    }
    ch->next_chunk = k + 1;
    if (ch->next_chunk == ch->frame_chunks) {
        daqcap_end_frame(ch);
    }
}

/*
 * The input went away or changed timings under a frame in progress: post
 * the chunks still missing, without data, so the driver gets the buffer
 * back flagged in error.
 */
static void daqcap_abort_frame(DaqcapChannel *ch)
{
    uint32_t saved = ch->frame_status;

    ch->frame_status |= DAQCAP_CPL_STATUS_ERR_SIGNAL;
    while (ch->in_frame && daqcap_chan_running(ch)) {
        daqcap_do_chunk(ch, ch->next_chunk);
    }
    ch->frame_status = saved;
}

/* Run every start of frame and chunk that is due, then re-arm the timer. */
static void daqcap_event_run(DaqcapChannel *ch)
{
    DaqcapInput *in = &ch->card->inputs[daqcap_chan_input(ch)];
    int64_t now = daqcap_now();

    if (!daqcap_chan_running(ch) || ch->stalled) {
        return;
    }
    for (;;) {
        if (ch->in_frame) {
            if (daqcap_chunk_end_ns(ch, ch->next_chunk) > now) {
                break;
            }
            daqcap_do_chunk(ch, ch->next_chunk);
            if (!daqcap_chan_running(ch)) {
                return;
            }
            continue;
        }
        if (!daqcap_input_locked(in)) {
            return; /* re-armed when the signal comes back */
        }
        if (ch->next_sof_ns > now) {
            break;
        }
        /*
         * If the host could not run the model for more than a frame, the
         * frames it missed are lost, as a card's would be when its
         * frame buffer is not drained: they count as drops.
         */
        for (;;) {
            int64_t after = daqcap_input_next_sof(in, ch->next_sof_ns + 1);

            if (after > now) {
                break;
            }
            daqcap_drop_frame(ch, "emulation fell behind", &ch->drops_late);
            ch->next_sof_ns = after;
        }
        daqcap_start_frame(ch, ch->next_sof_ns);
        if (!daqcap_chan_running(ch)) {
            return;
        }
        ch->next_sof_ns = daqcap_input_next_sof(in, ch->next_sof_ns + 1);
    }
    timer_mod(&ch->event_timer,
              ch->in_frame ? daqcap_chunk_end_ns(ch, ch->next_chunk)
                           : ch->next_sof_ns);
}

static void daqcap_event_timer_cb(void *opaque)
{
    DaqcapChannel *ch = opaque;
    bool guard = daqcap_guard_enter(ch->card);

    daqcap_event_run(ch);
    daqcap_guard_exit(ch->card, guard);
}

/* Arm the channel for the next start of frame of its input. */
static void daqcap_channel_schedule(DaqcapChannel *ch)
{
    DaqcapInput *in = &ch->card->inputs[daqcap_chan_input(ch)];

    if (!daqcap_chan_running(ch) || ch->stalled || ch->in_frame) {
        return;
    }
    if (!daqcap_input_locked(in)) {
        timer_del(&ch->event_timer);
        return;
    }
    ch->next_sof_ns = daqcap_input_next_sof(in, daqcap_now());
    timer_mod(&ch->event_timer, ch->next_sof_ns);
}

static void daqcap_channel_stop(DaqcapChannel *ch)
{
    timer_del(&ch->event_timer);
    timer_del(&ch->delay_timer);
    ch->status &= ~DAQCAP_CH_STATUS_RUNNING;
    ch->ctrl &= ~DAQCAP_CH_CTRL_ENABLE;
    ch->in_frame = false;
}

static bool daqcap_channel_config_ok(DaqcapChannel *ch, const char **why)
{
    DaqcapState *s = ch->card;
    uint32_t w = (ch->size & DAQCAP_SIZE_WIDTH_MASK) >> DAQCAP_SIZE_WIDTH_SHIFT;
    uint32_t h = (ch->size & DAQCAP_SIZE_HEIGHT_MASK) >> DAQCAP_SIZE_HEIGHT_SHIFT;
    uint32_t x = (ch->crop_origin & DAQCAP_CROP_X_MASK) >> DAQCAP_CROP_X_SHIFT;
    uint32_t y = (ch->crop_origin & DAQCAP_CROP_Y_MASK) >> DAQCAP_CROP_Y_SHIFT;
    size_t lb = daqcap_pattern_line_bytes(ch->format, w);

    if (!daqcap_format_ok(ch->format)) {
        *why = "unsupported format";
    } else if (w == 0 || w > DAQCAP_MAX_WIDTH || h == 0 ||
               h > DAQCAP_MAX_HEIGHT || lb == 0 ||
               daqcap_pattern_rows(ch->format, h) == 0) {
        *why = "bad frame size";
    } else if ((ch->ctrl & DAQCAP_CH_CTRL_CROP) &&
               (x & 1 || x + w > DAQCAP_MAX_WIDTH ||
                y + h > DAQCAP_MAX_HEIGHT ||
                (ch->format == DAQCAP_FMT_NV12 && y & 1))) {
        *why = "bad crop origin";
    } else if (ch->stride < lb || ch->stride > DAQCAP_MAX_STRIDE) {
        *why = "bad stride";
    } else if (ch->chunk_lines < 1 ||
               ch->chunk_lines > DAQCAP_MAX_CHUNK_LINES) {
        *why = "bad chunk lines";
    } else if (daqcap_chan_input(ch) >= s->num_inputs) {
        *why = "no such input";
    } else if (ch->desc_log2 < DAQCAP_RING_MIN_LOG2 ||
               ch->desc_log2 > DAQCAP_RING_MAX_LOG2 ||
               ch->cpl_log2 < DAQCAP_RING_MIN_LOG2 ||
               ch->cpl_log2 > DAQCAP_RING_MAX_LOG2) {
        *why = "bad ring size";
    } else if (ch->desc_base & (DAQCAP_DESC_SIZE - 1) ||
               ch->cpl_base & (DAQCAP_CPL_SIZE - 1)) {
        *why = "misaligned ring base";
    } else if (DIV_ROUND_UP(h, ch->chunk_lines) > (1u << ch->cpl_log2)) {
        *why = "completion ring smaller than one frame's chunks";
    } else {
        return true;
    }
    return false;
}

static void daqcap_channel_enable(DaqcapChannel *ch)
{
    const char *why;

    if (ch->stalled) {
        ch->ctrl &= ~DAQCAP_CH_CTRL_ENABLE; /* until the channel is reset */
        return;
    }
    if (!daqcap_channel_config_ok(ch, &why)) {
        qemu_log_mask(LOG_GUEST_ERROR, "daqcap: channel %u enable refused: %s\n",
                      ch->index, why);
        ch->ctrl &= ~DAQCAP_CH_CTRL_ENABLE;
        ch->status |= DAQCAP_CH_STATUS_CONFIG_ERR;
        return;
    }
    ch->status = DAQCAP_CH_STATUS_RUNNING;
    ch->desc_head = 0;
    ch->cpl_head = 0;
    ch->cpl_tail = 0;
    ch->sequence = 0;
    ch->sof_sequence = 0;
    ch->cpl_unsignalled = 0;
    ch->in_frame = false;
    ch->lie_hold = false;
    trace_daqcap_chan_enable(ch->index, daqcap_chan_input(ch), ch->format,
                             ch->size, ch->stride, ch->chunk_lines);
    daqcap_channel_schedule(ch);
}

static void daqcap_channel_reset(DaqcapChannel *ch)
{
    daqcap_channel_stop(ch);
    ch->ctrl = 0;
    ch->status = 0;
    ch->format = DAQCAP_FMT_YUYV;
    ch->size = 0;
    ch->crop_origin = 0;
    ch->stride = 0;
    ch->chunk_lines = DAQCAP_CHUNK_LINES_DEFAULT;
    ch->coalesce = DAQCAP_COALESCE_RESET;
    ch->irq_status = 0;
    ch->irq_mask = 0;
    ch->desc_base = 0;
    ch->cpl_base = 0;
    ch->desc_log2 = 0;
    ch->cpl_log2 = 0;
    ch->desc_head = ch->desc_tail = 0;
    ch->cpl_head = ch->cpl_tail = 0;
    ch->sequence = ch->frames = ch->drops = ch->chunks = 0;
    ch->sof_sequence = 0;
    ch->drops_no_buffer = ch->drops_ring_full = ch->drops_late = 0;
    ch->error_frames = 0;
    ch->bytes = 0;
    ch->bytes_hi_latch = 0;
    ch->cpl_unsignalled = 0;
    ch->faults = 0;
    ch->lie_hold = false;
    ch->stalled = false;
    ch->wedged = false;
}

/* ---- Register access --------------------------------------------------- */

static uint64_t daqcap_chan_read(DaqcapChannel *ch, hwaddr reg)
{
    switch (reg) {
    case DAQCAP_CH_CTRL:
        return ch->ctrl;
    case DAQCAP_CH_STATUS:
        return ch->status | (ch->stalled ? DAQCAP_CH_STATUS_BUSY : 0);
    case DAQCAP_CH_FORMAT:
        return ch->format;
    case DAQCAP_CH_SIZE:
        return ch->size;
    case DAQCAP_CH_CROP_ORIGIN:
        return ch->crop_origin;
    case DAQCAP_CH_STRIDE:
        return ch->stride;
    case DAQCAP_CH_CHUNK_LINES:
        return ch->chunk_lines;
    case DAQCAP_CH_IRQ_COALESCE:
        return ch->coalesce;
    case DAQCAP_CH_IRQ_STATUS:
        daqcap_chan_spurious(ch);
        return ch->irq_status;
    case DAQCAP_CH_IRQ_MASK:
        return ch->irq_mask;
    case DAQCAP_CH_DESC_BASE_LO:
        return (uint32_t)ch->desc_base;
    case DAQCAP_CH_DESC_BASE_HI:
        return ch->desc_base >> 32;
    case DAQCAP_CH_DESC_SIZE_LOG2:
        return ch->desc_log2;
    case DAQCAP_CH_DESC_HEAD:
        return ch->desc_head;
    case DAQCAP_CH_DESC_TAIL:
        return ch->desc_tail;
    case DAQCAP_CH_CPL_BASE_LO:
        return (uint32_t)ch->cpl_base;
    case DAQCAP_CH_CPL_BASE_HI:
        return ch->cpl_base >> 32;
    case DAQCAP_CH_CPL_SIZE_LOG2:
        return ch->cpl_log2;
    case DAQCAP_CH_CPL_HEAD:
        return ch->cpl_head;
    case DAQCAP_CH_CPL_TAIL:
        return ch->cpl_tail;
    case DAQCAP_CH_SEQUENCE:
        return ch->sequence;
    case DAQCAP_CH_FRAMES:
        return ch->frames;
    case DAQCAP_CH_DROPS:
        return ch->drops;
    case DAQCAP_CH_CHUNKS:
        return ch->chunks;
    case DAQCAP_CH_BYTES_LO:
        ch->bytes_hi_latch = ch->bytes >> 32;
        return (uint32_t)ch->bytes;
    case DAQCAP_CH_BYTES_HI:
        return ch->bytes_hi_latch;
    case DAQCAP_CH_ERROR_FRAMES:
        return ch->error_frames;
    case DAQCAP_CH_DROPS_NO_BUFFER:
        return ch->drops_no_buffer;
    case DAQCAP_CH_DROPS_RING_FULL:
        return ch->drops_ring_full;
    case DAQCAP_CH_DROPS_LATE:
        return ch->drops_late;
    case DAQCAP_CH_SOF_SEQUENCE:
        return ch->sof_sequence;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "daqcap: read of unknown channel %u register 0x%02"
                      HWADDR_PRIx "\n", ch->index, reg);
        return 0;
    }
}

static void daqcap_chan_write(DaqcapChannel *ch, hwaddr reg, uint32_t val)
{
    DaqcapState *s = ch->card;
    bool running = daqcap_chan_running(ch);

    switch (reg) {
    case DAQCAP_CH_CTRL:
        if (val & DAQCAP_CH_CTRL_RESET) {
            if (ch->wedged) {
                /* The "wedge" fault: only a card reset gets it moving. */
                trace_daqcap_inject("wedge: channel reset ignored", ch->index);
                return;
            }
            daqcap_channel_reset(ch);
            daqcap_update_intx(s);
            return;
        }
        if (running && ((val ^ ch->ctrl) & (DAQCAP_CH_CTRL_INPUT_MASK |
                                             DAQCAP_CH_CTRL_CROP))) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "daqcap: channel %u input or crop changed while running\n",
                          ch->index);
            val = (val & ~(DAQCAP_CH_CTRL_INPUT_MASK | DAQCAP_CH_CTRL_CROP)) |
                  (ch->ctrl & (DAQCAP_CH_CTRL_INPUT_MASK | DAQCAP_CH_CTRL_CROP));
        }
        ch->ctrl = val & (DAQCAP_CH_CTRL_ENABLE | DAQCAP_CH_CTRL_CROP |
                          DAQCAP_CH_CTRL_INPUT_MASK);
        if ((val & DAQCAP_CH_CTRL_ENABLE) && !running) {
            daqcap_channel_enable(ch);
        } else if (!(val & DAQCAP_CH_CTRL_ENABLE) && running) {
            trace_daqcap_chan_disable(ch->index);
            daqcap_channel_stop(ch);
        }
        break;
    case DAQCAP_CH_FORMAT:
    case DAQCAP_CH_SIZE:
    case DAQCAP_CH_CROP_ORIGIN:
    case DAQCAP_CH_STRIDE:
    case DAQCAP_CH_CHUNK_LINES:
        /*
         * The frame geometry was validated when the channel was enabled
         * and cannot change under it.
         */
        if (running) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "daqcap: channel %u geometry written while running\n",
                          ch->index);
            return;
        }
        if (reg == DAQCAP_CH_FORMAT) {
            ch->format = val & 0xff;
        } else if (reg == DAQCAP_CH_SIZE) {
            ch->size = val;
        } else if (reg == DAQCAP_CH_CROP_ORIGIN) {
            ch->crop_origin = val;
        } else if (reg == DAQCAP_CH_STRIDE) {
            ch->stride = val;
        } else if (val >= 1 && val <= DAQCAP_MAX_CHUNK_LINES) {
            ch->chunk_lines = val;
        } else {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "daqcap: channel %u chunk lines %u out of range\n",
                          ch->index, val);
        }
        break;
    case DAQCAP_CH_IRQ_COALESCE:
        ch->coalesce = val & (DAQCAP_COALESCE_MODE_MASK |
                              DAQCAP_COALESCE_COUNT_MASK |
                              DAQCAP_COALESCE_DELAY_MASK);
        break;
    case DAQCAP_CH_IRQ_STATUS:
        ch->irq_status &= ~(val & DAQCAP_CH_IRQ_ALL);
        if ((ch->faults & DAQCAP_FAULT_IRQ_STUCK) &&
            (val & DAQCAP_CH_IRQ_DATA)) {
            /* The "irq-stuck" fault: DATA stays set, and says so again. */
            ch->stat_lies++;
            daqcap_chan_raise(ch, DAQCAP_CH_IRQ_DATA);
        }
        daqcap_update_intx(s);
        break;
    case DAQCAP_CH_IRQ_MASK: {
        uint32_t newly = val & ~ch->irq_mask & ch->irq_status;

        /* Masking ends an interrupt storm (see the irq-* faults). */
        if (!(val & DAQCAP_CH_IRQ_DATA)) {
            ch->faults &= ~DAQCAP_FAULT_IRQ_STUCK;
        }
        if (!(val & DAQCAP_CH_IRQ_ALL)) {
            ch->faults &= ~DAQCAP_FAULT_IRQ_SPURIOUS;
        }
        ch->irq_mask = val & DAQCAP_CH_IRQ_ALL;
        if (newly) {
            daqcap_signal(s, DAQCAP_IRQ_CHANNEL(ch->index), ch, newly);
        } else {
            daqcap_update_intx(s);
        }
        break;
    }
    case DAQCAP_CH_DESC_BASE_LO:
    case DAQCAP_CH_DESC_BASE_HI:
    case DAQCAP_CH_DESC_SIZE_LOG2:
    case DAQCAP_CH_CPL_BASE_LO:
    case DAQCAP_CH_CPL_BASE_HI:
    case DAQCAP_CH_CPL_SIZE_LOG2:
        if (running) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "daqcap: channel %u ring moved while running\n",
                          ch->index);
            return;
        }
        if (reg == DAQCAP_CH_DESC_BASE_LO) {
            ch->desc_base = deposit64(ch->desc_base, 0, 32, val);
        } else if (reg == DAQCAP_CH_DESC_BASE_HI) {
            ch->desc_base = deposit64(ch->desc_base, 32, 32, val);
        } else if (reg == DAQCAP_CH_DESC_SIZE_LOG2) {
            ch->desc_log2 = val & 0xff;
        } else if (reg == DAQCAP_CH_CPL_BASE_LO) {
            ch->cpl_base = deposit64(ch->cpl_base, 0, 32, val);
        } else if (reg == DAQCAP_CH_CPL_BASE_HI) {
            ch->cpl_base = deposit64(ch->cpl_base, 32, 32, val);
        } else {
            ch->cpl_log2 = val & 0xff;
        }
        break;
    case DAQCAP_CH_DESC_TAIL:
        /* Validated when the card next fetches a buffer. */
        ch->desc_tail = val;
        break;
    case DAQCAP_CH_CPL_HEAD:
        /*
         * The head only moves forward, and never past the tail: otherwise
         * the card would overwrite records the driver has not read.
         */
        if (running && val - ch->cpl_head > ch->cpl_tail - ch->cpl_head) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "daqcap: channel %u CPL_HEAD %u outside %u..%u\n",
                          ch->index, val, ch->cpl_head, ch->cpl_tail);
            return;
        }
        ch->cpl_head = val;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "daqcap: write to read-only or unknown channel %u "
                      "register 0x%02" HWADDR_PRIx "\n", ch->index, reg);
        break;
    }
}

static uint64_t daqcap_input_read(DaqcapState *s, unsigned idx, hwaddr reg)
{
    DaqcapInput *in = &s->inputs[idx];
    const DaqcapMode *m = in->mode;
    bool locked = daqcap_input_locked(in);

    switch (reg) {
    case DAQCAP_IN_STATUS:
        return (in->signal ? DAQCAP_IN_STATUS_POWER : 0) |
               (locked ? DAQCAP_IN_STATUS_LOCKED : 0) |
               (daqcap_input_hotplug(in) ? DAQCAP_IN_STATUS_HOTPLUG : 0) |
               (locked && m->hpos ? DAQCAP_IN_STATUS_HSYNC_POS : 0) |
               (locked && m->vpos ? DAQCAP_IN_STATUS_VSYNC_POS : 0);
    case DAQCAP_IN_ACTIVE_SIZE:
        return locked ? m->width | (uint32_t)m->height << DAQCAP_SIZE_HEIGHT_SHIFT : 0;
    case DAQCAP_IN_TOTAL_SIZE:
        return locked ? m->htotal | (uint32_t)m->vtotal << DAQCAP_SIZE_HEIGHT_SHIFT : 0;
    case DAQCAP_IN_HSYNC:
        return locked ? m->hfp | (uint32_t)m->hsync << DAQCAP_SYNC_WIDTH_SHIFT : 0;
    case DAQCAP_IN_VSYNC:
        return locked ? m->vfp | (uint32_t)m->vsync << DAQCAP_SYNC_WIDTH_SHIFT : 0;
    case DAQCAP_IN_PIXEL_CLOCK:
        return locked ? m->pixclk : 0;
    case DAQCAP_IN_PATTERN:
        return in->pattern;
    case DAQCAP_IN_FRAME_COUNT:
        return daqcap_input_frame_count(in);
    case DAQCAP_IN_CAPS:
        return in->sdi ? 0 : DAQCAP_IN_CAPS_EDID;
    case DAQCAP_IN_EDID_BLOCKS:
        return in->sdi ? 0 : in->edid_blocks;
    case DAQCAP_IN_EDID_ADDR:
        return in->sdi ? 0 : in->edid_addr;
    case DAQCAP_IN_EDID_DATA: {
        uint32_t val;

        if (in->sdi) {
            return 0;
        }
        val = ldl_le_p(in->edid + in->edid_addr);
        in->edid_addr = (in->edid_addr + 4) % DAQCAP_EDID_BYTES;
        return val;
    }
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "daqcap: read of unknown input %u register 0x%02"
                      HWADDR_PRIx "\n", idx, reg);
        return 0;
    }
}

static void daqcap_input_changed(DaqcapState *s, unsigned idx);

/*
 * EDID_BLOCKS: 0 pulls hotplug low, and the source stops sending; any
 * other count asserts it (again), and the source reads the EDID and
 * offers the timings it prefers. Either way the receiver sees a change if
 * a source is connected.
 */
static void daqcap_input_set_edid_blocks(DaqcapState *s, unsigned idx,
                                         uint32_t blocks)
{
    DaqcapInput *in = &s->inputs[idx];

    in->edid_blocks = blocks;
    trace_daqcap_hotplug(idx, blocks);
    if (blocks) {
        daqcap_input_set_mode(in, daqcap_edid_preferred(in));
    }
    if (in->signal) {
        daqcap_input_changed(s, idx);
    }
}

static void daqcap_input_write(DaqcapState *s, unsigned idx, hwaddr reg,
                               uint32_t val)
{
    DaqcapInput *in = &s->inputs[idx];

    if (reg == DAQCAP_IN_PATTERN && val < DAQCAP_PATTERN_COUNT) {
        in->pattern = val;
        return;
    }
    if (!in->sdi) {
        switch (reg) {
        case DAQCAP_IN_EDID_BLOCKS:
            if (val > DAQCAP_EDID_MAX_BLOCKS) {
                break;
            }
            daqcap_input_set_edid_blocks(s, idx, val);
            return;
        case DAQCAP_IN_EDID_ADDR:
            in->edid_addr = val % DAQCAP_EDID_BYTES & ~3u;
            return;
        case DAQCAP_IN_EDID_DATA:
            stl_le_p(in->edid + in->edid_addr, val);
            in->edid_addr = (in->edid_addr + 4) % DAQCAP_EDID_BYTES;
            return;
        }
    }
    qemu_log_mask(LOG_GUEST_ERROR,
                  "daqcap: bad write 0x%x to input %u register 0x%02"
                  HWADDR_PRIx "\n", val, idx, reg);
}

static void daqcap_reset(DaqcapState *s);

static uint64_t daqcap_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    DaqcapState *s = opaque;
    uint64_t val = 0;

    if (!daqcap_powered(s) || s->dead) {
        /*
         * The function does not decode its registers in D3hot; with the
         * link dead ("all-ones" fault) the read completes with all ones.
         */
        trace_daqcap_mmio_read(addr, UINT32_MAX);
        return UINT32_MAX;
    }
    if (addr >= DAQCAP_CHANNEL_BASE(0) &&
        addr < DAQCAP_CHANNEL_BASE(s->num_channels)) {
        unsigned c = (addr - DAQCAP_CHANNEL_BASE(0)) / 0x100;

        val = daqcap_chan_read(&s->channels[c], addr & 0xff);
    } else if (addr >= DAQCAP_INPUT_BASE(0) &&
               addr < DAQCAP_INPUT_BASE(s->num_inputs)) {
        unsigned i = (addr - DAQCAP_INPUT_BASE(0)) / 0x40;

        val = daqcap_input_read(s, i, addr & 0x3f);
    } else {
        switch (addr) {
        case DAQCAP_REG_ID:
            val = DAQCAP_ID_VALUE;
            break;
        case DAQCAP_REG_VERSION:
            val = DAQCAP_VERSION_VALUE + s->version_bump;
            break;
        case DAQCAP_REG_CAP:
            val = s->num_channels << DAQCAP_CAP_CHANNELS_SHIFT |
                  s->num_inputs << DAQCAP_CAP_INPUTS_SHIFT |
                  DAQCAP_MAX_CHUNK_LINES << DAQCAP_CAP_MAX_CHUNK_SHIFT;
            break;
        case DAQCAP_REG_CAP_FORMATS:
            val = DAQCAP_FORMATS_ALL;
            break;
        case DAQCAP_REG_CAP_MAX_SIZE:
            val = DAQCAP_MAX_WIDTH << DAQCAP_SIZE_WIDTH_SHIFT |
                  (uint32_t)DAQCAP_MAX_HEIGHT << DAQCAP_SIZE_HEIGHT_SHIFT;
            break;
        case DAQCAP_REG_CAP_RINGS:
            val = DAQCAP_RING_MIN_LOG2 << DAQCAP_CAP_RINGS_MIN_LOG2_SHIFT |
                  DAQCAP_RING_MAX_LOG2 << DAQCAP_CAP_RINGS_MAX_LOG2_SHIFT;
            break;
        case DAQCAP_REG_RESET:
            val = 0;
            break;
        case DAQCAP_REG_IRQ_STATUS:
            val = daqcap_irq_status(s);
            for (unsigned c = 0; c < s->num_channels; c++) {
                daqcap_chan_spurious(&s->channels[c]);
            }
            break;
        case DAQCAP_REG_IRQ_MASK:
            val = s->irq_mask;
            break;
        case DAQCAP_REG_DATA_READY:
            for (unsigned c = 0; c < s->num_channels; c++) {
                if (s->channels[c].cpl_tail != s->channels[c].cpl_head) {
                    val |= 1u << c;
                }
            }
            break;
        case DAQCAP_REG_INPUT_CHANGED:
            val = s->input_changed;
            break;
        case DAQCAP_REG_SCRATCH:
            val = s->scratch;
            break;
        case DAQCAP_REG_TIMESTAMP_LO: {
            uint64_t ts = daqcap_timestamp(s);

            s->ts_hi_latch = ts >> 32;
            val = (uint32_t)ts;
            break;
        }
        case DAQCAP_REG_TIMESTAMP_HI:
            val = s->ts_hi_latch;
            break;
        default:
            qemu_log_mask(LOG_GUEST_ERROR,
                          "daqcap: read of unknown register 0x%04"
                          HWADDR_PRIx "\n", addr);
            break;
        }
    }
    trace_daqcap_mmio_read(addr, val);
    return val;
}

static void daqcap_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                              unsigned size)
{
    DaqcapState *s = opaque;
    uint32_t val = val64;

    trace_daqcap_mmio_write(addr, val);
    if (s->dead) {
        return; /* the write never reaches the card */
    }
    if (!daqcap_powered(s)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "daqcap: write 0x%x to register 0x%04" HWADDR_PRIx
                      " in D3hot ignored\n", val, addr);
        return;
    }
    if (addr >= DAQCAP_CHANNEL_BASE(0) &&
        addr < DAQCAP_CHANNEL_BASE(s->num_channels)) {
        unsigned c = (addr - DAQCAP_CHANNEL_BASE(0)) / 0x100;

        daqcap_chan_write(&s->channels[c], addr & 0xff, val);
        return;
    }
    if (addr >= DAQCAP_INPUT_BASE(0) && addr < DAQCAP_INPUT_BASE(s->num_inputs)) {
        daqcap_input_write(s, (addr - DAQCAP_INPUT_BASE(0)) / 0x40,
                           addr & 0x3f, val);
        return;
    }
    switch (addr) {
    case DAQCAP_REG_RESET:
        if (val == DAQCAP_RESET_MAGIC) {
            daqcap_reset(s);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "daqcap: RESET written without the magic value\n");
        }
        break;
    case DAQCAP_REG_IRQ_MASK: {
        uint32_t newly = val & ~s->irq_mask & daqcap_irq_status(s);

        s->irq_mask = val & (MAKE_64BIT_MASK(0, s->num_channels) |
                             DAQCAP_IRQ_INPUT_CHANGE);
        /* Unmasking a pending source delivers it, as with an edge. */
        for (unsigned c = 0; c < s->num_channels; c++) {
            if (newly & DAQCAP_IRQ_CHANNEL(c)) {
                DaqcapChannel *ch = &s->channels[c];

                daqcap_signal(s, DAQCAP_IRQ_CHANNEL(c), ch,
                              ch->irq_status & ch->irq_mask);
            }
        }
        if (newly & DAQCAP_IRQ_INPUT_CHANGE) {
            daqcap_signal(s, DAQCAP_IRQ_INPUT_CHANGE, NULL, 0);
        }
        daqcap_update_intx(s);
        break;
    }
    case DAQCAP_REG_INPUT_CHANGED:
        s->input_changed &= ~val;
        daqcap_update_intx(s);
        break;
    case DAQCAP_REG_SCRATCH:
        s->scratch = val;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "daqcap: write 0x%x to read-only or unknown register 0x%04"
                      HWADDR_PRIx "\n", val, addr);
        break;
    }
}

static const MemoryRegionOps daqcap_mmio_ops = {
    .read = daqcap_mmio_read,
    .write = daqcap_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
        .unaligned = false,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* ---- Input events (the cable side), reachable from QMP ------------------ */

static void daqcap_input_changed(DaqcapState *s, unsigned idx)
{
    bool guard = daqcap_guard_enter(s);

    trace_daqcap_input_change(idx, s->inputs[idx].signal,
                              s->inputs[idx].mode ? s->inputs[idx].mode->name
                                                  : "none");
    for (unsigned c = 0; c < s->num_channels; c++) {
        DaqcapChannel *ch = &s->channels[c];

        if (!daqcap_chan_running(ch) || daqcap_chan_input(ch) != idx) {
            continue;
        }
        if (ch->in_frame) {
            daqcap_abort_frame(ch);
        }
        daqcap_channel_schedule(ch);
    }
    s->input_changed |= 1u << idx;
    daqcap_signal(s, DAQCAP_IRQ_INPUT_CHANGE, NULL, 0);
    daqcap_guard_exit(s, guard);
}

static void daqcap_set_input_signal(DaqcapState *s, unsigned idx, bool on)
{
    DaqcapInput *in = &s->inputs[idx];

    if (in->signal == on) {
        return;
    }
    in->signal = on;
    if (on && in->mode) {
        daqcap_input_set_mode(in, in->mode); /* the source restarts */
    }
    daqcap_input_changed(s, idx);
}

static void daqcap_set_input_mode(DaqcapState *s, unsigned idx,
                                  const DaqcapMode *mode)
{
    daqcap_input_set_mode(&s->inputs[idx], mode);
    daqcap_input_changed(s, idx);
}

typedef struct DaqcapInputProp {
    DaqcapState *s;
    unsigned idx;
} DaqcapInputProp;

static void daqcap_input_prop_get_signal(Object *obj, Visitor *v,
                                         const char *name, void *opaque,
                                         Error **errp)
{
    DaqcapInputProp *p = opaque;
    bool val = p->s->inputs[p->idx].signal;

    visit_type_bool(v, name, &val, errp);
}

static void daqcap_input_prop_set_signal(Object *obj, Visitor *v,
                                         const char *name, void *opaque,
                                         Error **errp)
{
    DaqcapInputProp *p = opaque;
    bool val;

    if (!visit_type_bool(v, name, &val, errp)) {
        return;
    }
    daqcap_set_input_signal(p->s, p->idx, val);
}

static void daqcap_input_prop_get_timings(Object *obj, Visitor *v,
                                          const char *name, void *opaque,
                                          Error **errp)
{
    DaqcapInputProp *p = opaque;
    char *val = g_strdup(p->s->inputs[p->idx].mode->name);

    visit_type_str(v, name, &val, errp);
    g_free(val);
}

static void daqcap_input_prop_set_timings(Object *obj, Visitor *v,
                                          const char *name, void *opaque,
                                          Error **errp)
{
    DaqcapInputProp *p = opaque;
    const DaqcapMode *mode;
    g_autofree char *val = NULL;

    if (!visit_type_str(v, name, &val, errp)) {
        return;
    }
    mode = daqcap_find_mode(val);
    if (!mode) {
        error_setg(errp, "daqcap: unknown timings '%s'", val);
        return;
    }
    daqcap_set_input_mode(p->s, p->idx, mode);
}

static void daqcap_input_prop_release(Object *obj, const char *name,
                                      void *opaque)
{
    g_free(opaque);
}

/*
 * "inject" takes "FAULT:CHANNEL" and arms a one-shot fault on a channel:
 * fifo-overflow (lines lost in the next frame), dma-error (the next data
 * write fails), lost-irq (the next interrupt message is swallowed), stall
 * (the channel stops moving data until it is reset), drop (the next
 * frame is dropped as if no buffer were queued), and the lies of a broken
 * card about the next chunk it completes: bad-cookie, bad-chunk, bad-lines
 * (its record names no buffer, a chunk past the frame, one line too many)
 * and dup-completion (its record is posted twice); and further lies:
 * unfetched-cookie (a frame of records for a buffer still in the ring),
 * bad-sequence and other-cookie (the next frame's first record carries a
 * wrong sequence, or the cookie of another queued buffer), cpl-overrun
 * (the next record lands a whole completion ring ahead), wild-write (the
 * next chunk's first line goes to bus address 0), irq-stuck and
 * irq-spurious (interrupt storms until the driver masks the channel's
 * interrupts) and all-ones (the link dies: registers read all ones until
 * a PCI reset).
 */
static void daqcap_set_inject(Object *obj, const char *value, Error **errp)
{
    DaqcapState *s = DAQCAP(obj);
    g_auto(GStrv) parts = g_strsplit(value, ":", 2);
    uint64_t c;
    DaqcapChannel *ch;

    if (!parts[0] || !parts[1] || qemu_strtou64(parts[1], NULL, 10, &c) ||
        c >= s->num_channels) {
        error_setg(errp, "daqcap: inject expects FAULT:CHANNEL with CHANNEL "
                   "below %u", s->num_channels);
        return;
    }
    ch = &s->channels[c];
    if (!strcmp(parts[0], "fifo-overflow")) {
        ch->faults |= DAQCAP_FAULT_FIFO;
    } else if (!strcmp(parts[0], "dma-error")) {
        ch->faults |= DAQCAP_FAULT_DMA;
    } else if (!strcmp(parts[0], "lost-irq")) {
        ch->faults |= DAQCAP_FAULT_LOST_IRQ;
    } else if (!strcmp(parts[0], "stall") || !strcmp(parts[0], "wedge")) {
        ch->stalled = true;
        ch->wedged = !strcmp(parts[0], "wedge");
        timer_del(&ch->event_timer);
        timer_del(&ch->delay_timer);
    } else if (!strcmp(parts[0], "replace")) {
        s->replace_pending = true;
    } else if (!strcmp(parts[0], "drop")) {
        ch->faults |= DAQCAP_FAULT_DROP;
    } else if (!strcmp(parts[0], "bad-cookie")) {
        ch->faults |= DAQCAP_FAULT_BAD_COOKIE;
    } else if (!strcmp(parts[0], "bad-chunk")) {
        ch->faults |= DAQCAP_FAULT_BAD_CHUNK;
    } else if (!strcmp(parts[0], "bad-lines")) {
        ch->faults |= DAQCAP_FAULT_BAD_LINES;
    } else if (!strcmp(parts[0], "dup-completion")) {
        ch->faults |= DAQCAP_FAULT_DUP_CPL;
    } else if (!strcmp(parts[0], "unfetched-cookie")) {
        ch->faults |= DAQCAP_FAULT_UNTAKEN_CPL;
    } else if (!strcmp(parts[0], "bad-sequence")) {
        ch->faults |= DAQCAP_FAULT_BAD_SEQ;
    } else if (!strcmp(parts[0], "other-cookie")) {
        ch->faults |= DAQCAP_FAULT_OTHER_COOKIE;
    } else if (!strcmp(parts[0], "cpl-overrun")) {
        ch->faults |= DAQCAP_FAULT_CPL_OVERRUN;
    } else if (!strcmp(parts[0], "wild-write")) {
        ch->faults |= DAQCAP_FAULT_WILD_WRITE;
    } else if (!strcmp(parts[0], "irq-stuck")) {
        bool guard = daqcap_guard_enter(s);

        ch->faults |= DAQCAP_FAULT_IRQ_STUCK;
        daqcap_chan_raise(ch, DAQCAP_CH_IRQ_DATA);
        daqcap_guard_exit(s, guard);
    } else if (!strcmp(parts[0], "irq-spurious")) {
        bool guard = daqcap_guard_enter(s);

        ch->faults |= DAQCAP_FAULT_IRQ_SPURIOUS;
        daqcap_chan_spurious(ch);
        daqcap_guard_exit(s, guard);
    } else if (!strcmp(parts[0], "all-ones")) {
        s->dead = true;
        for (unsigned i = 0; i < s->num_channels; i++) {
            daqcap_channel_stop(&s->channels[i]);
        }
        daqcap_update_intx(s);
    } else {
        error_setg(errp, "daqcap: unknown fault '%s' (fifo-overflow, "
                   "dma-error, lost-irq, stall, wedge, replace, drop, "
                   "bad-cookie, bad-chunk, bad-lines, dup-completion, "
                   "unfetched-cookie, bad-sequence, other-cookie, cpl-overrun, "
                   "wild-write, irq-stuck, irq-spurious, all-ones)", parts[0]);
        return;
    }
    trace_daqcap_inject(parts[0], c);
    g_free(s->last_inject);
    s->last_inject = g_strdup(value);
}

static char *daqcap_get_inject(Object *obj, Error **errp)
{
    DaqcapState *s = DAQCAP(obj);

    return g_strdup(s->last_inject ? s->last_inject : "");
}

/* ---- Device life cycle --------------------------------------------------- */

static void daqcap_reset(DaqcapState *s)
{
    trace_daqcap_reset();
    for (unsigned c = 0; c < DAQCAP_MAX_CHANNELS; c++) {
        daqcap_channel_reset(&s->channels[c]);
    }
    for (unsigned i = 0; i < DAQCAP_MAX_INPUTS; i++) {
        s->inputs[i].pattern = DAQCAP_PATTERN_BARS;
    }
    s->irq_mask = 0;
    s->input_changed = 0;
    s->scratch = 0;
    s->ts_hi_latch = 0;
    s->ts_epoch_ns = daqcap_now();
    daqcap_update_intx(s);
}

/*
 * A conventional reset or an FLR: the card resets as with REG_RESET and
 * returns to D0. The PCI core resets the configuration header, MSI and
 * MSI-X after this (pci_device_reset()); the PCIe error enables are ours.
 */
/* The "replace" fault takes effect: another card is in the slot. */
static void daqcap_apply_replace(DaqcapState *s)
{
    if (s->replace_pending) {
        s->replace_pending = false;
        s->version_bump++;
        trace_daqcap_inject("replace: another card in the slot", 0);
    }
}

/* Count the channels a loss of state cuts short (see stat_cut_while_running). */
static void daqcap_count_cut(DaqcapState *s)
{
    for (unsigned c = 0; c < s->num_channels; c++) {
        if (daqcap_chan_running(&s->channels[c])) {
            s->stat_cut_while_running++;
        }
    }
}

static void daqcap_qdev_reset(DeviceState *dev)
{
    DaqcapState *s = DAQCAP(dev);
    PCIDevice *pdev = PCI_DEVICE(dev);

    /* pcie_cap_flr_write_config() clears BCR_FLR only after the reset. */
    if (pci_get_word(pdev->config + pdev->exp.exp_cap + PCI_EXP_DEVCTL) &
        PCI_EXP_DEVCTL_BCR_FLR) {
        trace_daqcap_flr();
    }
    if (s->power_state != DAQCAP_PM_D0) {
        trace_daqcap_power_state(s->power_state, DAQCAP_PM_D0, "reset");
    }
    s->power_state = DAQCAP_PM_D0;
    pci_word_test_and_clear_mask(pdev->config + s->pm_cap + PCI_PM_CTRL,
                                 PCI_PM_CTRL_STATE_MASK);
    pcie_cap_deverr_reset(pdev);
    s->dead = false;    /* the link retrains with the reset */
    daqcap_count_cut(s);
    daqcap_apply_replace(s);
    daqcap_reset(s);
    if (msix_present(pdev)) {
        msix_unuse_all_vectors(pdev);
        for (unsigned v = 0; v <= s->num_channels; v++) {
            msix_vector_use(pdev, v);
        }
    }
}

/* ---- Power management --------------------------------------------------- */

/*
 * D0 -> D3hot: every channel stops where it is (no more DMA, completions,
 * interrupts or timers) and INTx deasserts. The inputs keep running and
 * their changes keep latching in INPUT_CHANGED, unsignalled.
 */
static void daqcap_enter_d3hot(DaqcapState *s)
{
    daqcap_count_cut(s);
    for (unsigned c = 0; c < s->num_channels; c++) {
        daqcap_channel_stop(&s->channels[c]);
    }
    daqcap_update_intx(s);
}

/*
 * D3hot -> D0 with No_Soft_Reset clear: the internal reset of REG_RESET.
 * INPUT_CHANGED belongs to the input side, which stays powered in D3hot:
 * it keeps the changes the driver has not seen yet, signalled once the
 * driver unmasks DAQCAP_IRQ_INPUT_CHANGE again.
 */
static void daqcap_leave_d3hot(DaqcapState *s)
{
    uint32_t input_changed = s->input_changed;

    daqcap_apply_replace(s);
    daqcap_reset(s);
    s->input_changed = input_changed;
}

/* Act on a PMCSR write, after the PCI core has stored it. */
static void daqcap_pm_write(DaqcapState *s)
{
    uint8_t *pmcsr = PCI_DEVICE(s)->config + s->pm_cap + PCI_PM_CTRL;
    uint8_t state = pci_get_word(pmcsr) & PCI_PM_CTRL_STATE_MASK;

    if (state != DAQCAP_PM_D0 && state != DAQCAP_PM_D3HOT) {
        /* D1 and D2 are not supported: the write leaves the state alone. */
        qemu_log_mask(LOG_GUEST_ERROR,
                      "daqcap: unsupported power state D%u ignored\n", state);
        pci_set_word(pmcsr, (pci_get_word(pmcsr) & ~PCI_PM_CTRL_STATE_MASK) |
                            s->power_state);
        return;
    }
    if (state == s->power_state) {
        return;
    }
    trace_daqcap_power_state(s->power_state, state, "PMCSR");
    s->power_state = state;
    if (state == DAQCAP_PM_D3HOT) {
        daqcap_enter_d3hot(s);
    } else {
        daqcap_leave_d3hot(s);
    }
}

static void daqcap_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val,
                                int len)
{
    DaqcapState *s = DAQCAP(pdev);

    pci_default_write_config(pdev, addr, val, len);
    /* An FLR resets the card (daqcap_qdev_reset) before this returns. */
    pcie_cap_flr_write_config(pdev, addr, val, len);
    pcie_aer_write_config(pdev, addr, val, len);
    if (range_covers_byte(addr, len, s->pm_cap + PCI_PM_CTRL)) {
        daqcap_pm_write(s);
    }
}

static bool daqcap_parse_timings(DaqcapState *s, Error **errp)
{
    g_auto(GStrv) names = NULL;
    unsigned n = 0;

    if (s->timings && *s->timings) {
        names = g_strsplit(s->timings, ":", -1);
        n = g_strv_length(names);
    }
    if (n > s->num_inputs) {
        error_setg(errp, "daqcap: %u timings given for %u inputs", n,
                   s->num_inputs);
        return false;
    }
    for (unsigned i = 0; i < s->num_inputs; i++) {
        const char *name = i < n ? names[i] :
            daqcap_default_modes[i % ARRAY_SIZE(daqcap_default_modes)];
        DaqcapInput *in = &s->inputs[i];

        if (!strcmp(name, "none")) {
            /* No source connected at power-on; it remembers a mode. */
            daqcap_input_set_mode(in, &daqcap_modes[0]);
            in->signal = false;
            continue;
        }
        in->mode = daqcap_find_mode(name);
        if (!in->mode) {
            error_setg(errp, "daqcap: unknown timings '%s' for input %u",
                       name, i);
            return false;
        }
        daqcap_input_set_mode(in, in->mode);
        in->signal = true;
    }
    return true;
}

/* Which inputs are SDI-like, and the EEPROM's EDID of the others. */
static void daqcap_inputs_power_on(DaqcapState *s)
{
    for (unsigned i = 0; i < s->num_inputs; i++) {
        DaqcapInput *in = &s->inputs[i];

        in->sdi = s->sdi_inputs & (1u << i);
        in->edid_addr = 0;
        if (in->sdi) {
            memset(in->edid, 0, sizeof(in->edid));
            in->edid_blocks = 0;
        } else {
            daqcap_edid_default(in, i);
        }
    }
}

static void daqcap_realize(PCIDevice *pdev, Error **errp)
{
    DaqcapState *s = DAQCAP(pdev);
    Object *obj = OBJECT(pdev);
    uint8_t *pci_conf = pdev->config;
    int ret;

    if (s->num_channels < 1 || s->num_channels > DAQCAP_MAX_CHANNELS) {
        error_setg(errp, "daqcap: channels must be 1..%u", DAQCAP_MAX_CHANNELS);
        return;
    }
    if (s->clock_ppm < -DAQCAP_CLOCK_PPM_MAX ||
        s->clock_ppm > DAQCAP_CLOCK_PPM_MAX) {
        error_setg(errp, "daqcap: clock-ppm must be -%d..%d",
                   DAQCAP_CLOCK_PPM_MAX, DAQCAP_CLOCK_PPM_MAX);
        return;
    }
    if (s->num_inputs < 1 || s->num_inputs > DAQCAP_MAX_INPUTS) {
        error_setg(errp, "daqcap: inputs must be 1..%u", DAQCAP_MAX_INPUTS);
        return;
    }
    if (!daqcap_parse_timings(s, errp)) {
        return;
    }
    if (s->sdi_inputs >> s->num_inputs) {
        error_setg(errp, "daqcap: sdi-inputs 0x%x names inputs past the %u "
                   "the card has", s->sdi_inputs, s->num_inputs);
        return;
    }
    daqcap_inputs_power_on(s);

    pci_set_word(pci_conf + PCI_SUBSYSTEM_VENDOR_ID, DAQCAP_PCI_SUBSYS_VENDOR_ID);
    pci_set_word(pci_conf + PCI_SUBSYSTEM_ID,
                 s->num_channels << DAQCAP_PCI_SUBSYS_CHANNELS_SHIFT |
                 s->num_inputs);
    pci_config_set_interrupt_pin(pci_conf, 1);

    memory_region_init_io(&s->mmio, obj, &daqcap_mmio_ops, s, "daqcap-regs",
                          DAQCAP_REGS_SIZE);
    pci_register_bar(pdev, DAQCAP_REGS_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    if (pcie_endpoint_cap_init(pdev, 0) < 0) {
        error_setg(errp, "daqcap: cannot add the PCIe capability");
        return;
    }
    if (msix_init_exclusive_bar(pdev, s->num_channels + 1, DAQCAP_MSIX_BAR,
                                errp)) {
        return;
    }
    for (unsigned v = 0; v <= s->num_channels; v++) {
        msix_vector_use(pdev, v);
    }
    if (msi_init(pdev, 0, 1, true, false, errp)) {
        msix_uninit_exclusive_bar(pdev);
        return;
    }

    /*
     * Power management 1.2: D0 and D3hot only, no PME, No_Soft_Reset
     * clear (D3hot -> D0 resets the card). Only PowerState is writable.
     */
    ret = pci_add_capability(pdev, PCI_CAP_ID_PM, 0, PCI_PM_SIZEOF, errp);
    if (ret < 0) {
        goto err_msi;
    }
    s->pm_cap = ret;
    pci_set_word(pci_conf + s->pm_cap + PCI_PM_PMC, 3);
    pci_set_word(pci_conf + s->pm_cap + PCI_PM_CTRL, DAQCAP_PM_D0);
    pci_set_word(pdev->wmask + s->pm_cap + PCI_PM_CTRL,
                 PCI_PM_CTRL_STATE_MASK);

    /* Errors are reported through AER; an FLR resets the function. */
    pcie_cap_deverr_init(pdev);
    pcie_cap_flr_init(pdev);
    if (pcie_aer_init(pdev, PCI_ERR_VER, 0x100, PCI_ERR_SIZEOF, errp) < 0) {
        goto err_msi;
    }

    for (unsigned c = 0; c < s->num_channels; c++) {
        DaqcapChannel *ch = &s->channels[c];
        g_autofree char *name = NULL;

        ch->card = s;
        ch->index = c;
        timer_init_ns(&ch->event_timer, QEMU_CLOCK_VIRTUAL,
                      daqcap_event_timer_cb, ch);
        timer_init_ns(&ch->delay_timer, QEMU_CLOCK_VIRTUAL,
                      daqcap_delay_timer_cb, ch);
        ch->segs = g_new0(DaqcapSegment, DAQCAP_MAX_SEGMENTS);
        ch->staging = g_malloc(DAQCAP_STAGING_SIZE);

#define DAQCAP_STAT(field, label)                                          \
        name = g_strdup_printf("ch%u-" label, c);                          \
        object_property_add_uint64_ptr(obj, name, &ch->field,              \
                                       OBJ_PROP_FLAG_READ);                \
        g_free(name);                                                      \
        name = NULL;
        DAQCAP_STAT(stat_frames, "frames")
        DAQCAP_STAT(stat_drops, "drops")
        DAQCAP_STAT(stat_chunks, "chunks")
        DAQCAP_STAT(stat_bytes, "bytes")
        DAQCAP_STAT(stat_error_frames, "error-frames")
        DAQCAP_STAT(stat_irqs, "irqs")
        DAQCAP_STAT(stat_lost_irqs, "lost-irqs")
        DAQCAP_STAT(stat_lies, "lies")
#undef DAQCAP_STAT
    }
    for (unsigned i = 0; i < s->num_inputs; i++) {
        g_autofree char *sig = g_strdup_printf("input%u-signal", i);
        g_autofree char *tim = g_strdup_printf("input%u-timings", i);
        DaqcapInputProp *p1 = g_new(DaqcapInputProp, 1);
        DaqcapInputProp *p2 = g_new(DaqcapInputProp, 1);

        *p1 = (DaqcapInputProp){ s, i };
        *p2 = (DaqcapInputProp){ s, i };
        object_property_add(obj, sig, "bool", daqcap_input_prop_get_signal,
                            daqcap_input_prop_set_signal,
                            daqcap_input_prop_release, p1);
        object_property_add(obj, tim, "string", daqcap_input_prop_get_timings,
                            daqcap_input_prop_set_timings,
                            daqcap_input_prop_release, p2);
    }
    object_property_add_uint64_ptr(obj, "dma-writes", &s->stat_dma_writes,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "dma-reads", &s->stat_dma_reads,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "dma-blocked", &s->stat_dma_blocked,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "cut-while-running",
                                   &s->stat_cut_while_running,
                                   OBJ_PROP_FLAG_READ);
    daqcap_reset(s);
    return;

err_msi:
    msi_uninit(pdev);
    msix_uninit_exclusive_bar(pdev);
}

static void daqcap_exit(PCIDevice *pdev)
{
    DaqcapState *s = DAQCAP(pdev);

    for (unsigned c = 0; c < s->num_channels; c++) {
        DaqcapChannel *ch = &s->channels[c];

        timer_del(&ch->event_timer);
        timer_del(&ch->delay_timer);
        g_free(ch->segs);
        g_free(ch->staging);
    }
    pcie_aer_exit(pdev);
    msi_uninit(pdev);
    msix_uninit_exclusive_bar(pdev);
}

static void daqcap_instance_init(Object *obj)
{
    object_property_add_str(obj, "inject", daqcap_get_inject,
                            daqcap_set_inject);
}

static void daqcap_instance_finalize(Object *obj)
{
    DaqcapState *s = DAQCAP(obj);

    g_free(s->last_inject);
}

static Property daqcap_properties[] = {
    DEFINE_PROP_UINT32("channels", DaqcapState, num_channels, 4),
    DEFINE_PROP_UINT32("inputs", DaqcapState, num_inputs, 4),
    DEFINE_PROP_STRING("timings", DaqcapState, timings),
    DEFINE_PROP_INT32("clock-ppm", DaqcapState, clock_ppm, 0),
    DEFINE_PROP_UINT32("sdi-inputs", DaqcapState, sdi_inputs, 0),
    DEFINE_PROP_END_OF_LIST(),
};

/* DMA state lives in guest memory rings the model does not own: no migration. */
static const VMStateDescription daqcap_vmstate = {
    .name = TYPE_DAQCAP,
    .unmigratable = 1,
};

static void daqcap_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = daqcap_realize;
    k->exit = daqcap_exit;
    k->config_write = daqcap_write_config;
    k->vendor_id = DAQCAP_PCI_VENDOR_ID;
    k->device_id = DAQCAP_PCI_DEVICE_ID;
    k->revision = DAQCAP_PCI_REVISION;
    k->class_id = DAQCAP_PCI_CLASS;
    dc->desc = "DAQCAP multi-channel video and data-acquisition card";
    dc->reset = daqcap_qdev_reset;
    dc->vmsd = &daqcap_vmstate;
    device_class_set_props(dc, daqcap_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo daqcap_info = {
    .name = TYPE_DAQCAP,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(DaqcapState),
    .instance_init = daqcap_instance_init,
    .instance_finalize = daqcap_instance_finalize,
    .class_init = daqcap_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { },
    },
};

static void daqcap_register_types(void)
{
    type_register_static(&daqcap_info);
}

type_init(daqcap_register_types)
