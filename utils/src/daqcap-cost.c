// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * daqcap-cost: what capturing from a V4L2 node costs, per frame.
 *
 * Streams from one capture node (daqcap's or any other driver's, vivid's
 * for the comparison) with MMAP, USERPTR or DMABUF buffers, touches no
 * pixel, and prints one JSON object: the frames, the rate, the CPU time
 * the whole machine spent per frame (from /proc/stat: every CPU's time
 * that is not idle, interrupts and the driver's threads included) and the
 * program's own, the latency from the frame's timestamp to VIDIOC_DQBUF
 * returning (p50, p99, max), the frames missing from the sequence, and,
 * given --irq NAME, the interrupts per frame of the /proc/interrupts lines
 * named NAME.
 *
 * It is the measuring half of utils/daqcap-bench, which runs it in the VM
 * bench for each device, size and I/O method; it runs on any machine.
 */
#define PROG "daqcap-cost"
#define EXIT_USAGE 2

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/videodev2.h>

#include "daqcap-tool.h"

#define MAX_BUFFERS 32
#define MAX_FRAMES 100000

static struct {
	const char *device;
	const char *irq;
	unsigned int memory;
	unsigned int buffers;
	unsigned int frames;
	unsigned int seconds;
	unsigned int baseline_s;
	unsigned int warmup;
	unsigned int timeout_s;
	bool insn_marks;
} opt = {
	.memory = V4L2_MEMORY_MMAP,
	.buffers = 4,
	.frames = MAX_FRAMES,
	.seconds = 5,
	.baseline_s = UINT32_MAX,
	.warmup = 10,
	.timeout_s = 10,
};

/*
 * The marks of make bench's instruction counter (emulator/daqcap-insn.c, a
 * QEMU TCG plugin): no-ops whose displacement, "DQC" and 1 or 2, tells the
 * plugin to open or close a counting window. A real CPU executes them as
 * the no-ops they are.
 */
static unsigned int insn_windows;	/* closed so far */
static bool reported;
#if defined(__x86_64__) || defined(__i386__)
static bool insn_window_open;
#endif

static void insn_mark(unsigned int op)
{
#if defined(__x86_64__) || defined(__i386__)
	if (!opt.insn_marks)
		return;
	if (op == 1) {
		__asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, 0x01, 0x43, 0x51, 0x44" ::: "memory");
		insn_window_open = true;
	} else if (insn_window_open) {
		__asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, 0x02, 0x43, 0x51, 0x44" ::: "memory");
		insn_window_open = false;
		insn_windows++;
	}
#else
	(void)op;
#endif
}

/*
 * A run that fails after closing a window (the baseline's) still tells how
 * many it closed, so that whoever reads the counter's windows in order can
 * skip them.
 */
static void insn_report_on_failure(void)
{
	if (opt.insn_marks && !reported)
		fprintf(stderr, PROG ": insn windows closed: %u\n", insn_windows);
}

struct buffer {
	void *start;
	size_t length;
	int dmabuf_fd;
};

static void usage(FILE *fp)
{
	fprintf(fp,
"Usage: " PROG " [OPTION...] -d DEVICE\n"
"\n"
"Stream from a V4L2 capture node in its current format, touching no pixel,\n"
"and print what it cost per frame as one JSON object on standard output.\n"
"\n"
"  -d, --device DEV    the capture node (required)\n"
"  -I, --io METHOD     mmap (default), userptr or dmabuf (exported by the\n"
"                      same queue with VIDIOC_EXPBUF, then imported)\n"
"  -b, --buffers N     buffers, 2 to %d (default 4)\n"
"  -s, --seconds SEC   measure for SEC s (default 5), or until\n"
"  -n, --frames N      frames were measured (default %d), after\n"
"  -w, --warmup N      frames not measured (default 10)\n"
"      --baseline SEC  first measure the idle machine for SEC s (default:\n"
"                      as long as --seconds; 0: no baseline) and subtract\n"
"                      its busy share\n"
"      --irq NAME      count the interrupts of the /proc/interrupts lines\n"
"                      whose action is NAME (e.g. daqcap-0000:01:00.0-ch0)\n"
"      --timeout SEC   give up when no frame comes for SEC s (default 10)\n"
"      --insn-marks    mark the baseline and the measurement for QEMU's\n"
"                      instruction counter (make bench; x86 only)\n"
"  -h, --help          show this help and exit\n"
"\n"
"The JSON fields: device, driver, width, height, pixelformat, bytes (a\n"
"frame's sizeimage), io, buffers, frames, seconds, fps, cpu_us_per_frame\n"
"(the time all CPUs were not idle, from /proc/stat's idle time, which\n"
"counts in USER_HZ ticks: measure for seconds, not a few frames; less\n"
"what the machine was busy with before streaming, at the baseline's\n"
"rate), cpu_us_resolution (what the tick rounding can make it wrong\n"
"by, either way), cpu_us_per_frame_gross (without the baseline),\n"
"baseline_busy_percent, process_cpu_us_per_frame (this program's,\n"
"getrusage), latency_us {p50, p99, max} (CLOCK_MONOTONIC at DQBUF minus\n"
"the buffer's monotonic timestamp, of the frames without error; a\n"
"timestamp ahead of DQBUF counts as 0; null when most were ahead, or the\n"
"timestamps are not monotonic), timestamps_ahead, drops (sequence gaps),\n"
"error_frames, irqs_per_frame with --irq (null if no line has NAME), and\n"
"with --insn-marks insn_windows: the counting windows marked, the\n"
"baseline's (if any) first (a run that fails says on standard error how\n"
"many it closed).\n"
"\n"
"Exit status: 0 on success, 1 if capture failed, 2 on bad usage.\n",
		MAX_BUFFERS, MAX_FRAMES);
}

static unsigned int parse_uint(const char *s, const char *what,
			       unsigned int min, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error("invalid %s '%s': expected %u to %u", what, s, min,
			    max);
	return (unsigned int)v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * All CPUs' idle time so far, in ns: /proc/stat's idle and iowait, which a
 * tickless kernel measures exactly at every idle entry and exit (the busy
 * columns are sampled at the tick), shown in USER_HZ ticks. The machine's
 * busy time over a span is then its CPUs times the span, minus this.
 */
static uint64_t idle_ns(void)
{
	unsigned long long v[5] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4]);
	fclose(f);
	if (n != 5 || hz <= 0)
		return 0;
	return (v[3] + v[4]) * (1000000000u / (uint64_t)hz);
}

