// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Unit tests of the DAQCAP pattern generator (pattern/daqcap-pattern.c).
 *
 * kselftest style: TAP version 13 on stdout, one "ok"/"not ok" per test,
 * diagnostics as "#" comments, exit status 0 only if every test passed.
 *
 * The expectations come from an independent, deliberately naive model of
 * pattern/PATTERN.rst written here (per pixel, per byte, with divisions and
 * no spans) and from constants copied out of PATTERN.rst, never from the
 * code under test. The test build runs under AddressSanitizer and
 * UndefinedBehaviorSanitizer and renders into buffers of exactly the line's
 * size, so any write past a line is caught.
 *
 * The throughput figures printed at the end are informative and never
 * asserted.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daqcap-pattern.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- Minimal kselftest-style TAP harness --------------------------------- */

static unsigned int ksft_pass, ksft_fail;
static unsigned int test_errors;	/* failed expectations in this test */

static void ksft_print_msg(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void ksft_print_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Record a failed expectation; print the first few of each test. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (test_errors++ >= 8) {
		if (test_errors == 9)
			ksft_print_msg("(further failures not shown)\n");
		return;
	}
	fputs("# FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

#define EXPECT(cond, ...)		\
	do {				\
		if (!(cond))		\
			fail(__VA_ARGS__); \
	} while (0)

/* ---- Independent model of PATTERN.rst ------------------------------------ */

/* Bytes per pixel; for NV12 and NV16, of each row (luma or chroma). */
static const unsigned int ref_bpp[DAQCAP_FMT_COUNT] = {
	2, 2, 3, 3, 4, 1, 2, 1, 1,
};

static const char *const all_formats[DAQCAP_FMT_COUNT] = {
	"YUYV", "UYVY", "RGB24", "BGR24", "XBGR32", "GREY", "Y16", "NV12",
	"NV16",
};

/* NV12 and NV16: luma rows, then chroma rows (PATTERN.rst "Rows"). */
static int ref_is_nv(uint32_t format)
{
	return format == DAQCAP_FMT_NV12 || format == DAQCAP_FMT_NV16;
}

/* Formats whose pixel pairs share chroma: the width must be even. */
static int ref_pairs(uint32_t format)
{
	return format <= DAQCAP_FMT_UYVY || ref_is_nv(format);
}

static size_t ref_line_bytes(uint32_t format, uint32_t width)
{
	if (format >= DAQCAP_FMT_COUNT)
		return 0;
	if (ref_pairs(format) && width % 2)
		return 0;
	return (size_t)width * ref_bpp[format];
}

/* Rows of a frame of @height lines, in 64 bits: no overflow to mind. */
static uint64_t ref_rows(uint32_t format, uint32_t height)
{
	if (format >= DAQCAP_FMT_COUNT || !height)
		return 0;
	if (format == DAQCAP_FMT_NV12)
		return height % 2 ? 0 : (uint64_t)height * 3 / 2;
	if (format == DAQCAP_FMT_NV16)
		return (uint64_t)height * 2;
	return height;
}

/* The whole frame's row that holds line @y's chroma (NV12, NV16). */
static uint32_t ref_chroma_row(uint32_t format, uint32_t height, uint32_t y)
{
	return format == DAQCAP_FMT_NV12 ? height + y / 2 : height + y;
}

static uint32_t ref_seed(uint32_t input, uint32_t seq, uint32_t line)
{
	uint32_t h = (uint32_t)(input * 0x9E3779B1u) ^
		     (uint32_t)(seq * 0x85EBCA77u) ^
		     (uint32_t)(line * 0xC2B2AE3Du);

	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	h ^= h >> 16;
	return h;
}

static uint8_t ref_verify_byte(uint32_t seed, size_t o)
{
	uint32_t word = seed + (uint32_t)(o / 4) * 0x9E3779B9u;

	return (uint8_t)(word >> (8 * (o % 4)));
}

static const char *const font[11][7] = {
	{ ".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###." },
	{ "..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###." },
	{ ".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####" },
	{ "#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###." },
	{ "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#." },
	{ "#####", "#....", "####.", "....#", "....#", "#...#", ".###." },
	{ "..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###." },
	{ "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..." },
	{ ".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###." },
	{ ".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.." },
	{ ".....", ".....", ".....", ".....", ".....", ".....", "....." },
};

struct rgb {
	int r, g, b;
	int v16;	/* ramp value, or -1 if the pixel does not show the ramp */
};

static const struct rgb bar_rgb[8] = {
	{ 191, 191, 191, -1 }, { 191, 191, 0, -1 }, { 0, 191, 191, -1 },
	{ 0, 191, 0, -1 }, { 191, 0, 191, -1 }, { 191, 0, 0, -1 },
	{ 0, 0, 191, -1 }, { 0, 0, 0, -1 },
};

static const struct rgb white = { 255, 255, 255, -1 };
static const struct rgb black = { 0, 0, 0, -1 };

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Left edge of the box, straight from the formula. */
static uint64_t ref_box_left(uint64_t width, uint64_t height, uint64_t seq)
{
	uint64_t s = min64(min64(max64(8, height / 8), width), height);
	uint64_t r = width - s, p;

	if (!r)
		return 0;
	p = seq * max64(1, width / 128) % (2 * r);
	return p <= r ? p : 2 * r - p;
}

/* Colour of pixel (x, y) of a BARS frame, painting the layers naively. */
static struct rgb ref_bars_pixel(const struct daqcap_pattern_frame *f,
				 const char *text, uint64_t x, uint64_t y)
{
	uint64_t w = f->width, h = f->height;
	uint64_t s = min64(min64(max64(8, h / 8), w), h);
	uint64_t top = (h - s) / 2, left = ref_box_left(w, h, f->sequence);
	uint64_t k = max64(1, h / 120), n = strlen(text), i, c;
	struct rgb px = black;
	unsigned int b;

	if (y < h - h / 8) {
		for (b = 0; b < 8; b++)
			if (x >= b * w / 8 && x < (b + 1) * w / 8)
				px = bar_rgb[b];
	} else {
		int v16 = w > 1 ? (int)(x * 65535 / (w - 1)) : 0;

		px.r = px.g = px.b = v16 >> 8;
		px.v16 = v16;
	}
	if (x >= left && x < left + s && y >= top && y < top + s)
		px = white;
	if (x >= k && x < (6 * n + 2) * k && y >= k && y < 10 * k)
		px = black;
	if (y >= 2 * k && y < 9 * k && x >= 2 * k) {
		i = (x - 2 * k) / (6 * k);
		c = (x - 2 * k) % (6 * k) / k;
		if (i < n && c < 5) {
			int ch = text[i] == ' ' ? 10 : text[i] - '0';

			if (font[ch][(y - 2 * k) / k][c] == '#')
				px = white;
		}
	}
	return px;
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* As PATTERN.rst says: GCC's >> of a negative int is an arithmetic shift. */
static uint8_t ref_y(struct rgb c)
{
	return clamp8(((47 * c.r + 157 * c.g + 16 * c.b + 128) >> 8) + 16);
}

static uint8_t ref_cb(struct rgb c)
{
	return clamp8(((-26 * c.r - 87 * c.g + 112 * c.b + 128) >> 8) + 128);
}

static uint8_t ref_cr(struct rgb c)
{
	return clamp8(((112 * c.r - 102 * c.g - 10 * c.b + 128) >> 8) + 128);
}

static uint8_t ref_yf(struct rgb c)
{
	return (uint8_t)((54 * c.r + 183 * c.g + 19 * c.b + 128) >> 8);
}

/* Bytes of pixel x of a line whose pixel colours are px[]. */
static void ref_encode_pixel(uint32_t format, const struct rgb *px,
			     size_t x, uint8_t *out)
{
	const struct rgb *even = &px[x & ~(size_t)1];
	int v;

	switch (format) {
	case DAQCAP_FMT_YUYV:
		out[0] = ref_y(px[x]);
		out[1] = x & 1 ? ref_cr(*even) : ref_cb(*even);
		break;
	case DAQCAP_FMT_UYVY:
		out[0] = x & 1 ? ref_cr(*even) : ref_cb(*even);
		out[1] = ref_y(px[x]);
		break;
	case DAQCAP_FMT_RGB24:
		out[0] = (uint8_t)px[x].r;
		out[1] = (uint8_t)px[x].g;
		out[2] = (uint8_t)px[x].b;
		break;
	case DAQCAP_FMT_BGR24:
		out[0] = (uint8_t)px[x].b;
		out[1] = (uint8_t)px[x].g;
		out[2] = (uint8_t)px[x].r;
		break;
	case DAQCAP_FMT_XBGR32:
		out[0] = (uint8_t)px[x].b;
		out[1] = (uint8_t)px[x].g;
		out[2] = (uint8_t)px[x].r;
		out[3] = 0xff;
		break;
	case DAQCAP_FMT_GREY:
		out[0] = ref_yf(px[x]);
		break;
	case DAQCAP_FMT_Y16:
		v = px[x].v16 >= 0 ? px[x].v16 : ref_yf(px[x]) * 257;
		out[0] = (uint8_t)v;
		out[1] = (uint8_t)(v >> 8);
		break;
	case DAQCAP_FMT_NV12:	/* the luma row's byte */
	case DAQCAP_FMT_NV16:
		out[0] = ref_y(px[x]);
		break;
	}
}

/* Byte x of an NV12 or NV16 chroma row: the pair's Cb, then its Cr. */
static uint8_t ref_chroma_byte(const struct rgb *px, size_t x)
{
	const struct rgb *even = &px[x & ~(size_t)1];

	return x & 1 ? ref_cr(*even) : ref_cb(*even);
}

static void ref_text(const struct daqcap_pattern_frame *f, char *text,
		     size_t size)
{
	snprintf(text, size, "%" PRIu32 " %08" PRIu32, f->input, f->sequence);
}

/*
 * Row @row of the whole frame as the model sees it (the line for one-plane
 * formats); px has room for f->width pixels.
 */
static void ref_render_row(const struct daqcap_pattern_frame *f,
			   uint32_t row, uint8_t *out, struct rgb *px)
{
	size_t n = ref_line_bytes(f->format, f->width), x;
	uint32_t line = row;
	int chroma = 0;
	char text[32];

	if (!n)
		return;
	if (f->pattern == DAQCAP_PATTERN_VERIFY) {
		/* Seeded by the row number, chroma rows included. */
		uint32_t seed = ref_seed(f->input, f->sequence, row);

		for (x = 0; x < n; x++)
			out[x] = ref_verify_byte(seed, x);
		return;
	}
	if (f->pattern != DAQCAP_PATTERN_BARS) {
		memset(out, 0, n);
		return;
	}
	if (ref_is_nv(f->format) && row >= f->height) {
		chroma = 1;
		line = row - f->height;
		if (f->format == DAQCAP_FMT_NV12)
			line *= 2;	/* the upper line of the pair */
	}
	ref_text(f, text, sizeof(text));
	for (x = 0; x < f->width; x++)
		px[x] = ref_bars_pixel(f, text, x, line);
	for (x = 0; x < f->width; x++) {
		if (chroma)
			out[x] = ref_chroma_byte(px, x);
		else
			ref_encode_pixel(f->format, px, x,
					 out + x * ref_bpp[f->format]);
	}
}

/* ---- Helpers ------------------------------------------------------------- */

#define CANARY		0x5a
#define CANARY_BYTES	16

/*
 * Line buffers are allocated with exactly the line's size, so that ASan sees
 * any overrun; test_bars_frames() also renders into a buffer padded with
 * canary bytes, which catches overruns in builds without ASan.
 */
static uint8_t *xmalloc(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

static int canary_intact(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != CANARY)
			return 0;
	return 1;
}

static void hexdump(char *buf, size_t size, const uint8_t *p, size_t n)
{
	size_t i, o = 0;

	buf[0] = 0;
	for (i = 0; i < n && o + 4 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%02x", i ? " " : "",
				      p[i]);
}

static struct daqcap_pattern_frame frame(uint32_t format, uint32_t pattern,
					 uint32_t width, uint32_t height,
					 uint32_t input, uint32_t seq)
{
	struct daqcap_pattern_frame f = {
		.input = input, .pattern = pattern, .format = format,
		.width = width, .height = height, .sequence = seq,
	};

	return f;
}

/* Bytes of pixel x of a rendered line. */
static const uint8_t *pixel_at(const struct daqcap_pattern_frame *f,
			       const uint8_t *line, uint32_t x)
{
	return line + (size_t)x * ref_bpp[f->format];
}

/*
 * Y, Cb and Cr of pixel x of line y of a whole NV12 or NV16 frame: the byte
 * of luma row y and the pair's two bytes in the row with line y's chroma.
 */
static void nv_pixel(const struct daqcap_pattern_frame *f, uint32_t y,
		     uint32_t x, uint8_t out[3])
{
	uint8_t *row = xmalloc(daqcap_pattern_line_bytes(f->format, f->width));

	daqcap_pattern_render_line(f, y, row);
	out[0] = row[x];
	daqcap_pattern_render_line(f, ref_chroma_row(f->format, f->height, y),
				   row);
	out[1] = row[x & ~1u];
	out[2] = row[(x & ~1u) + 1];
	free(row);
}

/* ---- Tests --------------------------------------------------------------- */

static void test_format_table(uint32_t unused)
{
	static const char *const fourcc[DAQCAP_FMT_COUNT] = {
		"YUYV", "UYVY", "RGB3", "BGR3", "XR24", "GREY", "Y16 ", "NV12",
		"NV16",
	};
	uint32_t fmt;

	(void)unused;
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		EXPECT(daqcap_format_bpp(fmt) == ref_bpp[fmt],
		       "bpp(%u) = %u\n", fmt, daqcap_format_bpp(fmt));
		EXPECT(daqcap_format_name(fmt) &&
		       !strcmp(daqcap_format_name(fmt), all_formats[fmt]),
		       "name(%u)\n", fmt);
		EXPECT(daqcap_format_fourcc(fmt) &&
		       !memcmp(daqcap_format_fourcc(fmt), fourcc[fmt], 5),
		       "fourcc(%u)\n", fmt);
		EXPECT(daqcap_format_lookup(all_formats[fmt]) == (int)fmt,
		       "lookup(%s)\n", all_formats[fmt]);
		EXPECT(daqcap_format_lookup(fourcc[fmt]) == (int)fmt,
		       "lookup(%s)\n", fourcc[fmt]);
	}
	EXPECT(daqcap_format_lookup("y16") == DAQCAP_FMT_Y16, "lookup(y16)\n");
	EXPECT(daqcap_format_lookup("xr24") == DAQCAP_FMT_XBGR32,
	       "lookup(xr24)\n");
	EXPECT(daqcap_format_lookup("nv12") == DAQCAP_FMT_NV12,
	       "lookup(nv12)\n");
	EXPECT(daqcap_format_lookup("Nv16 ") == DAQCAP_FMT_NV16,
	       "lookup(Nv16 )\n");
	EXPECT(daqcap_format_lookup("NV21") == -1, "lookup(NV21)\n");
	EXPECT(daqcap_format_lookup("rgb") == -1, "lookup(rgb)\n");
	EXPECT(daqcap_format_lookup("") == -1, "lookup()\n");
	EXPECT(daqcap_format_lookup(" ") == -1, "lookup( )\n");
	EXPECT(daqcap_format_lookup("YUYVX") == -1, "lookup(YUYVX)\n");
	EXPECT(daqcap_format_bpp(DAQCAP_FMT_COUNT) == 0, "bpp(COUNT)\n");
	EXPECT(daqcap_format_bpp(0xffffffff) == 0, "bpp(~0)\n");
	EXPECT(!daqcap_format_name(DAQCAP_FMT_COUNT), "name(COUNT)\n");
	EXPECT(!daqcap_format_fourcc(0xffffffff), "fourcc(~0)\n");
	EXPECT(daqcap_pattern_lookup("BARS") == DAQCAP_PATTERN_BARS,
	       "lookup(BARS)\n");
	EXPECT(daqcap_pattern_lookup("verify") == DAQCAP_PATTERN_VERIFY,
	       "lookup(verify)\n");
	EXPECT(daqcap_pattern_lookup("ramp") == -1, "lookup(ramp)\n");
	EXPECT(!strcmp(daqcap_pattern_name(DAQCAP_PATTERN_VERIFY), "verify"),
	       "pattern_name(VERIFY)\n");
	EXPECT(!daqcap_pattern_name(DAQCAP_PATTERN_COUNT),
	       "pattern_name(COUNT)\n");
}

static void test_line_bytes(uint32_t unused)
{
	static const uint32_t widths[] = {
		0, 1, 2, 3, 7, 8, 639, 640, 1919, 1920, 4095, 4096, 65535,
	};
	size_t i, want;
	uint32_t fmt;

	(void)unused;
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		for (i = 0; i < ARRAY_SIZE(widths); i++) {
			want = widths[i] * ref_bpp[fmt];
			if (ref_pairs(fmt) && widths[i] % 2)
				want = 0;
			EXPECT(daqcap_pattern_line_bytes(fmt, widths[i]) ==
			       want, "line_bytes(%s, %u) = %zu, want %zu\n",
			       all_formats[fmt], widths[i],
			       daqcap_pattern_line_bytes(fmt, widths[i]), want);
		}
	}
	EXPECT(daqcap_pattern_line_bytes(DAQCAP_FMT_COUNT, 640) == 0,
	       "line_bytes(COUNT, 640)\n");
	EXPECT(daqcap_pattern_line_bytes(0xffffffff, 640) == 0,
	       "line_bytes(~0, 640)\n");
	EXPECT(daqcap_pattern_line_bytes(DAQCAP_FMT_YUYV, 1) == 0,
	       "line_bytes(YUYV, 1)\n");
	EXPECT(daqcap_pattern_line_bytes(DAQCAP_FMT_NV12, 1921) == 0,
	       "line_bytes(NV12, 1921)\n");
	EXPECT(daqcap_pattern_line_bytes(DAQCAP_FMT_NV16, 1920) == 1920,
	       "line_bytes(NV16, 1920)\n");
	EXPECT(daqcap_pattern_line_bytes(DAQCAP_FMT_XBGR32, 4096) == 16384,
	       "line_bytes(XBGR32, 4096)\n");
}

/* daqcap_pattern_rows(): lines, lines and a half, twice the lines. */
static void test_rows(uint32_t unused)
{
	static const uint32_t heights[] = {
		0, 1, 2, 3, 4, 5, 240, 480, 1079, 1080, 2160, 4095, 4096,
		0x7fffffff, 0x80000000, 0x80000001, 2863311529u,
		2863311530u, 2863311532u, 0xfffffffe, 0xffffffff,
	};
	uint64_t want;
	uint32_t fmt;
	size_t i;

	(void)unused;
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		for (i = 0; i < ARRAY_SIZE(heights); i++) {
			want = ref_rows(fmt, heights[i]);
			if (want > UINT32_MAX)
				want = 0;	/* does not fit: none */
			EXPECT(daqcap_pattern_rows(fmt, heights[i]) == want,
			       "rows(%s, %u) = %u, want %" PRIu64 "\n",
			       all_formats[fmt], heights[i],
			       daqcap_pattern_rows(fmt, heights[i]), want);
		}
	}
	/* The documented values, spelt out. */
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_YUYV, 1080) == 1080,
	       "rows(YUYV, 1080)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_GREY, 7) == 7, "rows(GREY, 7)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV12, 1080) == 1620,
	       "rows(NV12, 1080)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV12, 2) == 3,
	       "rows(NV12, 2)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV12, 1079) == 0,
	       "rows(NV12, 1079)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV12, 2863311530u) ==
	       0xffffffff, "rows(NV12, 2863311530)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV12, 2863311532u) == 0,
	       "rows(NV12, 2863311532)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV16, 1079) == 2158,
	       "rows(NV16, 1079)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV16, 0x7fffffff) == 0xfffffffe,
	       "rows(NV16, 0x7fffffff)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV16, 0x80000000) == 0,
	       "rows(NV16, 0x80000000)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_NV16, 0) == 0, "rows(NV16, 0)\n");
	EXPECT(daqcap_pattern_rows(DAQCAP_FMT_COUNT, 480) == 0,
	       "rows(COUNT, 480)\n");
	EXPECT(daqcap_pattern_rows(0xffffffff, 480) == 0, "rows(~0, 480)\n");
}

