/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * DAQCAP test-pattern generator: the content of every frame the card sends.
 *
 * The card's frame content is a deterministic function of (input, pattern,
 * format, frame size, crop window, frame sequence, line, byte), specified in
 * pattern/PATTERN.rst. This header and daqcap-pattern.c are its only
 * implementation: the QEMU device model renders lines with it and the
 * user-space checkers in utils/ verify captured lines with it, so a model and
 * a checker can never disagree about what the card should have sent.
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
 * @crop: the window of the frame that was captured; lines are rendered and
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
 * Return: 1..4, or 0 if @format is unknown.
 */
unsigned daqcap_format_bpp(uint32_t format);

/**
 * daqcap_pattern_line_bytes() - bytes of one line of a frame
 * @format: DAQCAP_FMT_* code
 * @width: active pixels per line
 *
 * Return: @width * daqcap_format_bpp(@format), or 0 if @format is unknown,
 * @width is 0, or @format is DAQCAP_FMT_YUYV or DAQCAP_FMT_UYVY and @width
 * is odd.
 */
size_t daqcap_pattern_line_bytes(uint32_t format, uint32_t width);

/**
 * daqcap_format_name() - human-readable name of a pixel format
 * @format: DAQCAP_FMT_* code
 *
 * Return: "YUYV", "UYVY", "RGB24", "BGR24", "XBGR32", "GREY" or "Y16", or
 * NULL if @format is unknown.
 */
const char *daqcap_format_name(uint32_t format);

/**
 * daqcap_format_fourcc() - V4L2 fourcc of a pixel format as a string
 * @format: DAQCAP_FMT_* code
 *
 * Return: the four characters of the V4L2 fourcc ("YUYV", "UYVY", "RGB3",
 * "BGR3", "XR24", "GREY" or "Y16 ", always 4 characters plus NUL), or NULL
 * if @format is unknown.
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
 * daqcap_pattern_verify_seed() - first word of a VERIFY line
 * @input: input index
 * @sequence: frame sequence
 * @line: line number
 *
 * Return: the seed of PATTERN.rst, i.e. the murmur3 fmix32 finalizer applied
 * to @input * 0x9E3779B1 ^ @sequence * 0x85EBCA77 ^ @line * 0xC2B2AE3D.
 */
uint32_t daqcap_pattern_verify_seed(uint32_t input, uint32_t sequence,
				    uint32_t line);

/**
 * daqcap_pattern_window_of() - the window a frame's lines are rendered from
 * @f: the frame
 *
 * Return: @f->crop, or the whole frame (0, 0, @f->width, @f->height) when
 * @f->crop.width or @f->crop.height is 0.
 */
struct daqcap_pattern_window
daqcap_pattern_window_of(const struct daqcap_pattern_frame *f);

/**
 * daqcap_pattern_render_line() - render one line of a frame's window
 * @f: the frame
 * @line: line of the window (see daqcap_pattern_window_of()), less than
 *        the window's height; it is line window.top + @line of the frame
 * @dst: where to write daqcap_pattern_line_bytes(@f->format, window.width)
 *       bytes
 *
 * Writes exactly daqcap_pattern_line_bytes(@f->format, window.width) bytes,
 * nothing if that is 0: the bytes that pixels [window.left, window.left +
 * window.width) have in line window.top + @line of the whole frame. With no
 * crop this is the whole line.
 *
 * A window that is not inside the frame (window.left + window.width >
 * @f->width or window.top + window.height > @f->height, the sums taken
 * without wrapping around) or whose left is odd is invalid: its lines are
 * all zero bytes, as for an unknown pattern.
 *
 * A @line beyond the window is rendered by the same formulas (as frame line
 * window.top + @line, possibly beyond the frame) and is safe, but the card
 * never sends one.
 */
void daqcap_pattern_render_line(const struct daqcap_pattern_frame *f,
				uint32_t line, uint8_t *dst);

/**
 * daqcap_pattern_check_line() - verify one captured line of a frame's window
 * @f: the frame the line belongs to
 * @line: line of the window, less than the window's height
 * @src: daqcap_pattern_line_bytes(@f->format, window.width) captured bytes
 *
 * Compares @src with what daqcap_pattern_render_line() renders (all zero
 * bytes for an invalid window), without allocating (at most 4 KiB of
 * stack).
 *
 * Return: the offset in @src of the first byte that differs, or -1 if the
 * line matches (also when the line has 0 bytes).
 */
long daqcap_pattern_check_line(const struct daqcap_pattern_frame *f,
			       uint32_t line, const uint8_t *src);

#endif /* DAQCAP_PATTERN_H */
