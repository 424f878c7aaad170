// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * DAQCAP test-pattern generator: renders and checks lines of the card's
 * frames exactly as pattern/PATTERN.rst specifies them.
 *
 * The QEMU device model calls daqcap_pattern_render_line() for every row it
 * DMAs (a line, or an NV12 or NV16 luma or chroma row), up to about 1 GB/s
 * while TCG competes for the same two cores, so the cost per byte must stay
 * tiny:
 *
 * - VERIFY is one add and one 32-bit store per 4 bytes; the hash runs once
 *   per line.
 * - BARS is painted as a few solid spans per line (eight bars, the box, the
 *   text's rectangle and its glyph runs, in that order, each over the
 *   previous one). A solid span is written as one pixel (or pixel pair) that
 *   memcpy() then doubles until the span is full, so a bars line costs a few
 *   dozen memcpy() calls whatever its width. Only ramp lines (the bottom
 *   eighth) are computed per pixel, with no division: v16 = x * 65535 /
 *   (width - 1) is an exact fixed-point multiply (see daqcap_fill_ramp()).
 *
 * There is no state and no allocation, so nothing is cached between lines.
 *
 * Painting in that order also gives YUYV and UYVY their chroma rule for free:
 * a span writes a pair's Cb and Cr only when it covers the pair's even
 * (left) pixel, so the last span that covers the even pixel decides them.
 *
 * Rendering works on a window of pixels [x0, x1) of the line (x0 even) so
 * that daqcap_pattern_check_line() can compare a line of any width against a
 * small stack buffer, one window at a time, and so that a crop window
 * (struct daqcap_pattern_window) is rendered directly, at the cost of its own
 * width: the spans are clipped to it, the ramp starts its fixed-point
 * accumulator at the window's first pixel and VERIFY starts its word
 * sequence at the window's first byte.
 *
 * NV12 and NV16 rows are painted the same way, with two more encodings of a
 * colour (DAQCAP_ENC_NV_Y and DAQCAP_ENC_NV_CBCR): a luma row is a GREY-like
 * line of limited-range Y bytes, a chroma row a line of Cb Cr byte pairs
 * that a span writes, as in YUYV, only for the pairs whose even pixel it
 * covers. daqcap_row_of() maps a row of a window to the frame's line it
 * shows, its encoding and its VERIFY seed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daqcap-pattern.h"

/* 75 % of 255, the level of the colour bars. */
#define DAQCAP_BAR_LEVEL	191

/* Font cell: 5x7 glyph pixels; characters advance by 6 (1 pixel spacing). */
#define DAQCAP_FONT_W		5
#define DAQCAP_FONT_H		7
#define DAQCAP_FONT_ADVANCE	6
#define DAQCAP_FONT_SPACE	10	/* index of the blank glyph */

/* "4294967295 4294967295": the longest text, 21 characters. */
#define DAQCAP_TEXT_MAX		21

/* check_line() renders into a stack buffer of this many bytes at a time. */
#define DAQCAP_CHECK_SCRATCH	4096

/*
 * How a row's pixels are encoded: a DAQCAP_FMT_* code for the one-plane
 * formats, or one of these for the rows of NV12 and NV16.
 */
#define DAQCAP_ENC_NV_Y		(DAQCAP_FMT_COUNT + 0u)	/* Y, 1 byte/pixel */
#define DAQCAP_ENC_NV_CBCR	(DAQCAP_FMT_COUNT + 1u)	/* Cb Cr per pair */

/**
 * struct daqcap_format_info - constant properties of a pixel format
 * @name: human-readable name
 * @fourcc: V4L2 fourcc as a 4-character string
 * @bpp: bytes per pixel (of each row, for NV12 and NV16)
 * @pairs: 1 if pixel pairs share their chroma, so the width must be even
 */
struct daqcap_format_info {
	const char *name;
	const char *fourcc;
	unsigned int bpp;
	unsigned int pairs;
};

static const struct daqcap_format_info daqcap_formats[DAQCAP_FMT_COUNT] = {
	[DAQCAP_FMT_YUYV]   = { .name = "YUYV",   .fourcc = "YUYV", .bpp = 2,
				.pairs = 1 },
	[DAQCAP_FMT_UYVY]   = { .name = "UYVY",   .fourcc = "UYVY", .bpp = 2,
				.pairs = 1 },
	[DAQCAP_FMT_RGB24]  = { .name = "RGB24",  .fourcc = "RGB3", .bpp = 3 },
	[DAQCAP_FMT_BGR24]  = { .name = "BGR24",  .fourcc = "BGR3", .bpp = 3 },
	[DAQCAP_FMT_XBGR32] = { .name = "XBGR32", .fourcc = "XR24", .bpp = 4 },
	[DAQCAP_FMT_GREY]   = { .name = "GREY",   .fourcc = "GREY", .bpp = 1 },
	[DAQCAP_FMT_Y16]    = { .name = "Y16",    .fourcc = "Y16 ", .bpp = 2 },
	[DAQCAP_FMT_NV12]   = { .name = "NV12",   .fourcc = "NV12", .bpp = 1,
				.pairs = 1 },
	[DAQCAP_FMT_NV16]   = { .name = "NV16",   .fourcc = "NV16", .bpp = 1,
				.pairs = 1 },
};