/* VERIFY against the per-byte formula, odd lengths included. */
static void test_verify_bytes(uint32_t unused)
{
	static const struct {
		uint32_t input, seq, line, width, format;
	} c[] = {
		{ 0, 0, 0, 640, DAQCAP_FMT_YUYV },
		{ 1, 2, 3, 7, DAQCAP_FMT_GREY },		/* 7 bytes */
		{ 2, 1, 1, 1, DAQCAP_FMT_GREY },		/* 1 byte */
		{ 3, 3, 3, 2, DAQCAP_FMT_GREY },		/* 2 bytes */
		{ 4, 4, 4, 3, DAQCAP_FMT_GREY },		/* 3 bytes */
		{ 5, 99, 17, 5, DAQCAP_FMT_RGB24 },		/* 15 bytes */
		{ 9, 77, 1, 1, DAQCAP_FMT_BGR24 },		/* 3 bytes */
		{ 6, 5, 2, 3, DAQCAP_FMT_Y16 },			/* 6 bytes */
		{ 7, 8, 9, 1366, DAQCAP_FMT_BGR24 },		/* 4098 bytes */
		{ 8, 1234, 1079, 1920, DAQCAP_FMT_UYVY },
		{ 15, 0xffffffff, 4095, 4096, DAQCAP_FMT_XBGR32 },
		{ 15, 0xfffffffe, 4096, 4095, DAQCAP_FMT_RGB24 }, /* 12285 B */
		{ 0xffffffff, 0x80000000, 0xffffffff, 33, DAQCAP_FMT_GREY },
		{ 3, 17, 9, 1366, DAQCAP_FMT_NV12 },		/* luma row */
		{ 4, 5, 0, 2, DAQCAP_FMT_NV16 },		/* 2 bytes */
		{ 5, 6, 1079, 4098, DAQCAP_FMT_NV16 },		/* 4098 bytes */
	};
	struct daqcap_pattern_frame f;
	size_t i, n, o;
	uint8_t *buf;
	uint32_t seed;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		f = frame(c[i].format, DAQCAP_PATTERN_VERIFY, c[i].width,
			  c[i].line + 1, c[i].input, c[i].seq);
		n = daqcap_pattern_line_bytes(f.format, f.width);
		EXPECT(n == ref_line_bytes(f.format, f.width), "length %zu\n",
		       n);
		buf = xmalloc(n);
		daqcap_pattern_render_line(&f, c[i].line, buf);
		seed = ref_seed(f.input, f.sequence, c[i].line);
		EXPECT(daqcap_pattern_verify_seed(f.input, f.sequence,
						  c[i].line) == seed,
		       "case %zu: seed\n", i);
		for (o = 0; o < n; o++)
			if (buf[o] != ref_verify_byte(seed, o))
				break;
		EXPECT(o == n, "case %zu (%s %u px, %zu bytes): byte %zu is "
		       "0x%02x, want 0x%02x\n", i, all_formats[f.format],
		       f.width, n, o, o < n ? buf[o] : 0,
		       o < n ? ref_verify_byte(seed, o) : 0);
		EXPECT(daqcap_pattern_check_line(&f, c[i].line, buf) == -1,
		       "case %zu: check_line\n", i);
		free(buf);
	}
}

