// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * daqcap-gst-latency: read frames from a DAQCAP channel through GStreamer
 * (v4l2src ! appsink) and report how late they reach the application.
 *
 * v4l2src stamps each buffer with the driver's V4L2 timestamp (the end of
 * the frame on CLOCK_MONOTONIC) turned into running time: PTS = timestamp -
 * base time, when the pipeline clock is the monotonic system clock (the
 * default). So "clock now - base time - PTS", taken when the application
 * gets the sample, is the time from the last line of the frame landing in
 * memory to the application holding it: the interrupt, the driver, vb2,
 * v4l2src and the appsink queue. The program checks the clock is that
 * clock, and also reports the same figure straight from CLOCK_MONOTONIC.
 *
 * Dropped frames are counted from the gaps between PTS (a frame duration
 * each), not from GST_BUFFER_OFFSET: v4l2src 1.22 sets that to the V4L2
 * sequence plus its "renegotiation adjustment", which is 1 after the first
 * caps negotiation, except on the first buffer, where it counts from 0.
 * With --verify every byte of every frame is checked against the card's
 * verification pattern (pattern/PATTERN.rst), for the sequence the frame's
 * first word encodes; the sequences must go up, and their gaps are the
 * exact drops. With --io-mode dmabuf the buffers are dma-bufs exported by
 * the driver and mapped by the application, without a copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <gst/allocators/gstdmabuf.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "daqcap-pattern.h"

#define PROG	"daqcap-gst-latency"

static void usage(FILE *fp)
{
	fputs(
"Usage: " PROG " [OPTION]...\n"
"Read frames from a DAQCAP channel with GStreamer (v4l2src ! appsink) and\n"
"report the latency from the end of each frame (its V4L2 timestamp) to the\n"
"application, the frame rate and the dropped frames.\n"
"\n"
"  -d, --device DEV      capture node (default /dev/video0)\n"
"  -n, --count N         frames to read (default 120)\n"
"  -m, --io-mode MODE    v4l2src io-mode: auto, rw, mmap, userptr, dmabuf\n"
"                        (default auto)\n"
"  -f, --format FMT      GStreamer format: YUY2, UYVY, RGB, BGR, BGRx, GRAY8,\n"
"                        GRAY16_LE (default: the device's)\n"
"      --verify          set the card to its verification pattern and check\n"
"                        every byte of every frame\n"
"  -w, --warmup N        leave the first N frames out of the latency figures\n"
"                        (default 5: the pipeline is still starting)\n"
"  -v, --verbose         one line per frame\n"
"  -h, --help            show this help and exit\n"
"\n"
"Exit status: 0 if frames were read (and, with --verify, all intact), 1 if\n"
"not, 2 on bad usage or a missing device.\n", fp);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)ceil(p / 100.0 * (double)n);

	return sorted[i ? i - 1 : 0];
}

/* GStreamer format name to the card's DAQCAP_FMT_* code, or -1. */
static int daqcap_format_of(GstVideoFormat f)
{
	switch (f) {
	case GST_VIDEO_FORMAT_YUY2:	 return DAQCAP_FMT_YUYV;
	case GST_VIDEO_FORMAT_UYVY:	 return DAQCAP_FMT_UYVY;
	case GST_VIDEO_FORMAT_RGB:	 return DAQCAP_FMT_RGB24;
	case GST_VIDEO_FORMAT_BGR:	 return DAQCAP_FMT_BGR24;
	case GST_VIDEO_FORMAT_BGRx:	 return DAQCAP_FMT_XBGR32;
	case GST_VIDEO_FORMAT_GRAY8:	 return DAQCAP_FMT_GREY;
	case GST_VIDEO_FORMAT_GRAY16_LE: return DAQCAP_FMT_Y16;
	default:			 return -1;
	}
}

static uint32_t inverse_u32(uint32_t x)	/* x odd */
{
	uint32_t inv = x;
	int i;

	for (i = 0; i < 5; i++)
		inv *= 2 - x * inv;
	return inv;
}

/*
 * The sequence a VERIFY frame's content belongs to: its first word is
 * fmix32(input * A ^ sequence * B), and fmix32 can be undone.
 */