/**
 * struct daqcap_rgb - an 8-bit R'G'B' colour
 * @r: red
 * @g: green
 * @b: blue
 */
struct daqcap_rgb {
	uint8_t r, g, b;
};

/* The eight 75 % bars, left to right. */
static const struct daqcap_rgb daqcap_bar_colours[8] = {
	{ DAQCAP_BAR_LEVEL, DAQCAP_BAR_LEVEL, DAQCAP_BAR_LEVEL },	/* white */
	{ DAQCAP_BAR_LEVEL, DAQCAP_BAR_LEVEL, 0 },			/* yellow */
	{ 0, DAQCAP_BAR_LEVEL, DAQCAP_BAR_LEVEL },			/* cyan */
	{ 0, DAQCAP_BAR_LEVEL, 0 },					/* green */
	{ DAQCAP_BAR_LEVEL, 0, DAQCAP_BAR_LEVEL },			/* magenta */
	{ DAQCAP_BAR_LEVEL, 0, 0 },					/* red */
	{ 0, 0, DAQCAP_BAR_LEVEL },					/* blue */
	{ 0, 0, 0 },							/* black */
};

static const struct daqcap_rgb daqcap_white = { 255, 255, 255 };
static const struct daqcap_rgb daqcap_black = { 0, 0, 0 };

/*
 * 5x7 font of PATTERN.rst: one byte per glyph row, top row first; bit 4 is
 * the leftmost pixel, bit 0 the rightmost. Index 10 is the space.
 */
static const uint8_t daqcap_font[11][DAQCAP_FONT_H] = {
	{ 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e },	/* 0 */
	{ 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e },	/* 1 */
	{ 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f },	/* 2 */
	{ 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e },	/* 3 */
	{ 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 },	/* 4 */
	{ 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e },	/* 5 */
	{ 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e },	/* 6 */
	{ 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 },	/* 7 */
	{ 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e },	/* 8 */
	{ 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c },	/* 9 */
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },	/* space */
};

/* ---- Formats ------------------------------------------------------------ */

unsigned daqcap_format_bpp(uint32_t format)
{
	return format < DAQCAP_FMT_COUNT ? daqcap_formats[format].bpp : 0;
}

size_t daqcap_pattern_line_bytes(uint32_t format, uint32_t width)
{
	if (format >= DAQCAP_FMT_COUNT ||
	    (daqcap_formats[format].pairs && (width & 1)))
		return 0;
	return (size_t)width * daqcap_formats[format].bpp;
}

uint32_t daqcap_pattern_rows(uint32_t format, uint32_t height)
{
	if (format >= DAQCAP_FMT_COUNT || !height)
		return 0;
	switch (format) {
	case DAQCAP_FMT_NV12:
		if ((height & 1) || height > UINT32_MAX / 3 * 2)
			return 0;
		return height + height / 2;
	case DAQCAP_FMT_NV16:
		if (height > UINT32_MAX / 2)
			return 0;
		return 2 * height;
	default:
		return height;
	}
}

const char *daqcap_format_name(uint32_t format)
{
	return format < DAQCAP_FMT_COUNT ? daqcap_formats[format].name : NULL;
}

const char *daqcap_format_fourcc(uint32_t format)
{
	return format < DAQCAP_FMT_COUNT ? daqcap_formats[format].fourcc : NULL;
}

static int daqcap_ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * Whether @a and @b are equal ignoring ASCII case and trailing spaces of
 * either, so that "y16" matches the fourcc "Y16 ". Empty never matches.
 */
static int daqcap_name_eq(const char *a, const char *b)
{
	if (!*a || *a == ' ')
		return 0;
	while (*a && *b && daqcap_ascii_lower(*a) == daqcap_ascii_lower(*b)) {
		a++;
		b++;
	}
	while (*a == ' ')
		a++;
	while (*b == ' ')
		b++;
	return !*a && !*b;
}

int daqcap_format_lookup(const char *name)
{
	int i;

	for (i = 0; i < DAQCAP_FMT_COUNT; i++)
		if (daqcap_name_eq(name, daqcap_formats[i].name) ||
		    daqcap_name_eq(name, daqcap_formats[i].fourcc))
			return i;
	return -1;
}