/* The examples of PATTERN.rst, and VERIFY's independence of the format. */
static void test_verify_examples(uint32_t unused)
{
	static const struct {
		uint32_t input, seq, line, seed;
		uint8_t bytes[10];
	} ex[] = {
		{ 0, 0, 0, 0x00000000,
		  { 0x00, 0x00, 0x00, 0x00, 0xb9, 0x79, 0x37, 0x9e, 0x72, 0xf3 } },
		{ 0, 0, 1, 0x9b518c6d,
		  { 0x6d, 0x8c, 0x51, 0x9b, 0x26, 0x06, 0x89, 0x39, 0xdf, 0x7f } },
		{ 1, 0, 0, 0x11fd02eb,
		  { 0xeb, 0x02, 0xfd, 0x11, 0xa4, 0x7c, 0x34, 0xb0, 0x5d, 0xf6 } },
		{ 0, 1, 0, 0x9bb31115,
		  { 0x15, 0x11, 0xb3, 0x9b, 0xce, 0x8a, 0xea, 0x39, 0x87, 0x04 } },
		{ 3, 12345, 1079, 0x8d511bf8,
		  { 0xf8, 0x1b, 0x51, 0x8d, 0xb1, 0x95, 0x88, 0x2b, 0x6a, 0x0f } },
		{ 15, 0xffffffff, 4095, 0x5688924c,
		  { 0x4c, 0x92, 0x88, 0x56, 0x05, 0x0c, 0xc0, 0xf4, 0xbe, 0x85 } },
	};
	struct daqcap_pattern_frame f, g;
	uint8_t a[10], b[640 * 4], c[640 * 4];
	uint32_t fmt;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(ex); i++) {
		EXPECT(daqcap_pattern_verify_seed(ex[i].input, ex[i].seq,
						  ex[i].line) == ex[i].seed,
		       "example %zu: seed 0x%08x\n", i,
		       daqcap_pattern_verify_seed(ex[i].input, ex[i].seq,
						  ex[i].line));
		f = frame(DAQCAP_FMT_GREY, DAQCAP_PATTERN_VERIFY, 10, 4096,
			  ex[i].input, ex[i].seq);
		daqcap_pattern_render_line(&f, ex[i].line, a);
		EXPECT(!memcmp(a, ex[i].bytes, 10), "example %zu: bytes\n", i);
	}
	/* Same bytes whatever the format, for the same line length. */
	g = frame(DAQCAP_FMT_GREY, DAQCAP_PATTERN_VERIFY, 0, 480, 4, 4321);
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		f = frame(fmt, DAQCAP_PATTERN_VERIFY, 640, 480, 4, 4321);
		g.width = 640 * ref_bpp[fmt];
		daqcap_pattern_render_line(&f, 77, b);
		daqcap_pattern_render_line(&g, 77, c);
		EXPECT(!memcmp(b, c, g.width), "%s differs from GREY\n",
		       all_formats[fmt]);
	}
}

/*
 * Bytes of the bar colours, copied from PATTERN.rst's table; for NV12 and
 * NV16 the luma row's Y, then the chroma row's Cb Cr.
 */
static const uint8_t bar_bytes[8][DAQCAP_FMT_COUNT][4] = {
	{ { 0xb4, 0x7f, 0xb4, 0x80 }, { 0x7f, 0xb4, 0x80, 0xb4 },
	  { 0xbf, 0xbf, 0xbf }, { 0xbf, 0xbf, 0xbf }, { 0xbf, 0xbf, 0xbf, 0xff },
	  { 0xbf }, { 0xbf, 0xbf },
	  { 0xb4, 0x7f, 0x80 }, { 0xb4, 0x7f, 0x80 } },
	{ { 0xa8, 0x2c, 0xa8, 0x87 }, { 0x2c, 0xa8, 0x87, 0xa8 },
	  { 0xbf, 0xbf, 0x00 }, { 0x00, 0xbf, 0xbf }, { 0x00, 0xbf, 0xbf, 0xff },
	  { 0xb1 }, { 0xb1, 0xb1 },
	  { 0xa8, 0x2c, 0x87 }, { 0xa8, 0x2c, 0x87 } },
	{ { 0x91, 0x93, 0x91, 0x2c }, { 0x93, 0x91, 0x2c, 0x91 },
	  { 0x00, 0xbf, 0xbf }, { 0xbf, 0xbf, 0x00 }, { 0xbf, 0xbf, 0x00, 0xff },
	  { 0x97 }, { 0x97, 0x97 },
	  { 0x91, 0x93, 0x2c }, { 0x91, 0x93, 0x2c } },
	{ { 0x85, 0x3f, 0x85, 0x34 }, { 0x3f, 0x85, 0x34, 0x85 },
	  { 0x00, 0xbf, 0x00 }, { 0x00, 0xbf, 0x00 }, { 0x00, 0xbf, 0x00, 0xff },
	  { 0x89 }, { 0x89, 0x89 },
	  { 0x85, 0x3f, 0x34 }, { 0x85, 0x3f, 0x34 } },
	{ { 0x3f, 0xc0, 0x3f, 0xcc }, { 0xc0, 0x3f, 0xcc, 0x3f },
	  { 0xbf, 0x00, 0xbf }, { 0xbf, 0x00, 0xbf }, { 0xbf, 0x00, 0xbf, 0xff },
	  { 0x36 }, { 0x36, 0x36 },
	  { 0x3f, 0xc0, 0xcc }, { 0x3f, 0xc0, 0xcc } },
	{ { 0x33, 0x6d, 0x33, 0xd4 }, { 0x6d, 0x33, 0xd4, 0x33 },
	  { 0xbf, 0x00, 0x00 }, { 0x00, 0x00, 0xbf }, { 0x00, 0x00, 0xbf, 0xff },
	  { 0x28 }, { 0x28, 0x28 },
	  { 0x33, 0x6d, 0xd4 }, { 0x33, 0x6d, 0xd4 } },
	{ { 0x1c, 0xd4, 0x1c, 0x79 }, { 0xd4, 0x1c, 0x79, 0x1c },
	  { 0x00, 0x00, 0xbf }, { 0xbf, 0x00, 0x00 }, { 0xbf, 0x00, 0x00, 0xff },
	  { 0x0e }, { 0x0e, 0x0e },
	  { 0x1c, 0xd4, 0x79 }, { 0x1c, 0xd4, 0x79 } },
	{ { 0x10, 0x80, 0x10, 0x80 }, { 0x80, 0x10, 0x80, 0x10 },
	  { 0x00, 0x00, 0x00 }, { 0x00, 0x00, 0x00 }, { 0x00, 0x00, 0x00, 0xff },
	  { 0x00 }, { 0x00, 0x00 },
	  { 0x10, 0x80, 0x80 }, { 0x10, 0x80, 0x80 } },
};

/* Centre pixel of every bar, every format: the documented conversion. */
static void test_bar_centres(uint32_t fmt)
{
	struct daqcap_pattern_frame f = frame(fmt, DAQCAP_PATTERN_BARS, 640,
					      480, 0, 0);
	size_t n = daqcap_pattern_line_bytes(fmt, 640), unit;
	uint8_t *line = xmalloc(n), want[8], nv[3];
	char got[32], exp[32];
	const uint8_t *pix;
	struct rgb px[2];
	uint32_t b, x;

	/* Line 100: below the text, above the box, above the ramp. */
	daqcap_pattern_render_line(&f, 100, line);
	for (b = 0; b < 8; b++) {
		x = 40 + 80 * b;	/* even, so a whole YUV pair */
		px[0] = px[1] = bar_rgb[b];
		if (ref_is_nv(fmt)) {
			/* Y, then Cb Cr: luma and chroma rows. */
			ref_encode_pixel(fmt, px, 0, want);
			want[1] = ref_chroma_byte(px, 0);
			want[2] = ref_chroma_byte(px, 1);
			nv_pixel(&f, 100, x, nv);
			pix = nv;
			unit = 3;
		} else {
			ref_encode_pixel(fmt, px, 0, want);
			ref_encode_pixel(fmt, px, 1, want + ref_bpp[fmt]);
			pix = pixel_at(&f, line, x);
			unit = fmt <= DAQCAP_FMT_UYVY ? 4 : ref_bpp[fmt];
		}
		if (!memcmp(pix, want, unit) &&
		    !memcmp(want, bar_bytes[b][fmt], unit))
			continue;
		hexdump(got, sizeof(got), pix, unit);
		hexdump(exp, sizeof(exp), bar_bytes[b][fmt], unit);
		fail("%s bar %u at x %u: %s, want %s\n", all_formats[fmt], b,
		     x, got, exp);
	}
	free(line);
}

