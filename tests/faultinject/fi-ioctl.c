// SPDX-License-Identifier: GPL-2.0-only
/*
 * fi-ioctl: the guest side of tests/faultinject/run (issue 9 section 3).
 *
 * Walks one operation of the daqcap driver through every allocation it
 * makes: for N = 1, 2, ... /proc/thread-self/fail-nth is set to N right
 * before the operation (a bind of the card, one V4L2 ioctl, the opening
 * and reading of a debugfs file), so that its N-th fault-injectable call
 * (failslab, fail_page_alloc, fail_function) fails; reading fail-nth back
 * tells whether it did (0) or whether the operation made fewer than N
 * calls (the walk is complete). After each step the program checks that
 * the operation failed cleanly, left nothing half-done and that the next
 * attempt may go on; after the walk, that a retry without faults captures
 * byte-exact frames (pattern/daqcap-pattern.c).
 *
 * Output: TAP results without numbers ("ok - ...", "not ok - ..."), which
 * tests/faultinject/run numbers, and "# " comments. Exit status: 0 if every
 * result was ok, 1 otherwise, 2 on bad usage.
 *
 *   fi-ioctl probe-walk PCI [MAX]       walk the probe of card PCI (unbound
 *                                       first; bound again at the end)
 *   fi-ioctl walk DEV CASE [MAX]        walk an ioctl on capture node DEV;
 *                                       CASE: reqbufs-{mmap,userptr,dmabuf},
 *                                       create-{mmap,userptr,dmabuf},
 *                                       qbuf-{userptr,dmabuf}, streamon-mmap
 *   fi-ioctl debugfs-walk FILE [MAX]    walk open()+read() of a debugfs file
 *   fi-ioctl capture DEV N IO           capture N frames (IO: mmap, userptr,
 *                                       dmabuf) and check every byte
 *   fi-ioctl stress DEV SECONDS IO      stream in a loop, failing ioctls at
 *                                       random (make-it-fail set around each
 *                                       ioctl: the fault attributes' own
 *                                       probability and task-filter decide);
 *                                       frames delivered must be exact
 *   fi-ioctl make-it-fail PROGRAM ARGS  run PROGRAM with make-it-fail set
 *   fi-ioctl qom-get PROP [CARD]        print a property of the card's model
 *                                       (QMP over $DAQCAP_QMP)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/udmabuf.h>
#include <linux/videodev2.h>

#include "daqcap-pattern.h"

#define NBUFS		4
#define MAX_STEPS_DEFAULT 5000
#define FRAMES_AFTER	frames_after	/* frames verified after a walk */
static unsigned int frames_after = 8;

static int failures;
static const char *prog_case = "";

static void __attribute__((format(printf, 2, 3)))
result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "success";
	case ENOMEM: return "ENOMEM";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case ENODEV: return "ENODEV";
	case ENOSPC: return "ENOSPC";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case ENXIO: return "ENXIO";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EEXIST: return "EEXIST";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* ---- fail-nth, make-it-fail ------------------------------------------------ */

static int nth_fd = -1, mif_fd = -1;

static const char *arm_file;

static void nth_open(void)
{
	if (nth_fd >= 0 || arm_file)
		return;
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		printf("Bail out! /proc/thread-self/fail-nth: %s\n", strerror(errno));
		exit(1);
	}
}

static void nth_set(unsigned int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%u", n);

	if (pwrite(nth_fd, b, (size_t)l, 0) != l) {
		printf("Bail out! writing fail-nth: %s\n", strerror(errno));
		exit(1);
	}
}

/* What is left of fail-nth; 0: the N-th call failed. Disarms it. */
static unsigned int nth_get_clear(void)
{
	char b[16] = "";
	ssize_t r = pread(nth_fd, b, sizeof(b) - 1, 0);
	unsigned int left = r > 0 ? (unsigned int)strtoul(b, NULL, 10) : 0;

	nth_set(0);
	return left;
}

/*
 * A walk arms its step with fail-nth; with FI_ARM_FILE set (e.g. a fault
 * attribute's "times"), step 1 instead writes FI_ARM_VALUE to that file and
 * what is left is read back from it (0: the failure was injected); later
 * steps run without a fault. For fail_function, one injection at a time.
 */

