/*
 * QTest for the DAQCAP card model, through its registers alone
 *
 * Copyright (c) 2026 The daqcap authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Everything here plays the driver's part by hand: it programs the
 * registers, lays descriptor and completion rings out in guest memory,
 * steps the virtual clock through frames and chunks, and checks what the
 * card wrote against the hardware contract (daqcap-regs.h) and the shared
 * pattern code. The virtual clock only moves when the test steps it, so
 * every timing check is exact and repeatable.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "qapi/qmp/qdict.h"
#include "hw/pci/pci_regs.h"
#include "qemu/bswap.h"

#include "daqcap-regs.h"
#include "daqcap-pattern.h"

/* Input 3 is 640x480p60 by default: 800x525 at 25.175 MHz. */
#define VGA_INPUT       3
#define VGA_W           640
#define VGA_H           480
#define VGA_LINE_NS     (800ULL * 1000000000ULL / 25175000ULL)
#define VGA_LINE_PS     (800ULL * 1000000000000ULL / 25175000ULL)
#define VGA_FRAME_NS    (800ULL * 525 * 1000000000ULL / 25175000ULL)

typedef struct Card {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar bar0;
    uint64_t msi_area;      /* where MSI/MSI-X messages land */
} Card;

typedef struct Chan {
    Card *card;
    unsigned idx;
    uint64_t desc, cpl;
    uint32_t desc_log2, cpl_log2;
    uint32_t tail;          /* descriptors queued */
    uint32_t head;          /* completions consumed */
} Chan;

/* ---- Plumbing ------------------------------------------------------------ */

static void find_dev(QPCIDevice *dev, int devfn, void *data)
{
    *(QPCIDevice **)data = dev;
}

static void step(Card *c, uint64_t ns)
{
    qtest_clock_step(c->qts, ns);
}

static void card_start(Card *c, const char *extra)
{
    memset(c, 0, sizeof(*c));
    c->qts = qtest_initf("-machine q35 -device daqcap,id=card0%s", extra);
    pc_alloc_init(&c->alloc, c->qts, ALLOC_NO_FLAGS);
    c->bus = qpci_new_pc(c->qts, &c->alloc);
    qpci_device_foreach(c->bus, DAQCAP_PCI_VENDOR_ID, DAQCAP_PCI_DEVICE_ID,
                        find_dev, &c->dev);
    g_assert(c->dev);
    qpci_device_enable(c->dev);
    c->bar0 = qpci_iomap(c->dev, DAQCAP_REGS_BAR, NULL);
    c->msi_area = guest_alloc(&c->alloc, 4096);
    /*
     * Every input's frame clock starts with the virtual clock at 0. Start
     * the test half a VGA frame in, so that no channel enabled by a test
     * is enabled right on a start of frame.
     */
    step(c, VGA_FRAME_NS / 2);
}

static void card_stop(Card *c)
{
    g_free(c->dev);
    qpci_free_pc(c->bus);
    alloc_destroy(&c->alloc);
    qtest_quit(c->qts);
}

static uint32_t rd(Card *c, uint32_t reg)
{
    return qpci_io_readl(c->dev, c->bar0, reg);
}

static void wr(Card *c, uint32_t reg, uint32_t val)
{
    qpci_io_writel(c->dev, c->bar0, reg, val);
}

static uint32_t crd(Chan *ch, uint32_t reg)
{
    return rd(ch->card, DAQCAP_CHANNEL_BASE(ch->idx) + reg);
}

static void cwr(Chan *ch, uint32_t reg, uint32_t val)
{
    wr(ch->card, DAQCAP_CHANNEL_BASE(ch->idx) + reg, val);
}

static uint32_t ird(Card *c, unsigned in, uint32_t reg)
{
    return rd(c, DAQCAP_INPUT_BASE(in) + reg);
}

static uint64_t qom_u64(Card *c, const char *prop)
{
    QDict *r = qtest_qmp(c->qts, "{ 'execute': 'qom-get', 'arguments': "
                         "{ 'path': 'card0', 'property': %s } }", prop);
    uint64_t v;

    g_assert(qdict_haskey(r, "return"));
    v = qdict_get_int(r, "return");
    qobject_unref(r);
    return v;
}

static void qom_set_str(Card *c, const char *prop, const char *val)
{
    QDict *r = qtest_qmp(c->qts, "{ 'execute': 'qom-set', 'arguments': "
                         "{ 'path': 'card0', 'property': %s, 'value': %s } }",
                         prop, val);

    g_assert(qdict_haskey(r, "return"));
    qobject_unref(r);
}

static void qom_set_bool(Card *c, const char *prop, bool val)
{
    QDict *r = qtest_qmp(c->qts, "{ 'execute': 'qom-set', 'arguments': "
                         "{ 'path': 'card0', 'property': %s, 'value': %i } }",
                         prop, val);

    g_assert(qdict_haskey(r, "return"));
    qobject_unref(r);
}

static void inject(Card *c, const char *fault)
{
    qom_set_str(c, "inject", fault);
}

/* ---- Channel helpers ----------------------------------------------------- */

static void chan_setup(Card *c, Chan *ch, unsigned idx, unsigned input,
                       uint32_t fmt, uint32_t w, uint32_t h, uint32_t stride,
                       uint32_t chunk, uint32_t desc_log2, uint32_t cpl_log2)
{
    memset(ch, 0, sizeof(*ch));
    ch->card = c;
    ch->idx = idx;
    ch->desc_log2 = desc_log2;
    ch->cpl_log2 = cpl_log2;
    ch->desc = guest_alloc(&c->alloc, DAQCAP_DESC_SIZE << desc_log2);
    ch->cpl = guest_alloc(&c->alloc, DAQCAP_CPL_SIZE << cpl_log2);
    qtest_memset(c->qts, ch->cpl, 0, DAQCAP_CPL_SIZE << cpl_log2);

    cwr(ch, DAQCAP_CH_FORMAT, fmt);
    cwr(ch, DAQCAP_CH_SIZE, w | h << DAQCAP_SIZE_HEIGHT_SHIFT);
    cwr(ch, DAQCAP_CH_STRIDE, stride);
    cwr(ch, DAQCAP_CH_CHUNK_LINES, chunk);
    cwr(ch, DAQCAP_CH_DESC_BASE_LO, (uint32_t)ch->desc);
    cwr(ch, DAQCAP_CH_DESC_BASE_HI, ch->desc >> 32);
    cwr(ch, DAQCAP_CH_DESC_SIZE_LOG2, desc_log2);
    cwr(ch, DAQCAP_CH_CPL_BASE_LO, (uint32_t)ch->cpl);
    cwr(ch, DAQCAP_CH_CPL_BASE_HI, ch->cpl >> 32);
    cwr(ch, DAQCAP_CH_CPL_SIZE_LOG2, cpl_log2);
    cwr(ch, DAQCAP_CH_DESC_TAIL, 0);
    cwr(ch, DAQCAP_CH_CTRL, input << DAQCAP_CH_CTRL_INPUT_SHIFT);
}

/*
 * The events a driver usually unmasks: all but the start of frame, which
 * only frame-sync users want (test_sof_irq() has it).
 */
#define CH_IRQS_BUT_SOF (DAQCAP_CH_IRQ_ALL & ~DAQCAP_CH_IRQ_SOF)

/* The channel's latched events but the start of frame, which every frame has. */
static uint32_t chan_events(Chan *ch)
{
    return crd(ch, DAQCAP_CH_IRQ_STATUS) & CH_IRQS_BUT_SOF;
}

static void chan_enable(Chan *ch, unsigned input)
{
    cwr(ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE |
        input << DAQCAP_CH_CTRL_INPUT_SHIFT);
    g_assert_cmphex(crd(ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_RUNNING, ==,
                    DAQCAP_CH_STATUS_RUNNING);
}

/*
 * Step line by line until the card has taken the next buffer, i.e. until
 * just after its next start of frame (less than one line period after).
 */
static void sync_sof(Chan *ch)
{
    uint32_t head = crd(ch, DAQCAP_CH_DESC_HEAD);

    for (unsigned i = 0; i < 2 * 1125; i++) {
        if (crd(ch, DAQCAP_CH_DESC_HEAD) != head) {
            return;
        }
        step(ch->card, VGA_LINE_NS);
    }
    g_assert_not_reached();
}

static void put_desc(Chan *ch, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t cookie)
{
    uint8_t d[DAQCAP_DESC_SIZE];
    uint32_t slot = ch->tail & ((1u << ch->desc_log2) - 1);

    stq_le_p(d + DAQCAP_DESC_ADDR, addr);
    stl_le_p(d + DAQCAP_DESC_LEN, len);
    stw_le_p(d + DAQCAP_DESC_FLAGS, flags);
    stw_le_p(d + DAQCAP_DESC_COOKIE, cookie);
    qtest_memwrite(ch->card->qts, ch->desc + slot * DAQCAP_DESC_SIZE, d,
                   sizeof(d));
    ch->tail++;
}

/* Queue one buffer made of @n segments and ring the doorbell. */
static void queue_buffer(Chan *ch, const uint64_t *addr, const uint32_t *len,
                         unsigned n, uint16_t cookie)
{
    for (unsigned i = 0; i < n; i++) {
        uint16_t flags = (i == 0 ? DAQCAP_DESC_FLAG_SOF : 0) |
                         (i == n - 1 ? DAQCAP_DESC_FLAG_EOF : 0);

        put_desc(ch, addr[i], len[i], flags, cookie);
    }
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

/*
 * Queue one buffer as a CHAIN ring entry pointing at a table of @n segment
 * descriptors, written at @table.
 */
static void queue_chain(Chan *ch, uint64_t table, const uint64_t *addr,
                        const uint32_t *len, unsigned n, uint16_t cookie)
{
    uint32_t slot = ch->tail & ((1u << ch->desc_log2) - 1);
    uint8_t d[DAQCAP_DESC_SIZE];

    for (unsigned i = 0; i < n; i++) {
        stq_le_p(d + DAQCAP_DESC_ADDR, addr[i]);
        stl_le_p(d + DAQCAP_DESC_LEN, len[i]);
        stw_le_p(d + DAQCAP_DESC_FLAGS,
                 (i == 0 ? DAQCAP_DESC_FLAG_SOF : 0) |
                 (i == n - 1 ? DAQCAP_DESC_FLAG_EOF : 0));
        stw_le_p(d + DAQCAP_DESC_COOKIE, cookie);
        qtest_memwrite(ch->card->qts, table + i * DAQCAP_DESC_SIZE, d,
                       sizeof(d));
    }
    stq_le_p(d + DAQCAP_DESC_ADDR, table);
    stl_le_p(d + DAQCAP_DESC_LEN, n);
    stw_le_p(d + DAQCAP_DESC_FLAGS, DAQCAP_DESC_FLAG_CHAIN);
    stw_le_p(d + DAQCAP_DESC_COOKIE, 0xdead);   /* ignored */
    qtest_memwrite(ch->card->qts, ch->desc + slot * DAQCAP_DESC_SIZE, d,
                   sizeof(d));
    ch->tail++;
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

static void queue_simple(Chan *ch, uint64_t addr, uint32_t len, uint16_t cookie)
{
    queue_buffer(ch, &addr, &len, 1, cookie);
}

typedef struct Cpl {
    uint64_t ts_sof, ts_end;
    uint32_t seq, status;
    uint16_t cookie, chunk, first, lines;
} Cpl;

/* Pop the next completion if the card has posted one (phase bit check). */
static bool pop_cpl(Chan *ch, Cpl *out)
{
    uint32_t slot = ch->head & ((1u << ch->cpl_log2) - 1);
    uint32_t want_phase = ((ch->head >> ch->cpl_log2) & 1) ? 0 : 1;
    uint8_t r[DAQCAP_CPL_SIZE];

    qtest_memread(ch->card->qts, ch->cpl + slot * DAQCAP_CPL_SIZE, r,
                  sizeof(r));
    out->status = ldl_le_p(r + DAQCAP_CPL_STATUS);
    if ((out->status & DAQCAP_CPL_STATUS_PHASE) != want_phase) {
        return false;
    }
    out->ts_sof = ldq_le_p(r + DAQCAP_CPL_TS_SOF);
    out->ts_end = ldq_le_p(r + DAQCAP_CPL_TS_END);
    out->seq = ldl_le_p(r + DAQCAP_CPL_SEQUENCE);
    out->cookie = lduw_le_p(r + DAQCAP_CPL_COOKIE);
    out->chunk = lduw_le_p(r + DAQCAP_CPL_CHUNK);
    out->first = lduw_le_p(r + DAQCAP_CPL_FIRST_LINE);
    out->lines = lduw_le_p(r + DAQCAP_CPL_LINES);
    ch->head++;
    cwr(ch, DAQCAP_CH_CPL_HEAD, ch->head);
    return true;
}

static unsigned drain(Chan *ch, Cpl *out, unsigned max)
{
    unsigned n = 0;
    Cpl dummy;

    while (pop_cpl(ch, n < max ? &out[n] : &dummy)) {
        n++;
    }
    return n;
}

/* Step until the next start of frame of the VGA input has passed. */
static void step_frames(Card *c, unsigned frames)
{
    step(c, frames * VGA_FRAME_NS + 1000);
}

/* Check every line of a captured frame against the pattern. */
static void check_frame(Card *c, uint64_t addr, uint32_t stride, uint32_t in,
                        uint32_t pattern, uint32_t fmt, uint32_t w,
                        uint32_t h, uint32_t seq)
{
    struct daqcap_pattern_frame pf = {
        .input = in, .pattern = pattern, .format = fmt,
        .width = w, .height = h, .sequence = seq,
    };
    uint32_t rows = daqcap_pattern_rows(fmt, h);
    g_autofree uint8_t *buf = g_malloc((size_t)stride * rows);

    qtest_memread(c->qts, addr, buf, (size_t)stride * rows);
    for (uint32_t l = 0; l < rows; l++) {
        long bad = daqcap_pattern_check_line(&pf, l, buf + (size_t)l * stride);

        if (bad >= 0) {
            g_test_message("fmt %u %ux%u seq %u: line %u differs at byte %ld",
                           fmt, w, h, seq, l, bad);
        }
        g_assert_cmpint(bad, ==, -1);
    }
}

/* ---- Identity and registers --------------------------------------------- */

static void test_identity(void)
{
    Card c;

    card_start(&c, ",channels=2,inputs=3");
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_VENDOR_ID), ==,
                    DAQCAP_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_DEVICE_ID), ==,
                    DAQCAP_PCI_DEVICE_ID);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_CLASS_DEVICE), ==,
                    DAQCAP_PCI_CLASS);
    g_assert_cmphex(qpci_config_readb(c.dev, PCI_REVISION_ID), ==,
                    DAQCAP_PCI_REVISION);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_SUBSYSTEM_VENDOR_ID), ==,
                    DAQCAP_PCI_SUBSYS_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_SUBSYSTEM_ID), ==, 0x0203);
    g_assert_cmphex(qpci_config_readb(c.dev, PCI_INTERRUPT_PIN), ==, 1);
    g_assert_cmpint(qpci_find_capability(c.dev, PCI_CAP_ID_EXP, 0), !=, 0);
    g_assert_cmpint(qpci_find_capability(c.dev, PCI_CAP_ID_MSI, 0), !=, 0);
    qpci_msix_enable(c.dev);
    g_assert_cmpint(qpci_msix_table_size(c.dev), ==, 3);
    qpci_msix_disable(c.dev);

    g_assert_cmphex(rd(&c, DAQCAP_REG_ID), ==, DAQCAP_ID_VALUE);
    g_assert_cmphex(rd(&c, DAQCAP_REG_VERSION), ==, DAQCAP_VERSION_VALUE);
    g_assert_cmphex(rd(&c, DAQCAP_REG_CAP), ==,
                    2 | 3 << DAQCAP_CAP_INPUTS_SHIFT |
                    DAQCAP_MAX_CHUNK_LINES << DAQCAP_CAP_MAX_CHUNK_SHIFT);
    g_assert_cmphex(rd(&c, DAQCAP_REG_CAP_FORMATS), ==, DAQCAP_FORMATS_ALL);
    g_assert_cmphex(rd(&c, DAQCAP_REG_CAP_MAX_SIZE), ==,
                    DAQCAP_MAX_WIDTH |
                    (uint32_t)DAQCAP_MAX_HEIGHT << DAQCAP_SIZE_HEIGHT_SHIFT);
    g_assert_cmphex(rd(&c, DAQCAP_REG_CAP_RINGS), ==,
                    DAQCAP_RING_MIN_LOG2 |
                    DAQCAP_RING_MAX_LOG2 << DAQCAP_CAP_RINGS_MAX_LOG2_SHIFT);
    card_stop(&c);

    /* The default variant is the four-channel, four-input DAQCAP-4. */
    card_start(&c, "");
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_SUBSYSTEM_ID), ==, 0x0404);
    g_assert_cmphex(rd(&c, DAQCAP_REG_CAP) & 0xffff, ==, 0x0404);
    card_stop(&c);
}