/* Ramp end points and a midpoint, every format. */
static void test_ramp(uint32_t unused)
{
	static const struct {
		uint32_t width, height, line;
	} sz[] = { { 640, 480, 479 }, { 640, 480, 420 }, { 1920, 1080, 1079 },
		   { 2, 16, 15 }, { 10, 16, 15 } };
	struct daqcap_pattern_frame f;
	uint8_t *line, want[8], nv[3];
	struct rgb px[2];
	uint32_t fmt, x, xs[3];
	size_t i, j, n;
	int v16;

	(void)unused;
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		for (i = 0; i < ARRAY_SIZE(sz); i++) {
			f = frame(fmt, DAQCAP_PATTERN_BARS, sz[i].width,
				  sz[i].height, 0, 3);
			n = daqcap_pattern_line_bytes(fmt, f.width);
			line = xmalloc(n);
			daqcap_pattern_render_line(&f, sz[i].line, line);
			/* First pixel, last pixel (of the last pair), middle. */
			xs[0] = 0;
			xs[1] = f.width - (ref_pairs(fmt) ? 2 : 1);
			xs[2] = f.width / 2 & ~1u;
			for (j = 0; j < 3; j++) {
				x = xs[j];
				v16 = (int)((uint64_t)x * 65535 / (f.width - 1));
				px[0].r = px[0].g = px[0].b = v16 >> 8;
				px[0].v16 = v16;
				v16 = (int)((uint64_t)(x + 1) * 65535 /
					    (f.width - 1));
				px[1].r = px[1].g = px[1].b = v16 >> 8;
				px[1].v16 = v16;
				ref_encode_pixel(fmt, px, 0, want);
				ref_encode_pixel(fmt, px, 1, want + ref_bpp[fmt]);
				EXPECT(!memcmp(pixel_at(&f, line, x), want,
					       fmt <= DAQCAP_FMT_UYVY ? 4 :
					       ref_bpp[fmt]),
				       "%s %ux%u ramp x %u wrong\n",
				       all_formats[fmt], f.width, f.height, x);
				if (!ref_is_nv(fmt))
					continue;
				/* The chroma row: the even pixel's Cb Cr. */
				nv_pixel(&f, sz[i].line, x, nv);
				EXPECT(nv[0] == want[0] &&
				       nv[1] == ref_chroma_byte(px, 0) &&
				       nv[2] == ref_chroma_byte(px, 1),
				       "%s %ux%u ramp x %u: Y Cb Cr %02x %02x "
				       "%02x\n", all_formats[fmt], f.width,
				       f.height, x, nv[0], nv[1], nv[2]);
			}
			/* The documented end points. */
			x = f.width - 1;
			switch (fmt) {
			case DAQCAP_FMT_RGB24:
				EXPECT(line[0] == 0 && line[3 * x] == 255 &&
				       line[3 * x + 2] == 255,
				       "RGB24 ramp ends\n");
				break;
			case DAQCAP_FMT_Y16:
				EXPECT(line[0] == 0 && line[1] == 0 &&
				       line[2 * x] == 0xff &&
				       line[2 * x + 1] == 0xff,
				       "Y16 ramp ends\n");
				break;
			case DAQCAP_FMT_GREY:
				EXPECT(line[0] == 0 && line[x] == 255,
				       "GREY ramp ends\n");
				break;
			case DAQCAP_FMT_YUYV:
				EXPECT(line[0] == 16 && line[2 * x] == 235,
				       "YUYV ramp ends\n");
				break;
			case DAQCAP_FMT_NV12:
			case DAQCAP_FMT_NV16:
				EXPECT(line[0] == 16 && line[x] == 235,
				       "%s ramp ends\n", all_formats[fmt]);
				break;
			}
			free(line);
		}
	}
	/* Y16 keeps 16 bits: v16 of x = 320 of 640 is 32818 = 0x8032. */
	f = frame(DAQCAP_FMT_Y16, DAQCAP_PATTERN_BARS, 640, 480, 0, 0);
	line = xmalloc(1280);
	daqcap_pattern_render_line(&f, 470, line);
	EXPECT(line[640] == 0x32 && line[641] == 0x80, "Y16 ramp x 320: "
	       "%02x %02x\n", line[640], line[641]);
	free(line);
}

/* The box's left edge for a few sequences, the bounce included. */
static void test_box(uint32_t unused)
{
	/* 640x480: s = 60, lines [210, 270), step 5, range 580. */
	static const struct {
		uint32_t seq, left;
	} pos[] = {
		{ 0, 0 }, { 1, 5 }, { 10, 50 }, { 115, 575 }, { 116, 580 },
		{ 117, 575 }, { 150, 410 }, { 231, 5 }, { 232, 0 }, { 233, 5 },
		{ 1000000, 400 }, { 0xffffffff, 75 },
	};
	struct daqcap_pattern_frame f;
	uint8_t line[640 * 3], *p;
	int in, is_white;
	size_t i;
	uint32_t x, l, y;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(pos); i++) {
		f = frame(DAQCAP_FMT_RGB24, DAQCAP_PATTERN_BARS, 640, 480, 0,
			  pos[i].seq);
		EXPECT(ref_box_left(640, 480, pos[i].seq) == pos[i].left,
		       "model: seq %u left %" PRIu64 "\n", pos[i].seq,
		       ref_box_left(640, 480, pos[i].seq));
		l = pos[i].left;
		for (y = 209; y <= 270; y++) {
			daqcap_pattern_render_line(&f, y, line);
			for (x = 0; x < 640; x++) {
				p = line + 3 * x;
				in = y >= 210 && y < 270 && x >= l &&
				     x < l + 60;
				is_white = p[0] == 255 && p[1] == 255 &&
					   p[2] == 255;

				if (in != is_white)
					break;
			}
			EXPECT(x == 640, "seq %u line %u: pixel %u is %s the "
			       "box\n", pos[i].seq, y, x,
			       y >= 210 && y < 270 && x >= l && x < l + 60 ?
			       "missing from" : "wrongly in");
		}
	}
	/* No range to move in: 8x64 has an 8x8 box at x = 0, lines 28-35. */
	f = frame(DAQCAP_FMT_GREY, DAQCAP_PATTERN_BARS, 8, 64, 0, 12345);
	for (y = 27; y <= 36; y++) {
		daqcap_pattern_render_line(&f, y, line);
		for (x = 0; x < 8; x++)
			EXPECT((line[x] == 255) == (y >= 28 && y <= 35),
			       "8x64 line %u pixel %u: %u\n", y, x, line[x]);
	}
}

/* The frame number: glyph pixels white, their background black. */
static void test_text(uint32_t unused)
{
	struct daqcap_pattern_frame f;
	uint8_t line[1280 * 3];

	(void)unused;
	/* 640x480: k = 4, "1 00000000" (n = 10), rectangle [4,248)x[4,40). */
	f = frame(DAQCAP_FMT_RGB24, DAQCAP_PATTERN_BARS, 640, 480, 1, 0);
	daqcap_pattern_render_line(&f, 8, line);
	/* '1' row 0 is ..#..: column 2 is x [16, 20). */
	EXPECT(!memcmp(line + 3 * 16, "\xff\xff\xff", 3), "(16,8) white\n");
	EXPECT(!memcmp(line + 3 * 19, "\xff\xff\xff", 3), "(19,8) white\n");
	EXPECT(!memcmp(line + 3 * 15, "\0\0\0", 3), "(15,8) black\n");
	EXPECT(!memcmp(line + 3 * 20, "\0\0\0", 3), "(20,8) black\n");
	EXPECT(!memcmp(line + 3 * 8, "\0\0\0", 3), "(8,8) black\n");
	/* '0' (character 2, x = 56) row 0 is .###.: x [60, 72) white. */
	EXPECT(!memcmp(line + 3 * 60, "\xff\xff\xff", 3), "(60,8) white\n");
	EXPECT(!memcmp(line + 3 * 71, "\xff\xff\xff", 3), "(71,8) white\n");
	EXPECT(!memcmp(line + 3 * 72, "\0\0\0", 3), "(72,8) black\n");
	daqcap_pattern_render_line(&f, 4, line);
	EXPECT(!memcmp(line + 3 * 4, "\0\0\0", 3), "(4,4) black\n");
	EXPECT(!memcmp(line + 3 * 247, "\0\0\0", 3), "(247,4) black\n");
	EXPECT(!memcmp(line + 3 * 3, "\xbf\xbf\xbf", 3), "(3,4) white bar\n");
	EXPECT(!memcmp(line + 3 * 248, "\0\xbf\0", 3), "(248,4) green bar\n");
	daqcap_pattern_render_line(&f, 3, line);
	EXPECT(!memcmp(line + 3 * 4, "\xbf\xbf\xbf", 3), "(4,3) white bar\n");
	daqcap_pattern_render_line(&f, 39, line);
	EXPECT(!memcmp(line + 3 * 100, "\0\0\0", 3), "(100,39) black\n");
	daqcap_pattern_render_line(&f, 40, line);
	EXPECT(!memcmp(line + 3 * 100, "\xbf\xbf\0", 3), "(100,40) yellow\n");
	/* '1' row 6 is .###.: x [12, 24) of lines [32, 36). */
	daqcap_pattern_render_line(&f, 35, line);
	EXPECT(!memcmp(line + 3 * 12, "\xff\xff\xff", 3), "(12,35) white\n");
	EXPECT(!memcmp(line + 3 * 11, "\0\0\0", 3), "(11,35) black\n");

	/* YUYV 1280x720: k = 6, "7 00000042"; '7' row 0 is #####. */
	f = frame(DAQCAP_FMT_YUYV, DAQCAP_PATTERN_BARS, 1280, 720, 7, 42);
	daqcap_pattern_render_line(&f, 12, line);
	EXPECT(!memcmp(line + 2 * 12, "\xeb\x7f\xeb\x80", 4),
	       "YUYV (12,12) white pair\n");
	EXPECT(!memcmp(line + 2 * 6, "\x10\x80\x10\x80", 4),
	       "YUYV (6,12) black pair\n");
}

static const struct {
	uint32_t width, height;
} ref_sizes[] = {
	{ 1, 1 }, { 2, 2 }, { 3, 5 }, { 4, 1 }, { 7, 9 }, { 8, 8 },
	{ 16, 16 }, { 17, 13 }, { 24, 130 }, { 64, 48 }, { 100, 300 },
	{ 130, 121 }, { 322, 242 }, { 640, 480 }, { 721, 576 },
	{ 1000, 1200 }, { 4096, 16 }, { 2, 4096 },
};

static const struct {
	uint32_t input, seq;
} ref_frames[] = {
	{ 0, 0 }, { 3, 7 }, { 15, 116 }, { 1, 150 }, { 9, 12345678 },
	{ 12, 123456789 }, { 15, 0xffffffff },
};

/* Whole BARS frames, every row, against the naive model. */
static void test_bars_frames(uint32_t fmt)
{
	struct daqcap_pattern_frame f;
	size_t i, j, n, o, frames = 0;
	uint8_t *got, *want, *pad;
	uint64_t rows;
	struct rgb *px;
	uint32_t y;
	long bad;

	for (i = 0; i < ARRAY_SIZE(ref_sizes); i++) {
		for (j = 0; j < ARRAY_SIZE(ref_frames); j++) {
			/* Big frames with fewer sequences, to stay quick. */
			if ((uint64_t)ref_sizes[i].width *
			    ref_sizes[i].height > 200000 && (i + j) % 3)
				continue;
			f = frame(fmt, DAQCAP_PATTERN_BARS, ref_sizes[i].width,
				  ref_sizes[i].height, ref_frames[j].input,
				  ref_frames[j].seq);
			n = daqcap_pattern_line_bytes(fmt, f.width);
			rows = ref_rows(fmt, f.height);
			if (!n || !rows)
				continue;	/* odd YUV width, NV12 height */
			frames++;
			got = xmalloc(n);
			want = xmalloc(n);
			pad = xmalloc(n + CANARY_BYTES);
			px = calloc(f.width, sizeof(*px));
			for (y = 0; y < rows; y++) {
				daqcap_pattern_render_line(&f, y, got);
				ref_render_row(&f, y, want, px);
				if (memcmp(got, want, n)) {
					for (o = 0; got[o] == want[o]; o++)
						;
					fail("%s %ux%u input %u seq %u row "
					     "%u byte %zu (pixel %zu): 0x%02x, "
					     "want 0x%02x\n", all_formats[fmt],
					     f.width, f.height, f.input,
					     f.sequence, y, o,
					     o / ref_bpp[fmt], got[o], want[o]);
					break;
				}
				bad = daqcap_pattern_check_line(&f, y, want);
				if (bad != -1) {
					fail("%s %ux%u seq %u row %u: "
					     "check_line says %ld\n",
					     all_formats[fmt], f.width,
					     f.height, f.sequence, y, bad);
					break;
				}
				memset(pad, CANARY, n + CANARY_BYTES);
				daqcap_pattern_render_line(&f, y, pad);
				if (!canary_intact(pad + n, CANARY_BYTES)) {
					fail("%s %ux%u row %u: wrote past "
					     "the row\n", all_formats[fmt],
					     f.width, f.height, y);
					break;
				}
			}
			free(px);
			free(pad);
			free(want);
			free(got);
		}
	}
	ksft_print_msg("%s: %zu frames compared\n", all_formats[fmt], frames);
}