static uint64_t process_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		1000000000u + ((uint64_t)ru.ru_utime.tv_usec +
			       (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/*
 * Interrupts so far on the /proc/interrupts lines whose action is @name
 * (the names close a line, after the chip and the trigger, separated by
 * ", " when the line is shared); -1 if no line has it.
 */
static int64_t irq_count(const char *name)
{
	size_t len = strlen(name), cap = 0;
	char *line = NULL;
	int64_t total = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		bool named = false;
		char *p, *q;

		for (p = line; !named && (p = strstr(p, name)); p += len)
			named = p > line && (p[-1] == ' ' || p[-1] == ',') &&
				(p[len] == '\n' || p[len] == ',' || p[len] == '\0');
		q = strchr(line, ':');
		if (!named || !q)
			continue;
		if (total < 0)
			total = 0;
		for (q++;;) {
			char *end;
			unsigned long long c = strtoull(q, &end, 10);

			if (end == q)
				break;
			total += (int64_t)c;
			q = end;
		}
	}
	free(line);
	fclose(f);
	return total;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int request(int fd, unsigned int memory, unsigned int count)
{
	struct v4l2_requestbuffers rb = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};

	if (xioctl(fd, VIDIOC_REQBUFS, &rb)) {
		fprintf(stderr, PROG ": %s: VIDIOC_REQBUFS: %s\n", opt.device,
			strerror(errno));
		return -1;
	}
	return (int)rb.count;
}

static int setup_buffers(int fd, struct buffer *bufs, unsigned int *nbufs,
			 size_t size)
{
	unsigned int i;
	int n;

	switch (opt.memory) {
	case V4L2_MEMORY_MMAP:
		n = request(fd, V4L2_MEMORY_MMAP, opt.buffers);
		if (n < 2)
			return -1;
		*nbufs = (unsigned int)n;
		for (i = 0; i < *nbufs; i++) {
			struct v4l2_buffer b = {
				.index = i,
				.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				.memory = V4L2_MEMORY_MMAP,
			};

			if (xioctl(fd, VIDIOC_QUERYBUF, &b))
				return -1;
			bufs[i].length = b.length;
			bufs[i].start = mmap(NULL, b.length, PROT_READ,
					     MAP_SHARED, fd, b.m.offset);
			if (bufs[i].start == MAP_FAILED)
				return -1;
		}
		return 0;
	case V4L2_MEMORY_USERPTR:
		n = request(fd, V4L2_MEMORY_USERPTR, opt.buffers);
		if (n < 2)
			return -1;
		*nbufs = (unsigned int)n;
		for (i = 0; i < *nbufs; i++) {
			bufs[i].length = size;
			bufs[i].start = mmap(NULL, size, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (bufs[i].start == MAP_FAILED)
				return -1;
			/* Fault the pages in now, not in the measurement. */
			memset(bufs[i].start, 0, size);
		}
		return 0;
	default:
		/* Export MMAP buffers, free them, import the dma-bufs. */
		n = request(fd, V4L2_MEMORY_MMAP, opt.buffers);
		if (n < 2)
			return -1;
		*nbufs = (unsigned int)n;
		for (i = 0; i < *nbufs; i++) {
			struct v4l2_exportbuffer e = {
				.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				.index = i,
				.flags = O_RDWR | O_CLOEXEC,
			};

			if (xioctl(fd, VIDIOC_EXPBUF, &e)) {
				fprintf(stderr, PROG ": %s: VIDIOC_EXPBUF: %s\n",
					opt.device, strerror(errno));
				return -1;
			}
			bufs[i].dmabuf_fd = e.fd;
			bufs[i].length = (size_t)lseek(e.fd, 0, SEEK_END);
		}
		if (request(fd, V4L2_MEMORY_MMAP, 0) < 0)
			return -1;
		n = request(fd, V4L2_MEMORY_DMABUF, *nbufs);
		if (n < 0)
			return -1;
		if ((unsigned int)n < *nbufs)
			*nbufs = (unsigned int)n;
		return 0;
	}
}

static int queue(int fd, struct buffer *bufs, unsigned int i)
{
	struct v4l2_buffer b = {
		.index = i,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = opt.memory,
	};

	if (opt.memory == V4L2_MEMORY_USERPTR) {
		b.m.userptr = (unsigned long)bufs[i].start;
		b.length = (uint32_t)bufs[i].length;
	} else if (opt.memory == V4L2_MEMORY_DMABUF) {
		b.m.fd = bufs[i].dmabuf_fd;
		b.length = (uint32_t)bufs[i].length;
	}
	if (xioctl(fd, VIDIOC_QBUF, &b)) {
		fprintf(stderr, PROG ": %s: VIDIOC_QBUF: %s\n", opt.device,
			strerror(errno));
		return -1;
	}
	return 0;
}

static const char *io_name(void)
{
	return opt.memory == V4L2_MEMORY_MMAP ? "mmap" :
	       opt.memory == V4L2_MEMORY_USERPTR ? "userptr" : "dmabuf";
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "io", required_argument, NULL, 'I' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "frames", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "irq", required_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "insn-marks", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static uint64_t latency[MAX_FRAMES];
	struct buffer bufs[MAX_BUFFERS];
	struct v4l2_capability cap = { 0 };
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint64_t t0 = 0, idle0 = 0, proc0 = 0, t1, idle1, proc1;
	int64_t irq0 = -1, irq1 = -1;
	unsigned int nbufs = 0, got = 0, measured = 0, errors = 0, drops = 0;
	unsigned int nlat = 0, ahead = 0;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	double cpus = ncpus > 0 ? (double)ncpus : 1;
	double busy, net, base_rate = 0, tick_ns, resolution;
	bool monotonic = true;
	uint32_t last_seq = 0;
	bool have_seq = false;
	char fcc[8];
	int fd, c;

	while ((c = getopt_long(argc, argv, "d:I:b:n:s:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.device = optarg;
			break;
		case 'I':
			if (!strcmp(optarg, "mmap"))
				opt.memory = V4L2_MEMORY_MMAP;
			else if (!strcmp(optarg, "userptr"))
				opt.memory = V4L2_MEMORY_USERPTR;
			else if (!strcmp(optarg, "dmabuf"))
				opt.memory = V4L2_MEMORY_DMABUF;
			else
				usage_error("invalid --io '%s': expected mmap, userptr or dmabuf",
					    optarg);
			break;
		case 'b':
			opt.buffers = parse_uint(optarg, "--buffers", 2, MAX_BUFFERS);
			break;
		case 'n':
			opt.frames = parse_uint(optarg, "--frames", 1, MAX_FRAMES);
			break;
		case 's':
			opt.seconds = parse_uint(optarg, "--seconds", 1, 3600);
			break;
		case 'B':
			opt.baseline_s = parse_uint(optarg, "--baseline", 0, 3600);
			break;
		case 'w':
			opt.warmup = parse_uint(optarg, "--warmup", 0, MAX_FRAMES);
			break;
		case 'q':
			opt.irq = optarg;
			break;
		case 'M':
#if defined(__x86_64__) || defined(__i386__)
			opt.insn_marks = true;
#else
			usage_error("--insn-marks: no instruction counter on this architecture");
#endif
			break;
		case 't':
			opt.timeout_s = parse_uint(optarg, "--timeout", 1, 3600);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage_error("unknown option");
		}
	}
	if (optind != argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!opt.device)
		usage_error("no --device");

	memset(bufs, 0, sizeof(bufs));
	fd = open(opt.device, O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", opt.device, strerror(errno));
		return 1;
	}
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) || xioctl(fd, VIDIOC_G_FMT, &fmt)) {
		fprintf(stderr, PROG ": %s: not a V4L2 capture node: %s\n",
			opt.device, strerror(errno));
		return 1;
	}
	/*
	 * What the machine does without this capture (timers, other
	 * programs; in a VM, the emulation's own ticks), as a share of its
	 * CPUs' time, measured while this program sleeps.
	 */
	atexit(insn_report_on_failure);
	if (opt.baseline_s == UINT32_MAX)
		opt.baseline_s = opt.seconds;
	if (opt.baseline_s) {
		uint64_t b0, i0, b1, i1;
		double cpu_ns;

		insn_mark(1);
		b0 = now_ns();
		i0 = idle_ns();

		sleep(opt.baseline_s);
		b1 = now_ns();
		i1 = idle_ns();
		insn_mark(2);
		cpu_ns = (double)(b1 - b0) * cpus;
		base_rate = (cpu_ns - (double)(i1 - i0)) / cpu_ns;
	}
	if (setup_buffers(fd, bufs, &nbufs, fmt.fmt.pix.sizeimage)) {
		fprintf(stderr, PROG ": %s: cannot set up %s buffers\n",
			opt.device, io_name());
		return 1;
	}
	for (unsigned int i = 0; i < nbufs; i++)
		if (queue(fd, bufs, i))
			return 1;
	if (xioctl(fd, VIDIOC_STREAMON, &type)) {
		fprintf(stderr, PROG ": %s: VIDIOC_STREAMON: %s\n", opt.device,
			strerror(errno));
		return 1;
	}

	while (measured < opt.frames &&
	       (!measured || now_ns() - t0 < opt.seconds * 1000000000ull)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = opt.memory,
		};
		uint64_t done, ts;
		int r = poll(&pfd, 1, (int)opt.timeout_s * 1000);

		if (r <= 0) {
			fprintf(stderr, PROG ": %s: no frame for %u s after %u\n",
				opt.device, opt.timeout_s, got);
			return 1;
		}
		if (xioctl(fd, VIDIOC_DQBUF, &b)) {
			if (errno == EAGAIN)
				continue;
			fprintf(stderr, PROG ": %s: VIDIOC_DQBUF: %s\n",
				opt.device, strerror(errno));
			return 1;
		}
		done = now_ns();
		if (got++ == opt.warmup) {
			/* The measurement starts at the first frame after warm-up. */
			t0 = done;
			idle0 = idle_ns();
			proc0 = process_cpu_ns();
			irq0 = opt.irq ? irq_count(opt.irq) : -1;
			have_seq = false;
			insn_mark(1);
		}
		if (got > opt.warmup + 1) {
			ts = (uint64_t)b.timestamp.tv_sec * 1000000000u +
			     (uint64_t)b.timestamp.tv_usec * 1000u;
			measured++;
			if ((b.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) !=
			    V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
				monotonic = false;
			if (b.flags & V4L2_BUF_FLAG_ERROR) {
				errors++;
			} else {
				/* As the driver counts a frame "from the future". */
				if (done < ts)
					ahead++;
				latency[nlat++] = done > ts ? done - ts : 0;
			}
			if (have_seq && b.sequence > last_seq + 1)
				drops += b.sequence - last_seq - 1;
		}
		if (got > opt.warmup) {
			last_seq = b.sequence;
			have_seq = true;
		}
		if (queue(fd, bufs, b.index))
			return 1;
	}
	insn_mark(2);
	t1 = now_ns();
	idle1 = idle_ns();
	proc1 = process_cpu_ns();
	irq1 = opt.irq ? irq_count(opt.irq) : -1;
	xioctl(fd, VIDIOC_STREAMOFF, &type);

	qsort(latency, nlat, sizeof(latency[0]), cmp_u64);
	busy = (double)(t1 - t0) * cpus - (double)(idle1 - idle0);
	net = busy - base_rate * (double)(t1 - t0) * cpus;
	/*
	 * Each idle reading is rounded down to a tick: the busy time is off
	 * by up to a tick, and the baseline's by up to a tick scaled to the
	 * measurement's length.
	 */
	tick_ns = 1e9 / (double)(sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100);
	resolution = tick_ns * (1 + (opt.baseline_s ?
		(double)(t1 - t0) / 1e9 / opt.baseline_s : 0));
	printf("{\"device\": \"%s\", \"driver\": \"%s\", \"width\": %u, \"height\": %u, "
	       "\"pixelformat\": \"%s\", \"bytes\": %u, \"io\": \"%s\", \"buffers\": %u, "
	       "\"frames\": %u, \"seconds\": %.3f, \"fps\": %.2f, "
	       "\"cpu_us_per_frame\": %.1f, \"cpu_us_resolution\": %.1f, "
	       "\"cpu_us_per_frame_gross\": %.1f, "
	       "\"baseline_busy_percent\": %.2f, \"process_cpu_us_per_frame\": %.1f, ",
	       opt.device, (const char *)cap.driver, fmt.fmt.pix.width,
	       fmt.fmt.pix.height, fourcc_str(fmt.fmt.pix.pixelformat, fcc),
	       fmt.fmt.pix.sizeimage, io_name(), nbufs, measured,
	       (double)(t1 - t0) / 1e9, measured * 1e9 / (double)(t1 - t0),
	       net / 1e3 / measured, resolution / 1e3 / measured,
	       busy / 1e3 / measured, base_rate * 100,
	       (double)(proc1 - proc0) / 1e3 / measured);
	if (nlat && monotonic && ahead * 2 <= nlat)
		/* p99: the smallest value at least 99% of the frames reach. */
		printf("\"latency_us\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}, ",
		       (double)latency[(nlat - 1) / 2] / 1e3,
		       (double)latency[(nlat * 99 + 99) / 100 - 1] / 1e3,
		       (double)latency[nlat - 1] / 1e3);
	else
		printf("\"latency_us\": null, ");
	printf("\"timestamps_ahead\": %u, \"drops\": %u, \"error_frames\": %u, \"cpus\": %ld",
	       ahead, drops, errors, ncpus);
	if (opt.irq && (irq0 < 0 || irq1 < 0)) {
		fprintf(stderr, PROG ": no /proc/interrupts line is named %s\n", opt.irq);
		printf(", \"irqs_per_frame\": null");
	} else if (opt.irq) {
		printf(", \"irqs_per_frame\": %.3f",
		       (double)(irq1 - irq0) / measured);
	}
	if (opt.insn_marks)
		printf(", \"insn_windows\": %u", insn_windows);
	printf("}\n");
	reported = true;
	return 0;
}