#include "daqcap-doc-regs.h"

/*
 * Every register of the datasheet's register table (daqcap-doc-regs.h is
 * generated from Documentation/hw/daqcap-card.rst) has its documented reset
 * value, both after power-on and after a soft reset, and read-only
 * registers ignore writes.
 */
static void check_reset_values(Card *c, const char *when)
{
    for (size_t i = 0; i < ARRAY_SIZE(daqcap_doc_regs); i++) {
        const struct daqcap_doc_reg *r = &daqcap_doc_regs[i];
        uint32_t val;

        if (r->volatile_value) {
            continue;
        }
        val = rd(c, r->offset);
        if (val != r->reset) {
            g_test_message("%s: %s (0x%04x) reads 0x%08x, datasheet says 0x%08x",
                           when, r->name, r->offset, val, r->reset);
        }
        g_assert_cmphex(val, ==, r->reset);
    }
}

static void test_reset_values(void)
{
    Card c;
    Chan ch;

    card_start(&c, "");
    check_reset_values(&c, "power-on");

    /* Read-only registers ignore writes. */
    for (size_t i = 0; i < ARRAY_SIZE(daqcap_doc_regs); i++) {
        const struct daqcap_doc_reg *r = &daqcap_doc_regs[i];

        if (!strcmp(r->access, "RO") && !r->volatile_value) {
            wr(&c, r->offset, ~r->reset);
            g_assert_cmphex(rd(&c, r->offset), ==, r->reset);
        }
    }

    /* Dirty every writable register, run a frame, then soft-reset. */
    wr(&c, DAQCAP_REG_SCRATCH, 0x12345678);
    g_assert_cmphex(rd(&c, DAQCAP_REG_SCRATCH), ==, 0x12345678);
    wr(&c, DAQCAP_REG_IRQ_MASK, 0x1000f);
    wr(&c, DAQCAP_INPUT_BASE(1) + DAQCAP_IN_PATTERN, DAQCAP_PATTERN_VERIFY);
    chan_setup(&c, &ch, 2, VGA_INPUT, DAQCAP_FMT_GREY, 64, 32, 64, 8, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    cwr(&ch, DAQCAP_CH_IRQ_COALESCE, 0x00100201);
    queue_simple(&ch, guest_alloc(&c.alloc, 64 * 32), 64 * 32, 1);
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_FRAMES), ==, 1);

    /* A RESET write without the magic value does nothing. */
    wr(&c, DAQCAP_REG_RESET, 1);
    g_assert_cmphex(rd(&c, DAQCAP_REG_SCRATCH), ==, 0x12345678);

    wr(&c, DAQCAP_REG_RESET, DAQCAP_RESET_MAGIC);
    check_reset_values(&c, "soft reset");
    /* And nothing moves after a reset. */
    step_frames(&c, 3);
    check_reset_values(&c, "after reset");
    card_stop(&c);
}

static void test_inputs(void)
{
    static const struct {
        uint32_t w, h, htot, vtot, hfp, hs, vfp, vs, clk, pos;
    } want[] = {
        { 1920, 1080, 2200, 1125, 88, 44, 4, 5, 148500000, 1 },
        { 1280, 720, 1650, 750, 110, 40, 5, 5, 74250000, 1 },
        { 3840, 2160, 4400, 2250, 176, 88, 8, 10, 297000000, 1 },
        { 640, 480, 800, 525, 16, 96, 10, 2, 25175000, 0 },
    };
    Card c;

    card_start(&c, "");
    for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
        uint32_t pol = want[i].pos ? DAQCAP_IN_STATUS_HSYNC_POS |
                                     DAQCAP_IN_STATUS_VSYNC_POS : 0;

        g_assert_cmphex(ird(&c, i, DAQCAP_IN_STATUS), ==,
                        DAQCAP_IN_STATUS_POWER | DAQCAP_IN_STATUS_LOCKED |
                        DAQCAP_IN_STATUS_HOTPLUG | pol);
        g_assert_cmphex(ird(&c, i, DAQCAP_IN_ACTIVE_SIZE), ==,
                        want[i].w | want[i].h << 16);
        g_assert_cmphex(ird(&c, i, DAQCAP_IN_TOTAL_SIZE), ==,
                        want[i].htot | want[i].vtot << 16);
        g_assert_cmphex(ird(&c, i, DAQCAP_IN_HSYNC), ==,
                        want[i].hfp | want[i].hs << 16);
        g_assert_cmphex(ird(&c, i, DAQCAP_IN_VSYNC), ==,
                        want[i].vfp | want[i].vs << 16);
        g_assert_cmpuint(ird(&c, i, DAQCAP_IN_PIXEL_CLOCK), ==, want[i].clk);
    }

    /* The input frame counter follows the input's frame rate. */
    {
        uint32_t f0 = ird(&c, VGA_INPUT, DAQCAP_IN_FRAME_COUNT);

        step(&c, 10 * VGA_FRAME_NS);
        g_assert_cmpuint(ird(&c, VGA_INPUT, DAQCAP_IN_FRAME_COUNT) - f0, >=, 9);
        g_assert_cmpuint(ird(&c, VGA_INPUT, DAQCAP_IN_FRAME_COUNT) - f0, <=, 11);
    }

    /* Timings change: registers follow, INPUT_CHANGED and the IRQ say so. */
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 0);
    qom_set_str(&c, "input1-timings", "1920x1080p50");
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_TOTAL_SIZE), ==, 2640 | 1125 << 16);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 1u << 1);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS), ==, DAQCAP_IRQ_INPUT_CHANGE);

    /* A computer's timings: CVT reduced blanking, H sync positive only. */
    qom_set_str(&c, "input1-timings", "2560x1080p60rb");
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_ACTIVE_SIZE), ==, 2560 | 1080 << 16);
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_TOTAL_SIZE), ==, 2720 | 1111 << 16);
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_HSYNC), ==, 48 | 32 << 16);
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_VSYNC), ==, 3 | 10 << 16);
    g_assert_cmpuint(ird(&c, 1, DAQCAP_IN_PIXEL_CLOCK), ==, 181250000);
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_STATUS) &
                    (DAQCAP_IN_STATUS_HSYNC_POS | DAQCAP_IN_STATUS_VSYNC_POS), ==,
                    DAQCAP_IN_STATUS_HSYNC_POS);
    qom_set_str(&c, "input1-timings", "1920x1080p50");

    /* Signal loss and restore. */
    qom_set_bool(&c, "input2-signal", false);
    /* The card's hotplug is its own: it stays asserted. */
    g_assert_cmphex(ird(&c, 2, DAQCAP_IN_STATUS), ==, DAQCAP_IN_STATUS_HOTPLUG);
    g_assert_cmphex(ird(&c, 2, DAQCAP_IN_ACTIVE_SIZE), ==, 0);
    g_assert_cmphex(ird(&c, 2, DAQCAP_IN_PIXEL_CLOCK), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 0x6);
    wr(&c, DAQCAP_REG_INPUT_CHANGED, 0x6);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS), ==, 0);
    qom_set_bool(&c, "input2-signal", true);
    g_assert_cmphex(ird(&c, 2, DAQCAP_IN_ACTIVE_SIZE), ==, 3840 | 2160 << 16);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 0x4);

    /* Pattern register: accepts the documented patterns only. */
    wr(&c, DAQCAP_INPUT_BASE(0) + DAQCAP_IN_PATTERN, DAQCAP_PATTERN_VERIFY);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_PATTERN), ==, DAQCAP_PATTERN_VERIFY);
    wr(&c, DAQCAP_INPUT_BASE(0) + DAQCAP_IN_PATTERN, 77);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_PATTERN), ==, DAQCAP_PATTERN_VERIFY);
    card_stop(&c);

    /* Per-input timings and "none" through the device property. */
    card_start(&c, ",inputs=2,timings=720x576p50:none");
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_ACTIVE_SIZE), ==, 720 | 576 << 16);
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_STATUS), ==, DAQCAP_IN_STATUS_HOTPLUG);
    card_stop(&c);
}

/* Read @len bytes of input @in's EDID from @off on. */
static void edid_read(Card *c, unsigned in, uint32_t off, uint8_t *buf,
                      uint32_t len)
{
    wr(c, DAQCAP_INPUT_BASE(in) + DAQCAP_IN_EDID_ADDR, off);
    for (uint32_t i = 0; i < len; i += 4) {
        stl_le_p(buf + i, ird(c, in, DAQCAP_IN_EDID_DATA));
    }
}

static void edid_write(Card *c, unsigned in, const uint8_t *buf, uint32_t len)
{
    wr(c, DAQCAP_INPUT_BASE(in) + DAQCAP_IN_EDID_ADDR, 0);
    for (uint32_t i = 0; i < len; i += 4) {
        wr(c, DAQCAP_INPUT_BASE(in) + DAQCAP_IN_EDID_DATA, ldl_le_p(buf + i));
    }
}

/*
 * HDMI-like inputs: an EDID at power-on whose preferred timings are the
 * input's, hotplug asserted; a new EDID makes the source offer its
 * preferred timings, none stops the source; an SDI-like input has
 * neither EDID nor hotplug.
 */
static void test_edid(void)
{
    uint8_t e[DAQCAP_EDID_BLOCK_SIZE];
    uint8_t sum = 0;
    Card c;

    card_start(&c, ",sdi-inputs=0x8");
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_CAPS), ==, DAQCAP_IN_CAPS_EDID);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_EDID_BLOCKS), ==, 1);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_STATUS), ==,
                    DAQCAP_IN_STATUS_POWER | DAQCAP_IN_STATUS_LOCKED |
                    DAQCAP_IN_STATUS_HOTPLUG | DAQCAP_IN_STATUS_HSYNC_POS |
                    DAQCAP_IN_STATUS_VSYNC_POS);
    edid_read(&c, 0, 0, e, sizeof(e));
    g_assert_cmphex((uint32_t)ldl_le_p(e), ==, 0xffffff00);
    g_assert_cmphex((uint32_t)ldl_le_p(e + 4), ==, 0x00ffffff);
    for (unsigned i = 0; i < sizeof(e); i++) {
        sum += e[i];
    }
    g_assert_cmpuint(sum, ==, 0);
    /* The preferred descriptor: 1920x1080, 148.5 MHz, 280 + 45 blanking. */
    g_assert_cmpuint(lduw_le_p(e + 54), ==, 14850);
    g_assert_cmpuint(e[56] | (e[58] & 0xf0) << 4, ==, 1920);
    g_assert_cmpuint(e[57] | (e[58] & 0x0f) << 8, ==, 280);
    g_assert_cmpuint(e[59] | (e[61] & 0xf0) << 4, ==, 1080);
    g_assert_cmpuint(e[60] | (e[61] & 0x0f) << 8, ==, 45);
    /* EDID_ADDR advanced by 4 with each access, and wraps. */
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_EDID_ADDR), ==, sizeof(e));
    wr(&c, DAQCAP_INPUT_BASE(0) + DAQCAP_IN_EDID_ADDR, 510);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_EDID_ADDR), ==, 508);
    ird(&c, 0, DAQCAP_IN_EDID_DATA);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_EDID_ADDR), ==, 0);

    /* Hotplug low: the source stops; its +5 V stays. */
    wr(&c, DAQCAP_REG_INPUT_CHANGED, 0xffffffff);
    wr(&c, DAQCAP_INPUT_BASE(0) + DAQCAP_IN_EDID_BLOCKS, 0);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_STATUS), ==, DAQCAP_IN_STATUS_POWER);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_EDID_BLOCKS), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 1);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_ACTIVE_SIZE), ==, 0);

    /* An EDID preferring 1280x720p60: the source offers that. */
    e[54] = 7425 & 0xff;
    e[55] = 7425 >> 8;
    e[56] = 1280 & 0xff;
    e[57] = 370 & 0xff;
    e[58] = (1280 >> 8) << 4 | 370 >> 8;
    e[59] = 720 & 0xff;
    e[60] = 30;
    e[61] = (720 >> 8) << 4;
    e[127] = 0;
    sum = 0;
    for (unsigned i = 0; i < sizeof(e); i++) {
        sum += e[i];
    }
    e[127] = -sum;
    edid_write(&c, 0, e, sizeof(e));
    wr(&c, DAQCAP_REG_INPUT_CHANGED, 0xffffffff);
    wr(&c, DAQCAP_INPUT_BASE(0) + DAQCAP_IN_EDID_BLOCKS, 1);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 1);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_ACTIVE_SIZE), ==, 1280 | 720 << 16);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_STATUS) & DAQCAP_IN_STATUS_HOTPLUG, ==,
                    DAQCAP_IN_STATUS_HOTPLUG);

    /* A broken checksum: the source falls back to 640x480p60. */
    e[127]++;
    edid_write(&c, 0, e, sizeof(e));
    wr(&c, DAQCAP_INPUT_BASE(0) + DAQCAP_IN_EDID_BLOCKS, 1);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_ACTIVE_SIZE), ==, 640 | 480 << 16);
    /* More blocks than the card holds: ignored. */
    wr(&c, DAQCAP_INPUT_BASE(0) + DAQCAP_IN_EDID_BLOCKS, 5);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_EDID_BLOCKS), ==, 1);

    /* The SDI-like input: locked with no EDID and no hotplug. */
    g_assert_cmphex(ird(&c, 3, DAQCAP_IN_CAPS), ==, 0);
    g_assert_cmpuint(ird(&c, 3, DAQCAP_IN_EDID_BLOCKS), ==, 0);
    wr(&c, DAQCAP_INPUT_BASE(3) + DAQCAP_IN_EDID_BLOCKS, 1);
    g_assert_cmpuint(ird(&c, 3, DAQCAP_IN_EDID_BLOCKS), ==, 0);
    g_assert_cmphex(ird(&c, 3, DAQCAP_IN_STATUS) & (DAQCAP_IN_STATUS_LOCKED |
                    DAQCAP_IN_STATUS_HOTPLUG), ==, DAQCAP_IN_STATUS_LOCKED);

    /* A soft reset leaves the EDID and hotplug as they are. */
    wr(&c, DAQCAP_REG_RESET, DAQCAP_RESET_MAGIC);
    g_assert_cmpuint(ird(&c, 0, DAQCAP_IN_EDID_BLOCKS), ==, 1);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_ACTIVE_SIZE), ==, 640 | 480 << 16);
    card_stop(&c);
}

