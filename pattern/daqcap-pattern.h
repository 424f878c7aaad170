/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * DAQCAP test-pattern generator: the content of every frame the card sends.
 *
 * The card's frame content is a deterministic function of (input, pattern,
 * format, frame size, crop window, frame sequence, row, byte), specified in
 * pattern/PATTERN.rst. A row is a line of the frame as it lies in memory:
 * the frame's lines for one-plane formats; for NV12 and NV16 the luma rows
 * and then the chroma rows (daqcap_pattern_rows()). This header and
 * daqcap-pattern.c are its only implementation: the QEMU device model
 * renders rows with it and the user-space checkers in utils/ verify captured
 * rows with it, so a model and a checker can never disagree about what the
 * card should have sent.
 *
 * The code is plain C99 and depends on nothing but <stdint.h>, <stddef.h>,
 * <string.h> and daqcap-regs.h: no allocation, no I/O, no global state, no
 * QEMU or kernel headers. Every function is reentrant and thread-safe.
 */
#ifndef DAQCAP_PATTERN_H
#define DAQCAP_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "daqcap-regs.h"

/**
 * struct daqcap_pattern_window - a window of a frame (the card's crop)
 * @left: first pixel of the window in each line; even
 * @top: first line of the window
 * @width: pixels per line of the window
 * @height: lines of the window
 */
struct daqcap_pattern_window {
	uint32_t left, top;
	uint32_t width, height;
};

/**
 * struct daqcap_pattern_frame - what one frame's content depends on
 * @input: input index, 0..DAQCAP_MAX_INPUTS - 1 (larger values are rendered
 *         by the same formulas; the card never produces them)
 * @pattern: DAQCAP_PATTERN_BARS or DAQCAP_PATTERN_VERIFY; any other value
 *           renders all-zero lines
 * @format: DAQCAP_FMT_* code of the DMA channel
 * @width: active pixels per line of the whole frame, even when only a
 *         window of it is captured (the pattern's geometry depends on it)
 * @height: active lines of the whole frame, even when only a window of it
 *          is captured
 * @sequence: hardware frame sequence the card reports for this frame
 *            (DAQCAP_CPL_SEQUENCE)
 * @crop: the window of the frame that was captured; rows are rendered and
 *        checked from it (see daqcap_pattern_window_of()). With
 *        @crop.width or @crop.height 0, as in a zero-initialised frame, the
 *        window is the whole frame (0, 0, @width, @height).
 */
struct daqcap_pattern_frame {
	uint32_t input;
	uint32_t pattern;
	uint32_t format;
	uint32_t width, height;
	uint32_t sequence;
	struct daqcap_pattern_window crop;
};

/**
 * daqcap_format_bpp() - bytes per pixel of a pixel format
 * @format: DAQCAP_FMT_* code
 *
 * Return: 1..4 (1 for NV12 and NV16: bytes per pixel of each of their rows,
 * luma or chroma), or 0 if @format is unknown.
 */
unsigned daqcap_format_bpp(uint32_t format);

/**
 * daqcap_pattern_line_bytes() - bytes of one row of a frame
 * @format: DAQCAP_FMT_* code
 * @width: active pixels per line
 *
 * Every row of a frame, luma or chroma, has this many bytes.
 *
 * Return: @width * daqcap_format_bpp(@format), or 0 if @format is unknown,
 * @width is 0, or @format is DAQCAP_FMT_YUYV, DAQCAP_FMT_UYVY,
 * DAQCAP_FMT_NV12 or DAQCAP_FMT_NV16 and @width is odd.
 */
size_t daqcap_pattern_line_bytes(uint32_t format, uint32_t width);

/**
 * daqcap_pattern_rows() - rows of a frame in memory
 * @format: DAQCAP_FMT_* code
 * @height: lines of the frame (or of a window of it)
 *
 * NV12 and NV16 store a frame as its @height luma rows followed by its
 * chroma rows (@height / 2 for NV12, @height for NV16); every other format
 * stores one row per line.
 *
 * Return: @height for one-plane formats, @height + @height / 2 for NV12,
 * 2 * @height for NV16; 0 if @format is unknown, @height is 0 or NV12's
 * @height is odd, or if the number of rows does not fit in 32 bits.
 */
uint32_t daqcap_pattern_rows(uint32_t format, uint32_t height);

/**
 * daqcap_format_name() - human-readable name of a pixel format
 * @format: DAQCAP_FMT_* code
 *
 * Return: "YUYV", "UYVY", "RGB24", "BGR24", "XBGR32", "GREY", "Y16", "NV12"
 * or "NV16", or NULL if @format is unknown.
 */
const char *daqcap_format_name(uint32_t format);

/**
 * daqcap_format_fourcc() - V4L2 fourcc of a pixel format as a string
 * @format: DAQCAP_FMT_* code
 *
 * Return: the four characters of the V4L2 fourcc ("YUYV", "UYVY", "RGB3",
 * "BGR3", "XR24", "GREY", "Y16 ", "NV12" or "NV16", always 4 characters
 * plus NUL), or NULL if @format is unknown.
 */