static void step_arm(unsigned int n)
{
	const char *v = getenv("FI_ARM_VALUE");
	int fd;

	if (!arm_file) {
		nth_set(n);
		return;
	}
	if (n != 1)
		return;
	fd = open(arm_file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, v ? v : "1", strlen(v ? v : "1")) < 0)
		printf("# arming %s: %s\n", arm_file, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static unsigned int step_left(unsigned int n)
{
	char b[32] = "";
	int fd;

	if (!arm_file)
		return nth_get_clear();
	if (n != 1)
		return 1;
	fd = open(arm_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, b, sizeof(b) - 1) < 0)
		b[0] = '1';
	if (fd >= 0)
		close(fd);
	/*
	 * Not injected during the step: disarm, so that the failure does
	 * not strike later, in what checks the step.
	 */
	if (strtoul(b, NULL, 10)) {
		fd = open(arm_file, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			printf("# disarming %s: %s\n", arm_file, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return (unsigned int)strtoul(b, NULL, 10);
}

static void mif_set(int on)
{
	if (mif_fd < 0)
		mif_fd = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
	if (mif_fd >= 0 && pwrite(mif_fd, on ? "1" : "0", 1, 0) != 1)
		printf("# make-it-fail: %s\n", strerror(errno));
}

/* ---- QMP (guest side, virtio-serial: --guest-qmp) ------------------------- */

static int qmp_fd = -1;
static char qmp_buf[16384];
static size_t qmp_len;
static unsigned long qmp_id = 1;

static int qmp_line(char *line, size_t size, double deadline)
{
	for (;;) {
		char *nl = memchr(qmp_buf, '\n', qmp_len);
		struct pollfd p = { .fd = qmp_fd, .events = POLLIN };
		ssize_t r;

		if (nl) {
			size_t n = (size_t)(nl - qmp_buf) + 1;
			size_t c = n < size ? n : size - 1;

			memcpy(line, qmp_buf, c);
			line[c] = 0;
			memmove(qmp_buf, nl + 1, qmp_len - n);
			qmp_len -= n;
			return 0;
		}
		if (qmp_len == sizeof(qmp_buf))
			qmp_len = 0;
		if (now_s() > deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, 200);
		if (r <= 0)
			continue;
		r = read(qmp_fd, qmp_buf + qmp_len, sizeof(qmp_buf) - qmp_len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -EPIPE;
		qmp_len += (size_t)r;
	}
}

static int qmp_exec(const char *cmd, char *reply, size_t size)
{
	char out[1024], line[4096], key[48];
	double deadline = now_s() + 20;
	unsigned long id = qmp_id++;
	int n = snprintf(out, sizeof(out), "%s, \"id\": %lu}\n", cmd, id);

	if (write(qmp_fd, out, (size_t)n) != n)
		return -EIO;
	snprintf(key, sizeof(key), "\"id\": %lu", id);
	for (;;) {
		int r = qmp_line(line, sizeof(line), deadline);

		if (r)
			return r;
		if (!strstr(line, key))
			continue;
		if (reply)
			snprintf(reply, size, "%s", line);
		return strstr(line, "\"return\"") ? 0 : -EIO;
	}
}

static int qmp_connect(void)
{
	const char *path = getenv("DAQCAP_QMP");
	struct termios t;

	if (qmp_fd >= 0)
		return 0;
	if (!path || !*path)
		return -ENOENT;
	qmp_fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (qmp_fd < 0)
		return -errno;
	if (!tcgetattr(qmp_fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(qmp_fd, TCSANOW, &t);
	}
	if (write(qmp_fd, "\xff\n", 2) != 2)
		return -EIO;
	qmp_exec("{\"execute\": \"qmp_capabilities\"", NULL, 0);
	return 0;
}

/* A numeric property of card CARD's model; -1 if unavailable. */
static long long qom_get(int card, const char *prop)
{
	char cmd[512], reply[4096], *p;

	if (qmp_connect())
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/daqcap%d\", \"property\": \"%s\"}",
		 card, prop);
	if (qmp_exec(cmd, reply, sizeof(reply)))
		return -1;
	p = strstr(reply, "\"return\"");
	if (!p || !(p = strchr(p, ':')))
		return -1;
	return strtoll(p + 1, NULL, 10);
}

/* ---- sysfs --------------------------------------------------------------- */

static bool path_exists(const char *fmt, ...)
{
	char path[512];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return !stat(path, &st);
}

/* Entries in a directory matching prefix (0 if it does not exist). */
static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

static int write_str(int fd, const char *s)
{
	ssize_t r = write(fd, s, strlen(s));

	return r == (ssize_t)strlen(s) ? 0 : -errno;
}

/* The PCI command register of the card, from its config space. */
static int pci_command(const char *pci)
{
	char path[256];
	uint16_t cmd;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", pci);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &cmd, 2, 4) != 2)
		cmd = 0xffff;
	close(fd);
	return cmd;
}

/* Lines of /proc/interrupts naming daqcap. */
static int daqcap_irq_lines(void)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char line[1024];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "daqcap"))
			n++;
	fclose(f);
	return n;
}

/* video4linux nodes that name the card in their device link. */
static int card_video_nodes(const char *pci)
{
	char path[512];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/video4linux", pci);
	return count_entries(path, "video");
}

static int card_media_nodes(const char *pci)
{
	char path[512];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", pci);
	return count_entries(path, "media");
}

/*
 * What a card the driver let go of must look like: no driver, no node,
 * no debugfs, no interrupt handler, no bus mastering. Returns a
 * description of what is wrong, or NULL.
 */
static const char *card_released(const char *pci, char *why, size_t size)
{
	int cmd = pci_command(pci), n;

	why[0] = 0;
	if (path_exists("/sys/bus/pci/devices/%s/driver", pci))
		snprintf(why, size, "a driver is still bound");
	else if ((n = card_video_nodes(pci)))
		snprintf(why, size, "%d video nodes remain", n);
	else if ((n = card_media_nodes(pci)))
		snprintf(why, size, "%d media devices remain", n);
	else if (path_exists("/sys/kernel/debug/daqcap/%s", pci))
		snprintf(why, size, "debugfs directory remains");
	else if ((n = daqcap_irq_lines()))
		snprintf(why, size, "%d daqcap interrupt handlers remain", n);
	else if (cmd < 0 || cmd & 0x4)
		snprintf(why, size, "bus mastering still enabled (COMMAND 0x%04x)",
			 cmd);
	return why[0] ? why : NULL;
}

/* ---- probe walk ---------------------------------------------------------- */

/* Steps as "2,4,6-9": appended to a string. */
static void steps_add(char *list, size_t size, unsigned int *last,
		      unsigned int *run, unsigned int n)
{
	size_t l = strlen(list);

	if (*last && n == *last + 1) {
		(*run)++;
		*last = n;
		return;
	}
	if (*run)
		l += (size_t)snprintf(list + l, size - l, "-%u", *last);
	if (l + 12 < size)
		snprintf(list + l, size - l, "%s%u", l ? "," : "", n);
	*last = n;
	*run = 0;
}

static void steps_end(char *list, size_t size, unsigned int last,
		      unsigned int run)
{
	size_t l = strlen(list);

	if (run && l + 12 < size)
		snprintf(list + l, size - l, "-%u", last);
}

/*
 * One bind with fail-nth N, in a child process of its own (so that a
 * signal the kernel might send the writer, or a failure in its own
 * memory, cannot end the walk). Returns the write's result (0 or an
 * errno) and what was left of fail-nth; *sig the signal that killed the
 * child, if one did.
 */
static int bind_step(int bindfd, const char *pci, unsigned int n,
		     unsigned int *left, int *sig)
{
	int p[2], st, res[2] = { -1, 1 };
	pid_t pid;

	*sig = 0;
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		ssize_t w;

		close(p[0]);
		nth_fd = -1;
		nth_open();
		step_arm(n);
		w = write(bindfd, pci, strlen(pci));
		res[0] = w == (ssize_t)strlen(pci) ? 0 : errno;
		res[1] = (int)step_left(n);
		if (write(p[1], res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	{
		/* A bind that oopsed holds the device lock: do not wait forever. */
		struct pollfd pf = { .fd = p[0], .events = POLLIN };

		if (pid < 0 || poll(&pf, 1, 60000) != 1 ||
		    read(p[0], res, sizeof(res)) != sizeof(res))
			res[0] = -1;
	}
	close(p[0]);
	if (pid > 0) {
		int r = waitpid(pid, &st, WNOHANG);

		for (int i = 0; !r && i < 50; i++) {
			usleep(100000);
			r = waitpid(pid, &st, WNOHANG);
		}
		if (!r) {
			*sig = -1;	/* still in the kernel: hung */
			return -1;
		}
		if (r == pid && WIFSIGNALED(st))
			*sig = WTERMSIG(st);
	}
	*left = (unsigned int)res[1];
	return res[0];
}

static int cmd_probe_walk(const char *pci, unsigned int max)
{
	const char *drv = "/sys/bus/pci/drivers/daqcap";
	char path[256], why[160], survived[2048] = "", killed[512] = "";
	unsigned int n, failed = 0, unclean = 0, degraded = 0, bad_err = 0;
	unsigned int last = 0, run = 0, nkilled = 0;
	unsigned int errs[200] = { 0 };
	long long dma0, dma1, card;
	int bindfd, unbindfd, cmd;
	bool done = false;
	double t0 = now_s();

	card = strtol(strrchr(pci, ':') - 2, NULL, 16) - 1; /* 0000:XX:00.0 */
	snprintf(path, sizeof(path), "%s/bind", drv);
	bindfd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/unbind", drv);
	unbindfd = open(path, O_WRONLY | O_CLOEXEC);
	if (bindfd < 0 || unbindfd < 0) {
		result(false, "probe walk: open %s/{bind,unbind}: %s", drv,
		       strerror(errno));
		return 1;
	}
	if (path_exists("%s/%s", drv, pci) && write_str(unbindfd, pci)) {
		result(false, "probe walk: unbind %s: %s", pci, strerror(errno));
		return 1;
	}
	{
		bool idle = !card_released(pci, why, sizeof(why));

		result(idle, "probe walk: card %s idle after unbind%s%s", pci,
		       idle ? "" : ": ", why);
	}
	dma0 = qom_get((int)card, "dma-writes");

	for (n = 1; n <= max; n++) {
		unsigned int left;
		int e, sig;

		e = bind_step(bindfd, pci, n, &left, &sig);
		if (sig < 0) {
			result(false, "probe step %u: the bind hangs (the kernel log says why); walk abandoned",
			       n);
			return 1;
		}
		if (sig) {
			nkilled++;
			snprintf(killed + strlen(killed), sizeof(killed) - strlen(killed),
				 "%s%u (%s)", killed[0] ? ", " : "", n, strsignal(sig));
		}
		if (e == 0) {
			if (left) {
				done = true;
				break;
			}
			/* A failure the probe may ignore (debugfs) or avoid. */
			degraded++;
			steps_add(survived, sizeof(survived), &last, &run, n);
			cmd = card_video_nodes(pci);
			if (cmd <= 0) {
				result(false, "probe step %u: bound with no video node", n);
				unclean++;
			}
			if (write_str(unbindfd, pci)) {
				result(false, "probe step %u: unbind: %s", n,
				       strerror(errno));
				return 1;
			}
			continue;
		}
		if (e < 0) {
			/*
			 * The writer died in the bind (an oops kills it, and
			 * leaves the device lock held: touching the card
			 * again would hang). Abandon the walk.
			 */
			result(false, "probe step %u: the writer died in the bind%s%s (the kernel log says why); walk abandoned",
			       n, sig ? ": " : "", sig ? strsignal(sig) : "");
			return 1;
		}
		if (left) {
			result(false, "probe step %u: bind failed (%s) with no fault injected",
			       n, errname(e));
			return 1;
		}
		failed++;
		errs[e < 200 ? e : 0]++;
		/*
		 * What the probe may answer: its allocation failed, or no
		 * vector; EINVAL and EBUSY are what the PCI core's
		 * pcim_iomap_region() makes of a failed ioremap ("ioremap
		 * memtype_reserve failed -12") or resource allocation.
		 */
		if (e != ENOMEM && e != ENOSPC && e != EINVAL && e != EBUSY) {
			bad_err++;
			note("probe step %u: bind failed with %s", n, errname(e));
		}
		if (card_released(pci, why, sizeof(why))) {
			unclean++;
			result(false, "probe step %u: after a failed bind (%s): %s",
			       n, errname(e), why);
			/* Put it back as it was, if we can, and go on. */
			if (path_exists("%s/%s", drv, pci))
				write_str(unbindfd, pci);
		}
	}
	steps_end(survived, sizeof(survived), last, run);
	dma1 = qom_get((int)card, "dma-writes");
	note("probe walk: %u steps, %u failed binds, %u binds that survived the failure, %.1f s",
	     n, failed, degraded, now_s() - t0);
	if (degraded)
		note("probe walk: steps whose failure the bind survived (debugfs, fallbacks, the debugging code's own allocations): %s",
		     survived);
	for (int e = 0; e < 200; e++)
		if (errs[e])
			note("probe walk: %u binds failed with %s", errs[e], errname(e));
	if (done || !getenv("FI_PARTIAL"))
		result(done, "probe walk: complete (bind succeeded with no fault at step %u; probe made %u fault-injectable calls)",
		       n, n - 1);
	else
		note("probe walk: the first %u calls walked (partial walk)", max);
	if (!done && getenv("FI_PARTIAL") && !path_exists("%s/%s", drv, pci))
		write_str(bindfd, pci);
	result(!unclean, "probe walk: every failed bind left the card released (no driver, nodes, media device, debugfs, irq, bus mastering): %u unclean",
	       unclean);
	result(!bad_err, "probe walk: every failed bind answered ENOMEM, ENOSPC, EINVAL or EBUSY (%u other)",
	       bad_err);
	result(!nkilled, "probe walk: no writer killed by a signal%s%s",
	       nkilled ? ": steps " : "", killed);
	if (dma0 >= 0 && dma1 >= 0)
		result(dma0 == dma1, "probe walk: the card did no DMA while probes failed (dma-writes %lld -> %lld)",
		       dma0, dma1);
	else
		note("probe walk: no QMP ($DAQCAP_QMP), dma-writes not checked");
	result(done && path_exists("%s/%s", drv, pci) && card_video_nodes(pci) > 0,
	       "probe walk: the card is bound at the end, with %d video nodes",
	       card_video_nodes(pci));
	return failures ? 1 : 0;
}

/* ---- capture --------------------------------------------------------------- */

enum io { IO_MMAP, IO_USERPTR, IO_DMABUF };
static const char *const io_names[] = { "mmap", "userptr", "dmabuf" };
static const uint32_t io_mem[] = { V4L2_MEMORY_MMAP, V4L2_MEMORY_USERPTR,
				   V4L2_MEMORY_DMABUF };

struct node {
	const char *path;
	int fd;
	struct v4l2_pix_format pix;
	struct daqcap_pattern_frame f;
	size_t line_bytes;
	size_t bufsize;		/* sizeimage rounded up to pages */
	/* USERPTR / DMABUF memory, ours; MMAP mappings. */
	uint8_t *mem[NBUFS];
	int dmabuf[NBUFS];
	uint8_t *map[NBUFS];
	size_t maplen[NBUFS];
	unsigned int nbufs;
	enum io io;
};

static int node_open(struct node *nd, const char *path)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_control ctrl = { .id = V4L2_CID_TEST_PATTERN };
	unsigned int input = 0;
	char fcc[5];
	int format;

	memset(nd, 0, sizeof(*nd));
	nd->path = path;
	for (int i = 0; i < NBUFS; i++)
		nd->dmabuf[i] = -1;
	/* Non-blocking: no DQBUF may wait for ever (see dqbuf()). */
	nd->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (nd->fd < 0) {
		result(false, "%s: open: %s", path, strerror(errno));
		return -1;
	}
	if (xioctl(nd->fd, VIDIOC_G_INPUT, &input) ||
	    xioctl(nd->fd, VIDIOC_G_FMT, &fmt)) {
		result(false, "%s: G_INPUT/G_FMT: %s", path, strerror(errno));
		return -1;
	}
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt.fmt.pix.bytesperline = 0;
	if (xioctl(nd->fd, VIDIOC_S_FMT, &fmt)) {
		result(false, "%s: S_FMT: %s", path, strerror(errno));
		return -1;
	}
	/* Write the other value first: the control is always written. */
	ctrl.value = DAQCAP_PATTERN_BARS;
	xioctl(nd->fd, VIDIOC_S_CTRL, &ctrl);
	ctrl.value = DAQCAP_PATTERN_VERIFY;
	if (xioctl(nd->fd, VIDIOC_S_CTRL, &ctrl)) {
		result(false, "%s: cannot set the verification pattern: %s",
		       path, strerror(errno));
		return -1;
	}
	nd->pix = fmt.fmt.pix;
	memcpy(fcc, &nd->pix.pixelformat, 4);
	fcc[4] = 0;
	format = daqcap_format_lookup(fcc);
	if (format < 0) {
		result(false, "%s: format %s unknown to the pattern", path, fcc);
		return -1;
	}
	nd->f.input = input;
	nd->f.pattern = DAQCAP_PATTERN_VERIFY;
	nd->f.format = (uint32_t)format;
	nd->f.width = nd->pix.width;
	nd->f.height = nd->pix.height;
	nd->line_bytes = daqcap_pattern_line_bytes(nd->f.format, nd->f.width);
	nd->bufsize = (nd->pix.sizeimage + 4095) & ~(size_t)4095;
	return 0;
}

/* Our own memory for USERPTR and DMABUF buffers, touched (no later faults). */
static int node_own_memory(struct node *nd, enum io io)
{
	for (unsigned int i = 0; i < NBUFS; i++) {
		if (io == IO_USERPTR && !nd->mem[i]) {
			nd->mem[i] = aligned_alloc(4096, nd->bufsize);
			if (!nd->mem[i])
				return -1;
			memset(nd->mem[i], 0xa5, nd->bufsize);
		}
		if (io == IO_DMABUF && nd->dmabuf[i] < 0) {
			static int udev = -1;
			struct udmabuf_create c = { 0 };
			int memfd;

			if (udev < 0)
				udev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
			memfd = memfd_create("fi-ioctl", MFD_ALLOW_SEALING);
			if (udev < 0 || memfd < 0 ||
			    ftruncate(memfd, (off_t)nd->bufsize) ||
			    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
				result(false, "%s: udmabuf memory: %s", nd->path,
				       strerror(errno));
				return -1;
			}
			nd->mem[i] = mmap(NULL, nd->bufsize,
					  PROT_READ | PROT_WRITE, MAP_SHARED,
					  memfd, 0);
			if (nd->mem[i] == MAP_FAILED) {
				nd->mem[i] = NULL;
				return -1;
			}
			memset(nd->mem[i], 0xa5, nd->bufsize);
			c.memfd = (uint32_t)memfd;
			c.size = nd->bufsize;
			nd->dmabuf[i] = xioctl(udev, UDMABUF_CREATE, &c);
			close(memfd);
			if (nd->dmabuf[i] < 0) {
				result(false, "%s: UDMABUF_CREATE: %s", nd->path,
				       strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

static void fill_buf(struct node *nd, struct v4l2_buffer *b, unsigned int i,
		     enum io io)
{
	memset(b, 0, sizeof(*b));
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = io_mem[io];
	b->index = i;
	if (io == IO_USERPTR) {
		b->m.userptr = (unsigned long)nd->mem[i];
		b->length = (uint32_t)nd->bufsize;
	} else if (io == IO_DMABUF) {
		b->m.fd = nd->dmabuf[i];
		b->length = (uint32_t)nd->bufsize;
	}
}

static int reqbufs(struct node *nd, unsigned int count, enum io io)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = io_mem[io],
	};
	int r = xioctl(nd->fd, VIDIOC_REQBUFS, &rb);

	return r ? -errno : (int)rb.count;
}

static int querybuf(struct node *nd, unsigned int i, enum io io,
		    struct v4l2_buffer *b)
{
	fill_buf(nd, b, i, io);
	return xioctl(nd->fd, VIDIOC_QUERYBUF, b) ? -errno : 0;
}

static void unmap_all(struct node *nd)
{
	for (unsigned int i = 0; i < NBUFS; i++)
		if (nd->map[i]) {
			munmap(nd->map[i], nd->maplen[i]);
			nd->map[i] = NULL;
		}
}

static int map_all(struct node *nd, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct v4l2_buffer b;

		if (querybuf(nd, i, IO_MMAP, &b))
			return -1;
		nd->map[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, nd->fd,
				  b.m.offset);
		if (nd->map[i] == MAP_FAILED) {
			nd->map[i] = NULL;
			return -1;
		}
		nd->maplen[i] = b.length;
	}
	return 0;
}

static const uint8_t *buf_data(struct node *nd, enum io io, unsigned int i)
{
	return io == IO_MMAP ? nd->map[i] : nd->mem[i];
}

/* Check a dequeued frame; returns a description of what is wrong or NULL. */
static const char *check_frame(struct node *nd, enum io io,
			       const struct v4l2_buffer *b, char *why, size_t size)
{
	const uint8_t *data = buf_data(nd, io, b->index);

	if (b->flags & V4L2_BUF_FLAG_ERROR) {
		snprintf(why, size, "frame %u flagged ERROR", b->sequence);
		return why;
	}
	if (b->bytesused < nd->pix.sizeimage) {
		snprintf(why, size, "frame %u: bytesused %u < %u", b->sequence,
			 b->bytesused, nd->pix.sizeimage);
		return why;
	}
	nd->f.sequence = b->sequence;
	for (uint32_t y = 0; y < daqcap_pattern_rows(nd->f.format, nd->f.height); y++) {
		long off = daqcap_pattern_check_line(&nd->f, y,
				data + (size_t)y * nd->pix.bytesperline);

		if (off >= 0) {
			snprintf(why, size, "frame %u: line %u byte %ld differs",
				 b->sequence, y, off);
			return why;
		}
	}
	return NULL;
}

/*
 * Waits at most ms for a filled buffer and dequeues it. Returns 0,
 * -ETIMEDOUT, -ENOBUFS when poll() reports an error with nothing to
 * dequeue, or DQBUF's error. poll()'s POLLERR can mean that no buffer was
 * ever queued since STREAMON (V4L2's waiting-for-buffers rule): a blocking
 * DQBUF would then wait for ever, so none is made. When every QBUF of a
 * round failed under injected faults, that is what happens.
 */
static int dqbuf(struct node *nd, enum io io, struct v4l2_buffer *b, int ms)
{
	struct pollfd p = { .fd = nd->fd, .events = POLLIN };
	int r = poll(&p, 1, ms);

	if (r <= 0)
		return r ? -errno : -ETIMEDOUT;
	if (!(p.revents & POLLIN))
		return -ENOBUFS;
	fill_buf(nd, b, 0, io);
	return xioctl(nd->fd, VIDIOC_DQBUF, b) ? -errno : 0;
}

/*
 * With nbufs buffers queued (and, when on, streaming started), capture n
 * frames, check each, requeue. Returns frames verified, or -1 with a
 * result printed.
 */
static int stream_frames(struct node *nd, enum io io, unsigned int n,
			 bool start, const char *what)
{
	char why[160];
	unsigned int good = 0;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (start && xioctl(nd->fd, VIDIOC_STREAMON, &type)) {
		result(false, "%s: STREAMON: %s", what, errname(errno));
		return -1;
	}
	while (good < n) {
		struct v4l2_buffer b;
		int r = dqbuf(nd, io, &b, 10000);

		if (r == -ENOBUFS) {
			result(false, "%s: poll: POLLERR (queue error, or nothing queued) after %u frames",
			       what, good);
			return -1;
		}
		if (r) {
			result(false, "%s: DQBUF: %s after %u frames", what,
			       errname(-r), good);
			return -1;
		}
		if (check_frame(nd, io, &b, why, sizeof(why))) {
			result(false, "%s: %s", what, why);
			return -1;
		}
		good++;
		fill_buf(nd, &b, b.index, io);
		if (xioctl(nd->fd, VIDIOC_QBUF, &b)) {
			result(false, "%s: QBUF: %s", what, errname(errno));
			return -1;
		}
	}
	if (xioctl(nd->fd, VIDIOC_STREAMOFF, &type)) {
		result(false, "%s: STREAMOFF: %s", what, errname(errno));
		return -1;
	}
	return (int)good;
}

/* REQBUFS, QBUF all, stream, verify n frames, STREAMOFF, REQBUFS 0. */
static int capture(struct node *nd, enum io io, unsigned int n, const char *what)
{
	int got, r = -1;

	if (io != IO_MMAP && node_own_memory(nd, io))
		return -1;
	got = reqbufs(nd, NBUFS, io);
	if (got < 0) {
		result(false, "%s: REQBUFS %s: %s", what, io_names[io], errname(-got));
		return -1;
	}
	if (got > NBUFS)
		got = NBUFS;
	if (io == IO_MMAP && map_all(nd, (unsigned int)got)) {
		result(false, "%s: mmap: %s", what, strerror(errno));
		goto out;
	}
	for (int i = 0; i < got; i++) {
		struct v4l2_buffer b;

		fill_buf(nd, &b, (unsigned int)i, io);
		if (xioctl(nd->fd, VIDIOC_QBUF, &b)) {
			result(false, "%s: QBUF %d: %s", what, i, errname(errno));
			goto out;
		}
	}
	r = stream_frames(nd, io, n, true, what);
out:
	unmap_all(nd);
	if (reqbufs(nd, 0, io) < 0 && r >= 0) {
		result(false, "%s: REQBUFS 0: %s", what, strerror(errno));
		r = -1;
	}
	return r;
}

static int cmd_capture(const char *dev, unsigned int n, const char *ioname)
{
	struct node nd;
	enum io io;
	int r;

	for (io = IO_MMAP; io <= IO_DMABUF; io++)
		if (!strcmp(ioname, io_names[io]))
			break;
	if (io > IO_DMABUF || node_open(&nd, dev))
		return 2;
	r = capture(&nd, io, n, dev);
	if (r >= 0)
		result(true, "%s: %d frames captured with %s, every byte as the pattern says (%ux%u)",
		       dev, r, io_names[io], nd.pix.width, nd.pix.height);
	return failures ? 1 : 0;
}

/* ---- ioctl walks ----------------------------------------------------------- */

/* No buffer at index i: QUERYBUF says EINVAL. */
static bool no_buffer(struct node *nd, unsigned int i, enum io io)
{
	struct v4l2_buffer b;

	return querybuf(nd, i, io, &b) == -EINVAL;
}

/*
 * What a failed allocation may answer: ENOMEM; for a DMABUF QBUF also
 * EINVAL, which vb2-dma-sg's map_dmabuf returns whatever the exporter's
 * error (videobuf2-dma-sg.c: "Error getting dmabuf scatterlist").
 */
static int also_ok = ENOMEM;

struct walk {
	unsigned int steps, failed, degraded, unclean, bad_err;
	unsigned int errs[200];
	bool done;
};

static void walk_report(const char *name, struct walk *w, double t0)
{
	note("%s: %u steps, %u failed, %u survived the failure, %.1f s", name,
	     w->steps, w->failed, w->degraded, now_s() - t0);
	for (int e = 0; e < 200; e++)
		if (w->errs[e])
			note("%s: %u failed with %s", name, w->errs[e], errname(e));
	if (w->done || !getenv("FI_PARTIAL"))
		result(w->done, "%s: walk complete: %u fault-injectable calls", name,
		       w->steps ? w->steps - 1 : 0);
	else
		note("%s: the first %u calls walked (partial walk)", name, w->steps);
	result(!w->bad_err, "%s: every failure answered ENOMEM%s (%u other)",
	       name, also_ok != ENOMEM ? " or EINVAL" : "", w->bad_err);
	result(!w->unclean, "%s: nothing left half-done after a failure (%u unclean)",
	       name, w->unclean);
}

static void walk_errno(struct walk *w, int e, unsigned int n, const char *name)
{
	w->failed++;
	w->errs[e > 0 && e < 200 ? e : 0]++;
	if (e != ENOMEM && e != also_ok) {
		w->bad_err++;
		note("%s step %u: failed with %s", name, n, errname(e));
	}
}

static void __attribute__((format(printf, 4, 5)))
unclean(struct walk *w, const char *name, unsigned int n, const char *fmt, ...)
{
	va_list ap;

	w->unclean++;
	printf("not ok - %s step %u: ", name, n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures++;
}

/* REQBUFS count=NBUFS or CREATE_BUFS count=3 on an empty queue. */
static int walk_alloc(struct node *nd, enum io io, bool create, unsigned int max,
		      const char *name)
{
	struct walk w = { 0 };
	double t0 = now_s();
	unsigned int n;

	if (reqbufs(nd, 0, io) < 0) {
		result(false, "%s: REQBUFS 0 before the walk: %s", name,
		       strerror(errno));
		return -1;
	}
	for (n = 1; n <= max; n++) {
		struct v4l2_requestbuffers rb = {
			.count = NBUFS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = io_mem[io],
		};
		struct v4l2_create_buffers cb = {
			.count = 3, .memory = io_mem[io],
			.format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		};
		unsigned int left, first = 0, count;
		int r, e;

		cb.format.fmt.pix = nd->pix;
		step_arm(n);
		if (create)
			r = ioctl(nd->fd, VIDIOC_CREATE_BUFS, &cb);
		else
			r = ioctl(nd->fd, VIDIOC_REQBUFS, &rb);
		e = errno;
		left = step_left(n);
		w.steps = n;
		if (r) {
			if (left) {
				result(false, "%s step %u: failed (%s) with no fault injected",
				       name, n, errname(e));
				return -1;
			}
			walk_errno(&w, e, n, name);
			/* Nothing created: no buffer 0; the queue frees fine. */
			if (!no_buffer(nd, 0, io))
				unclean(&w, name, n, "after a failed %s, buffer 0 exists",
					create ? "CREATE_BUFS" : "REQBUFS");
			if (reqbufs(nd, 0, io) < 0)
				unclean(&w, name, n, "REQBUFS 0 after the failure: %s",
					strerror(errno));
			continue;
		}
		count = create ? cb.count : rb.count;
		first = create ? cb.index : 0;
		if (!left)
			w.degraded++;
		/* Buffers first..first+count-1 exist, and no more. */
		if (count < (create ? 1u : 3u) ||
		    !no_buffer(nd, first + count, io))
			unclean(&w, name, n, "succeeded%s with %u buffers from %u, or more exist",
				left ? "" : " despite the failure", count, first);
		for (unsigned int i = first; i < first + count; i++) {
			struct v4l2_buffer b;

			if (querybuf(nd, i, io, &b))
				unclean(&w, name, n, "QUERYBUF %u of %u: %s", i,
					count, strerror(errno));
		}
		if (!left && count < (create ? 3u : NBUFS))
			note("%s step %u: succeeded despite the failure with %u buffers",
			     name, n, count);
		if (reqbufs(nd, 0, io) < 0)
			unclean(&w, name, n, "REQBUFS 0: %s", strerror(errno));
		if (left) {
			w.done = true;
			break;
		}
	}
	walk_report(name, &w, t0);
	return 0;
}

/* First QBUF of a USERPTR or DMABUF buffer: get_userptr/map_dmabuf, buf_init. */
static int walk_qbuf(struct node *nd, enum io io, unsigned int max,
		     const char *name)
{
	struct walk w = { 0 };
	double t0 = now_s();
	unsigned int n;

	if (node_own_memory(nd, io))
		return -1;
	for (n = 1; n <= max; n++) {
		struct v4l2_buffer b, q;
		unsigned int left;
		int r, e, got;

		got = reqbufs(nd, NBUFS, io);
		if (got < NBUFS) {
			result(false, "%s step %u: REQBUFS %d: %s", name, n, got,
			       got < 0 ? errname(-got) : "too few");
			return -1;
		}
		fill_buf(nd, &b, 0, io);
		step_arm(n);
		r = ioctl(nd->fd, VIDIOC_QBUF, &b);
		e = errno;
		left = step_left(n);
		w.steps = n;
		if (r) {
			if (left) {
				result(false, "%s step %u: QBUF failed (%s) with no fault injected",
				       name, n, errname(e));
				return -1;
			}
			walk_errno(&w, e, n, name);
			if (querybuf(nd, 0, io, &q) ||
			    q.flags & (V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE))
				unclean(&w, name, n, "after a failed QBUF, buffer 0: flags 0x%x",
					q.flags);
			/* The same buffer goes in once the memory is there. */
			fill_buf(nd, &b, 0, io);
			if (xioctl(nd->fd, VIDIOC_QBUF, &b))
				unclean(&w, name, n, "QBUF retry without fault: %s",
					errname(errno));
		} else {
			if (!left)
				w.degraded++;
			if (querybuf(nd, 0, io, &q) || !(q.flags & V4L2_BUF_FLAG_QUEUED))
				unclean(&w, name, n, "after QBUF, buffer 0 not queued: flags 0x%x",
					q.flags);
		}
		if (reqbufs(nd, 0, io) < 0)
			unclean(&w, name, n, "REQBUFS 0: %s", strerror(errno));
		if (!r && left) {
			w.done = true;
			break;
		}
	}
	walk_report(name, &w, t0);
	return 0;
}

/* STREAMON with every buffer queued: start_streaming. */
static int walk_streamon(struct node *nd, enum io io, unsigned int max,
			 const char *name)
{
	struct walk w = { 0 };
	double t0 = now_s();
	unsigned int n;
	int got, type = V4L2_BUF_TYPE_VIDEO_CAPTURE, good;

	if (io != IO_MMAP && node_own_memory(nd, io))
		return -1;
	got = reqbufs(nd, NBUFS, io);
	if (got < NBUFS) {
		result(false, "%s: REQBUFS: %d", name, got);
		return -1;
	}
	if (io == IO_MMAP && map_all(nd, NBUFS)) {
		result(false, "%s: mmap: %s", name, strerror(errno));
		return -1;
	}
	for (unsigned int i = 0; i < NBUFS; i++) {
		struct v4l2_buffer b;

		fill_buf(nd, &b, i, io);
		if (xioctl(nd->fd, VIDIOC_QBUF, &b)) {
			result(false, "%s: QBUF %u: %s", name, i, strerror(errno));
			return -1;
		}
	}
	for (n = 1; n <= max; n++) {
		unsigned int left;
		int r, e;

		step_arm(n);
		r = ioctl(nd->fd, VIDIOC_STREAMON, &type);
		e = errno;
		left = step_left(n);
		w.steps = n;
		if (!r) {
			if (left) {
				w.done = true;
				break;
			}
			/* Started despite the failure: it must stream right. */
			w.degraded++;
			good = stream_frames(nd, io, 2, false, name);
			if (good < 0)
				unclean(&w, name, n, "streaming after a survived failure");
			for (unsigned int i = 0; i < NBUFS; i++) {
				struct v4l2_buffer b;

				fill_buf(nd, &b, i, io);
				xioctl(nd->fd, VIDIOC_QBUF, &b);
			}
			continue;
		}
		if (left) {
			result(false, "%s step %u: STREAMON failed (%s) with no fault injected",
			       name, n, errname(e));
			return -1;
		}
		walk_errno(&w, e, n, name);
		/* vb2: the driver gives the buffers back QUEUED, still ours. */
		for (unsigned int i = 0; i < NBUFS; i++) {
			struct v4l2_buffer q;

			if (querybuf(nd, i, io, &q) ||
			    !(q.flags & V4L2_BUF_FLAG_QUEUED) ||
			    q.flags & (V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_ERROR))
				unclean(&w, name, n, "after a failed STREAMON, buffer %u: flags 0x%x (want QUEUED)",
					i, q.flags);
		}
		{
			struct v4l2_buffer b;

			fill_buf(nd, &b, 0, io);
			r = ioctl(nd->fd, VIDIOC_DQBUF, &b);
			/* Not streaming: nothing to dequeue, no waiting. */
			if (!r || errno != EINVAL)
				unclean(&w, name, n, "DQBUF after a failed STREAMON: %s",
					r ? errname(errno) : "a buffer");
		}
	}
	walk_report(name, &w, t0);
	/* After a partial walk, the retry without faults. */
	if (!w.done && getenv("FI_PARTIAL"))
		w.done = !xioctl(nd->fd, VIDIOC_STREAMON, &type);
	/* The retry (the last step) streams: frames must be exact. */
	if (w.done) {
		good = stream_frames(nd, io, FRAMES_AFTER, false, name);
		if (good >= 0)
			result(true, "%s: after the walk, %d frames captured byte-exact",
			       name, good);
	}
	xioctl(nd->fd, VIDIOC_STREAMOFF, &type);
	unmap_all(nd);
	if (reqbufs(nd, 0, io) < 0)
		result(false, "%s: REQBUFS 0 at the end: %s", name, strerror(errno));
	return 0;
}

static int cmd_walk(const char *dev, const char *wcase, unsigned int max)
{
	struct node nd;
	char name[96];
	enum io io;
	const char *dash = strchr(wcase, '-');
	int r = -1;

	if (!dash)
		return 2;
	for (io = IO_MMAP; io <= IO_DMABUF; io++)
		if (!strcmp(dash + 1, io_names[io]))
			break;
	if (io > IO_DMABUF)
		return 2;
	prog_case = wcase;
	if (node_open(&nd, dev))
		return 1;
	snprintf(name, sizeof(name), "%s %s", wcase, dev);
	nth_open();
	if (!strncmp(wcase, "reqbufs-", 8))
		r = walk_alloc(&nd, io, false, max, name);
	else if (!strncmp(wcase, "create-", 7))
		r = walk_alloc(&nd, io, true, max, name);
	else if (!strncmp(wcase, "qbuf-", 5) && io != IO_MMAP) {
		if (io == IO_DMABUF)
			also_ok = EINVAL;
		r = walk_qbuf(&nd, io, max, name);
	}
	else if (!strncmp(wcase, "streamon-", 9))
		r = walk_streamon(&nd, io, max, name);
	else
		return 2;
	if (r)
		return 1;
	/* Whatever the walk did, the queue captures exactly afterwards. */
	if (!strncmp(wcase, "streamon-", 9))
		return failures ? 1 : 0;
	r = capture(&nd, io, FRAMES_AFTER, name);
	if (r >= 0)
		result(true, "%s: after the walk, %d frames captured byte-exact with %s",
		       name, r, io_names[io]);
	return failures ? 1 : 0;
}

/* ---- debugfs --------------------------------------------------------------- */

/* Read a whole file; -errno of open or read. */
static ssize_t read_file(const char *path, char *buf, size_t size, bool nth,
			 unsigned int n, unsigned int *left)
{
	ssize_t r, len = 0;
	int fd;

	if (nth)
		step_arm(n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		len = -errno;
	} else {
		while ((r = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
			len += r;
		if (r < 0)
			len = -errno;
	}
	if (nth)
		*left = step_left(n);
	if (fd >= 0)
		close(fd);
	if (len >= 0)
		buf[len] = 0;
	return len;
}

/* The keys of a "key: value" file, one per line, as a signature. */
static void keys_of(const char *text, char *sig, size_t size)
{
	size_t o = 0;

	for (const char *p = text; *p && o + 2 < size; p++) {
		if (*p == ':' || *p == '=') {
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
		}
		sig[o++] = *p;
	}
	sig[o] = 0;
}

static int cmd_debugfs_walk(const char *path, unsigned int max)
{
	static char base[65536], buf[65536], s0[65536], s1[65536];
	struct walk w = { 0 };
	double t0 = now_s();
	unsigned int n, left = 0;
	ssize_t len;
	char name[300];

	snprintf(name, sizeof(name), "debugfs %s", path);
	len = read_file(path, base, sizeof(base), false, 0, NULL);
	if (len <= 0) {
		result(false, "%s: baseline read: %s", name,
		       len ? strerror((int)-len) : "empty");
		return 1;
	}
	keys_of(base, s0, sizeof(s0));
	nth_open();
	for (n = 1; n <= max; n++) {
		len = read_file(path, buf, sizeof(buf), true, n, &left);
		w.steps = n;
		if (len >= 0) {
			keys_of(buf, s1, sizeof(s1));
			if (strcmp(s0, s1))
				unclean(&w, name, n, "read %zd bytes, not the file's lines (%s)",
					len, left ? "no fault" : "despite the failure");
			if (left) {
				w.done = true;
				break;
			}
			w.degraded++;
			continue;
		}
		if (left) {
			result(false, "%s step %u: failed (%s) with no fault injected",
			       name, n, errname((int)-len));
			return 1;
		}
		walk_errno(&w, (int)-len, n, name);
		len = read_file(path, buf, sizeof(buf), false, 0, NULL);
		keys_of(len > 0 ? buf : "", s1, sizeof(s1));
		if (len <= 0 || strcmp(s0, s1))
			unclean(&w, name, n, "the read after the failure: %s",
				len < 0 ? errname((int)-len) : "other content");
	}
	walk_report(name, &w, t0);
	return failures ? 1 : 0;
}

/* ---- random failures around ioctls --------------------------------------- */

static int fi_ioctl(int fd, unsigned long req, void *arg)
{
	int r, e;

	mif_set(1);
	r = ioctl(fd, req, arg);
	e = errno;
	mif_set(0);
	errno = e;
	return r;
}

static int cmd_stress(const char *dev, double seconds, const char *ioname)
{
	struct node nd;
	enum io io;
	double end = now_s() + seconds;
	unsigned long rounds = 0, frames = 0, enomem = 0, other = 0, bad = 0;
	unsigned long unfed = 0;
	char why[160];
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	for (io = IO_MMAP; io <= IO_DMABUF; io++)
		if (!strcmp(ioname, io_names[io]))
			break;
	if (io > IO_DMABUF || node_open(&nd, dev))
		return 2;
	if (io != IO_MMAP && node_own_memory(&nd, io))
		return 1;
	while (now_s() < end) {
		struct v4l2_requestbuffers rb = {
			.count = NBUFS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = io_mem[io],
		};
		unsigned int i, got;

		rounds++;
		if (fi_ioctl(nd.fd, VIDIOC_REQBUFS, &rb)) {
			errno == ENOMEM ? enomem++ : other++;
			if (errno != ENOMEM)
				note("stress %s: REQBUFS: %s", dev, errname(errno));
			goto cleanup;
		}
		got = rb.count > NBUFS ? NBUFS : rb.count;
		if (io == IO_MMAP && map_all(&nd, got))
			goto cleanup;
		for (i = 0; i < got; i++) {
			struct v4l2_buffer b;

			fill_buf(&nd, &b, i, io);
			if (fi_ioctl(nd.fd, VIDIOC_QBUF, &b)) {
				errno == ENOMEM ? enomem++ : other++;
				if (errno != ENOMEM)
					note("stress %s: QBUF: %s", dev, errname(errno));
			}
		}
		if (fi_ioctl(nd.fd, VIDIOC_STREAMON, &type)) {
			errno == ENOMEM ? enomem++ : other++;
			if (errno != ENOMEM && errno != EINVAL)
				note("stress %s: STREAMON: %s", dev, errname(errno));
			goto cleanup;
		}
		for (i = 0; i < 6; i++) {
			struct v4l2_buffer b;
			int r = dqbuf(&nd, io, &b, 3000);

			if (r == -ENOBUFS) {
				unfed++;	/* POLLERR: every QBUF failed */
				break;
			}
			if (r == -ETIMEDOUT)
				break;	/* too few buffers went in */
			if (r) {
				note("stress %s: DQBUF: %s", dev, errname(-r));
				other++;
				break;
			}
			if (check_frame(&nd, io, &b, why, sizeof(why))) {
				bad++;
				note("stress %s: %s", dev, why);
			} else {
				frames++;
			}
			fill_buf(&nd, &b, b.index, io);
			if (fi_ioctl(nd.fd, VIDIOC_QBUF, &b))
				errno == ENOMEM ? enomem++ : other++;
		}
cleanup:
		if (xioctl(nd.fd, VIDIOC_STREAMOFF, &type) && errno != EINVAL)
			note("stress %s: STREAMOFF: %s", dev, errname(errno));
		unmap_all(&nd);
		if (reqbufs(&nd, 0, io) < 0) {
			result(false, "stress %s: REQBUFS 0: %s", dev, strerror(errno));
			break;
		}
	}
	note("stress %s %s: %lu rounds (%lu streaming with no buffer queued), %lu frames exact, %lu ENOMEM, %lu other errors",
	     dev, io_names[io], rounds, unfed, frames, enomem, other);
	result(!bad, "stress %s %s: every frame delivered under random failures is exact (%lu bad of %lu)",
	       dev, io_names[io], bad, bad + frames);
	return failures ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------ */

static unsigned int arg_max(int argc, char **argv, int i)
{
	return argc > i ? (unsigned int)strtoul(argv[i], NULL, 0) :
			  MAX_STEPS_DEFAULT;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("FI_FRAMES"))
		frames_after = (unsigned int)atoi(getenv("FI_FRAMES"));
	arm_file = getenv("FI_ARM_FILE");
	if (arm_file && !*arm_file)
		arm_file = NULL;
	if (argc >= 3 && !strcmp(argv[1], "probe-walk"))
		return cmd_probe_walk(argv[2], arg_max(argc, argv, 3));
	if (argc >= 4 && !strcmp(argv[1], "walk")) {
		int r = cmd_walk(argv[2], argv[3], arg_max(argc, argv, 4));

		if (r == 2)
			fprintf(stderr, "fi-ioctl: unknown walk %s\n", argv[3]);
		return r;
	}
	if (argc >= 3 && !strcmp(argv[1], "debugfs-walk"))
		return cmd_debugfs_walk(argv[2], arg_max(argc, argv, 3));
	if (argc == 5 && !strcmp(argv[1], "capture"))
		return cmd_capture(argv[2], (unsigned int)atoi(argv[3]), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "stress"))
		return cmd_stress(argv[2], atof(argv[3]), argv[4]);
	if (argc >= 3 && !strcmp(argv[1], "make-it-fail")) {
		mif_set(1);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	if (argc >= 3 && !strcmp(argv[1], "qom-get")) {
		long long v = qom_get(argc > 3 ? atoi(argv[3]) : 0, argv[2]);

		if (v < 0)
			return 1;
		printf("%lld\n", v);
		return 0;
	}
	fprintf(stderr,
		"usage: fi-ioctl probe-walk PCI [MAX] | walk DEV CASE [MAX] |\n"
		"       debugfs-walk FILE [MAX] | capture DEV N IO |\n"
		"       stress DEV SECONDS IO | make-it-fail PROGRAM [ARG...] |\n"
		"       qom-get PROP [CARD]\n");
	return 2;
}