static void test_timestamp(void)
{
    Card c;
    uint64_t t0, t1;

    card_start(&c, "");
    t0 = rd(&c, DAQCAP_REG_TIMESTAMP_LO);
    t0 |= (uint64_t)rd(&c, DAQCAP_REG_TIMESTAMP_HI) << 32;
    step(&c, 5000000000ULL);    /* 5 s: crosses a 32-bit wrap of the low word */
    t1 = rd(&c, DAQCAP_REG_TIMESTAMP_LO);
    t1 |= (uint64_t)rd(&c, DAQCAP_REG_TIMESTAMP_HI) << 32;
    g_assert_cmpuint(t1 - t0, ==, 5000000000ULL);
    card_stop(&c);

    /* A crystal 100 ppm fast gains 500 us in those 5 s; 250 ppm slow loses. */
    card_start(&c, ",clock-ppm=100");
    step(&c, 1000000000ULL);
    t0 = rd(&c, DAQCAP_REG_TIMESTAMP_LO);
    t0 |= (uint64_t)rd(&c, DAQCAP_REG_TIMESTAMP_HI) << 32;
    step(&c, 5000000000ULL);
    t1 = rd(&c, DAQCAP_REG_TIMESTAMP_LO);
    t1 |= (uint64_t)rd(&c, DAQCAP_REG_TIMESTAMP_HI) << 32;
    g_assert_cmpuint(t1 - t0, ==, 5000500000ULL);
    card_stop(&c);
    card_start(&c, ",clock-ppm=-250");
    t0 = rd(&c, DAQCAP_REG_TIMESTAMP_LO);
    t0 |= (uint64_t)rd(&c, DAQCAP_REG_TIMESTAMP_HI) << 32;
    step(&c, 5000000000ULL);
    t1 = rd(&c, DAQCAP_REG_TIMESTAMP_LO);
    t1 |= (uint64_t)rd(&c, DAQCAP_REG_TIMESTAMP_HI) << 32;
    g_assert_cmpuint(t1 - t0, ==, 4998750000ULL);
    card_stop(&c);
}

/*
 * Every start of frame raises SOF and records its sequence, a dropped
 * frame's too; the interrupt goes out only when SOF is unmasked.
 */
static void test_sof_irq(void)
{
    Card c;
    Chan ch;
    uint32_t w = 64, h = 64, size = w * h;
    Cpl cpl[4];

    card_start(&c, "");
    chan_setup(&c, &ch, 2, VGA_INPUT, DAQCAP_FMT_GREY, w, h, w, 64, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, DAQCAP_CH_IRQ_ALL & ~DAQCAP_CH_IRQ_SOF);
    chan_enable(&ch, VGA_INPUT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_SOF, ==, 0);

    /* No buffer: the frame is dropped, but it did start. */
    for (unsigned i = 0; i < 2 * 1125 &&
         !(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_SOF); i++) {
        step(&c, VGA_LINE_NS);
    }
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_SOF, ==,
                    DAQCAP_CH_IRQ_SOF);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_SOF_SEQUENCE), ==, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS_NO_BUFFER), ==, 1);
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_ALL);

    /* A captured frame: its start and sequence, before its first chunk. */
    queue_simple(&ch, guest_alloc(&c.alloc, size), size, 5);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, DAQCAP_CH_IRQ_ALL);
    step_frames(&c, 1);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_SOF, ==,
                    DAQCAP_CH_IRQ_SOF);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_SOF_SEQUENCE), ==, 1);
    step_frames(&c, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_SOF_SEQUENCE), ==, 2);
    g_assert_cmpuint(drain(&ch, cpl, 4), ==, 1);
    g_assert_cmpuint(cpl[0].seq, ==, 1);

    /* Enabling the channel starts the count again. */
    cwr(&ch, DAQCAP_CH_CTRL, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_SOF_SEQUENCE), ==, 2);
    chan_enable(&ch, VGA_INPUT);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_SOF_SEQUENCE), ==, 0);
    card_stop(&c);
}

/* ---- Capture ---------------------------------------------------------- */

/*
 * One frame, one segment: completions arrive chunk by chunk at the time the
 * chunk's last line arrives, with every field right, and the bytes match
 * the pattern.
 */
static void test_single_frame(void)
{
    Card c;
    Chan ch;
    uint32_t size = VGA_W * 2 * VGA_H;
    uint64_t buf;
    Cpl cpl[64];
    unsigned n, total = 0;
    uint32_t nchunks = VGA_H / 16;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, size);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_YUYV, VGA_W, VGA_H,
               VGA_W * 2, DAQCAP_CHUNK_LINES_DEFAULT, 4, 8);
    queue_simple(&ch, buf, size, 42);
    chan_enable(&ch, VGA_INPUT);

    /* Land just after the start of frame: nothing is posted yet. */
    sync_sof(&ch);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DESC_HEAD), ==, 1);
    g_assert_cmpuint(drain(&ch, cpl, 64), ==, 0);

    /* Chunks complete one by one, 16 line periods apart. */
    for (unsigned k = 0; k < nchunks; k++) {
        step(&c, 16 * VGA_LINE_NS + 2);
        n = drain(&ch, cpl, 64);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpuint(cpl[0].chunk, ==, k);
        g_assert_cmpuint(cpl[0].first, ==, k * 16);
        g_assert_cmpuint(cpl[0].lines, ==, 16);
        g_assert_cmpuint(cpl[0].cookie, ==, 42);
        g_assert_cmpuint(cpl[0].seq, ==, 0);
        g_assert_cmpuint(cpl[0].status >> DAQCAP_CPL_STATUS_CHUNKS_SHIFT, ==,
                         nchunks);
        g_assert_cmphex(cpl[0].status & DAQCAP_CPL_STATUS_ERR_MASK, ==, 0);
        g_assert_cmpint(!!(cpl[0].status & DAQCAP_CPL_STATUS_SOF), ==, k == 0);
        g_assert_cmpint(!!(cpl[0].status & DAQCAP_CPL_STATUS_EOF), ==,
                        k == nchunks - 1);
        g_assert_cmpuint(cpl[0].ts_end, >, cpl[0].ts_sof);
        /* The chunk's end is when its last line arrived, to the ns. */
        g_assert_cmpuint(cpl[0].ts_end - cpl[0].ts_sof, ==,
                         (k + 1) * 16 * VGA_LINE_PS / 1000);
        total += n;
    }
    g_assert_cmpuint(total, ==, nchunks);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_FRAMES), ==, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNKS), ==, nchunks);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_BYTES_LO), ==, size);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_BYTES_HI), ==, 0);
    g_assert_cmpuint(qom_u64(&c, "ch0-frames"), ==, 1);
    g_assert_cmpuint(qom_u64(&c, "ch0-bytes"), ==, size);
    g_assert_cmpuint(qom_u64(&c, "ch0-chunks"), ==, nchunks);
    check_frame(&c, buf, VGA_W * 2, VGA_INPUT, DAQCAP_PATTERN_BARS,
                DAQCAP_FMT_YUYV, VGA_W, VGA_H, 0);
    card_stop(&c);
}

/*
 * A cropped channel writes a window of its input's frame: byte for byte the
 * full frame's pixels there, not a frame drawn at the window's size. Each
 * chunk ends when the source has sent its last line, after the lines above
 * the window.
 */
static void crop_capture(uint32_t fmt, uint32_t pattern, uint32_t x,
                         uint32_t y, uint32_t w, uint32_t h)
{
    uint32_t lb = daqcap_pattern_line_bytes(fmt, w), stride = lb + 6;
    uint32_t rows = daqcap_pattern_rows(fmt, h);
    uint32_t chunk = 8, nchunks = (h + chunk - 1) / chunk, size = stride * rows;
    struct daqcap_pattern_frame pf = {
        .input = VGA_INPUT, .pattern = pattern, .format = fmt,
        .width = VGA_W, .height = VGA_H, .sequence = 0,
        .crop = { .left = x, .top = y, .width = w, .height = h },
    };
    g_autofree uint8_t *img = g_malloc(size);
    bool drawn_at_window_size = true;
    Card c;
    Chan ch;
    Cpl cpl[64];
    uint64_t buf;

    g_test_message("fmt %u pattern %u: window %ux%u at (%u, %u)", fmt,
                   pattern, w, h, x, y);
    card_start(&c, "");
    wr(&c, DAQCAP_INPUT_BASE(VGA_INPUT) + DAQCAP_IN_PATTERN, pattern);
    buf = guest_alloc(&c.alloc, size);
    chan_setup(&c, &ch, 1, VGA_INPUT, fmt, w, h, stride, chunk, 4, 6);
    cwr(&ch, DAQCAP_CH_CROP_ORIGIN, x | y << DAQCAP_CROP_Y_SHIFT);
    queue_simple(&ch, buf, size, 7);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE | DAQCAP_CH_CTRL_CROP |
        VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_RUNNING, ==,
                    DAQCAP_CH_STATUS_RUNNING);
    step_frames(&c, 2);

    g_assert_cmpuint(drain(&ch, cpl, 64), ==, nchunks);
    for (uint32_t k = 0; k < nchunks; k++) {
        uint32_t end = MIN((k + 1) * chunk, h);

        g_assert_cmpuint(cpl[k].first, ==, k * chunk);
        g_assert_cmpuint(cpl[k].lines, ==, end - k * chunk);
        g_assert_cmphex(cpl[k].status & DAQCAP_CPL_STATUS_ERR_MASK, ==, 0);
        g_assert_cmpuint(cpl[k].ts_end - cpl[k].ts_sof, ==,
                         (y + end) * VGA_LINE_PS / 1000);
    }
    qtest_memread(c.qts, buf, img, size);
    for (uint32_t l = 0; l < rows; l++) {
        g_assert_cmpint(daqcap_pattern_check_line(&pf, l, img + l * stride),
                        ==, -1);
        for (uint32_t b = lb; b < stride; b++) {
            g_assert_cmphex(img[l * stride + b], ==, 0);
        }
    }
    /* Not the frame a channel of that size draws without CROP. */
    pf.width = w;
    pf.height = h;
    pf.crop = (struct daqcap_pattern_window){ 0 };
    for (uint32_t l = 0; l < rows; l++) {
        if (daqcap_pattern_check_line(&pf, l, img + l * stride) >= 0) {
            drawn_at_window_size = false;
        }
    }
    g_assert_false(drawn_at_window_size);
    card_stop(&c);
}

static void test_crop(void)
{
    Card c;
    Chan ch;
    Cpl cpl[8];

    /* A window below the top, whose height is not a multiple of chunks. */
    crop_capture(DAQCAP_FMT_GREY, DAQCAP_PATTERN_VERIFY, 100, 50, 64, 37);
    /* 3 bytes a pixel: the window starts mid-word of a VERIFY line. */
    crop_capture(DAQCAP_FMT_RGB24, DAQCAP_PATTERN_VERIFY, 2, 0, 33, 16);
    /* The bottom right corner: bars, the box and the ramp. */
    crop_capture(DAQCAP_FMT_YUYV, DAQCAP_PATTERN_BARS, 320, 400, 320, 80);
    crop_capture(DAQCAP_FMT_Y16, DAQCAP_PATTERN_BARS, 6, 10, 200, 100);
    /* Two planes: each has its window's rows. */
    crop_capture(DAQCAP_FMT_NV12, DAQCAP_PATTERN_BARS, 100, 50, 200, 60);
    crop_capture(DAQCAP_FMT_NV16, DAQCAP_PATTERN_VERIFY, 6, 11, 34, 21);

    card_start(&c, "");
    /* An odd X would split a 4:2:2 pair: refused at enable. */
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_CROP_ORIGIN, 1);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE | DAQCAP_CH_CTRL_CROP |
        VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==, DAQCAP_CH_STATUS_CONFIG_ERR);
    /* Beyond the largest frame: refused too. */
    cwr(&ch, DAQCAP_CH_CROP_ORIGIN, (DAQCAP_MAX_HEIGHT - 63) << DAQCAP_CROP_Y_SHIFT);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE | DAQCAP_CH_CTRL_CROP |
        VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==, DAQCAP_CH_STATUS_CONFIG_ERR);
    /* Without CROP the origin is not looked at. */
    cwr(&ch, DAQCAP_CH_CROP_ORIGIN, 1);
    chan_enable(&ch, VGA_INPUT);
    cwr(&ch, DAQCAP_CH_CTRL, 0);

    /* Past the input's frame: accepted, but every frame is in error. */
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, guest_alloc(&c.alloc, 64 * 64), 64 * 64, 3);
    cwr(&ch, DAQCAP_CH_CROP_ORIGIN, 578 | 10 << DAQCAP_CROP_Y_SHIFT);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE | DAQCAP_CH_CTRL_CROP |
        VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_RUNNING, ==,
                    DAQCAP_CH_STATUS_RUNNING);
    /* Neither the window nor CROP changes under a running channel. */
    cwr(&ch, DAQCAP_CH_CROP_ORIGIN, 0);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE |
        VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_CROP_ORIGIN), ==,
                    578 | 10 << DAQCAP_CROP_Y_SHIFT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_CTRL) & DAQCAP_CH_CTRL_CROP, ==,
                    DAQCAP_CH_CTRL_CROP);
    step_frames(&c, 2);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 4);
    for (unsigned k = 0; k < 4; k++) {
        g_assert_cmphex(cpl[k].status & DAQCAP_CPL_STATUS_ERR_MASK, ==,
                        DAQCAP_CPL_STATUS_ERR_GEOMETRY);
    }
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_BYTES_LO), ==, 0);

    /* A channel reset forgets the window. */
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_RESET);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_CROP_ORIGIN), ==, 0);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_CTRL), ==, 0);
    card_stop(&c);
}

/*
 * Every format, at sizes that include a height that is not a multiple of
 * the chunk lines and an odd stride, scattered over segments of odd length
 * at odd addresses; padding between lines stays untouched.
 */
static void capture_check_how(uint32_t fmt, uint32_t w, uint32_t h,
                              uint32_t extra_stride, uint32_t chunk,
                              uint32_t pattern, const uint32_t *seg_len,
                              unsigned nseg, bool chain)
{
    Card c;
    Chan ch;
    uint32_t lb = daqcap_pattern_line_bytes(fmt, w);
    uint32_t stride = lb + extra_stride;
    uint32_t rows = daqcap_pattern_rows(fmt, h);
    uint32_t size = stride * rows;
    uint64_t pool, addr[8];
    uint32_t len[8];
    g_autofree uint8_t *img = g_malloc(size);
    uint32_t off = 0, nchunks = DIV_ROUND_UP(h, chunk);
    Cpl cpl[700];
    unsigned n;

    card_start(&c, "");
    pool = guest_alloc(&c.alloc, size + 8 * 64);
    qtest_memset(c.qts, pool, 0xa5, size + 8 * 64);
    /*
     * Segments at odd offsets, 61 bytes apart, lengths as given until the
     * frame is covered, the last one taking the rest.
     */
    for (unsigned i = 0; i < nseg; i++) {
        len[i] = i == nseg - 1 || seg_len[i] >= size - off ? size - off
                                                            : seg_len[i];
        addr[i] = pool + off + 61 * i + 3;
        off += len[i];
        if (off == size) {
            nseg = i + 1;
        }
    }
    wr(&c, DAQCAP_INPUT_BASE(VGA_INPUT) + DAQCAP_IN_PATTERN, pattern);
    chan_setup(&c, &ch, 1, VGA_INPUT, fmt, w, h, stride, chunk, 4, 10);
    if (chain) {
        queue_chain(&ch, guest_alloc(&c.alloc, nseg * DAQCAP_DESC_SIZE),
                    addr, len, nseg, 7);
    } else {
        queue_buffer(&ch, addr, len, nseg, 7);
    }
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);

    n = drain(&ch, cpl, ARRAY_SIZE(cpl));
    g_assert_cmpuint(cpl[0].cookie, ==, 7);
    g_assert_cmpuint(n, ==, nchunks);
    g_assert_cmpuint(cpl[n - 1].lines, ==, h - (nchunks - 1) * chunk);
    g_assert(cpl[n - 1].status & DAQCAP_CPL_STATUS_EOF);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_ERROR_FRAMES), ==, 0);

    /* Gather the segments back into one image and check it. */
    for (unsigned i = 0; i < nseg; i++) {
        qtest_memread(c.qts, addr[i], img + (addr[i] - pool - 61 * i - 3),
                      len[i]);
    }
    for (uint32_t l = 0; l < rows; l++) {
        struct daqcap_pattern_frame pf = {
            .input = VGA_INPUT, .pattern = pattern, .format = fmt,
            .width = w, .height = h, .sequence = 0,
        };

        g_assert_cmpint(daqcap_pattern_check_line(&pf, l, img + l * stride),
                        ==, -1);
        for (uint32_t b = lb; b < stride; b++) {
            g_assert_cmphex(img[l * stride + b], ==, 0xa5);
        }
    }
    /* The gaps between segments were never written. */
    for (unsigned i = 1; i < nseg; i++) {
        uint8_t gap[61];

        qtest_memread(c.qts, addr[i] - 61, gap, sizeof(gap));
        for (unsigned b = 0; b < sizeof(gap); b++) {
            g_assert_cmphex(gap[b], ==, 0xa5);
        }
    }
    card_stop(&c);
}