static uint32_t content_sequence(uint32_t input, const uint8_t *p)
{
	uint32_t h = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

	h ^= h >> 16;
	h *= inverse_u32(0xC2B2AE35u);
	h ^= (h >> 13) ^ (h >> 26);
	h *= inverse_u32(0x85EBCA6Bu);
	h ^= h >> 16;
	return (h ^ input * 0x9E3779B1u) * inverse_u32(0x85EBCA77u);
}

static double monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device",  required_argument, NULL, 'd' },
		{ "count",   required_argument, NULL, 'n' },
		{ "io-mode", required_argument, NULL, 'm' },
		{ "format",  required_argument, NULL, 'f' },
		{ "verify",  no_argument,       NULL, 'V' },
		{ "warmup",  required_argument, NULL, 'w' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = "/dev/video0", *io_mode = "auto", *format = NULL;
	long count = 120, warmup = 5, nlat = 0, stale = 0;
	uint32_t content_seq = 0, prev_content_seq = 0;
	gint64 offset_delta_min = G_MAXINT64, offset_delta_max = G_MININT64;
	GstClockTime prev_pts = GST_CLOCK_TIME_NONE;
	long content_drops = 0;
	int verify = 0, verbose = 0, c, fd;
	unsigned int input = 0;
	GstElement *pipeline, *sink;
	GstClock *clock;
	GstClockTime base;
	GError *err = NULL;
	gchar *desc, *caps = NULL;
	double *lat, *mono_lat, first_pts = 0, last_pts = 0;
	long n = 0, dropped = 0, corrupt = 0, dmabufs = 0;
	gboolean monotonic;
	GstVideoInfo vinfo;
	int status = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "d:n:m:f:w:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'n':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno || *end || count < 1 || count > 1000000) {
				fprintf(stderr, PROG ": invalid --count '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'm':
			if (strcmp(optarg, "auto") && strcmp(optarg, "rw") &&
			    strcmp(optarg, "mmap") && strcmp(optarg, "userptr") &&
			    strcmp(optarg, "dmabuf")) {
				fprintf(stderr, PROG ": invalid --io-mode '%s': auto, rw, mmap, userptr or dmabuf\n",
					optarg);
				return 2;
			}
			io_mode = optarg;
			break;
		case 'f':
			if (gst_video_format_from_string(optarg) ==
			    GST_VIDEO_FORMAT_UNKNOWN) {
				fprintf(stderr, PROG ": invalid --format '%s'\n",
					optarg);
				return 2;
			}
			format = optarg;
			break;
		case 'V':
			verify = 1;
			break;
		case 'w':
			errno = 0;
			warmup = strtol(optarg, &end, 10);
			if (errno || *end || warmup < 0 || warmup > 1000000) {
				fprintf(stderr, PROG ": invalid --warmup '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs("Try '" PROG " --help' for more information.\n",
			      stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	/* The input the channel captures, for --verify; and a clear error. */
	fd = open(device, O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", device,
			errno == ENOENT ? "no such device" : strerror(errno));
		return 2;
	}
	if (ioctl(fd, VIDIOC_G_INPUT, &input) < 0) {
		fprintf(stderr, PROG ": %s: not a V4L2 capture device\n", device);
		close(fd);
		return 2;
	}
	close(fd);

	gst_init(&argc, &argv);
	if (format)
		caps = g_strdup_printf(" ! video/x-raw,format=%s", format);
	desc = g_strdup_printf(
		"v4l2src name=src device=%s io-mode=%s num-buffers=%ld%s%s "
		"! appsink name=sink sync=false max-buffers=8 drop=false",
		device, io_mode, count,
		verify ? " extra-controls=\"c,test_pattern=1\"" : "",
		caps ? caps : "");
	pipeline = gst_parse_launch(desc, &err);
	if (!pipeline) {
		fprintf(stderr, PROG ": %s\n", err->message);
		return 1;
	}
	printf("pipeline: %s\n", desc);
	sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
	lat = calloc((size_t)count, sizeof(double));
	mono_lat = calloc((size_t)count, sizeof(double));
	if (!lat || !mono_lat)
		return 1;

	if (gst_element_set_state(pipeline, GST_STATE_PLAYING) ==
	    GST_STATE_CHANGE_FAILURE) {
		fprintf(stderr, PROG ": the pipeline does not start\n");
		status = 1;
		goto out;
	}

	for (;;) {
		GstSample *sample;
		GstBuffer *buf;
		GstClockTime now, pts;
		double mono;
		gint64 l;

		sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink),
						      10 * GST_SECOND);
		if (!sample)
			break;
		/* As soon as possible: this is the moment the app has it. */
		clock = gst_element_get_clock(pipeline);
		now = gst_clock_get_time(clock);
		mono = monotonic_ns();
		base = gst_element_get_base_time(pipeline);
		buf = gst_sample_get_buffer(sample);
		pts = GST_BUFFER_PTS(buf);

		if (!n) {
			GstCaps *sc = gst_sample_get_caps(sample);
			gchar *s = gst_caps_to_string(sc);

			gst_video_info_from_caps(&vinfo, sc);
			printf("caps: %s\n", s);
			g_free(s);
			monotonic = GST_IS_SYSTEM_CLOCK(clock);
			if (monotonic) {
				GstClockType t;

				g_object_get(clock, "clock-type", &t, NULL);
				monotonic = t == GST_CLOCK_TYPE_MONOTONIC;
			}
			printf("clock: %s%s\n", GST_OBJECT_NAME(clock),
			       monotonic ? " (system clock, CLOCK_MONOTONIC)" :
			       " (not CLOCK_MONOTONIC: the second figure is meaningless)");
		}
		gst_object_unref(clock);

		if (gst_is_dmabuf_memory(gst_buffer_peek_memory(buf, 0)))
			dmabufs++;
		/* A gap of k frame durations between PTS is k - 1 drops. */
		if (GST_CLOCK_TIME_IS_VALID(prev_pts) &&
		    GST_CLOCK_TIME_IS_VALID(pts) && pts > prev_pts &&
		    GST_BUFFER_DURATION_IS_VALID(buf) &&
		    GST_BUFFER_DURATION(buf)) {
			guint64 k = (pts - prev_pts + GST_BUFFER_DURATION(buf) / 2) /
				    GST_BUFFER_DURATION(buf);

			if (k > 1)
				dropped += (long)(k - 1);
		}
		prev_pts = pts;
		l = GST_CLOCK_TIME_IS_VALID(pts) ?
		    (gint64)(now - base) - (gint64)pts : 0;
		if (n >= warmup) {
			lat[nlat] = (double)l / 1e6;
			/* The V4L2 timestamp is base + PTS on CLOCK_MONOTONIC. */
			mono_lat[nlat] = (mono - (double)(base + pts)) / 1e6;
			nlat++;
		}
		if (!n)
			first_pts = (double)pts / 1e9;
		last_pts = (double)pts / 1e9;

		if (verify) {
			int code = daqcap_format_of(GST_VIDEO_INFO_FORMAT(&vinfo));
			GstVideoFrame frame;

			if (code < 0) {
				fprintf(stderr, PROG ": --verify: format %s is not one the card sends\n",
					GST_VIDEO_INFO_NAME(&vinfo));
				status = 1;
			} else if (gst_video_frame_map(&frame, &vinfo, buf,
						       GST_MAP_READ)) {
				const guint8 *p = GST_VIDEO_FRAME_PLANE_DATA(&frame, 0);
				int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
				struct daqcap_pattern_frame f = {
					.input = input,
					.pattern = DAQCAP_PATTERN_VERIFY,
					.format = (uint32_t)code,
					.width = (uint32_t)GST_VIDEO_FRAME_WIDTH(&frame),
					.height = (uint32_t)GST_VIDEO_FRAME_HEIGHT(&frame),
					.sequence = content_sequence(input, p),
				};
				uint32_t y;

				content_seq = f.sequence;
				if (n && content_seq - prev_content_seq - 1 <
					 0x80000000u)
					content_drops += (long)(content_seq -
							prev_content_seq - 1);
				else if (n)
					stale++;
				prev_content_seq = content_seq;
				if (GST_BUFFER_OFFSET_IS_VALID(buf)) {
					gint64 d = (gint64)GST_BUFFER_OFFSET(buf) -
						   (gint64)content_seq;

					offset_delta_min = MIN(offset_delta_min, d);
					offset_delta_max = MAX(offset_delta_max, d);
				}

				for (y = 0; y < f.height; y++) {
					long off = daqcap_pattern_check_line(
						&f, y, p + (size_t)y * (size_t)stride);

					if (off >= 0) {
						if (!corrupt || verbose)
							printf("corrupt frame: sequence %u, line %u, byte %ld\n",
							       f.sequence, y, off);
						corrupt++;
						break;
					}
				}
				gst_video_frame_unmap(&frame);
			}
		}
		if (verbose) {
			printf("frame %ld: offset %" G_GUINT64_FORMAT ", pts %.6f s, latency %.3f ms",
			       n, GST_BUFFER_OFFSET(buf), (double)pts / 1e9,
			       (double)l / 1e6);
			if (verify)
				printf(", content of sequence %u", content_seq);
			printf("\n");
		}
		n++;
		gst_sample_unref(sample);
		if (n == count)
			break;
	}

	if (!n) {
		GstMessage *msg = gst_bus_pop_filtered(
			GST_ELEMENT_BUS(pipeline), GST_MESSAGE_ERROR);

		if (msg) {
			GError *e;
			gchar *dbg;

			gst_message_parse_error(msg, &e, &dbg);
			fprintf(stderr, PROG ": %s\n", e->message);
			g_error_free(e);
			g_free(dbg);
			gst_message_unref(msg);
		}
		fprintf(stderr, PROG ": no frame\n");
		status = 1;
		goto out;
	}

	printf("frames: %ld, dropped %ld (from PTS gaps), memory: %s\n", n,
	       dropped,
	       dmabufs == n ? "dmabuf (exported by the driver, mapped, no copy)" :
	       dmabufs ? "partly dmabuf" : "system memory");
	if (n > 1 && last_pts > first_pts)
		printf("rate: %.2f fps over %.3f s\n",
		       (double)(n - 1) / (last_pts - first_pts),
		       last_pts - first_pts);
	if (nlat) {
		double sum = 0;
		long i;

		for (i = 0; i < nlat; i++)
			sum += lat[i];
		qsort(lat, (size_t)nlat, sizeof(double), cmp_double);
		qsort(mono_lat, (size_t)nlat, sizeof(double), cmp_double);
		printf("latency over %ld frames (pipeline clock now - base time - PTS), ms: min %.3f, median %.3f, mean %.3f, p95 %.3f, max %.3f\n",
		       nlat, lat[0], percentile(lat, (size_t)nlat, 50),
		       sum / (double)nlat, percentile(lat, (size_t)nlat, 95),
		       lat[nlat - 1]);
		printf("latency over %ld frames (CLOCK_MONOTONIC now - V4L2 timestamp), ms: min %.3f, median %.3f, p95 %.3f, max %.3f\n",
		       nlat, mono_lat[0], percentile(mono_lat, (size_t)nlat, 50),
		       percentile(mono_lat, (size_t)nlat, 95),
		       mono_lat[nlat - 1]);
	} else {
		printf("latency: no frame after the %ld warm-up frames\n",
		       warmup);
	}
	if (verify) {
		printf("verified: %ld frames, %ld corrupt, %ld repeated or out of order, %ld dropped (from the content's sequence)\n",
		       n, corrupt, stale, content_drops);
		if (offset_delta_min == offset_delta_max)
			printf("GST_BUFFER_OFFSET - sequence: %" G_GINT64_FORMAT
			       "\n", offset_delta_min);
		else if (offset_delta_min != G_MAXINT64)
			printf("GST_BUFFER_OFFSET - sequence: %" G_GINT64_FORMAT
			       " to %" G_GINT64_FORMAT "\n", offset_delta_min,
			       offset_delta_max);
	}
	if (corrupt || stale)
		status = 1;
out:
	gst_element_set_state(pipeline, GST_STATE_NULL);
	gst_object_unref(sink);
	gst_object_unref(pipeline);
	g_free(desc);
	g_free(caps);
	free(lat);
	free(mono_lat);
	return status;
}