const char *daqcap_pattern_name(uint32_t pattern)
{
	switch (pattern) {
	case DAQCAP_PATTERN_BARS:
		return "bars";
	case DAQCAP_PATTERN_VERIFY:
		return "verify";
	default:
		return NULL;
	}
}

int daqcap_pattern_lookup(const char *name)
{
	if (daqcap_name_eq(name, "bars"))
		return DAQCAP_PATTERN_BARS;
	if (daqcap_name_eq(name, "verify"))
		return DAQCAP_PATTERN_VERIFY;
	return -1;
}

/* ---- Colour conversion (PATTERN.rst "Colour conversion") ---------------- */

/*
 * floor(v / 256), i.e. an arithmetic right shift by 8, without relying on
 * the implementation-defined >> of a negative int.
 */
static int32_t daqcap_floor_div256(int32_t v)
{
	if (v >= 0)
		return v / 256;
	return -(int32_t)((uint32_t)(-(v + 1)) / 256u) - 1;
}

static uint8_t daqcap_clamp8(int32_t v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* BT.709 limited-range Y'CbCr from 8-bit R'G'B'. */
static uint8_t daqcap_rgb_y(int32_t r, int32_t g, int32_t b)
{
	return daqcap_clamp8(daqcap_floor_div256(47 * r + 157 * g + 16 * b +
						 128) + 16);
}

static uint8_t daqcap_rgb_cb(int32_t r, int32_t g, int32_t b)
{
	return daqcap_clamp8(daqcap_floor_div256(-26 * r - 87 * g + 112 * b +
						 128) + 128);
}

static uint8_t daqcap_rgb_cr(int32_t r, int32_t g, int32_t b)
{
	return daqcap_clamp8(daqcap_floor_div256(112 * r - 102 * g - 10 * b +
						 128) + 128);
}

/* Full-range luma of GREY and Y16. */
static uint8_t daqcap_rgb_yf(int32_t r, int32_t g, int32_t b)
{
	return (uint8_t)((54 * r + 183 * g + 19 * b + 128) >> 8);
}

/*
 * Byte offsets of Y (of either pixel, from the pixel's own 2 bytes) and of
 * the pair's Cb and Cr (from the pair's even pixel) in YUYV and UYVY.
 */
struct daqcap_yuv_layout {
	unsigned int y, cb, cr;
};

static struct daqcap_yuv_layout daqcap_yuv_layout(uint32_t format)
{
	struct daqcap_yuv_layout l;

	if (format == DAQCAP_FMT_YUYV) {
		l.y = 0;	/* Y0 Cb Y1 Cr */
		l.cb = 1;
		l.cr = 3;
	} else {
		l.y = 1;	/* Cb Y0 Cr Y1 */
		l.cb = 0;
		l.cr = 2;
	}
	return l;
}

/*
 * Store a 32-bit word little-endian: one store on little-endian hosts (GCC
 * 12 does not merge the byte stores when the bytes are computed).
 */
static inline void daqcap_put_le32(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 4);
#else
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
#endif
}

/* Load a little-endian 32-bit word, whatever the host's byte order. */
static inline uint32_t daqcap_get_le32(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
#else
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
#endif
}

/* ---- Painting ------------------------------------------------------------ */

/**
 * struct daqcap_win - the part of a line being rendered
 * @f: the frame
 * @dst: where pixel @x0 goes
 * @x0: first pixel of the window, even
 * @x1: end of the window; even for YUYV, UYVY, NV12 and NV16 (their windows
 *      have an even width), any value up to the frame's width for the other
 *      formats
 * @enc: encoding of the row: @f->format, or DAQCAP_ENC_NV_Y or
 *       DAQCAP_ENC_NV_CBCR for a row of NV12 or NV16
 * @bpp: bytes per pixel of @f->format (of each row)
 */
struct daqcap_win {
	const struct daqcap_pattern_frame *f;
	uint8_t *dst;
	uint64_t x0, x1;
	uint32_t enc;
	unsigned int bpp;
};

/* Fill @n bytes at @p with copies of the @unit_len bytes at @unit. */
static void daqcap_fill_unit(uint8_t *p, const uint8_t *unit,
			     size_t unit_len, size_t n)
{
	size_t done = unit_len < n ? unit_len : n;

	memcpy(p, unit, done);
	while (done < n) {
		size_t c = n - done < done ? n - done : done;

		memcpy(p + done, p, c);
		done += c;
	}
}

/*
 * Clip pixels [*a, *b) to the window; return the byte address of *a or NULL
 * if nothing is left.
 */