static void capture_check(uint32_t fmt, uint32_t w, uint32_t h,
                          uint32_t extra_stride, uint32_t chunk,
                          uint32_t pattern, const uint32_t *seg_len,
                          unsigned nseg)
{
    capture_check_how(fmt, w, h, extra_stride, chunk, pattern, seg_len, nseg,
                      false);
}

/* The same buffers, queued as one CHAIN entry each. */
static void test_chain(void)
{
    static const uint32_t segs[] = { 1000, 3, 4093, 65536, 777 };
    static const uint32_t pages[] = { 4096, 4096, 4096, 4096, 4096, 4096, 4096 };

    capture_check_how(DAQCAP_FMT_YUYV, 320, 100, 13, 16, DAQCAP_PATTERN_VERIFY,
                      segs, 5, true);
    capture_check_how(DAQCAP_FMT_RGB24, 640, 480, 0, 16, DAQCAP_PATTERN_BARS,
                      pages, 7, true);
    capture_check_how(DAQCAP_FMT_GREY, 64, 64, 0, 16, DAQCAP_PATTERN_BARS,
                      segs, 1, true);
}

/*
 * NV12 and NV16 write a chunk's chroma rows with its luma lines: when chunk
 * k is posted, the chroma of every line (NV16) or of every completed pair
 * of lines (NV12) up to its last is in memory, and none beyond. Chunks of
 * 5 lines end mid-pair.
 */
static void test_two_planes(void)
{
    static const uint32_t fmts[] = { DAQCAP_FMT_NV12, DAQCAP_FMT_NV16 };
    uint32_t w = 64, h = 40, chunk = 5, nchunks = h / chunk;

    for (unsigned f = 0; f < ARRAY_SIZE(fmts); f++) {
        uint32_t fmt = fmts[f], rows = daqcap_pattern_rows(fmt, h);
        uint32_t size = w * rows;
        struct daqcap_pattern_frame pf = {
            .input = VGA_INPUT, .pattern = DAQCAP_PATTERN_VERIFY,
            .format = fmt, .width = w, .height = h, .sequence = 0,
        };
        g_autofree uint8_t *img = g_malloc(size);
        uint64_t buf;
        Card c;
        Chan ch;
        Cpl cpl[4];

        card_start(&c, "");
        wr(&c, DAQCAP_INPUT_BASE(VGA_INPUT) + DAQCAP_IN_PATTERN,
           DAQCAP_PATTERN_VERIFY);
        buf = guest_alloc(&c.alloc, size);
        qtest_memset(c.qts, buf, 0xa5, size);
        chan_setup(&c, &ch, 0, VGA_INPUT, fmt, w, h, w, chunk, 4, 6);
        queue_simple(&ch, buf, size, 1);
        chan_enable(&ch, VGA_INPUT);
        sync_sof(&ch);
        for (uint32_t k = 0; k < nchunks; k++) {
            uint32_t done = (k + 1) * chunk;
            uint32_t chroma_done = fmt == DAQCAP_FMT_NV12 ? done / 2 : done;

            step(&c, chunk * VGA_LINE_NS + 100);
            g_assert_cmpuint(drain(&ch, cpl, 4), ==, 1);
            g_assert_cmpuint(cpl[0].chunk, ==, k);
            qtest_memread(c.qts, buf, img, size);
            for (uint32_t r = 0; r < rows; r++) {
                bool written = r < h ? r < done : r - h < chroma_done;
                const uint8_t *row = img + (size_t)r * w;

                if (written) {
                    g_assert_cmpint(daqcap_pattern_check_line(&pf, r, row),
                                    ==, -1);
                } else {
                    for (uint32_t b = 0; b < w; b++) {
                        g_assert_cmphex(row[b], ==, 0xa5);
                    }
                }
            }
        }
        g_assert_cmpuint(crd(&ch, DAQCAP_CH_BYTES_LO), ==, size);
        card_stop(&c);
    }

    /* NV12 needs an even height; NV16, like YUYV, an even width. */
    {
        Card c;
        Chan ch;

        card_start(&c, "");
        chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_NV12, 64, 37, 64, 16,
                   4, 4);
        cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE |
            VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
        g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==,
                        DAQCAP_CH_STATUS_CONFIG_ERR);
        chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_NV16, 63, 38, 64, 16,
                   4, 4);
        cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE |
            VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
        g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==,
                        DAQCAP_CH_STATUS_CONFIG_ERR);
        /* A 4:2:0 window starts on an even line. */
        chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_NV12, 64, 38, 64, 16,
                   4, 4);
        cwr(&ch, DAQCAP_CH_CROP_ORIGIN, 3 << DAQCAP_CROP_Y_SHIFT);
        cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE | DAQCAP_CH_CTRL_CROP |
            VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
        g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==,
                        DAQCAP_CH_STATUS_CONFIG_ERR);
        card_stop(&c);
    }
}

static void test_formats(void)
{
    static const uint32_t segs[] = { 1000, 3, 4093, 65536, 777 };

    for (uint32_t fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
        /* 4:2:0 needs an even height: 38 lines, still no multiple of 16. */
        capture_check(fmt, 64, fmt == DAQCAP_FMT_NV12 ? 38 : 37, 0, 16,
                      DAQCAP_PATTERN_VERIFY, segs, 5);
        capture_check(fmt, 320, 100, 13, 16, DAQCAP_PATTERN_BARS, segs, 5);
        capture_check(fmt, 640, 480, 0, 16, DAQCAP_PATTERN_BARS, segs, 1);
    }
}

static void test_chunk_sizes(void)
{
    static const uint32_t segs[] = { 4096, 4096, 4096, 4096, 4096, 4096, 4096 };

    capture_check(DAQCAP_FMT_RGB24, 100, 50, 0, 1, DAQCAP_PATTERN_VERIFY, segs, 7);
    capture_check(DAQCAP_FMT_RGB24, 100, 50, 0, 7, DAQCAP_PATTERN_VERIFY, segs, 7);
    capture_check(DAQCAP_FMT_Y16, 640, 480, 0, 64, DAQCAP_PATTERN_VERIFY, segs, 7);
    capture_check(DAQCAP_FMT_GREY, 640, 1, 0, 16, DAQCAP_PATTERN_VERIFY, segs, 1);
}

/* Sequence numbers, drops and ring wrap-around over many frames. */
static void test_drops_and_wrap(void)
{
    Card c;
    Chan ch;
    uint32_t w = 64, h = 64, size = w * h;
    uint64_t bufs[4];
    Cpl cpl[16];
    uint32_t last_seq = 0;
    unsigned frames = 0;

    card_start(&c, "");
    for (unsigned i = 0; i < 4; i++) {
        bufs[i] = guest_alloc(&c.alloc, size);
    }
    /* 16-entry rings, 64-line chunks: one completion per frame. */
    chan_setup(&c, &ch, 3, VGA_INPUT, DAQCAP_FMT_GREY, w, h, w, 64, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    chan_enable(&ch, VGA_INPUT);

    /* Nothing queued: the frame is dropped but the sequence advances. */
    step_frames(&c, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS), ==, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS_NO_BUFFER), ==, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS_RING_FULL), ==, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS_LATE), ==, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_SEQUENCE), ==, 1);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_STARVED);
    g_assert(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DROP);
    g_assert_cmpuint(qom_u64(&c, "ch3-drops"), ==, 1);

    /* 40 frames through 16-entry rings: indices and phase wrap twice. */
    for (unsigned f = 0; f < 40; f++) {
        queue_simple(&ch, bufs[f % 4], size, f % 4);
        step_frames(&c, 1);
        while (pop_cpl(&ch, &cpl[0])) {
            g_assert(cpl[0].status & DAQCAP_CPL_STATUS_EOF);
            g_assert_cmpuint(cpl[0].cookie, ==, frames % 4);
            g_assert_cmpuint(cpl[0].seq, >, last_seq);
            check_frame(&c, bufs[frames % 4], w, VGA_INPUT, DAQCAP_PATTERN_BARS,
                        DAQCAP_FMT_GREY, w, h, cpl[0].seq);
            last_seq = cpl[0].seq;
            frames++;
        }
    }
    g_assert_cmpuint(frames, >=, 38);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_FRAMES), ==, frames);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DESC_HEAD), ==, ch.tail);

    /* An injected drop leaves the queued buffer for the next frame. */
    inject(&c, "drop:3");
    queue_simple(&ch, bufs[0], size, 9);
    step_frames(&c, 1);
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 0);
    step_frames(&c, 1);
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 1);
    g_assert_cmpuint(cpl[0].cookie, ==, 9);
    g_assert_cmpuint(cpl[0].seq, ==, last_seq + 2);   /* the gap shows */
    /* Every drop has its reason but the injected one. */
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS_NO_BUFFER) +
                     crd(&ch, DAQCAP_CH_DROPS_RING_FULL) +
                     crd(&ch, DAQCAP_CH_DROPS_LATE) + 1, ==,
                     crd(&ch, DAQCAP_CH_DROPS));
    card_stop(&c);
}

/* A buffer shorter than the frame: nothing written past it, error flagged. */
static void test_short_buffer(void)
{
    Card c;
    Chan ch;
    uint32_t w = 64, h = 64, full = w * h, have = full / 2 + 5;
    uint64_t buf;
    uint8_t after[256];
    Cpl cpl[8];
    unsigned n;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, full + 256);
    qtest_memset(c.qts, buf, 0x5a, full + 256);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, w, h, w, 16, 4, 4);
    queue_simple(&ch, buf, have, 1);
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);
    n = drain(&ch, cpl, 8);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmphex(cpl[0].status & DAQCAP_CPL_STATUS_ERR_MASK, ==, 0);
    g_assert_cmphex(cpl[2].status & DAQCAP_CPL_STATUS_ERR_MASK, ==,
                    DAQCAP_CPL_STATUS_ERR_SHORT);
    g_assert_cmphex(cpl[3].status & DAQCAP_CPL_STATUS_ERR_MASK, ==,
                    DAQCAP_CPL_STATUS_ERR_SHORT);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_ERROR_FRAMES), ==, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_BYTES_LO), ==, have);
    qtest_memread(c.qts, buf + have, after, sizeof(after));
    for (unsigned i = 0; i < sizeof(after); i++) {
        g_assert_cmphex(after[i], ==, 0x5a);
    }
    card_stop(&c);
}

/* ---- Errors ------------------------------------------------------------ */

static void expect_desc_error(void (*lay)(Card *, Chan *, uint64_t))
{
    Card c;
    Chan ch;
    uint64_t buf;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    lay(&c, &ch, buf);
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DESC_ERROR,
                    ==, DAQCAP_CH_IRQ_DESC_ERROR);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS) &
                    (DAQCAP_CH_STATUS_HALTED | DAQCAP_CH_STATUS_RUNNING), ==,
                    DAQCAP_CH_STATUS_HALTED);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS) & 1, ==, 1);
    /* Halted means halted: no more completions, even with a good buffer. */
    put_desc(&ch, buf, 4096, DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF, 5);
    cwr(&ch, DAQCAP_CH_DESC_TAIL, ch.tail);
    step_frames(&c, 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL), ==, 0);
    /* A channel reset brings it back to its reset state. */
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_RESET);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==, 0);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, 0);
    card_stop(&c);
}

static void lay_zero_len(Card *c, Chan *ch, uint64_t buf)
{
    put_desc(ch, buf, 0, DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF, 1);
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

static void lay_no_sof(Card *c, Chan *ch, uint64_t buf)
{
    put_desc(ch, buf, 4096, DAQCAP_DESC_FLAG_EOF, 1);
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

static void lay_sof_twice(Card *c, Chan *ch, uint64_t buf)
{
    put_desc(ch, buf, 100, DAQCAP_DESC_FLAG_SOF, 1);
    put_desc(ch, buf + 100, 3996, DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF, 1);
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

static void lay_reserved_flags(Card *c, Chan *ch, uint64_t buf)
{
    put_desc(ch, buf, 4096, DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF | 0x80, 1);
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

static void lay_overrun(Card *c, Chan *ch, uint64_t buf)
{
    put_desc(ch, buf, 4096, DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF, 1);
    cwr(ch, DAQCAP_CH_DESC_TAIL, 17);   /* 17 queued in a 16-entry ring */
}

static void lay_wrap(Card *c, Chan *ch, uint64_t buf)
{
    put_desc(ch, 0xfffffffffffff000ULL, 0x2000,
             DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF, 1);
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

/* CHAIN entries: flags other than CHAIN, empty or misaligned tables. */
static void lay_chain_entry(Chan *ch, uint64_t table, uint32_t count,
                            uint16_t flags)
{
    uint32_t slot = ch->tail & ((1u << ch->desc_log2) - 1);
    uint8_t d[DAQCAP_DESC_SIZE];

    stq_le_p(d + DAQCAP_DESC_ADDR, table);
    stl_le_p(d + DAQCAP_DESC_LEN, count);
    stw_le_p(d + DAQCAP_DESC_FLAGS, flags);
    stw_le_p(d + DAQCAP_DESC_COOKIE, 0);
    qtest_memwrite(ch->card->qts, ch->desc + slot * DAQCAP_DESC_SIZE, d,
                   sizeof(d));
    ch->tail++;
    cwr(ch, DAQCAP_CH_DESC_TAIL, ch->tail);
}

static uint64_t chain_table(Card *c, uint64_t buf, const uint16_t *flags,
                            unsigned n)
{
    uint64_t table = guest_alloc(&c->alloc, 16 * DAQCAP_DESC_SIZE);
    uint8_t d[DAQCAP_DESC_SIZE];

    for (unsigned i = 0; i < n; i++) {
        stq_le_p(d + DAQCAP_DESC_ADDR, buf + i * 1024);
        stl_le_p(d + DAQCAP_DESC_LEN, 1024);
        stw_le_p(d + DAQCAP_DESC_FLAGS, flags[i]);
        stw_le_p(d + DAQCAP_DESC_COOKIE, 1);
        qtest_memwrite(c->qts, table + i * DAQCAP_DESC_SIZE, d, sizeof(d));
    }
    return table;
}

static void lay_chain_flags(Card *c, Chan *ch, uint64_t buf)
{
    static const uint16_t f[] = { DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF };

    lay_chain_entry(ch, chain_table(c, buf, f, 1), 1,
                    DAQCAP_DESC_FLAG_CHAIN | DAQCAP_DESC_FLAG_SOF);
}

static void lay_chain_empty(Card *c, Chan *ch, uint64_t buf)
{
    static const uint16_t f[] = { DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF };

    lay_chain_entry(ch, chain_table(c, buf, f, 1), 0, DAQCAP_DESC_FLAG_CHAIN);
}

static void lay_chain_misaligned(Card *c, Chan *ch, uint64_t buf)
{
    static const uint16_t f[] = { DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF };

    lay_chain_entry(ch, chain_table(c, buf, f, 1) + 8, 1,
                    DAQCAP_DESC_FLAG_CHAIN);
}

static void lay_chain_no_eof(Card *c, Chan *ch, uint64_t buf)
{
    static const uint16_t f[] = { DAQCAP_DESC_FLAG_SOF, 0, 0, 0 };

    lay_chain_entry(ch, chain_table(c, buf, f, 4), 4, DAQCAP_DESC_FLAG_CHAIN);
}

static void lay_chain_early_eof(Card *c, Chan *ch, uint64_t buf)
{
    static const uint16_t f[] = { DAQCAP_DESC_FLAG_SOF, DAQCAP_DESC_FLAG_EOF,
                                  0, DAQCAP_DESC_FLAG_EOF };

    lay_chain_entry(ch, chain_table(c, buf, f, 4), 4, DAQCAP_DESC_FLAG_CHAIN);
}

static void lay_chain_nested(Card *c, Chan *ch, uint64_t buf)
{
    static const uint16_t f[] = { DAQCAP_DESC_FLAG_SOF, DAQCAP_DESC_FLAG_CHAIN,
                                  DAQCAP_DESC_FLAG_EOF };

    lay_chain_entry(ch, chain_table(c, buf, f, 3), 3, DAQCAP_DESC_FLAG_CHAIN);
}

static void lay_chain_mid_run(Card *c, Chan *ch, uint64_t buf)
{
    static const uint16_t f[] = { DAQCAP_DESC_FLAG_SOF | DAQCAP_DESC_FLAG_EOF };

    put_desc(ch, buf, 1024, DAQCAP_DESC_FLAG_SOF, 1);
    lay_chain_entry(ch, chain_table(c, buf, f, 1), 1, DAQCAP_DESC_FLAG_CHAIN);
}

static void test_desc_errors(void)
{
    expect_desc_error(lay_chain_flags);
    expect_desc_error(lay_chain_empty);
    expect_desc_error(lay_chain_misaligned);
    expect_desc_error(lay_chain_no_eof);
    expect_desc_error(lay_chain_early_eof);
    expect_desc_error(lay_chain_nested);
    expect_desc_error(lay_chain_mid_run);
    expect_desc_error(lay_zero_len);
    expect_desc_error(lay_no_sof);
    expect_desc_error(lay_sof_twice);
    expect_desc_error(lay_reserved_flags);
    expect_desc_error(lay_overrun);
    expect_desc_error(lay_wrap);
}

/* An incomplete buffer (no EOF yet) is not taken: the frame is dropped. */
static void test_incomplete_buffer(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[8];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    chan_enable(&ch, VGA_INPUT);
    put_desc(&ch, buf, 2048, DAQCAP_DESC_FLAG_SOF, 3);
    cwr(&ch, DAQCAP_CH_DESC_TAIL, ch.tail);
    step_frames(&c, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS), ==, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DESC_HEAD), ==, 0);
    put_desc(&ch, buf + 2048, 2048, DAQCAP_DESC_FLAG_EOF, 3);
    cwr(&ch, DAQCAP_CH_DESC_TAIL, ch.tail);
    step_frames(&c, 1);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 4);
    g_assert_cmpuint(cpl[0].seq, ==, 1);
    check_frame(&c, buf, 64, VGA_INPUT, DAQCAP_PATTERN_BARS, DAQCAP_FMT_GREY,
                64, 64, 1);
    card_stop(&c);
}

static void test_dma_errors(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[8];

    /* Injected: the next data write fails, the channel halts. */
    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    queue_simple(&ch, buf, 4096, 1);
    queue_simple(&ch, buf, 4096, 2);
    chan_enable(&ch, VGA_INPUT);
    inject(&c, "dma-error:1");
    step_frames(&c, 3);
    g_assert(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DMA_ERROR);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_HALTED);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 0);
    card_stop(&c);

    /* Real: a segment pointing outside any memory. */
    card_start(&c, "");
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, 0x7f0000000000ULL, 4096, 1);
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);
    g_assert(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DMA_ERROR);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_HALTED);
    card_stop(&c);
}

