// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * daqcap-pattern: render one frame of a DAQCAP test pattern to an image.
 *
 * Renders the frame with the same code the QEMU device model uses
 * (pattern/daqcap-pattern.c), in any of the card's pixel formats, and writes
 * it as a PPM or PGM image for a person to look at (formats other than RGB
 * are converted back to RGB for display), or as the raw bytes the card
 * would DMA, rows back to back (the lines, or for NV12 and NV16 the luma
 * rows then the chroma rows), for other tools to compare against.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daqcap-pattern.h"

#define PROG	"daqcap-pattern"

/* Exit statuses: 1 for I/O errors, 2 for bad usage. */
#define EXIT_USAGE	2

#include "daqcap-tool.h"

enum output_kind {
	OUT_PPM,	/* P6, 8-bit RGB */
	OUT_PGM,	/* P5, 8-bit grey, or 16-bit for Y16 */
	OUT_RAW,	/* the rendered bytes */
};

static void usage(FILE *fp)
{
	fprintf(fp,
"Usage: " PROG " [OPTION]... -o FILE\n"
"Render one frame of a DAQCAP test pattern (pattern/PATTERN.rst) to FILE.\n"
"\n"
"  -i, --input N         input index, 0 to %u (default 0)\n"
"  -p, --pattern NAME    bars or verify (default bars)\n"
"  -f, --format NAME     YUYV, UYVY, RGB24, BGR24, XBGR32, GREY, Y16, NV12 or\n"
"                        NV16, or a V4L2 fourcc such as RGB3 or XR24\n"
"                        (default YUYV)\n"
"  -s, --size WxH        frame size, 1 to %u pixels by 1 to %u lines\n"
"                        (default 1920x1080)\n"
"  -n, --sequence N      hardware frame sequence, 0 to 4294967295, decimal or\n"
"                        0x-prefixed hexadecimal (default 0)\n"
"  -c, --crop L,T,WxH    render only this window of the frame: W x H pixels\n"
"                        from pixel L of line T, as a channel cropping to it\n"
"                        captures it (L even; W even for YUYV, UYVY, NV12\n"
"                        and NV16; T and H even for NV12)\n"
"  -o, --output FILE     where to write; '-' is standard output\n"
"      --raw             write the bytes the card sends instead of an image:\n"
"                        the lines back to back, or for NV12 and NV16 the\n"
"                        luma rows, then the chroma rows (height / 2 of them\n"
"                        for NV12, height for NV16)\n"
"  -h, --help            show this help and exit\n"
"\n"
"FILE ending in .pgm gets a greyscale PGM (16-bit for Y16, luma otherwise);\n"
"anything else a colour PPM (P6). YUYV, UYVY, NV12 and NV16 are converted to\n"
"RGB with the inverse BT.709 limited-range matrix (NV12 with the chroma of\n"
"each pair of lines for both); GREY and Y16 are shown as grey.\n"
"\n"
"Exit status: 0 on success, 1 if FILE cannot be written, 2 on bad usage.\n",
		DAQCAP_MAX_INPUTS - 1, DAQCAP_MAX_WIDTH, DAQCAP_MAX_HEIGHT);
}

/*
 * Parse an unsigned number: decimal, or hexadecimal after "0x" (no octal,
 * no sign, no spaces, nothing after it). Return 0, or -1 if @s is not such
 * a number or is above @max.
 */
static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull() would also take spaces, a sign, and octal. */
	if (!isxdigit((unsigned char)*s) ||
	    (base == 10 && !isdigit((unsigned char)*s)))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	char buf[32], *x;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	x = strpbrk(buf, "xX");
	if (!x)
		return -1;
	*x = '\0';
	if (parse_u32(buf, DAQCAP_MAX_WIDTH, w) ||
	    parse_u32(x + 1, DAQCAP_MAX_HEIGHT, h) || !*w || !*h)
		return -1;
	return 0;
}