const char *daqcap_format_fourcc(uint32_t format);

/**
 * daqcap_format_lookup() - pixel format code from a name or fourcc
 * @name: a name as returned by daqcap_format_name() or a fourcc as returned
 *        by daqcap_format_fourcc(); ASCII case is ignored and trailing
 *        spaces of a fourcc may be omitted ("y16" finds DAQCAP_FMT_Y16)
 *
 * Return: the DAQCAP_FMT_* code, or -1 if @name matches no format.
 */
int daqcap_format_lookup(const char *name);

/**
 * daqcap_pattern_name() - lower-case name of a pattern
 * @pattern: DAQCAP_PATTERN_* code
 *
 * Return: "bars" or "verify", or NULL if @pattern is unknown.
 */
const char *daqcap_pattern_name(uint32_t pattern);

/**
 * daqcap_pattern_lookup() - pattern code from its name
 * @name: "bars" or "verify", ASCII case ignored
 *
 * Return: the DAQCAP_PATTERN_* code, or -1 if @name matches no pattern.
 */
int daqcap_pattern_lookup(const char *name);

/* Step between consecutive 32-bit words of a VERIFY line (2^32 / golden ratio). */
#define DAQCAP_PATTERN_VERIFY_STEP	0x9E3779B9u

/**
 * daqcap_pattern_verify_seed() - first word of a VERIFY row
 * @input: input index
 * @sequence: frame sequence
 * @line: row number in the whole frame (the line number for one-plane
 *        formats; NV12 and NV16 number their chroma rows on from the
 *        frame's height)
 *
 * Return: the seed of PATTERN.rst, i.e. the murmur3 fmix32 finalizer applied
 * to @input * 0x9E3779B1 ^ @sequence * 0x85EBCA77 ^ @line * 0xC2B2AE3D.
 */
uint32_t daqcap_pattern_verify_seed(uint32_t input, uint32_t sequence,
				    uint32_t line);

/**
 * daqcap_pattern_window_of() - the window a frame's rows are rendered from
 * @f: the frame
 *
 * Return: @f->crop, or the whole frame (0, 0, @f->width, @f->height) when
 * @f->crop.width or @f->crop.height is 0.
 */
struct daqcap_pattern_window
daqcap_pattern_window_of(const struct daqcap_pattern_frame *f);

/**
 * daqcap_pattern_render_line() - render one row of a frame's window
 * @f: the frame
 * @line: row of the window (see daqcap_pattern_window_of()), less than
 *        daqcap_pattern_rows(@f->format, window.height); for one-plane
 *        formats it is line window.top + @line of the frame
 * @dst: where to write daqcap_pattern_line_bytes(@f->format, window.width)
 *       bytes
 *
 * Writes exactly daqcap_pattern_line_bytes(@f->format, window.width) bytes,
 * nothing if that is 0: the bytes that pixels [window.left, window.left +
 * window.width) have in the frame's row that @line is. For one-plane formats
 * that is line window.top + @line of the whole frame. For NV12 and NV16,
 * window rows below window.height are luma rows, of frame lines window.top +
 * @line; row window.height + j is chroma row window.top / 2 + j (NV12) or
 * window.top + j (NV16) of the frame, i.e. frame row @f->height +
 * window.top / 2 + j (resp. @f->height + window.top + j), the one VERIFY
 * seeds from. With no crop this is the whole row.
 *
 * A window that is not inside the frame (window.left + window.width >
 * @f->width or window.top + window.height > @f->height, the sums taken
 * without wrapping around), whose left is odd, or for NV12 whose top or
 * height is odd, is invalid: its rows are all zero bytes, as for an unknown
 * pattern.
 *
 * A @line beyond the window's rows is rendered by the same formulas (as a
 * row of the frame possibly beyond the frame) and is safe, but the card
 * never sends one.
 */
void daqcap_pattern_render_line(const struct daqcap_pattern_frame *f,
				uint32_t line, uint8_t *dst);

/**
 * daqcap_pattern_check_line() - verify one captured row of a frame's window
 * @f: the frame the row belongs to
 * @line: row of the window, less than daqcap_pattern_rows(@f->format,
 *        window.height), as for daqcap_pattern_render_line()
 * @src: daqcap_pattern_line_bytes(@f->format, window.width) captured bytes
 *
 * Compares @src with what daqcap_pattern_render_line() renders (all zero
 * bytes for an invalid window), without allocating (at most 4 KiB of
 * stack).
 *
 * Return: the offset in @src of the first byte that differs, or -1 if the
 * row matches (also when the row has 0 bytes).
 */
long daqcap_pattern_check_line(const struct daqcap_pattern_frame *f,
			       uint32_t line, const uint8_t *src);

#endif /* DAQCAP_PATTERN_H */