static void test_fifo_overflow(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[8];
    uint8_t line[64];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    qtest_memset(c.qts, buf, 0x33, 4096);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    queue_simple(&ch, buf, 4096, 1);
    chan_enable(&ch, VGA_INPUT);
    inject(&c, "fifo-overflow:0");
    step_frames(&c, 2);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 4);
    /* Chunk 2 of 4 lost its lines; the frame still completes, flagged. */
    g_assert_cmphex(cpl[2].status & DAQCAP_CPL_STATUS_ERR_MASK, ==,
                    DAQCAP_CPL_STATUS_ERR_FIFO);
    g_assert_cmphex(cpl[1].status & DAQCAP_CPL_STATUS_ERR_MASK, ==, 0);
    g_assert(cpl[3].status & DAQCAP_CPL_STATUS_EOF);
    g_assert(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_FIFO_OVERFLOW);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_ERROR_FRAMES), ==, 1);
    g_assert_cmpuint(qom_u64(&c, "ch0-error-frames"), ==, 1);
    qtest_memread(c.qts, buf + 32 * 64, line, sizeof(line));
    for (unsigned i = 0; i < sizeof(line); i++) {
        g_assert_cmphex(line[i], ==, 0x33);
    }
    card_stop(&c);
}

/*
 * The lies of a broken card, one record each; the chunk's data is written
 * all the same and the frame goes on.
 */
static void test_lying_records(void)
{
    static const char *const faults[] = {
        "bad-cookie:0", "bad-chunk:0", "bad-lines:0", "dup-completion:0",
    };

    for (unsigned f = 0; f < G_N_ELEMENTS(faults); f++) {
        Card c;
        Chan ch;
        uint64_t buf;
        Cpl cpl[8];
        unsigned n;

        card_start(&c, "");
        buf = guest_alloc(&c.alloc, 4096);
        chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
        queue_simple(&ch, buf, 4096, 5);
        inject(&c, faults[f]);
        chan_enable(&ch, VGA_INPUT);
        step_frames(&c, 2);
        n = drain(&ch, cpl, 8);
        /* The first record of the frame is the one that lies. */
        switch (f) {
        case 0:
            g_assert_cmpuint(n, ==, 4);
            g_assert_cmphex(cpl[0].cookie, ==, 5 ^ 0x8000);
            g_assert_cmphex(cpl[1].cookie, ==, 5);
            break;
        case 1:
            g_assert_cmpuint(n, ==, 4);
            g_assert_cmpuint(cpl[0].chunk, ==, 4);
            g_assert_cmpuint(cpl[1].chunk, ==, 1);
            break;
        case 2:
            g_assert_cmpuint(n, ==, 4);
            g_assert_cmpuint(cpl[0].lines, ==, 17);
            g_assert_cmpuint(cpl[1].lines, ==, 16);
            break;
        case 3:
            g_assert_cmpuint(n, ==, 5);
            g_assert(!memcmp(&cpl[0], &cpl[1], sizeof(cpl[0])));
            g_assert_cmpuint(cpl[2].chunk, ==, 1);
            break;
        }
        g_assert(cpl[n - 1].status & DAQCAP_CPL_STATUS_EOF);
        /* Chunk counts are the card's truth: four chunks were written. */
        g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNKS), ==, 4);
        g_assert_cmpuint(crd(&ch, DAQCAP_CH_FRAMES), ==, 1);
        check_frame(&c, buf, 64, VGA_INPUT, DAQCAP_PATTERN_BARS,
                    DAQCAP_FMT_GREY, 64, 64, cpl[n - 1].seq);
        card_stop(&c);
    }
}

static void test_signal_loss(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[8];
    unsigned n;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096 * 4);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    for (unsigned i = 0; i < 4; i++) {
        queue_simple(&ch, buf + i * 4096, 4096, i);
    }
    chan_enable(&ch, VGA_INPUT);
    /* Into the frame: past the first chunk but not the second. */
    sync_sof(&ch);
    step(&c, 20 * VGA_LINE_NS);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 1);
    qom_set_bool(&c, "input3-signal", false);
    /* The three missing chunks come at once, flagged, without data. */
    n = drain(&ch, cpl, 8);
    g_assert_cmpuint(n, ==, 3);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(cpl[i].status & DAQCAP_CPL_STATUS_ERR_MASK, ==,
                        DAQCAP_CPL_STATUS_ERR_SIGNAL);
    }
    g_assert(cpl[2].status & DAQCAP_CPL_STATUS_EOF);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 1u << VGA_INPUT);
    /* No frames without a signal, and no drops counted either. */
    step_frames(&c, 5);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS), ==, 0);
    /* Back: frames resume on the restarted source, at once. */
    qom_set_bool(&c, "input3-signal", true);
    step(&c, VGA_FRAME_NS / 2);
    n = drain(&ch, cpl, 8);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmpuint(cpl[0].seq, ==, 1);
    g_assert_cmphex(cpl[3].status & DAQCAP_CPL_STATUS_ERR_MASK, ==, 0);

    /* Timings shrink under the channel: frames complete as geometry errors. */
    qom_set_str(&c, "input3-timings", "640x480p60");
    cwr(&ch, DAQCAP_CH_CTRL, 0);
    cwr(&ch, DAQCAP_CH_SIZE, 800 | 64 << 16);
    cwr(&ch, DAQCAP_CH_STRIDE, 800);
    ch.tail = ch.head = 0;
    qtest_memset(c.qts, ch.cpl, 0, DAQCAP_CPL_SIZE << ch.cpl_log2);
    queue_simple(&ch, buf, 4096 * 4, 1);
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);
    n = drain(&ch, cpl, 8);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmphex(cpl[0].status & DAQCAP_CPL_STATUS_ERR_MASK, ==,
                    DAQCAP_CPL_STATUS_ERR_GEOMETRY);
    card_stop(&c);
}

static void test_stall_and_disable(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[8];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 2, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, buf, 4096, 1);
    queue_simple(&ch, buf, 4096, 2);
    chan_enable(&ch, VGA_INPUT);
    sync_sof(&ch);
    step(&c, 20 * VGA_LINE_NS);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 1);
    inject(&c, "stall:2");
    step_frames(&c, 3);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 0);
    /* A stalled channel never goes idle on disable... */
    cwr(&ch, DAQCAP_CH_CTRL, 0);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_BUSY);
    /* ...until it is reset. */
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_RESET);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNK_LINES), ==,
                     DAQCAP_CHUNK_LINES_DEFAULT);

    /* A healthy channel disabled mid-frame goes idle at once. */
    chan_setup(&c, &ch, 2, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, buf, 4096, 1);
    chan_enable(&ch, VGA_INPUT);
    step(&c, VGA_FRAME_NS + 20 * VGA_LINE_NS);
    cwr(&ch, DAQCAP_CH_CTRL, 0);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS) &
                    (DAQCAP_CH_STATUS_BUSY | DAQCAP_CH_STATUS_RUNNING), ==, 0);
    step_frames(&c, 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL), <=, 2);
    card_stop(&c);
}

/* A wedged channel ignores its own reset; a card reset frees it. */
static void test_wedge(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[8];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, buf, 4096, 1);
    queue_simple(&ch, buf, 4096, 2);
    chan_enable(&ch, VGA_INPUT);
    sync_sof(&ch);
    step(&c, 20 * VGA_LINE_NS);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 1);
    inject(&c, "wedge:1");
    step_frames(&c, 2);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 0);
    cwr(&ch, DAQCAP_CH_CTRL, 0);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_BUSY);
    /* The channel reset does not take effect: still busy, still set up. */
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_RESET);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_BUSY);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNK_LINES), ==, 16);
    /* The soft reset of the card does. */
    wr(&c, DAQCAP_REG_RESET, DAQCAP_RESET_MAGIC);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNK_LINES), ==,
                     DAQCAP_CHUNK_LINES_DEFAULT);
    /* And a channel reset works again afterwards. */
    chan_setup(&c, &ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_RESET);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNK_LINES), ==,
                     DAQCAP_CHUNK_LINES_DEFAULT);
    card_stop(&c);
}

/* The pattern is taken at start of frame: a change mid-frame waits. */
static void test_pattern_latch(void)
{
    Card c;
    Chan ch;
    uint64_t buf[2];
    Cpl cpl[16];

    card_start(&c, "");
    buf[0] = guest_alloc(&c.alloc, 64 * 64);
    buf[1] = guest_alloc(&c.alloc, 64 * 64);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, buf[0], 64 * 64, 0);
    queue_simple(&ch, buf[1], 64 * 64, 1);
    chan_enable(&ch, VGA_INPUT);
    sync_sof(&ch);
    step(&c, 20 * VGA_LINE_NS);
    wr(&c, DAQCAP_INPUT_BASE(VGA_INPUT) + DAQCAP_IN_PATTERN,
       DAQCAP_PATTERN_VERIFY);
    step_frames(&c, 1);
    step(&c, 64 * VGA_LINE_NS);
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 8);
    check_frame(&c, buf[0], 64, VGA_INPUT, DAQCAP_PATTERN_BARS,
                DAQCAP_FMT_GREY, 64, 64, 0);
    check_frame(&c, buf[1], 64, VGA_INPUT, DAQCAP_PATTERN_VERIFY,
                DAQCAP_FMT_GREY, 64, 64, 1);
    card_stop(&c);
}

static void test_config_errors(void)
{
    Card c;
    Chan ch;

    card_start(&c, "");
    /* Stride shorter than a line. */
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_RGB24, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE |
        VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==, DAQCAP_CH_STATUS_CONFIG_ERR);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_CTRL) & DAQCAP_CH_CTRL_ENABLE, ==, 0);
    /* Odd width in a 4:2:2 format. */
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_YUYV, 63, 64, 128, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_CONFIG_ERR);
    /* Unknown format, unknown input, bad rings. */
    chan_setup(&c, &ch, 0, VGA_INPUT, 99, 64, 64, 256, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_CONFIG_ERR);
    chan_setup(&c, &ch, 0, 9, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE | 9 << 8);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_CONFIG_ERR);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 3, 4);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_CONFIG_ERR);
    /* Completion ring smaller than a frame's chunks (64 lines / 1). */
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 1, 4, 4);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_CONFIG_ERR);
    /* Out-of-range chunk lines are ignored. */
    cwr(&ch, DAQCAP_CH_CHUNK_LINES, 0);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNK_LINES), ==, 1);
    cwr(&ch, DAQCAP_CH_CHUNK_LINES, 65);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNK_LINES), ==, 1);
    /* A good configuration clears CONFIG_ERR. */
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    chan_enable(&ch, VGA_INPUT);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS) & ~DAQCAP_CH_STATUS_STARVED, ==,
                    DAQCAP_CH_STATUS_RUNNING);
    /* Nor can the geometry change under a running channel. */
    cwr(&ch, DAQCAP_CH_SIZE, 0);
    cwr(&ch, DAQCAP_CH_FORMAT, DAQCAP_FMT_Y16);
    cwr(&ch, DAQCAP_CH_STRIDE, 1);
    cwr(&ch, DAQCAP_CH_CHUNK_LINES, 1);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_SIZE), ==, 64 | 64 << 16);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_FORMAT), ==, DAQCAP_FMT_GREY);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STRIDE), ==, 64);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_CHUNK_LINES), ==, 16);
    /* Rings cannot move, nor the input change, while running. */
    cwr(&ch, DAQCAP_CH_DESC_BASE_LO, 0x1000);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_DESC_BASE_LO), ==, (uint32_t)ch.desc);
    cwr(&ch, DAQCAP_CH_CTRL, DAQCAP_CH_CTRL_ENABLE);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_CTRL), ==, DAQCAP_CH_CTRL_ENABLE |
                    VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    card_stop(&c);
}

/* A completion ring the driver does not drain: frames drop, none is lost. */
static void test_cpl_ring_full(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[32];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 5, 4);
    for (unsigned i = 0; i < 8; i++) {
        queue_simple(&ch, buf, 4096, i);
    }
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 6);
    /* 16 entries hold 4 frames of 4 chunks; later frames are dropped. */
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL), ==, 16);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_FRAMES), ==, 4);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS), >=, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS_RING_FULL), ==,
                     crd(&ch, DAQCAP_CH_DROPS));
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS_NO_BUFFER), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_DATA_READY), ==, 1);
    g_assert_cmpuint(drain(&ch, cpl, 32), ==, 16);
    g_assert_cmphex(rd(&c, DAQCAP_REG_DATA_READY), ==, 0);
    /* A CPL_HEAD beyond the tail, or moving back, is refused. */
    cwr(&ch, DAQCAP_CH_CPL_HEAD, ch.head + 5);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_HEAD), ==, ch.head);
    cwr(&ch, DAQCAP_CH_CPL_HEAD, ch.head - 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_HEAD), ==, ch.head);
    step_frames(&c, 1);
    g_assert_cmpuint(drain(&ch, cpl, 32), ==, 4);
    card_stop(&c);
}

/* ---- Interrupts -------------------------------------------------------- */