/* check_line on row @row of @f: -1, then the exact offset of flipped bytes. */
static void check_line_flips(struct daqcap_pattern_frame f, uint32_t row)
{
	size_t j, n, offs[16], no;
	uint8_t *line;
	long got;

	n = daqcap_pattern_line_bytes(f.format, f.width);
	line = xmalloc(n);
	daqcap_pattern_render_line(&f, row, line);
	got = daqcap_pattern_check_line(&f, row, line);
	EXPECT(got == -1, "%s %s %ux%u row %u: good row gives %ld\n",
	       all_formats[f.format], daqcap_pattern_name(f.pattern),
	       f.width, f.height, row, got);

	/* First, middle, last, and around the 4 KiB windows. */
	no = 0;
	offs[no++] = 0;
	offs[no++] = n / 2;
	offs[no++] = n - 1;
	offs[no++] = n > 1 ? 1 : 0;
	for (j = 4080; j < 4100 && j < n; j += 3)
		offs[no++] = j;
	if (n > 8200)
		offs[no++] = 8195;
	for (j = 0; j < no; j++) {
		line[offs[j]] ^= 0x01;
		got = daqcap_pattern_check_line(&f, row, line);
		EXPECT(got == (long)offs[j], "%s %s %ux%u row %u: flipped "
		       "byte %zu, check_line says %ld\n",
		       all_formats[f.format], daqcap_pattern_name(f.pattern),
		       f.width, f.height, row, offs[j], got);
		line[offs[j]] ^= 0xff;
		/* And a second, later error does not hide it. */
		if (offs[j] + 1 < n)
			line[n - 1] ^= 0x80;
		got = daqcap_pattern_check_line(&f, row, line);
		EXPECT(got == (long)offs[j], "%s: two errors, first %zu, "
		       "check_line says %ld\n", all_formats[f.format],
		       offs[j], got);
		if (offs[j] + 1 < n)
			line[n - 1] ^= 0x80;
		line[offs[j]] ^= 0xfe;
	}
	EXPECT(daqcap_pattern_check_line(&f, row, line) == -1,
	       "%s: row not restored\n", all_formats[f.format]);
	/* A row of another frame, row or input is wrong early. */
	f.sequence++;
	EXPECT(f.pattern != DAQCAP_PATTERN_VERIFY ||
	       daqcap_pattern_check_line(&f, row, line) == 0,
	       "%s %s: other sequence passes\n", all_formats[f.format],
	       daqcap_pattern_name(f.pattern));
	f.sequence--;
	/* NV12, NV16: a chroma row is not the luma row of its line. */
	if (ref_is_nv(f.format) && row >= f.height &&
	    f.pattern == DAQCAP_PATTERN_VERIFY)
		EXPECT(daqcap_pattern_check_line(&f, row - f.height,
						 line) == 0,
		       "%s: chroma row %u checks as luma row %u\n",
		       all_formats[f.format], row, row - f.height);
	free(line);
}

/*
 * check_line: -1 on good rows, the exact offset of a flipped byte; for NV12
 * and NV16 in the luma row of each case's line and in its chroma row.
 */
static void test_check_line(uint32_t fmt)
{
	static const struct {
		uint32_t pattern, width, height, line;
	} c[] = {
		{ DAQCAP_PATTERN_BARS, 640, 480, 0 },
		{ DAQCAP_PATTERN_BARS, 640, 480, 8 },	/* text */
		{ DAQCAP_PATTERN_BARS, 640, 480, 240 },	/* box */
		{ DAQCAP_PATTERN_BARS, 640, 480, 479 },	/* ramp */
		{ DAQCAP_PATTERN_BARS, 4096, 4096, 100 }, /* several windows */
		{ DAQCAP_PATTERN_BARS, 4096, 4096, 4095 },
		{ DAQCAP_PATTERN_BARS, 2, 2, 1 },
		{ DAQCAP_PATTERN_VERIFY, 640, 480, 5 },
		{ DAQCAP_PATTERN_VERIFY, 4096, 4096, 4095 },
		{ DAQCAP_PATTERN_VERIFY, 2, 2, 0 },
		{ 7, 640, 480, 1 },			/* unknown pattern */
	};
	struct daqcap_pattern_frame f;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		f = frame(fmt, c[i].pattern, c[i].width, c[i].height, 2, 1001);
		check_line_flips(f, c[i].line);
		if (ref_is_nv(fmt))
			check_line_flips(f, ref_chroma_row(fmt, f.height,
							   c[i].line));
	}
}

/* Degenerate, tiny and huge frames; unknown values; lines out of range. */
static void test_extremes(uint32_t unused)
{
	static const struct {
		uint32_t width, height;
	} sz[] = { { 1, 1 }, { 2, 2 }, { 3, 3 }, { 1, 4096 }, { 4096, 1 },
		   { 4096, 4096 } };
	static const uint32_t patterns[] = {
		DAQCAP_PATTERN_BARS, DAQCAP_PATTERN_VERIFY, 2, 0xffffffff,
	};
	struct daqcap_pattern_frame f;
	uint32_t fmt, y, p, rows;
	uint8_t canary[CANARY_BYTES], *line;
	size_t i, n, o;
	long got;

	(void)unused;
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		for (i = 0; i < ARRAY_SIZE(sz); i++) {
			for (p = 0; p < ARRAY_SIZE(patterns); p++) {
				f = frame(fmt, patterns[p], sz[i].width,
					  sz[i].height, 15, 0xffffffff);
				n = daqcap_pattern_line_bytes(fmt, f.width);
				rows = daqcap_pattern_rows(fmt, f.height);
				line = xmalloc(n);
				for (y = 0; y < rows; y++) {
					/* Unknown patterns: a few lines. */
					if (p >= 2 && y > 2)
						break;
					daqcap_pattern_render_line(&f, y, line);
					got = daqcap_pattern_check_line(&f, y,
									line);
					if (got != -1) {
						fail("%s %ux%u pattern %u row "
						     "%u: %ld\n",
						     all_formats[fmt], f.width,
						     f.height, f.pattern, y,
						     got);
						break;
					}
					if (p < 2 || !n)
						continue;
					for (o = 0; o < n && !line[o]; o++)
						;
					EXPECT(o == n, "unknown pattern: "
					       "byte %zu not 0\n", o);
				}
				free(line);
			}
		}
	}
	/* 1x1 BARS is the box: white. */
	f = frame(DAQCAP_FMT_RGB24, DAQCAP_PATTERN_BARS, 1, 1, 0, 5);
	line = xmalloc(3);
	daqcap_pattern_render_line(&f, 0, line);
	EXPECT(!memcmp(line, "\xff\xff\xff", 3), "1x1 is not white\n");
	free(line);

	/* Nothing written when the line has 0 bytes. */
	static const struct {
		uint32_t format, width;
	} empty[] = { { DAQCAP_FMT_YUYV, 3 }, { DAQCAP_FMT_UYVY, 1 },
		      { DAQCAP_FMT_RGB24, 0 }, { DAQCAP_FMT_NV12, 641 },
		      { DAQCAP_FMT_NV16, 1 }, { DAQCAP_FMT_NV12, 0 },
		      { DAQCAP_FMT_COUNT, 16 }, { 0xffffffff, 16 } };
	for (i = 0; i < ARRAY_SIZE(empty); i++) {
		for (p = 0; p < ARRAY_SIZE(patterns); p++) {
			f = frame(empty[i].format, patterns[p], empty[i].width,
				  8, 0, 0);
			memset(canary, CANARY, sizeof(canary));
			daqcap_pattern_render_line(&f, 0, canary);
			EXPECT(canary_intact(canary, sizeof(canary)),
			       "format %u width %u: wrote bytes\n",
			       f.format, f.width);
			EXPECT(daqcap_pattern_check_line(&f, 0, canary) == -1,
			       "empty line does not check\n");
		}
	}

	/* Rows beyond the frame, and a 0-line frame, are safe. */
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		line = xmalloc(1280 * 4);
		f = frame(fmt, DAQCAP_PATTERN_BARS, 1280, 720, 1, 2);
		daqcap_pattern_render_line(&f, 5000, line);
		daqcap_pattern_render_line(&f, 0xffffffff, line);
		EXPECT(daqcap_pattern_check_line(&f, 0xffffffff, line) == -1,
		       "line ~0\n");
		f.pattern = DAQCAP_PATTERN_VERIFY;
		daqcap_pattern_render_line(&f, 0xffffffff, line);
		EXPECT(daqcap_pattern_check_line(&f, 0xffffffff, line) == -1,
		       "VERIFY line ~0\n");
		f.pattern = DAQCAP_PATTERN_BARS;
		f.height = 0;
		daqcap_pattern_render_line(&f, 0, line);
		EXPECT(daqcap_pattern_check_line(&f, 0, line) == -1,
		       "height 0\n");
		free(line);
	}
}

/*
 * The ramp of very wide lines: the fixed-point path up to width 2^24, the
 * run path beyond (lines the card never sends, but the API allows).
 */
