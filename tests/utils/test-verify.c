// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Unit test of daqcap-verify's checking code, on synthetic frames: no card,
 * no device. It includes the tool's source, so it tests the very functions
 * the tool runs: the per-frame check (good frames, one wrong byte anywhere,
 * padding, short frames, sequence gaps and repeats, error flags) and the
 * recovery of the sequence from the content for --io read (VERIFY's
 * invertible seed, BARS's drawn frame number), in every pixel format.
 *
 * Prints TAP; exits nonzero if a test fails.
 */
#define main daqcap_verify_main
int daqcap_verify_main(int argc, char **argv);
#include "daqcap-verify.c"
#undef main

static int tests, failures;

static void __attribute__((format(printf, 2, 3)))
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!cond)
		failures++;
	printf("%s %d - ", cond ? "ok" : "not ok", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A channel as open_channel() would set it up, and a frame rendered for it. */
static void setup(struct channel *ch, uint32_t input, uint32_t pattern,
		  uint32_t format, uint32_t w, uint32_t h, uint32_t pad)
{
	memset(ch, 0, sizeof(*ch));
	ch->path = "test";
	ch->f.input = input;
	ch->f.pattern = pattern;
	ch->f.format = format;
	ch->f.width = w;
	ch->f.height = h;
	ch->width = w;
	ch->height = h;
	ch->rows = daqcap_pattern_rows(format, h);
	ch->line_bytes = daqcap_pattern_line_bytes(format, w);
	ch->bpl = (uint32_t)ch->line_bytes + pad;
	ch->sizeimage = ch->bpl * ch->rows;
}

static uint8_t *render(const struct channel *ch, uint32_t seq)
{
	struct daqcap_pattern_frame f = ch->f;
	uint8_t *buf = malloc(ch->sizeimage);
	uint32_t y;

	f.sequence = seq;
	/* Padding gets junk: it must not matter. */
	memset(buf, 0xa5, ch->sizeimage);
	for (y = 0; y < ch->rows; y++)
		daqcap_pattern_render_line(&f, y, buf + (size_t)y * ch->bpl);
	return buf;
}

static void test_check_frame(void)
{
	struct channel ch;
	uint8_t *buf;
	size_t off;

	setup(&ch, 2, DAQCAP_PATTERN_VERIFY, DAQCAP_FMT_YUYV, 640, 480, 64);
	buf = render(&ch, 100);
	check_frame(&ch, buf, ch.sizeimage, 100, false, 1.0);
	ok(ch.delivered == 1 && !ch.corrupt && ch.dropped == 100,
	   "a good VERIFY frame with padding passes; a first sequence of 100 is 100 drops");
	ch.dropped = 0;

	/* Last byte of the last line. */
	off = (size_t)ch.bpl * 479 + ch.line_bytes - 1;
	free(buf);
	buf = render(&ch, 101);
	buf[off] ^= 0x01;
	check_frame(&ch, buf, ch.sizeimage, 101, false, 1.1);
	ok(ch.corrupt == 1 && ch.bad_line == 479 &&
	   ch.bad_offset == (long)ch.line_bytes - 1 && ch.bad_buf_offset == off,
	   "one flipped bit in the last byte is found at line 479 byte %ld (offset %zu)",
	   ch.bad_offset, ch.bad_buf_offset);

	free(buf);
	buf = render(&ch, 104);
	check_frame(&ch, buf, ch.sizeimage, 104, false, 1.2);
	ok(ch.dropped == 2 && ch.corrupt == 1 && ch.delivered == 3,
	   "a gap of two sequence numbers counts two drops");

	check_frame(&ch, buf, ch.sizeimage, 104, false, 1.3);
	ok(ch.seq_errors == 1, "a repeated sequence number is an error");

	check_frame(&ch, buf, ch.sizeimage, 106, false, 1.4);
	ok(ch.corrupt == 2, "a frame checked against the wrong sequence fails");

	check_frame(&ch, buf, ch.sizeimage - 1, 107, true, 1.5);
	ok(ch.errored == 1 && ch.corrupt == 2,
	   "a frame flagged ERROR counts as errored, not checked");

	check_frame(&ch, buf, ch.sizeimage - ch.bpl, 108, false, 1.6);
	ok(ch.corrupt == 3, "a short frame is corrupt");
	free(buf);

	/* The stride's padding is never read, only the line's bytes. */
	setup(&ch, 0, DAQCAP_PATTERN_BARS, DAQCAP_FMT_RGB24, 322, 242, 6);
	buf = render(&ch, 7);
	buf[ch.line_bytes] ^= 0xff;
	buf[(size_t)ch.bpl * 241 + ch.line_bytes + 5] ^= 0xff;
	check_frame(&ch, buf, ch.sizeimage, 7, false, 0);
	ok(!ch.corrupt, "junk in the padding is ignored");
	check_frame(&ch, buf, ch.sizeimage, 8, false, 0);
	ok(ch.corrupt == 1, "BARS checked against the next sequence fails");
	free(buf);

	/* The wrong input is a different frame. */
	setup(&ch, 1, DAQCAP_PATTERN_VERIFY, DAQCAP_FMT_GREY, 64, 16, 0);
	buf = render(&ch, 5);
	ch.f.input = 0;
	check_frame(&ch, buf, ch.sizeimage, 5, false, 0);
	ok(ch.corrupt == 1 && ch.bad_line == 0 && ch.bad_offset == 0,
	   "a frame of another input fails at its first byte");
	free(buf);

	/* The wrong pattern. */
	setup(&ch, 3, DAQCAP_PATTERN_VERIFY, DAQCAP_FMT_YUYV, 1280, 720, 0);
	buf = render(&ch, 9);
	ch.f.pattern = DAQCAP_PATTERN_BARS;
	check_frame(&ch, buf, ch.sizeimage, 9, false, 0);
	ok(ch.corrupt == 1, "a VERIFY frame checked as BARS fails");
	free(buf);
}

static void test_recover(void)
{
	static const uint32_t formats[] = {
		DAQCAP_FMT_YUYV, DAQCAP_FMT_UYVY, DAQCAP_FMT_RGB24,
		DAQCAP_FMT_BGR24, DAQCAP_FMT_XBGR32, DAQCAP_FMT_GREY,
		DAQCAP_FMT_Y16,
	};
	static const uint32_t seqs[] = { 0, 1, 9, 10, 1234, 99999999 };
	static const struct { uint32_t w, h; } sizes[] = {
		{ 640, 480 }, { 1920, 1080 }, { 320, 240 }, { 128, 16 },
	};
	struct channel ch;
	unsigned int fi, si, zi, bad;
	uint32_t seq;
	uint8_t *buf;

	for (fi = 0; fi < sizeof(formats) / sizeof(formats[0]); fi++) {
		bad = 0;
		for (zi = 0; zi < sizeof(sizes) / sizeof(sizes[0]); zi++) {
			for (si = 0; si < sizeof(seqs) / sizeof(seqs[0]); si++) {
				uint32_t in = (fi + si) % 16;

				setup(&ch, in, DAQCAP_PATTERN_VERIFY,
				      formats[fi], sizes[zi].w, sizes[zi].h, 0);
				buf = render(&ch, seqs[si] * 43);
				if (recover_seq_verify(&ch, buf, &seq) ||
				    seq != seqs[si] * 43)
					bad++;
				free(buf);
			}
		}
		ok(!bad, "VERIFY %s: the sequence reads back from line 0",
		   daqcap_format_name(formats[fi]));
	}
	setup(&ch, 15, DAQCAP_PATTERN_VERIFY, DAQCAP_FMT_GREY, 8, 2, 0);
	buf = render(&ch, UINT32_MAX);
	ok(!recover_seq_verify(&ch, buf, &seq) && seq == UINT32_MAX,
	   "VERIFY: sequence 4294967295 of input 15 reads back");
	buf[2] ^= 0x10;
	ok(!recover_seq_verify(&ch, buf, &seq) && seq != UINT32_MAX,
	   "VERIFY: a damaged seed reads back as another sequence");
	free(buf);

	for (fi = 0; fi < sizeof(formats) / sizeof(formats[0]); fi++) {
		bad = 0;
		for (zi = 0; zi < 3; zi++) {
			for (si = 0; si < sizeof(seqs) / sizeof(seqs[0]); si++) {
				uint32_t in = (fi * 3 + si) % 16;

				setup(&ch, in, DAQCAP_PATTERN_BARS,
				      formats[fi], sizes[zi].w, sizes[zi].h, 4);
				buf = render(&ch, seqs[si]);
				if (recover_seq_bars(&ch, buf, &seq) ||
				    seq != seqs[si]) {
					printf("# %s %ux%u input %u seq %u: got %d/%u\n",
					       daqcap_format_name(formats[fi]),
					       sizes[zi].w, sizes[zi].h, in,
					       seqs[si],
					       recover_seq_bars(&ch, buf, &seq),
					       seq);
					bad++;
				}
				free(buf);
			}
		}
		ok(!bad, "BARS %s: the drawn frame number reads back",
		   daqcap_format_name(formats[fi]));
	}

	setup(&ch, 0, DAQCAP_PATTERN_BARS, DAQCAP_FMT_YUYV, 640, 480, 0);
	ch.have_seq = true;
	ch.last_seq = 100000000;
	buf = render(&ch, 100000005);
	ok(!recover_seq_bars(&ch, buf, &seq) && seq == 100000005,
	   "BARS: with the previous sequence, 9-digit numbers read back too");
	free(buf);

	setup(&ch, 0, DAQCAP_PATTERN_BARS, DAQCAP_FMT_YUYV, 640, 480, 0);
	buf = render(&ch, 42);
	memset(buf + (size_t)ch.bpl * 10, 0, ch.line_bytes);
	ok(recover_seq_bars(&ch, buf, &seq) != 0,
	   "BARS: a frame without a legible number is refused");
	free(buf);

	/* check_read_frame() end to end: recovered, then checked. */
	setup(&ch, 1, DAQCAP_PATTERN_VERIFY, DAQCAP_FMT_XBGR32, 100, 30, 0);
	ch.readbuf = render(&ch, 3);
	check_read_frame(&ch);
	free(ch.readbuf);
	ch.readbuf = render(&ch, 6);
	check_read_frame(&ch);
	ok(ch.delivered == 2 && ch.dropped == 5 && !ch.corrupt &&
	   ch.first_seq == 3 && ch.last_seq == 6,
	   "read: sequences 3 then 6 are two good frames and 3 + 2 drops");
	ch.readbuf[ch.sizeimage / 2] ^= 0x80;
	check_read_frame(&ch);
	ok(ch.corrupt == 1 && ch.seq_errors == 1,
	   "read: a stale, damaged frame is a repeat and corrupt");
	free(ch.readbuf);
}

/* NV12: the chroma plane after the luma lines is checked too. */
static void test_two_planes(void)
{
	struct channel ch;
	uint8_t *buf;
	size_t off;

	setup(&ch, 1, DAQCAP_PATTERN_BARS, DAQCAP_FMT_NV12, 640, 480, 0);
	buf = render(&ch, 7);
	check_frame(&ch, buf, ch.sizeimage, 7, false, 1.0);
	ok(ch.rows == 720 && ch.delivered == 1 && !ch.corrupt,
	   "a good NV12 frame (480 luma and 240 chroma lines) passes");
	/* The last chroma line's last Cr. */
	off = (size_t)ch.bpl * 719 + ch.line_bytes - 1;
	free(buf);
	buf = render(&ch, 8);
	buf[off] ^= 0x01;
	check_frame(&ch, buf, ch.sizeimage, 8, false, 1.1);
	ok(ch.corrupt == 1 && ch.bad_line == 719 && ch.bad_buf_offset == off,
	   "a flipped bit in NV12's last chroma byte is found at line %u (offset %zu)",
	   ch.bad_line, ch.bad_buf_offset);
	free(buf);
}

int main(void)
{
	printf("TAP version 13\n");
	test_check_frame();
	test_two_planes();
	test_recover();
	printf("1..%d\n", tests);
	if (failures)
		printf("# %d of %d tests failed\n", failures, tests);
	return failures ? 1 : 0;
}