static void test_coalescing(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[64];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 64 * 128);
    /* 128 lines in 16-line chunks: 8 chunks per frame. */
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 128, 64, 16, 4, 6);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, DAQCAP_CH_IRQ_DATA);
    for (unsigned i = 0; i < 4; i++) {
        queue_simple(&ch, buf, 64 * 128, i);
    }

    /* Every 3 chunks, and always at end of frame. */
    cwr(&ch, DAQCAP_CH_IRQ_COALESCE, DAQCAP_COALESCE_MODE_CHUNKS |
        3 << DAQCAP_COALESCE_COUNT_SHIFT);
    chan_enable(&ch, VGA_INPUT);
    sync_sof(&ch);
    for (unsigned k = 1; k <= 8; k++) {
        step(&c, 16 * VGA_LINE_NS + 2);
        if (k % 3 == 0 || k == 8) {
            g_assert_cmphex(chan_events(&ch), ==,
                            DAQCAP_CH_IRQ_DATA);
            cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_DATA);
        } else {
            g_assert_cmphex(chan_events(&ch), ==, 0);
        }
    }
    drain(&ch, cpl, 64);

    /* End of frame only. */
    cwr(&ch, DAQCAP_CH_IRQ_COALESCE, DAQCAP_COALESCE_MODE_FRAME);
    sync_sof(&ch);
    for (unsigned k = 1; k <= 8; k++) {
        step(&c, 16 * VGA_LINE_NS + 2);
        g_assert_cmphex(chan_events(&ch), ==,
                        k == 8 ? DAQCAP_CH_IRQ_DATA : 0);
    }
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_DATA);
    drain(&ch, cpl, 64);

    /*
     * Delay only: 500 us after the first unsignalled completion, though
     * chunk 1 follows chunk 0 by 16 line periods (509 us).
     */
    cwr(&ch, DAQCAP_CH_IRQ_COALESCE, DAQCAP_COALESCE_MODE_DELAY |
        500 << DAQCAP_COALESCE_DELAY_SHIFT);
    sync_sof(&ch);
    step(&c, 16 * VGA_LINE_NS + 2);             /* chunk 0 posted */
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL) - ch.head, ==, 1);
    g_assert_cmphex(chan_events(&ch), ==, 0);
    step(&c, 400000);
    g_assert_cmphex(chan_events(&ch), ==, 0);
    step(&c, 200000);
    g_assert_cmphex(chan_events(&ch), ==, DAQCAP_CH_IRQ_DATA);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL) - ch.head, ==, 2);
    card_stop(&c);
}

/* Program MSI-X vector @v to write @v + 0x100 into the MSI area. */
static void msix_route(Card *c, unsigned v)
{
    uint64_t tbl = c->dev->msix_table_off + v * PCI_MSIX_ENTRY_SIZE;
    uint64_t addr = c->msi_area + 4 * v;

    qpci_io_writel(c->dev, c->dev->msix_table_bar,
                   tbl + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)addr);
    qpci_io_writel(c->dev, c->dev->msix_table_bar,
                   tbl + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    qpci_io_writel(c->dev, c->dev->msix_table_bar,
                   tbl + PCI_MSIX_ENTRY_DATA, 0x100 + v);
    qpci_io_writel(c->dev, c->dev->msix_table_bar,
                   tbl + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
}

static uint32_t msg_take(Card *c, unsigned v)
{
    uint32_t val = qtest_readl(c->qts, c->msi_area + 4 * v);

    qtest_writel(c->qts, c->msi_area + 4 * v, 0);
    return val;
}

static void test_msix(void)
{
    Card c;
    Chan ch;
    uint64_t buf;

    card_start(&c, "");
    qtest_memset(c.qts, c.msi_area, 0, 4096);
    qpci_msix_enable(c.dev);
    for (unsigned v = 0; v <= 4; v++) {
        msix_route(&c, v);
    }
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 2, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 64, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    queue_simple(&ch, buf, 4096, 1);
    chan_enable(&ch, VGA_INPUT);

    /* Channel interrupts stay quiet while the global mask is closed... */
    step_frames(&c, 2);
    g_assert_cmpuint(msg_take(&c, 3), ==, 0);
    /* ...and opening it delivers what is pending, on the channel's vector. */
    wr(&c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_CHANNEL(2) | DAQCAP_IRQ_INPUT_CHANGE);
    g_assert_cmphex(msg_take(&c, DAQCAP_MSIX_VEC_CHANNEL(2)), ==, 0x103);
    g_assert_cmpuint(msg_take(&c, 0), ==, 0);
    g_assert_cmpuint(msg_take(&c, 1), ==, 0);

    /* A new completion after the status is cleared: a new message. */
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_ALL);
    queue_simple(&ch, buf, 4096, 2);
    step_frames(&c, 1);
    g_assert_cmphex(msg_take(&c, 3), ==, 0x103);

    /* An injected lost interrupt: status set, no message. */
    inject(&c, "lost-irq:2");
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_ALL);
    queue_simple(&ch, buf, 4096, 3);
    step_frames(&c, 1);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DATA, ==,
                    DAQCAP_CH_IRQ_DATA);
    g_assert_cmpuint(msg_take(&c, 3), ==, 0);
    g_assert_cmpuint(qom_u64(&c, "ch2-lost-irqs"), ==, 1);
    /* Only one is lost. */
    queue_simple(&ch, buf, 4096, 4);
    step_frames(&c, 1);
    g_assert_cmphex(msg_take(&c, 3), ==, 0x103);

    /* An event whose own bit is masked sends nothing, even with another pending. */
    cwr(&ch, DAQCAP_CH_IRQ_MASK, DAQCAP_CH_IRQ_DATA);
    g_assert(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DATA);
    step_frames(&c, 1);     /* no buffer: a DROP */
    g_assert(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DROP);
    g_assert_cmpuint(msg_take(&c, 3), ==, 0);

    /* Input changes arrive on the global vector. */
    qom_set_bool(&c, "input0-signal", false);
    g_assert_cmphex(msg_take(&c, DAQCAP_MSIX_VEC_GLOBAL), ==, 0x100);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS) & DAQCAP_IRQ_INPUT_CHANGE,
                    ==, DAQCAP_IRQ_INPUT_CHANGE);
    card_stop(&c);
}

static void test_msi_and_intx(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    uint8_t cap;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 64, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, DAQCAP_CH_IRQ_DATA);
    wr(&c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_CHANNELS_MASK);

    /* INTx: level while an unmasked source is pending (PCI status bit). */
    queue_simple(&ch, buf, 4096, 1);
    chan_enable(&ch, VGA_INPUT);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, 0);
    step_frames(&c, 2);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, PCI_STATUS_INTERRUPT);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS), ==, DAQCAP_IRQ_CHANNEL(1));
    wr(&c, DAQCAP_REG_IRQ_MASK, 0);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, 0);
    wr(&c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_CHANNELS_MASK);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, PCI_STATUS_INTERRUPT);
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_DATA);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, 0);

    /* MSI, one vector: the global status names the source. */
    cap = qpci_find_capability(c.dev, PCI_CAP_ID_MSI, 0);
    qpci_config_writel(c.dev, cap + PCI_MSI_ADDRESS_LO, (uint32_t)c.msi_area);
    qpci_config_writel(c.dev, cap + PCI_MSI_ADDRESS_HI, c.msi_area >> 32);
    qpci_config_writew(c.dev, cap + PCI_MSI_DATA_64, 0x4d);
    qpci_config_writew(c.dev, cap + PCI_MSI_FLAGS,
                       qpci_config_readw(c.dev, cap + PCI_MSI_FLAGS) |
                       PCI_MSI_FLAGS_ENABLE);
    qtest_writel(c.qts, c.msi_area, 0);
    queue_simple(&ch, buf, 4096, 2);
    step_frames(&c, 1);
    g_assert_cmphex(qtest_readl(c.qts, c.msi_area), ==, 0x4d);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS), ==, DAQCAP_IRQ_CHANNEL(1));
    /* With MSI on, INTx stays deasserted. */
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, 0);
    card_stop(&c);
}

/* ---- A hostile driver -------------------------------------------------- */

/*
 * Rings and segments aimed at the card's own registers, at the top of the
 * address space, indices far out of range: the model must survive all of
 * it, report errors, and keep serving the other channels.
 */
static void test_hostile(void)
{
    Card c;
    Chan ch, good;
    uint64_t bar_addr, buf;
    Cpl cpl[8];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    bar_addr = qpci_config_readl(c.dev, PCI_BASE_ADDRESS_0) & ~0xfULL;

    chan_setup(&c, &good, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&good, buf, 4096, 1);
    chan_enable(&good, VGA_INPUT);

    /* Data aimed at the card's own BAR (DMA re-entering the device). */
    chan_setup(&c, &ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, bar_addr + DAQCAP_CHANNEL_BASE(1), 4096, 1);
    chan_enable(&ch, VGA_INPUT);

    /* A descriptor ring inside the BAR, completions at the top of memory. */
    {
        Chan h;

        chan_setup(&c, &h, 2, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
        cwr(&h, DAQCAP_CH_CTRL, 0);
        cwr(&h, DAQCAP_CH_DESC_BASE_LO, (uint32_t)bar_addr);
        cwr(&h, DAQCAP_CH_DESC_BASE_HI, bar_addr >> 32);
        cwr(&h, DAQCAP_CH_DESC_TAIL, 0xfffffff0);
        chan_enable(&h, VGA_INPUT);

        chan_setup(&c, &h, 3, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
        cwr(&h, DAQCAP_CH_CPL_BASE_LO, 0xffffffe0);
        cwr(&h, DAQCAP_CH_CPL_BASE_HI, 0xffffffff);
        queue_simple(&h, buf, 4096, 1);
        chan_enable(&h, VGA_INPUT);
    }
    step_frames(&c, 3);

    /* The good channel captured its frame, correctly. */
    g_assert_cmpuint(drain(&good, cpl, 8), ==, 4);
    check_frame(&c, buf, 64, VGA_INPUT, DAQCAP_PATTERN_BARS, DAQCAP_FMT_GREY,
                64, 64, 0);
    /* The others reported errors and halted, without touching the card. */
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DMA_ERROR, ==,
                    DAQCAP_CH_IRQ_DMA_ERROR);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_HALTED);
    g_assert(rd(&c, DAQCAP_CHANNEL_BASE(2) + DAQCAP_CH_STATUS) &
             DAQCAP_CH_STATUS_HALTED);
    g_assert(rd(&c, DAQCAP_CHANNEL_BASE(3) + DAQCAP_CH_STATUS) &
             DAQCAP_CH_STATUS_HALTED);
    g_assert_cmphex(rd(&c, DAQCAP_REG_ID), ==, DAQCAP_ID_VALUE);

    /* Unaligned and odd-sized accesses are refused, not fatal. */
    qpci_io_writeb(c.dev, c.bar0, DAQCAP_REG_SCRATCH + 1, 0xff);
    qpci_io_writew(c.dev, c.bar0, DAQCAP_REG_SCRATCH, 0xffff);
    g_assert_cmphex(rd(&c, DAQCAP_REG_SCRATCH), ==, 0);
    /* Unknown registers read as zero. */
    g_assert_cmphex(rd(&c, 0x0ffc), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_CHANNEL_BASE(4)), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REGS_SIZE - 4), ==, 0);
    card_stop(&c);
}

/* Read completion slot @slot of @ch as it is, whatever its phase. */
static void peek_cpl(Chan *ch, uint32_t slot, Cpl *out)
{
    uint8_t r[DAQCAP_CPL_SIZE];

    qtest_memread(ch->card->qts, ch->cpl + slot * DAQCAP_CPL_SIZE, r,
                  sizeof(r));
    out->status = ldl_le_p(r + DAQCAP_CPL_STATUS);
    out->seq = ldl_le_p(r + DAQCAP_CPL_SEQUENCE);
    out->cookie = lduw_le_p(r + DAQCAP_CPL_COOKIE);
    out->chunk = lduw_le_p(r + DAQCAP_CPL_CHUNK);
    out->first = lduw_le_p(r + DAQCAP_CPL_FIRST_LINE);
    out->lines = lduw_le_p(r + DAQCAP_CPL_LINES);
}

/*
 * "unfetched-cookie": after a frame's last record, a whole frame of
 * records for the next buffer in the ring, which the card has not taken;
 * with no such buffer queued the fault waits for a later end of frame.
 */
static void test_unfetched_cookie(void)
{
    Card c;
    Chan ch;
    uint64_t buf[3];
    Cpl cpl[16];
    uint32_t lie_seq, drops;

    card_start(&c, "");
    for (unsigned i = 0; i < 3; i++) {
        buf[i] = guest_alloc(&c.alloc, 4096);
    }
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 5);
    queue_simple(&ch, buf[0], 4096, 1);
    inject(&c, "unfetched-cookie:0");
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);
    /* Nothing waited in the ring: no lie yet. */
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 4);
    g_assert_cmpuint(qom_u64(&c, "ch0-lies"), ==, 0);

    queue_simple(&ch, buf[1], 4096, 2);
    queue_simple(&ch, buf[2], 4096, 3);
    sync_sof(&ch);
    step(&c, 64 * VGA_LINE_NS + 1000);
    /* Cookie 2's frame, then a frame's worth naming cookie 3, not taken. */
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DESC_HEAD), ==, 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL) - ch.head, ==, 8);
    g_assert_cmpuint(qom_u64(&c, "ch0-lies"), ==, 1);
    /* Until the driver has read the lie, the card takes no buffer. */
    drops = crd(&ch, DAQCAP_CH_DROPS);
    step_frames(&c, 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS), ==, drops + 1);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DESC_HEAD), ==, 2);
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 8);
    for (unsigned k = 0; k < 4; k++) {
        g_assert_cmpuint(cpl[k].cookie, ==, 2);
        g_assert_cmpuint(cpl[4 + k].cookie, ==, 3);
        g_assert_cmpuint(cpl[4 + k].chunk, ==, k);
        g_assert_cmpuint(cpl[4 + k].first, ==, 16 * k);
        g_assert_cmpuint(cpl[4 + k].lines, ==, 16);
        /* Numbered as the next frame was. */
        g_assert_cmpuint(cpl[4 + k].seq, ==, cpl[0].seq + 1);
        g_assert_cmphex(cpl[4 + k].status >> DAQCAP_CPL_STATUS_CHUNKS_SHIFT,
                        ==, 4);
    }
    g_assert(cpl[4].status & DAQCAP_CPL_STATUS_SOF);
    g_assert(cpl[7].status & DAQCAP_CPL_STATUS_EOF);
    lie_seq = cpl[4].seq;
    /* The card's counters tell the truth; now cookie 3 gets its frame. */
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNKS), ==, 8);
    step_frames(&c, 1);
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 4);
    g_assert_cmpuint(cpl[0].cookie, ==, 3);
    g_assert_cmpuint(cpl[0].seq, ==, lie_seq + 1);
    check_frame(&c, buf[2], 64, VGA_INPUT, DAQCAP_PATTERN_BARS,
                DAQCAP_FMT_GREY, 64, 64, cpl[0].seq);
    card_stop(&c);
}

/*
 * "bad-sequence" and "other-cookie": the first record of the next frame
 * lies (a sequence 0x10000 ahead; the cookie of the second buffer the card
 * has not taken, else of the next); the chunk's data lands all the same.
 */
