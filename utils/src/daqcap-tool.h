/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * What every daqcap command-line tool does the same way: report a usage
 * error, retry an ioctl that a signal interrupted, print a FourCC.
 *
 * Header-only so that each tool stays one source file with no library of
 * its own to build. Define PROG (the program's name, a string literal) and
 * EXIT_USAGE (its exit status for bad usage) before including it.
 */
#ifndef DAQCAP_TOOL_H
#define DAQCAP_TOOL_H

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <linux/videodev2.h>
#include <linux/daqcap.h>

#if !defined(PROG) || !defined(EXIT_USAGE)
#error "define PROG and EXIT_USAGE before including daqcap-tool.h"
#endif

/* "PROG: <message>" and a pointer to --help on stderr; exit(EXIT_USAGE). */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help' for more information.\n", stderr);
	exit(EXIT_USAGE);
}

/* ioctl(), restarted when a signal (the tools' SIGINT handling) cut it. */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * The four characters of @fourcc in @buf, unprintable ones as '?'; a
 * trailing space is dropped ("Y16 " reads better as "Y16").
 */
static inline const char *fourcc_str(uint32_t fourcc, char buf[8])
{
	int i;

	for (i = 0; i < 4; i++) {
		char c = (char)(fourcc >> (8 * i) & 0xff);

		buf[i] = isprint((unsigned char)c) ? c : '?';
	}
	buf[4] = '\0';
	if (buf[3] == ' ')
		buf[3] = '\0';
	return buf;
}

/*
 * The card's number of the input channel node @fd captures, V4L2 input
 * @v4l2_input: the test patterns carry the card's number, and a board may
 * leave inputs unwired, which V4L2's numbering skips. The driver's Card
 * Input control says it; a driver without the control (EINVAL) reads no
 * board description, so its numbers are the card's. Returns -1, errno
 * set, when the control cannot be read.
 */
static inline int daqcap_card_input(int fd, unsigned int v4l2_input)
{
	struct v4l2_control c = { .id = V4L2_CID_DAQCAP_CARD_INPUT };

	if (xioctl(fd, VIDIOC_G_CTRL, &c))
		return errno == EINVAL ? (int)v4l2_input : -1;
	return c.value;
}

#endif /* DAQCAP_TOOL_H */