static uint8_t *daqcap_clip(const struct daqcap_win *w, uint64_t *a,
			    uint64_t *b)
{
	if (*a < w->x0)
		*a = w->x0;
	if (*b > w->x1)
		*b = w->x1;
	if (*a >= *b)
		return NULL;
	return w->dst + (size_t)(*a - w->x0) * w->bpp;
}

/*
 * Bytes of a solid colour in encoding @enc: one pixel, for YUYV and UYVY a
 * pair of two pixels of that colour, for an NV12 or NV16 chroma row a pair's
 * Cb Cr. @y16 is the Y16 value, Yf * 257 except on the ramp.
 */
static void daqcap_encode(uint32_t enc, struct daqcap_rgb c, uint32_t y16,
			  uint8_t u[4])
{
	struct daqcap_yuv_layout l;

	switch (enc) {
	case DAQCAP_FMT_YUYV:
	case DAQCAP_FMT_UYVY:
		l = daqcap_yuv_layout(enc);
		u[l.y] = u[l.y + 2] = daqcap_rgb_y(c.r, c.g, c.b);
		u[l.cb] = daqcap_rgb_cb(c.r, c.g, c.b);
		u[l.cr] = daqcap_rgb_cr(c.r, c.g, c.b);
		break;
	case DAQCAP_FMT_RGB24:
		u[0] = c.r;
		u[1] = c.g;
		u[2] = c.b;
		break;
	case DAQCAP_FMT_BGR24:
	case DAQCAP_FMT_XBGR32:
		u[0] = c.b;
		u[1] = c.g;
		u[2] = c.r;
		u[3] = 0xff;
		break;
	case DAQCAP_FMT_GREY:
		u[0] = daqcap_rgb_yf(c.r, c.g, c.b);
		break;
	case DAQCAP_FMT_Y16:
		u[0] = (uint8_t)y16;
		u[1] = (uint8_t)(y16 >> 8);
		break;
	case DAQCAP_ENC_NV_Y:
		u[0] = daqcap_rgb_y(c.r, c.g, c.b);
		break;
	case DAQCAP_ENC_NV_CBCR:
		u[0] = daqcap_rgb_cb(c.r, c.g, c.b);
		u[1] = daqcap_rgb_cr(c.r, c.g, c.b);
		break;
	}
}

/* Paint pixels [a, b) of the line with the encoded colour @u. */
static void daqcap_fill_encoded(const struct daqcap_win *w, uint64_t a,
				uint64_t b, const uint8_t u[4])
{
	uint8_t *p = daqcap_clip(w, &a, &b);
	size_t n = (size_t)(b - a);
	struct daqcap_yuv_layout l;

	if (!p)
		return;

	switch (w->enc) {
	case DAQCAP_FMT_YUYV:
	case DAQCAP_FMT_UYVY:
		l = daqcap_yuv_layout(w->enc);
		if (a & 1) {
			/* Odd first pixel: its pair's chroma is not ours. */
			p[l.y] = u[l.y];
			p += 2;
			n--;
		}
		daqcap_fill_unit(p, u, 4, n / 2 * 4);
		if (n & 1) {
			/*
			 * Even last pixel: the pair's chroma is ours, the odd
			 * pixel's Y is not. Its Cr byte is inside the window
			 * because the window ends on an even pixel.
			 */
			p += n / 2 * 4;
			p[l.y] = u[l.y];
			p[l.cb] = u[l.cb];
			p[l.cr] = u[l.cr];
		}
		break;
	case DAQCAP_ENC_NV_CBCR:
		/*
		 * The pairs whose even pixel is in [a, b): from the next even
		 * pixel to b rounded up, which the window's even end allows.
		 */
		if (a & 1) {
			p++;
			n--;
		}
		daqcap_fill_unit(p, u, 2, (n + 1) & ~(size_t)1);
		break;
	case DAQCAP_FMT_GREY:
	case DAQCAP_ENC_NV_Y:
		memset(p, u[0], n);
		break;
	default:
		daqcap_fill_unit(p, u, w->bpp, n * w->bpp);
		break;
	}
}

/* Paint pixels [a, b) of the line in colour @c. */
static void daqcap_fill_solid(const struct daqcap_win *w, uint64_t a,
			      uint64_t b, struct daqcap_rgb c)
{
	uint8_t u[4];

	daqcap_encode(w->enc, c, daqcap_rgb_yf(c.r, c.g, c.b) * 257u, u);
	daqcap_fill_encoded(w, a, b, u);
}

/*
 * Y and Cb of a grey (g, g, g): the general formulas simplified, since
 * 47 + 157 + 16 = 220 (so Y is 16 to 235 and never clamps) and
 * -26 - 87 + 112 = -1; Cr is 128 since 112 - 102 - 10 = 0. The unit test
 * compares the ramp with the general formulas.
 */