static void test_first_record_lies(void)
{
    for (unsigned f = 0; f < 3; f++) {
        Card c;
        Chan ch;
        uint64_t buf[4];
        Cpl cpl[16];
        unsigned nbufs = f == 1 ? 4 : 3;

        card_start(&c, "");
        chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16,
                   4, 5);
        for (unsigned i = 0; i < nbufs; i++) {
            buf[i] = guest_alloc(&c.alloc, 4096);
            queue_simple(&ch, buf[i], 4096, 1 + i);
        }
        chan_enable(&ch, VGA_INPUT);
        /* Armed mid-frame: it waits for the next frame's first record. */
        sync_sof(&ch);
        step(&c, 20 * VGA_LINE_NS);
        inject(&c, f == 0 ? "bad-sequence:0" : "other-cookie:0");
        step(&c, VGA_FRAME_NS + 64 * VGA_LINE_NS);
        g_assert_cmpuint(drain(&ch, cpl, 16), ==, 8);
        g_assert_cmpuint(qom_u64(&c, "ch0-lies"), ==, 1);
        for (unsigned k = 0; k < 8; k++) {
            uint32_t want_seq = k / 4;
            uint16_t want_cookie = 1 + k / 4;

            if (k == 4 && f == 0) {
                want_seq += 0x10000;
            } else if (k == 4) {
                /* The second buffer not taken yet, or else the next. */
                want_cookie = nbufs;
            }
            g_assert_cmpuint(cpl[k].seq, ==, want_seq);
            g_assert_cmpuint(cpl[k].cookie, ==, want_cookie);
            g_assert_cmpuint(cpl[k].chunk, ==, k % 4);
        }
        g_assert_cmpuint(crd(&ch, DAQCAP_CH_CHUNKS), ==, 8);
        check_frame(&c, buf[1], 64, VGA_INPUT, DAQCAP_PATTERN_BARS,
                    DAQCAP_FMT_GREY, 64, 64, 1);
        card_stop(&c);
    }
}

/*
 * "cpl-overrun": CPL_TAIL jumps a whole ring, the record lands over the
 * slot the driver reads next with the next pass's phase, and the card,
 * seeing its ring over-full, drops frames until it is enabled again.
 */
static void test_cpl_overrun(void)
{
    Card c;
    Chan ch;
    uint64_t buf;
    Cpl cpl[16], raw;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, buf, 4096, 7);
    chan_enable(&ch, VGA_INPUT);
    inject(&c, "cpl-overrun:0");
    step_frames(&c, 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL), ==, 16 + 4);
    /* The phase says "not yet": a driver sees nothing new. */
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 0);
    peek_cpl(&ch, 0, &raw);
    g_assert_cmphex(raw.status & DAQCAP_CPL_STATUS_PHASE, ==, 0);
    g_assert_cmpuint(raw.cookie, ==, 7);
    g_assert_cmpuint(raw.chunk, ==, 0);
    g_assert_cmpuint(qom_u64(&c, "ch0-lies"), ==, 1);
    /* From now on every frame is dropped: the ring looks over-full. */
    queue_simple(&ch, buf, 4096, 8);
    step_frames(&c, 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_CPL_TAIL), ==, 20);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DROPS), >=, 2);
    g_assert_cmpuint(crd(&ch, DAQCAP_CH_DESC_HEAD), ==, 1);
    /* A new enable starts over. */
    cwr(&ch, DAQCAP_CH_CTRL, VGA_INPUT << DAQCAP_CH_CTRL_INPUT_SHIFT);
    qtest_memset(c.qts, ch.cpl, 0, DAQCAP_CPL_SIZE << 4);
    ch.head = 0;
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 2);
    /* DESC_HEAD restarts at 0 too: both buffers again. */
    g_assert_cmpuint(drain(&ch, cpl, 16), ==, 8);
    g_assert_cmpuint(cpl[0].cookie, ==, 7);
    g_assert_cmpuint(cpl[4].cookie, ==, 8);
    card_stop(&c);
}

/*
 * "wild-write": the next chunk's first line goes to bus address 0. With no
 * IOMMU in this machine it lands in page 0 (behind an IOMMU, which never
 * maps IOVA 0, the write faults and the channel halts with a DMA error);
 * the chunk is written to its buffer as usual.
 */
static void test_wild_write(void)
{
    struct daqcap_pattern_frame pf = {
        .input = VGA_INPUT, .pattern = DAQCAP_PATTERN_BARS,
        .format = DAQCAP_FMT_GREY, .width = 64, .height = 64, .sequence = 0,
    };
    Card c;
    Chan ch;
    uint64_t buf;
    uint8_t line[64];
    Cpl cpl[8];

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    qtest_memset(c.qts, 0, 0x5a, 256);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    queue_simple(&ch, buf, 4096, 1);
    chan_enable(&ch, VGA_INPUT);
    sync_sof(&ch);
    inject(&c, "wild-write:0");
    step_frames(&c, 1);
    g_assert_cmpuint(drain(&ch, cpl, 8), ==, 4);
    g_assert_cmpuint(qom_u64(&c, "ch0-lies"), ==, 1);
    qtest_memread(c.qts, 0, line, sizeof(line));
    g_assert_cmpint(daqcap_pattern_check_line(&pf, 0, line), ==, -1);
    qtest_memread(c.qts, sizeof(line), line, sizeof(line));
    g_assert_cmphex(line[0], ==, 0x5a);
    check_frame(&c, buf, 64, VGA_INPUT, DAQCAP_PATTERN_BARS, DAQCAP_FMT_GREY,
                64, 64, 0);
    card_stop(&c);
}

/*
 * "all-ones": the link dies under a streaming channel. Every register
 * reads all ones, writes are lost, nothing is signalled or DMAed; the
 * configuration space still answers, and an FLR brings the card back.
 */
static void test_all_ones(void)
{
    Card c;
    Chan ch;
    uint64_t buf, writes, reads;
    uint32_t bar0;
    uint8_t exp;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    wr(&c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_CHANNELS_MASK);
    for (unsigned i = 0; i < 4; i++) {
        queue_simple(&ch, buf, 4096, i);
    }
    chan_enable(&ch, VGA_INPUT);
    step_frames(&c, 1);
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_ALL);
    inject(&c, "all-ones:0");
    writes = qom_u64(&c, "dma-writes");
    reads = qom_u64(&c, "dma-reads");
    g_assert_cmphex(rd(&c, DAQCAP_REG_ID), ==, UINT32_MAX);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, UINT32_MAX);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_DESC_HEAD), ==, UINT32_MAX);
    wr(&c, DAQCAP_REG_SCRATCH, 0x1234);
    g_assert_cmphex(rd(&c, DAQCAP_REG_SCRATCH), ==, UINT32_MAX);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_VENDOR_ID), ==,
                    DAQCAP_PCI_VENDOR_ID);
    step_frames(&c, 3);
    g_assert_cmpuint(qom_u64(&c, "dma-writes"), ==, writes);
    g_assert_cmpuint(qom_u64(&c, "dma-reads"), ==, reads);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, 0);

    exp = qpci_find_capability(c.dev, PCI_CAP_ID_EXP, 0);
    bar0 = qpci_config_readl(c.dev, PCI_BASE_ADDRESS_0);
    qpci_config_writew(c.dev, exp + PCI_EXP_DEVCTL,
                       qpci_config_readw(c.dev, exp + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    qpci_config_writel(c.dev, PCI_BASE_ADDRESS_0, bar0);
    qpci_device_enable(c.dev);
    check_reset_values(&c, "FLR after all-ones");
    card_stop(&c);
}

/*
 * Interrupt storms, over MSI-X and INTx: "irq-stuck" keeps DATA set and
 * signals again at every W1C; "irq-spurious" sends the channel's message
 * with nothing pending at every read of its or the card's IRQ_STATUS.
 * Masking the channel's interrupts ends either.
 */
static void test_irq_storms(void)
{
    Card c;
    Chan ch;
    uint64_t buf;

    card_start(&c, "");
    qtest_memset(c.qts, c.msi_area, 0, 4096);
    qpci_msix_enable(c.dev);
    for (unsigned v = 0; v <= 4; v++) {
        msix_route(&c, v);
    }
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 2, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 64, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    wr(&c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_CHANNEL(2));
    queue_simple(&ch, buf, 4096, 1);
    chan_enable(&ch, VGA_INPUT);

    inject(&c, "irq-stuck:2");
    g_assert_cmphex(msg_take(&c, 3), ==, 0x103);
    for (unsigned i = 0; i < 5; i++) {
        g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, DAQCAP_CH_IRQ_DATA);
        g_assert_cmpuint(msg_take(&c, 3), ==, 0);
        cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_DATA);
        g_assert_cmphex(msg_take(&c, 3), ==, 0x103);
    }
    /* Masked, it clears for good. */
    cwr(&ch, DAQCAP_CH_IRQ_MASK, DAQCAP_CH_IRQ_ALL & ~DAQCAP_CH_IRQ_DATA);
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_DATA);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, 0);
    g_assert_cmpuint(msg_take(&c, 3), ==, 0);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    g_assert_cmpuint(msg_take(&c, 3), ==, 0);

    inject(&c, "irq-spurious:2");
    g_assert_cmphex(msg_take(&c, 3), ==, 0x103);
    for (unsigned i = 0; i < 5; i++) {
        g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, 0);
        g_assert_cmphex(msg_take(&c, 3), ==, 0x103);
    }
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(msg_take(&c, 3), ==, 0x103);
    /* Partly masked, it goes on; all masked, it ends. */
    cwr(&ch, DAQCAP_CH_IRQ_MASK, DAQCAP_CH_IRQ_DROP);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, 0);
    g_assert_cmphex(msg_take(&c, 3), ==, 0x103);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, 0);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, 0);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    g_assert_cmphex(crd(&ch, DAQCAP_CH_IRQ_STATUS), ==, 0);
    g_assert_cmpuint(msg_take(&c, 3), ==, 0);
    g_assert_cmpuint(qom_u64(&c, "ch2-lies"), >=, 12);
    card_stop(&c);

    /* INTx: a stuck status holds the line until masked. */
    card_start(&c, "");
    chan_setup(&c, &ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 64, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    wr(&c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_CHANNELS_MASK);
    inject(&c, "irq-stuck:1");
    cwr(&ch, DAQCAP_CH_IRQ_STATUS, DAQCAP_CH_IRQ_ALL);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, PCI_STATUS_INTERRUPT);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, 0);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_STATUS) & PCI_STATUS_INTERRUPT,
                    ==, 0);
    card_stop(&c);
}

/* Several channels on one input see the same frames; others run apart. */
static void test_multi_channel(void)
{
    Card c;
    Chan ch[4];
    uint64_t buf[4];
    Cpl cpl[64];
    static const struct { uint32_t in, fmt, w, h; } cfg[4] = {
        { 0, DAQCAP_FMT_UYVY, 1920, 1080 },
        { 1, DAQCAP_FMT_XBGR32, 1280, 720 },
        { VGA_INPUT, DAQCAP_FMT_BGR24, 640, 480 },
        { VGA_INPUT, DAQCAP_FMT_Y16, 320, 240 },
    };

    card_start(&c, "");
    for (unsigned i = 0; i < 4; i++) {
        uint32_t lb = daqcap_pattern_line_bytes(cfg[i].fmt, cfg[i].w);

        buf[i] = guest_alloc(&c.alloc, lb * cfg[i].h);
        wr(&c, DAQCAP_INPUT_BASE(cfg[i].in) + DAQCAP_IN_PATTERN,
           DAQCAP_PATTERN_VERIFY);
        chan_setup(&c, &ch[i], i, cfg[i].in, cfg[i].fmt, cfg[i].w, cfg[i].h,
                   lb, 32, 4, 7);
        queue_simple(&ch[i], buf[i], lb * cfg[i].h, i);
        chan_enable(&ch[i], cfg[i].in);
    }
    step(&c, 40000000);  /* 40 ms: every input has completed one frame */
    for (unsigned i = 0; i < 4; i++) {
        unsigned n = drain(&ch[i], cpl, 64);

        g_assert_cmpuint(n, ==, DIV_ROUND_UP(cfg[i].h, 32));
        g_assert(cpl[n - 1].status & DAQCAP_CPL_STATUS_EOF);
        check_frame(&c, buf[i], daqcap_pattern_line_bytes(cfg[i].fmt, cfg[i].w),
                    cfg[i].in, DAQCAP_PATTERN_VERIFY, cfg[i].fmt, cfg[i].w,
                    cfg[i].h, 0);
    }
    card_stop(&c);
}

/* ---- Power management, FLR and AER -------------------------------------- */

static uint8_t pm_cap(Card *c)
{
    uint8_t cap = qpci_find_capability(c->dev, PCI_CAP_ID_PM, 0);

    g_assert_cmpint(cap, !=, 0);
    return cap;
}

static void pm_set(Card *c, uint16_t state)
{
    uint8_t cap = pm_cap(c);

    qpci_config_writew(c->dev, cap + PCI_PM_CTRL, state);
}

static uint16_t pm_get(Card *c)
{
    return qpci_config_readw(c->dev, pm_cap(c) + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}

/*
 * Extended configuration space (0x100 and up) is reachable only through
 * ECAM: map the q35 MMCONFIG window, which qtest has no firmware to do.
 */
#define ECAM_BASE       0xb0000000ULL

static void ecam_enable(Card *c)
{
    QPCIDevice *host = qpci_device_find(c->bus, 0);

    g_assert(host);
    qpci_config_writel(host, 0x64, 0);          /* PCIEXBAR, high half */
    qpci_config_writel(host, 0x60, ECAM_BASE | 1);  /* 256 MiB, enabled */
    g_free(host);
}

static uint32_t ecam_readl(Card *c, uint32_t off)
{
    return qtest_readl(c->qts, ECAM_BASE + (c->dev->devfn << 12) + off);
}

static void ecam_writel(Card *c, uint32_t off, uint32_t val)
{
    qtest_writel(c->qts, ECAM_BASE + (c->dev->devfn << 12) + off, val);
}

/* Dirty the registers the datasheet says a PM or function reset loses. */
static void dirty_card(Card *c, Chan *ch, uint64_t buf)
{
    wr(c, DAQCAP_REG_SCRATCH, 0x12345678);
    wr(c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_CHANNEL(1) | DAQCAP_IRQ_INPUT_CHANGE);
    wr(c, DAQCAP_INPUT_BASE(VGA_INPUT) + DAQCAP_IN_PATTERN,
       DAQCAP_PATTERN_VERIFY);
    chan_setup(c, ch, 1, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    cwr(ch, DAQCAP_CH_IRQ_COALESCE, 0x00100201);
    for (unsigned i = 0; i < 8; i++) {
        queue_simple(ch, buf, 4096, i);
    }
    chan_enable(ch, VGA_INPUT);
    step_frames(c, 2);
    g_assert_cmpuint(crd(ch, DAQCAP_CH_FRAMES), >=, 1);
    g_assert_cmphex(rd(c, DAQCAP_REG_SCRATCH), ==, 0x12345678);
}

/*
 * The PM capability: D0 and D3hot, No_Soft_Reset clear. In D3hot the
 * registers read all-ones and ignore writes; back in D0 they are all at
 * their reset values, as after REG_RESET.
 */
static void test_pm_d3hot(void)
{
    Card c;
    Chan ch;
    uint8_t cap;
    uint16_t pmc;

    card_start(&c, "");
    cap = pm_cap(&c);
    pmc = qpci_config_readw(c.dev, cap + PCI_PM_PMC);
    g_assert_cmphex(pmc & PCI_PM_CAP_VER_MASK, ==, 3);
    g_assert_cmphex(pmc & (PCI_PM_CAP_D1 | PCI_PM_CAP_D2 | PCI_PM_CAP_PME_MASK),
                    ==, 0);
    g_assert_cmphex(qpci_config_readw(c.dev, cap + PCI_PM_CTRL), ==, 0);
    /* D1 and D2 are not supported: writing them changes nothing. */
    pm_set(&c, 1);
    g_assert_cmphex(pm_get(&c), ==, 0);
    pm_set(&c, 2);
    g_assert_cmphex(pm_get(&c), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_ID), ==, DAQCAP_ID_VALUE);

    dirty_card(&c, &ch, guest_alloc(&c.alloc, 4096));
    pm_set(&c, 3);
    g_assert_cmphex(pm_get(&c), ==, 3);
    /* No_Soft_Reset stays clear, whatever is written. */
    qpci_config_writew(c.dev, cap + PCI_PM_CTRL, 3 | PCI_PM_CTRL_NO_SOFT_RESET);
    g_assert_cmphex(qpci_config_readw(c.dev, cap + PCI_PM_CTRL), ==, 3);
    step_frames(&c, 1);
    pm_set(&c, 0);
    g_assert_cmphex(pm_get(&c), ==, 0);
    check_reset_values(&c, "D3hot -> D0");
    /* The inputs' sources are not reset. */
    g_assert_cmphex(ird(&c, VGA_INPUT, DAQCAP_IN_ACTIVE_SIZE), ==,
                    VGA_W | VGA_H << 16);
    card_stop(&c);
}

/* In D3hot the registers do not decode: reads are all-ones, writes lost. */
static void test_pm_mmio(void)
{
    Card c;

    card_start(&c, "");
    wr(&c, DAQCAP_REG_SCRATCH, 0x5a5a5a5a);
    pm_set(&c, 3);
    g_assert_cmphex(rd(&c, DAQCAP_REG_ID), ==, 0xffffffff);
    g_assert_cmphex(rd(&c, DAQCAP_REG_SCRATCH), ==, 0xffffffff);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS), ==, 0xffffffff);
    g_assert_cmphex(rd(&c, DAQCAP_CHANNEL_BASE(0) + DAQCAP_CH_STATUS), ==,
                    0xffffffff);
    g_assert_cmphex(ird(&c, 0, DAQCAP_IN_STATUS), ==, 0xffffffff);
    wr(&c, DAQCAP_CHANNEL_BASE(0) + DAQCAP_CH_SIZE, 0x00400040);
    /* Configuration space still answers. */
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_VENDOR_ID), ==,
                    DAQCAP_PCI_VENDOR_ID);
    pm_set(&c, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_ID), ==, DAQCAP_ID_VALUE);
    g_assert_cmphex(rd(&c, DAQCAP_CHANNEL_BASE(0) + DAQCAP_CH_SIZE), ==, 0);
    card_stop(&c);
}