static void test_wide_ramp(uint32_t unused)
{
	static const uint32_t widths[] = {
		65536, 65537, 1000003, 1u << 24, (1u << 24) + 1,
		(1u << 24) + 12346,
	};
	static const uint32_t fmts[] = {
		DAQCAP_FMT_Y16, DAQCAP_FMT_GREY, DAQCAP_FMT_YUYV,
		DAQCAP_FMT_NV12, DAQCAP_FMT_NV16,
	};
	struct daqcap_pattern_frame f;
	uint64_t x, d, v16;
	size_t i, j, n;
	uint8_t *line, *chroma, want;
	uint32_t row;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		for (j = 0; j < ARRAY_SIZE(fmts); j++) {
			/* Lines 14 and 15 of 16 are all ramp: no box, text. */
			f = frame(fmts[j], DAQCAP_PATTERN_BARS, widths[i], 16,
				  0, 0);
			n = daqcap_pattern_line_bytes(f.format, f.width);
			if (!n)
				continue;
			line = xmalloc(n);
			daqcap_pattern_render_line(&f, 15, line);
			chroma = NULL;
			if (ref_is_nv(f.format)) {
				/* Line 15's chroma, of line 14 for NV12. */
				row = ref_chroma_row(f.format, 16, 15);
				chroma = xmalloc(n);
				daqcap_pattern_render_line(&f, row, chroma);
			}
			d = f.width - 1;
			for (x = 0; x < f.width; x++) {
				v16 = x * 65535 / d;
				want = (uint8_t)(((220 * (v16 >> 8) + 128) >>
						  8) + 16);
				if (f.format == DAQCAP_FMT_Y16) {
					if (line[2 * x] == (uint8_t)v16 &&
					    line[2 * x + 1] == v16 >> 8)
						continue;
				} else if (f.format == DAQCAP_FMT_GREY) {
					if (line[x] == v16 >> 8)
						continue;
				} else if (chroma) {
					/* Cb of the even pixel, then Cr. */
					if (line[x] == want &&
					    chroma[x] == (x & 1 ? 128 :
							  v16 >> 8 > 128 ?
							  127 : 128))
						continue;
				} else {
					if (line[2 * x] == want)
						continue;
				}
				fail("%s width %u: pixel %" PRIu64 " wrong\n",
				     all_formats[f.format], f.width, x);
				break;
			}
			free(chroma);
			free(line);
		}
	}
}

/* ---- Crop windows -------------------------------------------------------- */

static struct daqcap_pattern_window window(uint32_t left, uint32_t top,
					   uint32_t width, uint32_t height)
{
	struct daqcap_pattern_window w = {
		.left = left, .top = top, .width = width, .height = height,
	};

	return w;
}

static int window_eq(struct daqcap_pattern_window a,
		     struct daqcap_pattern_window b)
{
	return a.left == b.left && a.top == b.top && a.width == b.width &&
	       a.height == b.height;
}

/* daqcap_pattern_window_of(): the crop, or the whole frame without one. */
static void test_window_of(uint32_t unused)
{
	static const struct {
		struct daqcap_pattern_window crop, want;
	} c[] = {
		{ { 0, 0, 0, 0 }, { 0, 0, 640, 480 } },
		{ { 10, 20, 0, 0 }, { 0, 0, 640, 480 } },
		{ { 10, 20, 0, 5 }, { 0, 0, 640, 480 } },
		{ { 10, 20, 5, 0 }, { 0, 0, 640, 480 } },
		{ { 0, 0, 640, 480 }, { 0, 0, 640, 480 } },
		{ { 2, 3, 4, 5 }, { 2, 3, 4, 5 } },
		{ { 0, 479, 1, 1 }, { 0, 479, 1, 1 } },
		/* Returned as they are, even when invalid. */
		{ { 1, 0, 8, 8 }, { 1, 0, 8, 8 } },
		{ { 0xfffffffe, 0xffffffff, 0xffffffff, 0xffffffff },
		  { 0xfffffffe, 0xffffffff, 0xffffffff, 0xffffffff } },
	};
	struct daqcap_pattern_frame f;
	struct daqcap_pattern_window got;
	size_t i;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		f = frame(DAQCAP_FMT_RGB24, DAQCAP_PATTERN_BARS, 640, 480, 1, 2);
		f.crop = c[i].crop;
		got = daqcap_pattern_window_of(&f);
		EXPECT(window_eq(got, c[i].want), "case %zu: window (%u, %u, "
		       "%u, %u), want (%u, %u, %u, %u)\n", i, got.left,
		       got.top, got.width, got.height, c[i].want.left,
		       c[i].want.top, c[i].want.width, c[i].want.height);
	}
	/* A zero-initialised crop of a 0x0 frame is that empty frame. */
	f = frame(DAQCAP_FMT_GREY, DAQCAP_PATTERN_VERIFY, 0, 0, 0, 0);
	EXPECT(window_eq(daqcap_pattern_window_of(&f), window(0, 0, 0, 0)),
	       "0x0 frame\n");
}

/* Frames the window tests crop: sizes, text scale, box, ramp, wide lines. */
static const struct {
	uint32_t width, height, input, seq;
} win_frames[] = {
	{ 640, 480, 3, 116 },		/* box at the right edge */
	{ 322, 242, 12, 150 },
	{ 1366, 20, 7, 9 },		/* RGB24: lines of 4098 bytes */
	{ 3000, 64, 15, 0xffffffff },	/* wider than 4096 bytes, bpp >= 2 */
	{ 5000, 16, 1, 1234 },		/* wider than 4096 bytes, GREY too */
	{ 1920, 1080, 2, 77 },		/* k = 9 text, box over the middle */
};

/*
 * Windows of a width x height frame for format @fmt: left 2 (a VERIFY
 * window of RGB24, BGR24, GREY, NV12 or NV16 then starts mid-word), odd
 * widths (made even for YUYV, UYVY, NV12 and NV16), the bottom right corner,
 * the right edge, one line (two for NV12), the text, the whole frame; for
 * NV12 odd tops and heights are made even (@height is even). Returns how
 * many.
 */
static size_t win_list(uint32_t fmt, uint32_t width, uint32_t height,
		       struct daqcap_pattern_window *out)
{
	uint32_t w = width, h = height, l;
	size_t n = 0, i;

	out[n++] = window(2, 1, 9, 5);
	out[n++] = window(2, 0, w - 3, h);
	l = (w - w / 3) & ~1u;
	out[n++] = window(l, h - h / 4, w - l, h / 4);	/* bottom right */
	l = (w / 2) & ~1u;
	out[n++] = window(l, 0, w - l, 3);		/* right edge */
	out[n++] = window(4, h / 2, w / 2 + 1, 1);	/* one line, the box */
	out[n++] = window(0, h - 1, w - 1, 1);		/* last line, ramp */
	out[n++] = window(8, 0, w / 3 + 1, h < 100 ? h : 100);	/* text */
	out[n++] = window(6, 3, 101, h - 6);
	out[n++] = window(0, 0, w, h);			/* the whole frame */
	for (i = 0; i < n; i++) {
		if (ref_pairs(fmt))
			out[i].width &= ~1u;
		if (fmt != DAQCAP_FMT_NV12)
			continue;
		out[i].top &= ~1u;
		out[i].height = (out[i].height + 1) & ~1u;
		if (out[i].top + out[i].height > h)
			out[i].top -= 2;
	}
	return n;
}

/*
 * The whole frame's row that row @y of window @win is: the line top + y, or
 * for NV12 and NV16 a luma row top + y or, after the window's @win.height
 * luma rows, chroma row j of the window = the frame's chroma row top / 2 + j
 * (NV12) or top + j (NV16), which follows the frame's @height luma rows.
 */
static uint32_t ref_window_row(uint32_t fmt, uint32_t height,
			       struct daqcap_pattern_window win, uint32_t y)
{
	if (!ref_is_nv(fmt) || y < win.height)
		return win.top + y;
	y -= win.height;
	return fmt == DAQCAP_FMT_NV12 ? height + win.top / 2 + y :
	       height + win.top + y;
}

/*
 * One window of one frame: every row of the window (and one beyond it) is
 * the slice of the whole frame's row, checks as good, and a flipped byte is
 * reported at its offset.
 */
static void check_window(const struct daqcap_pattern_frame *whole,
			 struct daqcap_pattern_window win, size_t *lines)
{
	struct daqcap_pattern_frame f = *whole;
	uint32_t bpp = ref_bpp[f.format], y, ys[5], rows, fy;
	size_t nf, nw, off, o, offs[24], no, nys, i, j;
	uint8_t *full, *got, *pad;
	uint32_t seed;
	long bad;

	f.crop = win;
	nf = daqcap_pattern_line_bytes(f.format, f.width);
	nw = daqcap_pattern_line_bytes(f.format, win.width);
	rows = (uint32_t)ref_rows(f.format, win.height);
	if (!nf || !nw || !rows || win.left % 2 ||
	    (f.format == DAQCAP_FMT_NV12 && win.top % 2) ||
	    (uint64_t)win.left + win.width > f.width ||
	    (uint64_t)win.top + win.height > f.height) {
		fail("bad test window (%u, %u, %u, %u)\n", win.left, win.top,
		     win.width, win.height);
		return;
	}
	off = (size_t)win.left * bpp;
	full = xmalloc(nf);
	got = xmalloc(nw);
	pad = xmalloc(nw + CANARY_BYTES);

	/* Every row of the window, and one beyond it. */
	for (y = 0; y <= rows; y++) {
		fy = ref_window_row(f.format, f.height, win, y);
		daqcap_pattern_render_line(whole, fy, full);
		daqcap_pattern_render_line(&f, y, got);
		(*lines)++;
		if (memcmp(got, full + off, nw)) {
			for (o = 0; got[o] == full[off + o]; o++)
				;
			fail("%s %s %ux%u window (%u, %u, %u, %u) row %u: "
			     "byte %zu is 0x%02x, want 0x%02x\n",
			     all_formats[f.format],
			     daqcap_pattern_name(f.pattern), f.width, f.height,
			     win.left, win.top, win.width, win.height, y, o,
			     got[o], full[off + o]);
			break;
		}
		if (f.pattern == DAQCAP_PATTERN_VERIFY) {
			/* The per-byte formula, from the window's offset. */
			seed = ref_seed(f.input, f.sequence, fy);
			for (o = 0; o < nw; o++)
				if (got[o] != ref_verify_byte(seed, off + o))
					break;
			EXPECT(o == nw, "%s VERIFY window (%u, %u, %u, %u) "
			       "row %u: byte %zu is not the formula's\n",
			       all_formats[f.format], win.left, win.top,
			       win.width, win.height, y, o);
		}
		bad = daqcap_pattern_check_line(&f, y, got);
		if (bad != -1) {
			fail("%s %s %ux%u window (%u, %u, %u, %u) row %u: "
			     "check_line says %ld\n", all_formats[f.format],
			     daqcap_pattern_name(f.pattern), f.width, f.height,
			     win.left, win.top, win.width, win.height, y, bad);
			break;
		}
		memset(pad, CANARY, nw + CANARY_BYTES);
		daqcap_pattern_render_line(&f, y, pad);
		if (!canary_intact(pad + nw, CANARY_BYTES)) {
			fail("%s window (%u, %u, %u, %u) row %u: wrote past "
			     "the row\n", all_formats[f.format], win.left,
			     win.top, win.width, win.height, y);
			break;
		}
	}