static inline uint32_t daqcap_grey_y(uint32_t g)
{
	return ((220 * g + 128) >> 8) + 16;
}

static inline uint32_t daqcap_grey_cb(uint32_t g)
{
	return g > 128 ? 127 : 128;	/* floor((128 - g) / 256) + 128 */
}

/* YUYV bytes Y0 Cb Y1 Cr of a pair of greys, as a little-endian word. */
static inline uint32_t daqcap_grey_yuyv(uint32_t g0, uint32_t g1)
{
	return daqcap_grey_y(g0) | daqcap_grey_cb(g0) << 8 |
	       daqcap_grey_y(g1) << 16 | 128u << 24;
}

/* Paint pixels [a, b) of the line, d = width - 1 >= 2^24, with the ramp. */
static void daqcap_fill_ramp_runs(const struct daqcap_win *w, uint64_t a,
				  uint64_t b)
{
	uint64_t d = w->f->width - 1u, next;
	struct daqcap_rgb c;
	uint32_t v16;
	uint8_t u[4];

	/*
	 * Lines this wide (never sent by the card) have runs of at least 256
	 * pixels of equal v16: one division per run is cheap enough.
	 */
	while (a < b) {
		v16 = (uint32_t)(a * 65535 / d);
		/* First pixel of v16 + 1: ceil((v16 + 1) * d / 65535). */
		next = ((v16 + 1u) * d + 65534) / 65535;
		c.r = c.g = c.b = (uint8_t)(v16 >> 8);
		daqcap_encode(w->enc, c, v16, u);
		daqcap_fill_encoded(w, a, next < b ? next : b, u);
		a = next;
	}
}

/*
 * Paint pixels [a, b) of the line with the grey ramp, v16 = x * 65535 /
 * (width - 1), without a division per pixel.
 *
 * With d = width - 1 < 2^24 and m = ceil(65535 * 2^48 / d), v16 is
 * floor(x * m / 2^48) for every x <= d: x * m / 2^48 exceeds x * 65535 / d
 * by less than d / 2^48 < 1 / d, the smallest distance from x * 65535 / d up
 * to the next integer; and x * m < 2^64. So a pixel costs one 64-bit add,
 * acc = x * m, v16 = acc >> 48 and g = v16 >> 8 = acc >> 56.
 */
static void daqcap_fill_ramp(const struct daqcap_win *w, uint64_t a,
			     uint64_t b)
{
	uint64_t d = w->f->width - 1u, m, acc;
	uint8_t *p, *end;
	uint32_t g, v;

	if (w->f->width <= 1) {
		daqcap_fill_solid(w, a, b, daqcap_black);	/* v16 = 0 */
		return;
	}
	if (d >= (1u << 24)) {
		daqcap_fill_ramp_runs(w, a, b);
		return;
	}
	p = daqcap_clip(w, &a, &b);
	if (!p)
		return;
	end = p + (size_t)(b - a) * w->bpp;

	m = ((uint64_t)65535 << 48) / d;
	if (m * d != (uint64_t)65535 << 48)
		m++;
	acc = a * m;

	switch (w->enc) {
	case DAQCAP_FMT_YUYV:
	case DAQCAP_FMT_UYVY:
		/*
		 * Whole pairs: the ramp spans the whole line, and windows
		 * start on an even pixel and end on one (the width of a YUYV,
		 * UYVY, NV12 or NV16 line or crop window is even).
		 */
		for (; p < end; p += 4) {
			g = (uint32_t)(acc >> 56);
			acc += m;
			v = daqcap_grey_yuyv(g, (uint32_t)(acc >> 56));
			acc += m;
			if (w->enc == DAQCAP_FMT_UYVY)
				v = (v & 0x00ff00ffu) << 8 | (v >> 8 & 0x00ff00ffu);
			daqcap_put_le32(p, v);
		}
		break;
	case DAQCAP_FMT_RGB24:
	case DAQCAP_FMT_BGR24:
		/* 4-byte stores, each overwriting the next pixel's first. */
		for (; end - p > 3; p += 3, acc += m)
			daqcap_put_le32(p, (uint32_t)(acc >> 56) * 0x01010101u);
		p[0] = p[1] = p[2] = (uint8_t)(acc >> 56);
		break;
	case DAQCAP_FMT_XBGR32:
		for (; p < end; p += 4, acc += m)
			daqcap_put_le32(p, (uint32_t)(acc >> 56) * 0x010101u |
					0xff000000u);
		break;
	case DAQCAP_FMT_GREY:
		/* Yf of (g, g, g) is g, since 54 + 183 + 19 = 256. */
		for (; p < end; p++, acc += m)
			*p = (uint8_t)(acc >> 56);
		break;
	case DAQCAP_FMT_Y16:
		/* The ramp keeps its full 16 bits in Y16. */
		for (; p < end; p += 2, acc += m) {
			v = (uint32_t)(acc >> 48);
			p[0] = (uint8_t)v;
			p[1] = (uint8_t)(v >> 8);
		}
		break;
	case DAQCAP_ENC_NV_Y:
		for (; p < end; p++, acc += m)
			*p = (uint8_t)daqcap_grey_y((uint32_t)(acc >> 56));
		break;
	case DAQCAP_ENC_NV_CBCR:
		/* Whole pairs, as YUYV: Cb of the even pixel, Cr 128. */
		for (; p < end; p += 2, acc += 2 * m) {
			p[0] = (uint8_t)daqcap_grey_cb((uint32_t)(acc >> 56));
			p[1] = 128;
		}
		break;
	default:
		break;
	}
}