/*
 * A streaming channel goes quiet in D3hot: no DMA, no interrupt, and it
 * stays stopped back in D0. An input change in D3hot latches, and is
 * signalled once the driver unmasks it again in D0.
 */
static void test_pm_quiesce(void)
{
    Card c;
    Chan ch;
    uint64_t buf, writes, reads;

    card_start(&c, "");
    qtest_memset(c.qts, c.msi_area, 0, 4096);
    qpci_msix_enable(c.dev);
    for (unsigned v = 0; v <= 4; v++) {
        msix_route(&c, v);
    }
    buf = guest_alloc(&c.alloc, 4096);
    g_assert_cmpuint(qom_u64(&c, "dma-writes"), ==, 0);
    dirty_card(&c, &ch, buf);
    writes = qom_u64(&c, "dma-writes");
    reads = qom_u64(&c, "dma-reads");
    /* 4 chunks of data and 2 writes per completion record, per frame. */
    g_assert_cmpuint(writes, >=, 4 + 4 * 2);
    g_assert_cmpuint(reads, >=, 1);
    g_assert_cmphex(msg_take(&c, DAQCAP_MSIX_VEC_CHANNEL(1)), ==, 0x102);

    /* Mid-frame, so that the stop cuts a frame in progress. */
    sync_sof(&ch);
    step(&c, 20 * VGA_LINE_NS);
    writes = qom_u64(&c, "dma-writes");
    reads = qom_u64(&c, "dma-reads");
    msg_take(&c, DAQCAP_MSIX_VEC_CHANNEL(1));
    pm_set(&c, 3);
    step_frames(&c, 5);
    g_assert_cmpuint(qom_u64(&c, "dma-writes"), ==, writes);
    g_assert_cmpuint(qom_u64(&c, "dma-reads"), ==, reads);
    g_assert_cmpuint(qom_u64(&c, "dma-blocked"), ==, 0);
    g_assert_cmpuint(msg_take(&c, DAQCAP_MSIX_VEC_CHANNEL(1)), ==, 0);

    /* The source changes while the card sleeps: latched, not signalled. */
    qom_set_str(&c, "input1-timings", "1920x1080p50");
    g_assert_cmpuint(msg_take(&c, DAQCAP_MSIX_VEC_GLOBAL), ==, 0);
    pm_set(&c, 0);
    g_assert_cmpuint(msg_take(&c, DAQCAP_MSIX_VEC_GLOBAL), ==, 0);
    g_assert_cmphex(rd(&c, DAQCAP_REG_INPUT_CHANGED), ==, 1u << 1);
    g_assert_cmphex(rd(&c, DAQCAP_REG_IRQ_STATUS), ==, DAQCAP_IRQ_INPUT_CHANGE);
    g_assert_cmphex(ird(&c, 1, DAQCAP_IN_TOTAL_SIZE), ==, 2640 | 1125 << 16);
    wr(&c, DAQCAP_REG_IRQ_MASK, DAQCAP_IRQ_INPUT_CHANGE);
    g_assert_cmphex(msg_take(&c, DAQCAP_MSIX_VEC_GLOBAL), ==, 0x100);

    /* Back in D0 the channel is reset: still nothing moves. */
    g_assert_cmphex(crd(&ch, DAQCAP_CH_STATUS), ==, 0);
    step_frames(&c, 3);
    g_assert_cmpuint(qom_u64(&c, "dma-writes"), ==, writes);
    g_assert_cmpuint(qom_u64(&c, "dma-reads"), ==, reads);
    card_stop(&c);
}

/*
 * Bus mastering switched off under a running channel: its next transfer is
 * never issued (counted in dma-blocked) and the channel halts.
 */
static void test_bus_master_off(void)
{
    Card c;
    Chan ch;
    uint64_t buf, writes;
    uint16_t cmd;

    card_start(&c, "");
    buf = guest_alloc(&c.alloc, 4096);
    chan_setup(&c, &ch, 0, VGA_INPUT, DAQCAP_FMT_GREY, 64, 64, 64, 16, 4, 4);
    cwr(&ch, DAQCAP_CH_IRQ_MASK, CH_IRQS_BUT_SOF);
    queue_simple(&ch, buf, 4096, 1);
    queue_simple(&ch, buf, 4096, 2);
    chan_enable(&ch, VGA_INPUT);
    sync_sof(&ch);
    step(&c, 20 * VGA_LINE_NS);
    writes = qom_u64(&c, "dma-writes");
    g_assert_cmpuint(writes, >, 0);
    cmd = qpci_config_readw(c.dev, PCI_COMMAND);
    qpci_config_writew(c.dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
    step_frames(&c, 2);
    g_assert_cmpuint(qom_u64(&c, "dma-writes"), ==, writes);
    g_assert_cmpuint(qom_u64(&c, "dma-blocked"), ==, 1);
    g_assert(crd(&ch, DAQCAP_CH_IRQ_STATUS) & DAQCAP_CH_IRQ_DMA_ERROR);
    g_assert(crd(&ch, DAQCAP_CH_STATUS) & DAQCAP_CH_STATUS_HALTED);
    qpci_config_writew(c.dev, PCI_COMMAND, cmd);
    card_stop(&c);
}

/*
 * A Function Level Reset resets the card and its configuration header,
 * from D0 and from D3hot.
 */
static void test_flr(void)
{
    Card c;
    Chan ch;
    uint8_t exp;
    uint32_t bar0;
    uint64_t writes;

    card_start(&c, "");
    exp = qpci_find_capability(c.dev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(qpci_config_readl(c.dev, exp + PCI_EXP_DEVCAP) &
                    PCI_EXP_DEVCAP_FLR, ==, PCI_EXP_DEVCAP_FLR);
    bar0 = qpci_config_readl(c.dev, PCI_BASE_ADDRESS_0);

    for (unsigned from = 0; from <= 3; from += 3) {
        dirty_card(&c, &ch, guest_alloc(&c.alloc, 4096));
        pm_set(&c, from);
        qpci_config_writew(c.dev, exp + PCI_EXP_DEVCTL,
                           qpci_config_readw(c.dev, exp + PCI_EXP_DEVCTL) |
                           PCI_EXP_DEVCTL_BCR_FLR);
        /* The header is reset too: BARs, decoding and bus mastering. */
        g_assert_cmphex(qpci_config_readw(c.dev, exp + PCI_EXP_DEVCTL) &
                        PCI_EXP_DEVCTL_BCR_FLR, ==, 0);
        g_assert_cmphex(qpci_config_readw(c.dev, PCI_COMMAND) &
                        (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==, 0);
        g_assert_cmphex(qpci_config_readl(c.dev, PCI_BASE_ADDRESS_0), !=, bar0);
        g_assert_cmphex(pm_get(&c), ==, 0);
        writes = qom_u64(&c, "dma-writes");
        /* What the PCI core does after an FLR: restore the header. */
        qpci_config_writel(c.dev, PCI_BASE_ADDRESS_0, bar0);
        qpci_device_enable(c.dev);
        check_reset_values(&c, from ? "FLR from D3hot" : "FLR");
        step_frames(&c, 3);
        g_assert_cmpuint(qom_u64(&c, "dma-writes"), ==, writes);
    }
    card_stop(&c);
}

/*
 * AER: the extended capability at 0x100, errors injected from the monitor
 * land in its status registers with the default severities, and clear with
 * a write of ones. On a root port, as the VM bench places the card, the
 * monitor accepts the injection too.
 */
static void test_aer(void)
{
    Card c;
    QTestState *qts;
    uint32_t hdr;
    uint8_t exp;
    g_autofree char *out = NULL;

    card_start(&c, "");
    ecam_enable(&c);
    g_assert_cmphex(ecam_readl(&c, 0), ==,
                    DAQCAP_PCI_VENDOR_ID | DAQCAP_PCI_DEVICE_ID << 16);
    hdr = ecam_readl(&c, 0x100);
    g_assert_cmphex(PCI_EXT_CAP_ID(hdr), ==, PCI_EXT_CAP_ID_ERR);
    g_assert_cmphex(PCI_EXT_CAP_VER(hdr), ==, 2);    /* AER version 2 */
    g_assert_cmphex(ecam_readl(&c, 0x100 + PCI_ERR_UNCOR_STATUS), ==, 0);
    g_assert(ecam_readl(&c, 0x100 + PCI_ERR_UNCOR_SEVER) &
             PCI_ERR_UNC_MALF_TLP);
    g_assert(!(ecam_readl(&c, 0x100 + PCI_ERR_UNCOR_SEVER) &
               PCI_ERR_UNC_POISON_TLP));

    exp = qpci_find_capability(c.dev, PCI_CAP_ID_EXP, 0);
    qpci_config_writew(c.dev, exp + PCI_EXP_DEVCTL,
                       PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
                       PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE);
    out = qtest_hmp(c.qts, "pcie_aer_inject_error card0 POISON_TLP");
    g_assert(g_str_has_prefix(out, "OK id: card0"));
    g_assert_cmphex(ecam_readl(&c, 0x100 + PCI_ERR_UNCOR_STATUS), ==,
                    PCI_ERR_UNC_POISON_TLP);
    g_assert_cmphex(qpci_config_readw(c.dev, exp + PCI_EXP_DEVSTA) &
                    (PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED), ==,
                    PCI_EXP_DEVSTA_NFED);
    g_free(out);
    out = qtest_hmp(c.qts, "pcie_aer_inject_error -c card0 BAD_TLP");
    g_assert(g_str_has_prefix(out, "OK id: card0"));
    g_assert_cmphex(ecam_readl(&c, 0x100 + PCI_ERR_COR_STATUS), ==,
                    PCI_ERR_COR_BAD_TLP);
    /* The status bits are write-one-to-clear, through the config hook. */
    ecam_writel(&c, 0x100 + PCI_ERR_UNCOR_STATUS, PCI_ERR_UNC_POISON_TLP);
    ecam_writel(&c, 0x100 + PCI_ERR_COR_STATUS, PCI_ERR_COR_BAD_TLP);
    g_assert_cmphex(ecam_readl(&c, 0x100 + PCI_ERR_UNCOR_STATUS), ==, 0);
    g_assert_cmphex(ecam_readl(&c, 0x100 + PCI_ERR_COR_STATUS), ==, 0);
    g_free(out);
    out = qtest_hmp(c.qts, "pcie_aer_inject_error card0 MALF_TLP");
    g_assert(g_str_has_prefix(out, "OK id: card0"));
    g_assert_cmphex(ecam_readl(&c, 0x100 + PCI_ERR_UNCOR_STATUS), ==,
                    PCI_ERR_UNC_MALF_TLP);
    g_assert(qpci_config_readw(c.dev, exp + PCI_EXP_DEVSTA) &
             PCI_EXP_DEVSTA_FED);
    /* The error does not touch the card's own state. */
    g_assert_cmphex(rd(&c, DAQCAP_REG_ID), ==, DAQCAP_ID_VALUE);
    card_stop(&c);

    qts = qtest_init("-machine q35 "
                     "-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 "
                     "-device daqcap,id=daqcap0,bus=rp0");
    g_free(out);
    out = qtest_hmp(qts, "pcie_aer_inject_error daqcap0 POISON_TLP");
    g_assert(g_str_has_prefix(out, "OK id: daqcap0"));
    g_free(out);
    out = qtest_hmp(qts, "pcie_aer_inject_error daqcap0 SDN");
    g_assert(g_str_has_prefix(out, "OK id: daqcap0"));
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/daqcap/identity", test_identity);
    qtest_add_func("/daqcap/reset-values", test_reset_values);
    qtest_add_func("/daqcap/inputs", test_inputs);
    qtest_add_func("/daqcap/timestamp", test_timestamp);
    qtest_add_func("/daqcap/edid", test_edid);
    qtest_add_func("/daqcap/sof-irq", test_sof_irq);
    qtest_add_func("/daqcap/single-frame", test_single_frame);
    qtest_add_func("/daqcap/formats", test_formats);
    qtest_add_func("/daqcap/chain", test_chain);
    qtest_add_func("/daqcap/crop", test_crop);
    qtest_add_func("/daqcap/two-planes", test_two_planes);
    qtest_add_func("/daqcap/chunk-sizes", test_chunk_sizes);
    qtest_add_func("/daqcap/drops-and-wrap", test_drops_and_wrap);
    qtest_add_func("/daqcap/short-buffer", test_short_buffer);
    qtest_add_func("/daqcap/incomplete-buffer", test_incomplete_buffer);
    qtest_add_func("/daqcap/desc-errors", test_desc_errors);
    qtest_add_func("/daqcap/dma-errors", test_dma_errors);
    qtest_add_func("/daqcap/fifo-overflow", test_fifo_overflow);
    qtest_add_func("/daqcap/lying-records", test_lying_records);
    qtest_add_func("/daqcap/signal-loss", test_signal_loss);
    qtest_add_func("/daqcap/stall-and-disable", test_stall_and_disable);
    qtest_add_func("/daqcap/wedge", test_wedge);
    qtest_add_func("/daqcap/config-errors", test_config_errors);
    qtest_add_func("/daqcap/pattern-latch", test_pattern_latch);
    qtest_add_func("/daqcap/cpl-ring-full", test_cpl_ring_full);
    qtest_add_func("/daqcap/coalescing", test_coalescing);
    qtest_add_func("/daqcap/msix", test_msix);
    qtest_add_func("/daqcap/msi-and-intx", test_msi_and_intx);
    qtest_add_func("/daqcap/hostile", test_hostile);
    qtest_add_func("/daqcap/unfetched-cookie", test_unfetched_cookie);
    qtest_add_func("/daqcap/first-record-lies", test_first_record_lies);
    qtest_add_func("/daqcap/cpl-overrun", test_cpl_overrun);
    qtest_add_func("/daqcap/wild-write", test_wild_write);
    qtest_add_func("/daqcap/all-ones", test_all_ones);
    qtest_add_func("/daqcap/irq-storms", test_irq_storms);
    qtest_add_func("/daqcap/multi-channel", test_multi_channel);
    qtest_add_func("/daqcap/pm-d3hot", test_pm_d3hot);
    qtest_add_func("/daqcap/pm-mmio", test_pm_mmio);
    qtest_add_func("/daqcap/pm-quiesce", test_pm_quiesce);
    qtest_add_func("/daqcap/bus-master-off", test_bus_master_off);
    qtest_add_func("/daqcap/flr", test_flr);
    qtest_add_func("/daqcap/aer", test_aer);
    return g_test_run();
}