/* "LEFT,TOP,WxH", inside a frame of @fw x @fh. */
static int parse_crop(const char *s, uint32_t fw, uint32_t fh,
		      struct daqcap_pattern_window *win)
{
	char buf[48], *top, *size;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	top = strchr(buf, ',');
	if (!top)
		return -1;
	*top++ = '\0';
	size = strchr(top, ',');
	if (!size)
		return -1;
	*size++ = '\0';
	if (parse_u32(buf, DAQCAP_MAX_WIDTH - 1, &win->left) ||
	    parse_u32(top, DAQCAP_MAX_HEIGHT - 1, &win->top) ||
	    parse_size(size, &win->width, &win->height))
		return -1;
	if (win->left + win->width > fw || win->top + win->height > fh)
		return -1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* floor(v / 256) without relying on >> of a negative int. */
static int floor_div256(int v)
{
	return v >= 0 ? v / 256 : -((-v + 255) / 256);
}

/* Inverse BT.709, limited range (PATTERN.rst "Display conversion"). */
static void yuv_to_rgb(int y, int cb, int cr, uint8_t *rgb)
{
	int c = y - 16, d = cb - 128, e = cr - 128;

	rgb[0] = clamp8(floor_div256(298 * c + 459 * e + 128));
	rgb[1] = clamp8(floor_div256(298 * c - 55 * d - 136 * e + 128));
	rgb[2] = clamp8(floor_div256(298 * c + 541 * d + 128));
}

/*
 * Convert one rendered line to 8-bit RGB for display. For NV12 and NV16,
 * @src is the line's luma row and @chroma the chroma row that goes with it;
 * @chroma is unused for the other formats.
 */
static void line_to_rgb(uint32_t format, uint32_t width, const uint8_t *src,
			const uint8_t *chroma, uint8_t *rgb)
{
	uint32_t x;

	for (x = 0; x < width; x++, rgb += 3) {
		const uint8_t *pair = src + (x & ~1u) * 2;

		switch (format) {
		case DAQCAP_FMT_YUYV:	/* Y0 Cb Y1 Cr */
			yuv_to_rgb(pair[x & 1 ? 2 : 0], pair[1], pair[3], rgb);
			break;
		case DAQCAP_FMT_UYVY:	/* Cb Y0 Cr Y1 */
			yuv_to_rgb(pair[x & 1 ? 3 : 1], pair[0], pair[2], rgb);
			break;
		case DAQCAP_FMT_RGB24:
			memcpy(rgb, src + 3 * x, 3);
			break;
		case DAQCAP_FMT_BGR24:
		case DAQCAP_FMT_XBGR32: {
			const uint8_t *p = src + x * daqcap_format_bpp(format);

			rgb[0] = p[2];
			rgb[1] = p[1];
			rgb[2] = p[0];
			break;
		}
		case DAQCAP_FMT_GREY:
			rgb[0] = rgb[1] = rgb[2] = src[x];
			break;
		case DAQCAP_FMT_Y16:	/* little-endian: high byte second */
			rgb[0] = rgb[1] = rgb[2] = src[2 * x + 1];
			break;
		case DAQCAP_FMT_NV12:	/* Y; Cb Cr of the pair */
		case DAQCAP_FMT_NV16:
			yuv_to_rgb(src[x], chroma[x & ~1u],
				   chroma[(x & ~1u) + 1], rgb);
			break;
		}
	}
}

int main(int argc, char **argv)
{
	enum { OPT_RAW = 256 };
	static const struct option opts[] = {
		{ "input",    required_argument, NULL, 'i' },
		{ "pattern",  required_argument, NULL, 'p' },
		{ "format",   required_argument, NULL, 'f' },
		{ "size",     required_argument, NULL, 's' },
		{ "sequence", required_argument, NULL, 'n' },
		{ "crop",     required_argument, NULL, 'c' },
		{ "output",   required_argument, NULL, 'o' },
		{ "raw",      no_argument,       NULL, OPT_RAW },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daqcap_pattern_frame f = {
		.input = 0, .pattern = DAQCAP_PATTERN_BARS,
		.format = DAQCAP_FMT_YUYV, .width = 1920, .height = 1080,
		.sequence = 0,
	};
	enum output_kind kind = OUT_PPM;
	struct daqcap_pattern_window win;
	const char *out = NULL, *crop = NULL;
	uint8_t *line, *chroma, *pix;
	uint32_t y, x, rows;
	int c, raw = 0, v, ok;
	size_t n, i;
	FILE *fp;

	while ((c = getopt_long(argc, argv, "i:p:f:s:n:c:o:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'i':
			if (parse_u32(optarg, DAQCAP_MAX_INPUTS - 1, &f.input))
				usage_error("invalid --input '%s': expected 0 "
					    "to %u", optarg,
					    DAQCAP_MAX_INPUTS - 1);
			break;
		case 'p':
			v = daqcap_pattern_lookup(optarg);
			if (v < 0)
				usage_error("invalid --pattern '%s': expected "
					    "bars or verify", optarg);
			f.pattern = (uint32_t)v;
			break;
		case 'f':
			v = daqcap_format_lookup(optarg);
			if (v < 0)
				usage_error("invalid --format '%s': expected "
					    "YUYV, UYVY, RGB24, BGR24, XBGR32, "
					    "GREY, Y16, NV12 or NV16", optarg);
			f.format = (uint32_t)v;
			break;
		case 's':
			if (parse_size(optarg, &f.width, &f.height))
				usage_error("invalid --size '%s': expected "
					    "WIDTHxHEIGHT, 1 to %u by 1 to %u",
					    optarg, DAQCAP_MAX_WIDTH,
					    DAQCAP_MAX_HEIGHT);
			break;
		case 'n':
			if (parse_u32(optarg, UINT32_MAX, &f.sequence))
				usage_error("invalid --sequence '%s': expected "
					    "0 to 4294967295", optarg);
			break;
		case 'c':
			crop = optarg;	/* checked against the final --size */
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_RAW:
			raw = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:	/* getopt_long() has said what is wrong */
			fputs("Try '" PROG " --help' for more information.\n",
			      stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!out)
		usage_error("no output file: give -o FILE");
	if (!*out)
		usage_error("empty output file name");

	if (crop && parse_crop(crop, f.width, f.height, &f.crop))
		usage_error("invalid --crop '%s': expected LEFT,TOP,WIDTHxHEIGHT "
			    "inside the %ux%u frame", crop, f.width, f.height);
	if (f.crop.left % 2)
		usage_error("a window starts on an even pixel, not %u",
			    f.crop.left);
	if (f.format == DAQCAP_FMT_NV12 && f.crop.top % 2)
		usage_error("an NV12 window starts on an even line, not %u",
			    f.crop.top);
	win = daqcap_pattern_window_of(&f);
	n = daqcap_pattern_line_bytes(f.format, win.width);
	if (!n)
		usage_error("%s needs an even width, not %u",
			    daqcap_format_name(f.format), win.width);
	rows = daqcap_pattern_rows(f.format, win.height);
	if (!rows)
		usage_error("%s needs an even height, not %u",
			    daqcap_format_name(f.format), win.height);

	if (raw)
		kind = OUT_RAW;
	else if (ends_with(out, ".pgm"))
		kind = OUT_PGM;

	line = malloc(n);
	chroma = malloc(n);
	pix = malloc((size_t)win.width * 3);
	if (!line || !chroma || !pix) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}

	if (!strcmp(out, "-")) {
		fp = stdout;
	} else {
		fp = fopen(out, "wb");
		if (!fp) {
			fprintf(stderr, PROG ": cannot create '%s': %s\n", out,
				strerror(errno));
			return 1;
		}
	}

	if (kind == OUT_PPM)
		fprintf(fp, "P6\n%u %u\n255\n", win.width, win.height);
	else if (kind == OUT_PGM)
		fprintf(fp, "P5\n%u %u\n%u\n", win.width, win.height,
			f.format == DAQCAP_FMT_Y16 ? 65535 : 255);

	/* Raw: every row; images: one line (luma row) at a time. */
	for (y = 0; y < (kind == OUT_RAW ? rows : win.height); y++) {
		daqcap_pattern_render_line(&f, y, line);
		/* The chroma row of NV12's and NV16's line y (of the window). */
		if (kind != OUT_RAW && f.format == DAQCAP_FMT_NV12)
			daqcap_pattern_render_line(&f, win.height + y / 2,
						   chroma);
		else if (kind != OUT_RAW && f.format == DAQCAP_FMT_NV16)
			daqcap_pattern_render_line(&f, win.height + y, chroma);
		switch (kind) {
		case OUT_RAW:
			ok = fwrite(line, 1, n, fp) == n;
			break;
		case OUT_PPM:
			line_to_rgb(f.format, win.width, line, chroma, pix);
			ok = fwrite(pix, 3, win.width, fp) == win.width;
			break;
		case OUT_PGM:
			if (f.format == DAQCAP_FMT_Y16) {
				/* 16-bit PGM is big-endian. */
				for (x = 0; x < win.width; x++) {
					pix[2 * x] = line[2 * x + 1];
					pix[2 * x + 1] = line[2 * x];
				}
				ok = fwrite(pix, 2, win.width, fp) == win.width;
				break;
			}
			line_to_rgb(f.format, win.width, line, chroma, pix);
			/* Full-range luma of the displayed colour. */
			for (i = 0; i < win.width; i++)
				pix[i] = (uint8_t)((54 * pix[3 * i] +
						    183 * pix[3 * i + 1] +
						    19 * pix[3 * i + 2] + 128) >>
						   8);
			ok = fwrite(pix, 1, win.width, fp) == win.width;
			break;
		default:
			ok = 0;
			break;
		}
		if (!ok)
			break;
	}
	if (ferror(fp) || (fp != stdout ? fclose(fp) : fflush(fp))) {
		fprintf(stderr, PROG ": error writing '%s': %s\n", out,
			strerror(errno));
		return 1;
	}
	free(pix);
	free(chroma);
	free(line);
	return 0;
}