/* Characters (font indices) of "I SSSSSSSS"; returns how many. */
static unsigned int daqcap_text(const struct daqcap_pattern_frame *f,
				uint8_t *text)
{
	uint8_t tmp[10];
	unsigned int n = 0, t;
	uint32_t v;

	v = f->input;
	t = 0;
	do {
		tmp[t++] = (uint8_t)(v % 10);
		v /= 10;
	} while (v);
	while (t)
		text[n++] = tmp[--t];

	text[n++] = DAQCAP_FONT_SPACE;

	v = f->sequence;
	t = 0;
	do {
		tmp[t++] = (uint8_t)(v % 10);
		v /= 10;
	} while (v || t < 8);
	while (t)
		text[n++] = tmp[--t];

	return n;
}

/* Paint the frame-number overlay's part of @line. */
static void daqcap_paint_text(const struct daqcap_win *w, uint64_t line)
{
	const struct daqcap_pattern_frame *f = w->f;
	uint64_t k = f->height / 120 ? f->height / 120 : 1;
	uint8_t text[DAQCAP_TEXT_MAX];
	unsigned int n, i, c0, c1;
	uint64_t x, fy;
	uint8_t bits;

	/* Rectangle: lines [k, 10k), pixels [k, (6n + 2)k). */
	if (line < k || line >= 10 * k || k >= w->x1)
		return;
	n = daqcap_text(f, text);
	daqcap_fill_solid(w, k, (DAQCAP_FONT_ADVANCE * (uint64_t)n + 2) * k,
			  daqcap_black);

	/* Glyphs: lines [2k, 9k), character i at x = 2k + 6ik. */
	if (line < 2 * k || line >= 9 * k)
		return;
	fy = (line - 2 * k) / k;
	for (i = 0; i < n; i++) {
		x = 2 * k + DAQCAP_FONT_ADVANCE * k * i;
		if (x >= w->x1)
			break;
		if (x + DAQCAP_FONT_W * k <= w->x0)
			continue;
		bits = daqcap_font[text[i]][fy];
		/* One span per run of set bits, leftmost (bit 4) first. */
		for (c0 = 0; c0 < DAQCAP_FONT_W; c0 = c1) {
			if (!(bits & (0x10 >> c0))) {
				c1 = c0 + 1;
				continue;
			}
			for (c1 = c0 + 1; c1 < DAQCAP_FONT_W; c1++)
				if (!(bits & (0x10 >> c1)))
					break;
			daqcap_fill_solid(w, x + c0 * k, x + c1 * k,
					  daqcap_white);
		}
	}
}

/*
 * Render pixels [x0, x1) of line @line of a BARS frame into @dst, in
 * encoding @enc; @line may be beyond the frame (the same formulas apply).
 */
static void daqcap_render_bars(const struct daqcap_pattern_frame *f,
			       uint32_t enc, uint64_t line, uint8_t *dst,
			       uint64_t x0, uint64_t x1)
{
	struct daqcap_win w = {
		.f = f, .dst = dst, .x0 = x0, .x1 = x1, .enc = enc,
		.bpp = daqcap_format_bpp(f->format),
	};
	uint64_t width = f->width, height = f->height;
	uint64_t s, y, r, p, bx;
	unsigned int b;

	/* Background: bars on the top 7/8, the ramp on the bottom 1/8. */
	if (line < height - height / 8) {
		for (b = 0; b < 8; b++)
			daqcap_fill_solid(&w, b * width / 8,
					  (b + 1) * width / 8,
					  daqcap_bar_colours[b]);
	} else {
		daqcap_fill_ramp(&w, 0, width);
	}

	/* The bouncing box. */
	s = height / 8 > 8 ? height / 8 : 8;
	if (s > width)
		s = width;
	if (s > height)
		s = height;
	y = (height - s) / 2;
	if (line >= y && line < y + s) {
		r = width - s;
		if (r) {
			p = f->sequence * (width / 128 ? width / 128 : 1) %
			    (2 * r);
			bx = p <= r ? p : 2 * r - p;
		} else {
			bx = 0;
		}
		daqcap_fill_solid(&w, bx, bx + s, daqcap_white);
	}

	daqcap_paint_text(&w, line);
}