	/*
	 * Flipped bytes: first, last, first words, middle, 4 KiB pieces; of
	 * the first, middle and last rows, and of NV12's or NV16's first and
	 * last chroma rows.
	 */
	nys = 0;
	ys[nys++] = 0;
	ys[nys++] = win.height / 2;
	ys[nys++] = win.height - 1;
	if (rows > win.height) {
		ys[nys++] = win.height;
		ys[nys++] = rows - 1;
	}
	for (i = 0; i < nys; i++) {
		y = ys[i];
		daqcap_pattern_render_line(&f, y, got);
		no = 0;
		for (j = 0; j < 5 && j < nw; j++)
			offs[no++] = j;
		offs[no++] = nw / 2;
		offs[no++] = nw - 1;
		for (j = 4080; j < 4100 && j < nw; j += 3)
			offs[no++] = j;
		if (nw > 8200)
			offs[no++] = 8195;
		for (j = 0; j < no; j++) {
			o = offs[j];
			got[o] ^= 0x10;
			bad = daqcap_pattern_check_line(&f, y, got);
			EXPECT(bad == (long)o, "%s %s %ux%u window (%u, %u, "
			       "%u, %u) row %u: flipped byte %zu, check_line "
			       "says %ld\n", all_formats[f.format],
			       daqcap_pattern_name(f.pattern), f.width,
			       f.height, win.left, win.top, win.width,
			       win.height, y, o, bad);
			/* A second, later error does not hide it. */
			if (o + 1 < nw) {
				got[nw - 1] ^= 0x80;
				bad = daqcap_pattern_check_line(&f, y, got);
				EXPECT(bad == (long)o, "%s: two errors, first "
				       "%zu, check_line says %ld\n",
				       all_formats[f.format], o, bad);
				got[nw - 1] ^= 0x80;
			}
			got[o] ^= 0x10;
		}
		EXPECT(daqcap_pattern_check_line(&f, y, got) == -1,
		       "%s: window row not restored\n",
		       all_formats[f.format]);
	}
	free(pad);
	free(got);
	free(full);
}

/* A window's lines are slices of the whole frame's, for BARS and VERIFY. */
static void test_windows(uint32_t fmt)
{
	static const uint32_t patterns[] = {
		DAQCAP_PATTERN_BARS, DAQCAP_PATTERN_VERIFY,
	};
	struct daqcap_pattern_window wins[16];
	struct daqcap_pattern_frame f;
	size_t i, j, p, nwin, windows = 0, lines = 0;

	for (i = 0; i < ARRAY_SIZE(win_frames); i++) {
		nwin = win_list(fmt, win_frames[i].width, win_frames[i].height,
				wins);
		for (p = 0; p < ARRAY_SIZE(patterns); p++) {
			f = frame(fmt, patterns[p], win_frames[i].width,
				  win_frames[i].height, win_frames[i].input,
				  win_frames[i].seq);
			for (j = 0; j < nwin; j++) {
				check_window(&f, wins[j], &lines);
				windows++;
			}
		}
	}
	ksft_print_msg("%s: %zu windows, %zu rows compared\n",
		       all_formats[fmt], windows, lines);
}

/* Invalid windows render, and check, as lines of zero bytes. */
static void test_invalid_windows(uint32_t unused)
{
	static const uint32_t patterns[] = {
		DAQCAP_PATTERN_BARS, DAQCAP_PATTERN_VERIFY, 7,
	};
	/* Of a 640x480 frame. */
	static const struct daqcap_pattern_window bad[] = {
		{ 1, 0, 8, 2 },			/* odd left */
		{ 633, 10, 4, 1 },		/* odd left, inside */
		{ 634, 0, 8, 1 },		/* past the right edge */
		{ 0, 479, 8, 2 },		/* past the bottom */
		{ 0, 0, 642, 1 },		/* wider than the frame */
		{ 0, 0, 8, 481 },		/* taller than the frame */
		{ 0xfffffffe, 0, 4, 1 },	/* left + width wraps */
		{ 0, 0xffffffff, 4, 2 },	/* top + height wraps */
		{ 0x80000000, 0x80000000, 0x80000000, 0x80000000 },
	};
	struct daqcap_pattern_frame f;
	uint8_t *buf;
	size_t i, n, o;
	uint32_t fmt, p, y;
	long got;

	(void)unused;
	for (fmt = 0; fmt < DAQCAP_FMT_COUNT; fmt++) {
		for (p = 0; p < ARRAY_SIZE(patterns); p++) {
			for (i = 0; i < ARRAY_SIZE(bad); i++) {
				f = frame(fmt, patterns[p], 640, 480, 3, 99);
				f.crop = bad[i];
				n = daqcap_pattern_line_bytes(fmt,
							      bad[i].width);
				if (n > 4096)
					continue;	/* the huge ones */
				buf = xmalloc(n + CANARY_BYTES);
				for (y = 0; y < 2; y++) {
					memset(buf, CANARY, n + CANARY_BYTES);
					daqcap_pattern_render_line(&f, y, buf);
					for (o = 0; o < n && !buf[o]; o++)
						;
					EXPECT(o == n, "%s %u window %zu line "
					       "%u: byte %zu not 0\n",
					       all_formats[fmt], f.pattern, i,
					       y, o);
					EXPECT(canary_intact(buf + n,
							     CANARY_BYTES),
					       "%s window %zu: wrote past the "
					       "line\n", all_formats[fmt], i);
					got = daqcap_pattern_check_line(&f, y,
									buf);
					EXPECT(got == -1, "%s %u window %zu: "
					       "zeros check as %ld\n",
					       all_formats[fmt], f.pattern, i,
					       got);
					if (!n)
						continue;
					buf[n - 1] = 1;
					got = daqcap_pattern_check_line(&f, y,
									buf);
					EXPECT(got == (long)n - 1, "%s %u "
					       "window %zu: non-zero byte %zu, "
					       "check_line says %ld\n",
					       all_formats[fmt], f.pattern, i,
					       n - 1, got);
				}
				free(buf);
			}
		}
	}
	/* The frame's own edges are inside: valid, not zeros. */
	f = frame(DAQCAP_FMT_RGB24, DAQCAP_PATTERN_VERIFY, 640, 480, 3, 99);
	f.crop = window(632, 479, 8, 1);
	buf = xmalloc(24);
	daqcap_pattern_render_line(&f, 0, buf);
	EXPECT(buf[0] == ref_verify_byte(ref_seed(3, 99, 479), 632 * 3),
	       "bottom right 8x1 window is not VERIFY\n");
	free(buf);
}

/*
 * NV12 windows with an odd top or height are invalid: every row, luma or
 * chroma, renders and checks as zeros. The same windows of NV16 are valid.
 */
static void test_invalid_nv12_windows(uint32_t unused)
{
	static const uint32_t patterns[] = {
		DAQCAP_PATTERN_BARS, DAQCAP_PATTERN_VERIFY,
	};
	/* Of a 640x480 frame; all inside it, with an even left and width. */
	static const struct daqcap_pattern_window bad[] = {
		{ 0, 1, 8, 2 },			/* odd top */
		{ 0, 0, 8, 3 },			/* odd height */
		{ 2, 3, 16, 5 },		/* both */
		{ 4, 479, 16, 1 },		/* one line */
		{ 0, 1, 640, 478 },		/* almost whole */
	};
	struct daqcap_pattern_frame f, g;
	uint8_t *buf, full[640];
	size_t i, p, n, o;
	uint32_t y, rows;
	long got;

	(void)unused;
	for (p = 0; p < ARRAY_SIZE(patterns); p++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			f = frame(DAQCAP_FMT_NV12, patterns[p], 640, 480, 5,
				  321);
			f.crop = bad[i];
			n = daqcap_pattern_line_bytes(f.format, bad[i].width);
			EXPECT(daqcap_pattern_rows(f.format, bad[i].height) ==
			       (bad[i].height % 2 ? 0 : bad[i].height * 3 / 2),
			       "rows of window %zu\n", i);
			buf = xmalloc(n + CANARY_BYTES);
			/* The rows a valid window would have, and more. */
			rows = bad[i].height * 2 + 1;
			for (y = 0; y < rows; y++) {
				memset(buf, CANARY, n + CANARY_BYTES);
				daqcap_pattern_render_line(&f, y, buf);
				for (o = 0; o < n && !buf[o]; o++)
					;
				EXPECT(o == n, "NV12 %s window %zu row %u: "
				       "byte %zu not 0\n",
				       daqcap_pattern_name(f.pattern), i, y,
				       o);
				EXPECT(canary_intact(buf + n, CANARY_BYTES),
				       "NV12 window %zu: wrote past the row\n",
				       i);
				got = daqcap_pattern_check_line(&f, y, buf);
				EXPECT(got == -1, "NV12 window %zu row %u: "
				       "zeros check as %ld\n", i, y, got);
				buf[n / 2] = 0x10;
				got = daqcap_pattern_check_line(&f, y, buf);
				EXPECT(got == (long)(n / 2), "NV12 window %zu "
				       "row %u: non-zero byte %zu, check_line "
				       "says %ld\n", i, y, n / 2, got);
			}
			/*
			 * NV16 takes the window: its first chroma row is a
			 * slice of the frame's chroma row of line top.
			 */
			g = f;
			g.format = DAQCAP_FMT_NV16;
			daqcap_pattern_render_line(&g, bad[i].height, buf);
			g.crop = window(0, 0, 0, 0);
			daqcap_pattern_render_line(&g, 480 + bad[i].top, full);
			EXPECT(!memcmp(buf, full + bad[i].left, n),
			       "NV16 %s window %zu: first chroma row\n",
			       daqcap_pattern_name(g.pattern), i);
			free(buf);
		}
	}
}

/* ---- NV12 and NV16 ------------------------------------------------------- */

/*
 * First pixel of NV12 or NV16 row @y of @f (whole frame) that is not what
 * the YUYV lines at @yuyv (@n bytes each) have, or @f->width if none: Y
 * bytes for a luma row, Cb Cr bytes of the line's pairs for a chroma row.
 */
static uint32_t nv_row_vs_yuyv(const struct daqcap_pattern_frame *f,
			       uint32_t y, const uint8_t *row,
			       const uint8_t *yuyv, size_t n)
{
	const uint8_t *src;
	uint32_t line, x;

	if (y < f->height) {
		/* Y0 Cb Y1 Cr: the Y bytes. */
		src = yuyv + y * n;
		for (x = 0; x < f->width; x++)
			if (row[x] != src[2 * x])
				return x;
		return x;
	}
	line = y - f->height;
	if (f->format == DAQCAP_FMT_NV12)
		line *= 2;	/* the upper line of the pair */
	/* The Cb and Cr bytes of each pair. */
	src = yuyv + line * n;
	for (x = 0; x < f->width; x += 2)
		if (row[x] != src[2 * x + 1] || row[x + 1] != src[2 * x + 3])
			return x;
	return x;
}

/*
 * BARS NV12 and NV16 rows against YUYV lines rendered here: a luma row
 * holds YUYV's Y bytes of its line, a chroma row the Cb Cr of YUYV's line
 * (of the upper line 2j for NV12's chroma row j).
 */