/* ---- VERIFY ------------------------------------------------------------- */

uint32_t daqcap_pattern_verify_seed(uint32_t input, uint32_t sequence,
				    uint32_t line)
{
	uint32_t h = input * 0x9E3779B1u ^ sequence * 0x85EBCA77u ^
		     line * 0xC2B2AE3Du;

	/* murmur3 fmix32 */
	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	h ^= h >> 16;
	return h;
}

/*
 * A VERIFY line from its byte @o on: @v is word o / 4 of the line, @phase is
 * o % 4, the place of byte @o in that word.
 */
static void daqcap_render_verify(uint32_t v, unsigned int phase, uint8_t *dst,
				 size_t n)
{
	size_t i = 0, j;

	/* The rest of a word that starts before @dst (a window's first). */
	if (phase) {
		for (; phase < 4 && i < n; phase++, i++)
			dst[i] = (uint8_t)(v >> (8 * phase));
		v += DAQCAP_PATTERN_VERIFY_STEP;
	}
	for (; i + 4 <= n; i += 4, v += DAQCAP_PATTERN_VERIFY_STEP)
		daqcap_put_le32(dst + i, v);
	for (j = 0; i + j < n; j++)
		dst[i + j] = (uint8_t)(v >> (8 * j));
}

static long daqcap_check_verify(uint32_t v, unsigned int phase,
				const uint8_t *src, size_t n)
{
	size_t i = 0, j;

	if (phase) {
		for (; phase < 4 && i < n; phase++, i++)
			if (src[i] != (uint8_t)(v >> (8 * phase)))
				return (long)i;
		v += DAQCAP_PATTERN_VERIFY_STEP;
	}
	/* Whole words first; the first wrong word is then searched bytewise. */
	for (; i + 4 <= n; i += 4, v += DAQCAP_PATTERN_VERIFY_STEP)
		if (daqcap_get_le32(src + i) != v)
			break;
	for (j = 0; i + j < n; j++)
		if (src[i + j] != (uint8_t)(v >> (8 * (j & 3))))
			return (long)(i + j);
	return -1;
}

/*
 * Word o / 4 of VERIFY row @row of @f (the frame's row, seeded mod 2^32), o
 * being the byte offset of the window's first pixel in the frame's row;
 * *@phase gets o % 4.
 */
static uint32_t daqcap_verify_start(const struct daqcap_pattern_frame *f,
				    const struct daqcap_pattern_window *w,
				    uint64_t row, unsigned int *phase)
{
	uint64_t o = (uint64_t)w->left * daqcap_format_bpp(f->format);

	*phase = (unsigned int)(o & 3);
	return daqcap_pattern_verify_seed(f->input, f->sequence,
					  (uint32_t)row) +
	       (uint32_t)(o >> 2) * DAQCAP_PATTERN_VERIFY_STEP;
}

/* ---- Entry points ------------------------------------------------------- */

struct daqcap_pattern_window
daqcap_pattern_window_of(const struct daqcap_pattern_frame *f)
{
	struct daqcap_pattern_window w = f->crop;

	if (!w.width || !w.height) {
		w.left = 0;
		w.top = 0;
		w.width = f->width;
		w.height = f->height;
	}
	return w;
}

/*
 * Whether @w is inside @f's frame and starts on an even pixel, and for NV12
 * has an even top and height. (Formats with pixel pairs also need an even
 * width, but their lines then have 0 bytes and nothing is rendered.)
 */
static int daqcap_window_valid(const struct daqcap_pattern_frame *f,
			       const struct daqcap_pattern_window *w)
{
	if (f->format == DAQCAP_FMT_NV12 && ((w->top | w->height) & 1))
		return 0;
	return !(w->left & 1) && (uint64_t)w->left + w->width <= f->width &&
	       (uint64_t)w->top + w->height <= f->height;
}

/**
 * struct daqcap_row - what a row of a window shows
 * @line: line of the frame whose pixels the row holds (for BARS)
 * @seed_row: row of the whole frame, in memory order (for VERIFY's seed)
 * @enc: encoding of the row's pixels (struct daqcap_win)
 */