static void test_nv_bars_yuyv(uint32_t unused)
{
	static const struct {
		uint32_t width, height, input, seq;
	} c[] = {
		{ 640, 480, 3, 116 }, { 322, 242, 12, 150 }, { 2, 2, 0, 0 },
		{ 16, 16, 1, 5 }, { 8, 64, 0, 12345 },
		{ 100, 300, 15, 0xffffffff },
		{ 4098, 20, 7, 9 },		/* rows wider than 4 KiB */
		{ 1920, 1080, 2, 77 }, { 24, 130, 9, 12345678 },
		{ 400, 360, 3, 150 },		/* k = 3: edges on odd lines */
	};
	static const uint32_t fmts[] = { DAQCAP_FMT_NV12, DAQCAP_FMT_NV16 };
	struct daqcap_pattern_frame f, yuyv;
	uint32_t y, rows, bad;
	size_t i, k, n, count = 0;
	uint8_t *ref, *row;
	long got;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		yuyv = frame(DAQCAP_FMT_YUYV, DAQCAP_PATTERN_BARS, c[i].width,
			     c[i].height, c[i].input, c[i].seq);
		n = (size_t)c[i].width * 2;
		ref = xmalloc(n * c[i].height);
		for (y = 0; y < c[i].height; y++)
			daqcap_pattern_render_line(&yuyv, y, ref + y * n);
		row = xmalloc(c[i].width);
		for (k = 0; k < ARRAY_SIZE(fmts); k++) {
			f = yuyv;
			f.format = fmts[k];
			rows = daqcap_pattern_rows(f.format, f.height);
			for (y = 0; y < rows; y++, count++) {
				daqcap_pattern_render_line(&f, y, row);
				bad = nv_row_vs_yuyv(&f, y, row, ref, n);
				if (bad != f.width) {
					fail("%s %ux%u input %u seq %u row %u: "
					     "pixel %u is not YUYV's\n",
					     all_formats[f.format], f.width,
					     f.height, f.input, f.sequence, y,
					     bad);
					break;
				}
				got = daqcap_pattern_check_line(&f, y, row);
				if (got != -1) {
					fail("%s %ux%u row %u: check_line says "
					     "%ld\n", all_formats[f.format],
					     f.width, f.height, y, got);
					break;
				}
			}
		}
		free(row);
		free(ref);
	}
	ksft_print_msg("%zu NV12 and NV16 rows compared with YUYV\n", count);
}

/*
 * VERIFY NV12 and NV16 rows are seeded by their row number in memory: row r
 * is GREY's line r of a frame as tall as the rows. A window's rows use the
 * frame's row numbers, from byte left.
 */
static void test_nv_verify_rows(uint32_t unused)
{
	static const struct {
		uint32_t width, height, input, seq;
	} c[] = {
		{ 640, 480, 3, 99 }, { 2, 2, 0, 0 },
		{ 1366, 10, 15, 0xffffffff }, { 4098, 4, 1, 2 },
	};
	static const uint32_t fmts[] = { DAQCAP_FMT_NV12, DAQCAP_FMT_NV16 };
	/* Window (2, 4, 6, 4) of a 16x16 frame: window row -> frame row. */
	static const uint32_t nv12_rows[] = { 4, 5, 6, 7, 18, 19 };
	static const uint32_t nv16_rows[] = { 4, 5, 6, 7, 20, 21, 22, 23 };
	/* The first chroma row of 1920x1080 NV12 input 0 frame 0: row 1080. */
	static const uint8_t ex[10] = {
		0x45, 0xff, 0x49, 0xd0, 0xfe, 0x78, 0x81, 0x6e, 0xb7, 0xf2,
	};
	struct daqcap_pattern_frame f, grey;
	uint8_t *row, *want, buf[1920];
	uint32_t y, rows, seed;
	const uint32_t *map;
	size_t i, k, o;

	(void)unused;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		for (k = 0; k < ARRAY_SIZE(fmts); k++) {
			f = frame(fmts[k], DAQCAP_PATTERN_VERIFY, c[i].width,
				  c[i].height, c[i].input, c[i].seq);
			rows = daqcap_pattern_rows(f.format, f.height);
			grey = f;
			grey.format = DAQCAP_FMT_GREY;
			grey.height = rows;
			row = xmalloc(c[i].width);
			want = xmalloc(c[i].width);
			for (y = 0; y < rows; y++) {
				daqcap_pattern_render_line(&f, y, row);
				daqcap_pattern_render_line(&grey, y, want);
				seed = ref_seed(f.input, f.sequence, y);
				for (o = 0; o < c[i].width; o++)
					if (row[o] != ref_verify_byte(seed, o))
						break;
				EXPECT(o == c[i].width && !memcmp(row, want, o),
				       "%s %ux%u VERIFY row %u: byte %zu\n",
				       all_formats[f.format], f.width, f.height,
				       y, o);
			}
			free(want);
			free(row);
		}
	}

	for (k = 0; k < ARRAY_SIZE(fmts); k++) {
		f = frame(fmts[k], DAQCAP_PATTERN_VERIFY, 16, 16, 1, 2);
		f.crop = window(2, 4, 6, 4);
		rows = daqcap_pattern_rows(f.format, 4);
		map = f.format == DAQCAP_FMT_NV12 ? nv12_rows : nv16_rows;
		EXPECT(rows == (f.format == DAQCAP_FMT_NV12 ? 6 : 8),
		       "%s window rows %u\n", all_formats[f.format], rows);
		for (y = 0; y < rows; y++) {
			daqcap_pattern_render_line(&f, y, buf);
			seed = ref_seed(1, 2, map[y]);
			/* Bytes 2 to 7 of the row: from mid-word. */
			for (o = 0; o < 6; o++)
				if (buf[o] != ref_verify_byte(seed, 2 + o))
					break;
			EXPECT(o == 6, "%s window (2, 4, 6, 4) row %u is not "
			       "frame row %u\n", all_formats[f.format], y,
			       map[y]);
		}
	}

	f = frame(DAQCAP_FMT_NV12, DAQCAP_PATTERN_VERIFY, 1920, 1080, 0, 0);
	daqcap_pattern_render_line(&f, 1080, buf);
	EXPECT(!memcmp(buf, ex, sizeof(ex)), "NV12 row 1080 example\n");
	EXPECT(daqcap_pattern_verify_seed(0, 0, 1080) == 0xd049ff45,
	       "seed of row 1080\n");
}

/* ---- Throughput (informative) -------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void throughput(const char *what, uint32_t fmt, uint32_t pattern,
		       int check)
{
	struct daqcap_pattern_frame f = frame(fmt, pattern, 1920, 1080, 0, 0);
	size_t n = daqcap_pattern_line_bytes(fmt, 1920);
	uint32_t rows = daqcap_pattern_rows(fmt, 1080), y;
	uint8_t *buf = xmalloc(n * rows);
	double elapsed = 0, t;
	uint64_t bytes = 0;
	long bad = 0;

	for (f.sequence = 0; elapsed < 0.25 || f.sequence < 3; f.sequence++) {
		if (check)	/* untimed: the frame to check */
			for (y = 0; y < rows; y++)
				daqcap_pattern_render_line(&f, y, buf + y * n);
		t = now();
		for (y = 0; y < rows; y++) {
			if (check)
				bad |= daqcap_pattern_check_line(&f, y,
								 buf + y * n) + 1;
			else
				daqcap_pattern_render_line(&f, y, buf + y * n);
		}
		elapsed += now() - t;
		bytes += n * rows;
	}
	ksft_print_msg("%s 1920x1080 %s: %.0f MB/s, %.0f frames/s%s%s\n",
		       what, all_formats[fmt], (double)bytes / elapsed / 1e6,
		       f.sequence / elapsed,
#if defined(__SANITIZE_ADDRESS__)
		       " (ASan+UBSan build; pattern-bench has real figures)",
#else
		       "",
#endif
		       bad ? " (check failed!)" : "");
	free(buf);
}

/* ---- Main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(uint32_t format);
	int per_format;	/* run once per format, with the format */
} tests[] = {
	{ "format table: bpp, names, fourccs, lookup", test_format_table, 0 },
	{ "line_bytes of every format, odd widths included", test_line_bytes, 0 },
	{ "rows of every format: NV12 1.5x, NV16 2x the lines", test_rows, 0 },
	{ "VERIFY bytes match the per-byte formula", test_verify_bytes, 0 },
	{ "VERIFY examples of PATTERN.rst, same for every format",
	  test_verify_examples, 0 },
	{ "BARS bar centres", test_bar_centres, 1 },
	{ "BARS ramp end points and midpoints", test_ramp, 0 },
	{ "BARS box position and bounce", test_box, 0 },
	{ "BARS text pixels and background", test_text, 0 },
	{ "BARS frames match the reference model", test_bars_frames, 1 },
	{ "check_line finds the exact first bad byte", test_check_line, 1 },
	{ "1x1, 2x2, 4096x4096, empty and unknown configurations",
	  test_extremes, 0 },
	{ "ramp of lines up to 16777562 pixels wide", test_wide_ramp, 0 },
	{ "window_of: the crop, or the whole frame", test_window_of, 0 },
	{ "crop windows are slices of the whole frame's lines", test_windows,
	  1 },
	{ "invalid crop windows are zero lines", test_invalid_windows, 0 },
	{ "NV12 windows with an odd top or height are zero rows",
	  test_invalid_nv12_windows, 0 },
	{ "NV12 and NV16 BARS rows are YUYV's Y and Cb Cr bytes",
	  test_nv_bars_yuyv, 0 },
	{ "NV12 and NV16 VERIFY rows are seeded by the row number",
	  test_nv_verify_rows, 0 },
};

int main(int argc, char **argv)
{
	unsigned int num = 0, planned = 0;
	uint32_t fmt, arg, args;
	size_t i;
	int bench = 1;

	if (argc > 1 && !strcmp(argv[1], "--no-bench"))
		bench = 0;

	for (i = 0; i < ARRAY_SIZE(tests); i++)
		planned += tests[i].per_format ? DAQCAP_FMT_COUNT : 1;
	printf("TAP version 13\n1..%u\n", planned);

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		args = tests[i].per_format ? DAQCAP_FMT_COUNT : 1;
		for (arg = 0; arg < args; arg++) {
			test_errors = 0;
			tests[i].fn(arg);
			num++;
			if (test_errors)
				ksft_fail++;
			else
				ksft_pass++;
			printf("%sok %u - %s%s%s\n", test_errors ? "not " : "",
			       num, tests[i].name,
			       tests[i].per_format ? ": " : "",
			       tests[i].per_format ? all_formats[arg] : "");
			fflush(stdout);
		}
	}

	if (bench) {
		throughput("BARS", DAQCAP_FMT_YUYV, DAQCAP_PATTERN_BARS, 0);
		for (fmt = DAQCAP_FMT_UYVY; fmt < DAQCAP_FMT_COUNT; fmt++)
			throughput("BARS", fmt, DAQCAP_PATTERN_BARS, 0);
		throughput("VERIFY", DAQCAP_FMT_YUYV, DAQCAP_PATTERN_VERIFY, 0);
		throughput("check BARS", DAQCAP_FMT_YUYV, DAQCAP_PATTERN_BARS, 1);
		throughput("check VERIFY", DAQCAP_FMT_YUYV,
			   DAQCAP_PATTERN_VERIFY, 1);
		throughput("check BARS", DAQCAP_FMT_NV12,
			   DAQCAP_PATTERN_BARS, 1);
	}

	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:0 error:0\n",
	       ksft_pass, ksft_fail);
	return ksft_fail ? 1 : 0;
}