struct daqcap_row {
	uint64_t line, seed_row;
	uint32_t enc;
};

/*
 * Row @row of window @w of @f: for one-plane formats line w.top + @row; for
 * NV12 and NV16 a luma row (@row < w.height) or chroma row j = @row -
 * w.height, i.e. the frame's chroma row w.top / 2 + j (NV12, from line
 * w.top + 2j) or w.top + j (NV16), which follows the frame's luma rows.
 */
static struct daqcap_row daqcap_row_of(const struct daqcap_pattern_frame *f,
				       const struct daqcap_pattern_window *w,
				       uint32_t row)
{
	struct daqcap_row r = {
		.line = (uint64_t)w->top + row,
		.seed_row = (uint64_t)w->top + row,
		.enc = f->format,
	};
	uint64_t j;

	if (f->format != DAQCAP_FMT_NV12 && f->format != DAQCAP_FMT_NV16)
		return r;
	if (row < w->height) {
		r.enc = DAQCAP_ENC_NV_Y;
		return r;
	}
	j = row - w->height;
	r.enc = DAQCAP_ENC_NV_CBCR;
	if (f->format == DAQCAP_FMT_NV12) {
		r.line = w->top + 2 * j;
		r.seed_row = (uint64_t)f->height + w->top / 2 + j;
	} else {
		r.line = w->top + j;
		r.seed_row = (uint64_t)f->height + w->top + j;
	}
	return r;
}

void daqcap_pattern_render_line(const struct daqcap_pattern_frame *f,
				uint32_t line, uint8_t *dst)
{
	struct daqcap_pattern_window w = daqcap_pattern_window_of(f);
	size_t n = daqcap_pattern_line_bytes(f->format, w.width);
	struct daqcap_row r;
	unsigned int phase;
	uint32_t v;

	if (!n)
		return;
	if (!daqcap_window_valid(f, &w)) {
		memset(dst, 0, n);
		return;
	}
	r = daqcap_row_of(f, &w, line);
	switch (f->pattern) {
	case DAQCAP_PATTERN_BARS:
		daqcap_render_bars(f, r.enc, r.line, dst, w.left,
				   (uint64_t)w.left + w.width);
		break;
	case DAQCAP_PATTERN_VERIFY:
		v = daqcap_verify_start(f, &w, r.seed_row, &phase);
		daqcap_render_verify(v, phase, dst, n);
		break;
	default:
		memset(dst, 0, n);
		break;
	}
}

/* Offset of the first byte where @a and @b differ; they must differ. */
static size_t daqcap_first_diff(const uint8_t *a, const uint8_t *b)
{
	size_t i = 0;

	while (a[i] == b[i])
		i++;
	return i;
}

/* Offset of the first of @n bytes at @src that is not 0, or -1. */
static long daqcap_check_zero(const uint8_t *src, size_t n)
{
	size_t off;

	for (off = 0; off < n; off++)
		if (src[off])
			return (long)off;
	return -1;
}

long daqcap_pattern_check_line(const struct daqcap_pattern_frame *f,
			       uint32_t line, const uint8_t *src)
{
	struct daqcap_pattern_window w = daqcap_pattern_window_of(f);
	size_t n = daqcap_pattern_line_bytes(f->format, w.width);
	uint64_t x0, x1, end, step;
	uint8_t scratch[DAQCAP_CHECK_SCRATCH];
	unsigned int bpp, phase;
	struct daqcap_row r;
	size_t off, len;
	uint32_t v;

	if (!n)
		return -1;
	if (!daqcap_window_valid(f, &w))
		return daqcap_check_zero(src, n);

	r = daqcap_row_of(f, &w, line);
	switch (f->pattern) {
	case DAQCAP_PATTERN_BARS:
		bpp = daqcap_format_bpp(f->format);
		/* Pieces start on an even pixel (pairs of pixels). */
		step = DAQCAP_CHECK_SCRATCH / bpp & ~(uint64_t)1;
		end = (uint64_t)w.left + w.width;
		for (x0 = w.left; x0 < end; x0 = x1) {
			x1 = end - x0 < step ? end : x0 + step;
			off = (size_t)(x0 - w.left) * bpp;
			len = (size_t)(x1 - x0) * bpp;
			daqcap_render_bars(f, r.enc, r.line, scratch, x0,
					   x1);
			if (memcmp(scratch, src + off, len))
				return (long)(off + daqcap_first_diff(scratch,
								      src + off));
		}
		return -1;
	case DAQCAP_PATTERN_VERIFY:
		v = daqcap_verify_start(f, &w, r.seed_row, &phase);
		return daqcap_check_verify(v, phase, src, n);
	default:
		return daqcap_check_zero(src, n);
	}
}
