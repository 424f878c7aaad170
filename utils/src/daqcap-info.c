// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * daqcap-info: list the DAQCAP cards on this machine and what they are doing.
 *
 * Finds the video4linux nodes whose driver is daqcap (VIDIOC_QUERYCAP),
 * groups them by card (bus_info), and shows per card its runtime power
 * state (sysfs) and lifecycle counters (debugfs), its channels (input,
 * format, size, stride, timings, buffers, controls, the driver's counters
 * from debugfs) and its inputs (signal and detected timings). Reads only,
 * unless --probe-inputs is given. Plain text or --json.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "daqcap-regs.h"

#define PROG		"daqcap-info"

#define EXIT_NONE	1	/* no daqcap card found */
#define EXIT_USAGE	2	/* bad arguments, no such device */

#include "daqcap-tool.h"

#define MAX_NODES	256
#define MAX_CTRLS	32
#define MAX_COUNTERS	64
#define MAX_REGS	512
#define MAX_LIFECYCLE	32

static const char *debugfs_root = "/sys/kernel/debug/daqcap";
static const char *pci_root = "/sys/bus/pci/devices";

struct ctrl_info {
	uint32_t id, type, flags;
	char name[32];
	char key[40];
	int64_t value;
	bool have_value;
	char menu[32];		/* name of the current menu item */
	int64_t min, max, def;
};

/* Counters, and a few signed figures beside them (card_clock_drift_ppb). */
struct counter {
	char name[40];
	int64_t value;
};

/* A "name: value" line of a debugfs file whose value may be a word. */
struct field {
	char name[40];
	char value[40];
	bool numeric;
	uint64_t num;
};

/* One of the card's PCI power attributes in sysfs. */
struct power_attr {
	const char *name;	/* as shown */
	const char *file;	/* under /sys/bus/pci/devices/<pci>/ */
	char value[32];
	const char *error;	/* why there is no value */
};

struct chan_info {
	char node[64];
	int fd;
	unsigned int index;	/* DMA channel number, from the node's name */
	char bus[32];
	char card[33];
	uint32_t version;
	bool have_input;
	unsigned int input;
	int card_input;		/* the card's number for @input; -1: unknown */
	bool have_fmt;
	struct v4l2_pix_format pix;
	bool have_timings;
	struct v4l2_dv_timings timings;
	bool have_parm;
	struct v4l2_fract tpf;
	int buffers;		/* allocated, -1 unknown */
	struct ctrl_info ctrls[MAX_CTRLS];
	unsigned int nctrls;
	struct counter counters[MAX_COUNTERS];
	unsigned int ncounters;
	const char *counters_error;
	bool have_status;
	uint32_t ch_status, ch_ctrl;	/* registers, from debugfs */
};

struct input_info {
	unsigned int index;
	int card_input;		/* the card's number for it; -1: unknown */
	char name[32];
	uint32_t status;	/* V4L2_IN_ST_* */
	/* Detected timings: 0, or -errno from QUERY_DV_TIMINGS. */
	int result;
	struct v4l2_dv_timings timings;
	char source[24];	/* how they were found */
	unsigned int pattern;	/* from the registers */
	bool have_pattern;
};

struct reg {
	char section[24];	/* "global", "input 3", "channel 1" */
	char name[24];
	uint32_t value;
};

/*
 * The card's PCI power attributes: runtime PM's view (active, suspended...),
 * the PCI power state (D0, D3hot; not every kernel has the file),
 * and whether runtime PM may suspend the card at all (auto, or on).
 */
static const struct power_attr power_attrs[] = {
	{ .name = "runtime_status", .file = "power/runtime_status" },
	{ .name = "power_state", .file = "power_state" },
	{ .name = "control", .file = "power/control" },
};
#define NPOWER	(sizeof(power_attrs) / sizeof(power_attrs[0]))

struct card_info {
	char bus[32];
	char pci[32];
	struct chan_info *chans[DAQCAP_MAX_CHANNELS];
	unsigned int nchans;
	struct input_info inputs[DAQCAP_MAX_INPUTS];
	unsigned int ninputs;
	struct reg *regs;
	unsigned int nregs;
	const char *regs_error;
	struct power_attr power[NPOWER];
	struct field lifecycle[MAX_LIFECYCLE];
	unsigned int nlifecycle;
	const char *lifecycle_error;
};

static struct {
	const char *device;
	bool json;
	bool debugfs;
	bool probe_inputs;
	bool controls;
} opt = { .debugfs = true, .controls = true };

static void usage(FILE *fp)
{
	fputs(
"Usage: " PROG " [OPTION]...\n"
"List the DAQCAP cards of this machine: per card its power state and\n"
"lifecycle counters, its channels (video node, selected input, format, size,\n"
"stride, timings, controls, the driver's counters) and its inputs (signal,\n"
"detected timings).\n"
"\n"
"  -d, --device DEV      only the card that DEV (e.g. /dev/video2) belongs to\n"
"  -j, --json            print JSON instead of text\n"
"      --no-controls     leave out the controls\n"
"      --no-debugfs      do not read the driver's debugfs files (counters,\n"
"                        lifecycle, registers)\n"
"      --probe-inputs    to detect the timings of an input that no channel\n"
"                        selects and debugfs cannot show, switch an idle\n"
"                        channel to it for a moment (and back)\n"
"  -h, --help            show this help and exit\n"
"\n"
"Counters, lifecycle and register values come from\n"
"/sys/kernel/debug/daqcap/<pci>/; reading them needs root and a mounted\n"
"debugfs. The power state comes from /sys/bus/pci/devices/<pci>/, read\n"
"before anything else wakes the card.\n"
"\n"
"Exit status: 0 if a daqcap card was found, 1 if none was, 2 on bad usage or\n"
"if DEV does not exist or is not a daqcap node.\n", fp);
}

/* "Test Pattern" -> "test_pattern", as v4l2-ctl names controls. */
static void ctrl_key(const char *name, char *key, size_t size)
{
	size_t n = 0;
	bool sep = false;

	for (; *name && n + 1 < size; name++) {
		if (isalnum((unsigned char)*name)) {
			if (sep && n)
				key[n++] = '_';
			sep = false;
			if (n + 1 < size)
				key[n++] = (char)tolower((unsigned char)*name);
		} else {
			sep = true;
		}
	}
	key[n] = '\0';
}

/* ---- Timings ---------------------------------------------------------------- */

static double timings_fps(const struct v4l2_bt_timings *bt)
{
	double total = (double)V4L2_DV_BT_FRAME_WIDTH(bt) *
		       (double)V4L2_DV_BT_FRAME_HEIGHT(bt);

	return total > 0 ? (double)bt->pixelclock / total : 0;
}

/* "1920x1080p60.00" */
static const char *timings_name(const struct v4l2_dv_timings *t, char *buf,
				size_t size)
{
	const struct v4l2_bt_timings *bt = &t->bt;

	snprintf(buf, size, "%ux%u%c%.2f", bt->width, bt->height,
		 bt->interlaced ? 'i' : 'p', timings_fps(bt));
	return buf;
}

static const char *timings_error(int result)
{
	switch (result) {
	case 0:
		return "ok";
	case -ENOLINK:
		return "no signal";
	case -ENOLCK:
		return "not locked";
	case -ERANGE:
		return "out of range";
	default:
		return strerror(-result);
	}
}

/* ---- debugfs ---------------------------------------------------------------- */

static const char *errno_reason(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "permission denied (needs root)";
	case ENOENT:
		return "not found (is debugfs mounted?)";
	default:
		return strerror(err);
	}
}

static void read_counters(struct card_info *card, struct chan_info *ch)
{
	char path[256], line[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s/ch%u", debugfs_root, card->pci,
		 ch->index);
	fp = fopen(path, "r");
	if (!fp) {
		ch->counters_error = errno_reason(errno);
		return;
	}
	while (fgets(line, sizeof(line), fp) && ch->ncounters < MAX_COUNTERS) {
		struct counter *c = &ch->counters[ch->ncounters];
		char *colon = strchr(line, ':');
		char *end;

		if (!colon)
			continue;
		*colon = '\0';
		errno = 0;
		c->value = strtoll(colon + 1, &end, 10);
		if (errno || end == colon + 1)
			continue;
		snprintf(c->name, sizeof(c->name), "%.39s", line);
		ch->ncounters++;
	}
	fclose(fp);
}

/*
 * The card's power attributes from sysfs. Reading them does not wake the
 * card; a missing file (a kernel without it) is said so, not guessed.
 */
static void read_power(struct card_info *card)
{
	unsigned int i;

	for (i = 0; i < NPOWER; i++) {
		struct power_attr *a = &card->power[i];
		char path[256];
		FILE *fp;

		*a = power_attrs[i];
		snprintf(path, sizeof(path), "%s/%s/%s", pci_root, card->pci,
			 a->file);
		fp = fopen(path, "r");
		if (!fp) {
			a->error = errno == ENOENT ? "not found in sysfs" :
				   errno == EACCES || errno == EPERM ?
				   "permission denied" : strerror(errno);
			continue;
		}
		if (fgets(a->value, sizeof(a->value), fp)) {
			a->value[strcspn(a->value, "\n")] = '\0';
			if (!a->value[0])
				a->error = "empty";
		} else {
			a->value[0] = '\0';
			a->error = ferror(fp) ? strerror(errno) : "empty";
		}
		fclose(fp);
	}
}

/*
 * The card's lifecycle file: "name: value" lines, read as they come so
 * that a counter the driver adds shows without a change here. A value is
 * a number or a word ("state: up").
 */
static void read_lifecycle(struct card_info *card)
{
	char path[256], line[128];
	struct stat st;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s/lifecycle", debugfs_root,
		 card->pci);
	fp = fopen(path, "r");
	if (!fp) {
		int err = errno;

		/* The card's directory is there: the driver has no such file. */
		path[strlen(path) - strlen("/lifecycle")] = '\0';
		if (err == ENOENT && !stat(path, &st))
			card->lifecycle_error = "not found (a driver without it)";
		else
			card->lifecycle_error = errno_reason(err);
		return;
	}
	while (fgets(line, sizeof(line), fp) &&
	       card->nlifecycle < MAX_LIFECYCLE) {
		struct field *f = &card->lifecycle[card->nlifecycle];
		char *colon = strchr(line, ':');
		char *v, *end;

		if (!colon || colon == line)
			continue;
		*colon = '\0';
		for (v = colon + 1; isspace((unsigned char)*v); v++)
			;
		end = v + strlen(v);
		while (end > v && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*v)
			continue;
		snprintf(f->name, sizeof(f->name), "%.39s", line);
		snprintf(f->value, sizeof(f->value), "%.39s", v);
		errno = 0;
		f->num = strtoull(v, &end, 10);
		f->numeric = isdigit((unsigned char)*v) && !*end && !errno;
		card->nlifecycle++;
	}
	fclose(fp);
}

/* Parse the registers file: "global:", "input N:", "channel N:", "  X = 0x..". */
static void read_registers(struct card_info *card)
{
	char path[256], line[128], section[24] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s/registers", debugfs_root,
		 card->pci);
	fp = fopen(path, "r");
	if (!fp) {
		card->regs_error = errno_reason(errno);
		return;
	}
	card->regs = calloc(MAX_REGS, sizeof(*card->regs));
	if (!card->regs) {
		fclose(fp);
		card->regs_error = "out of memory";
		return;
	}
	while (fgets(line, sizeof(line), fp) && card->nregs < MAX_REGS) {
		char name[24];
		unsigned int v;
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (n && line[0] != ' ' && line[n - 1] == ':') {
			line[n - 1] = '\0';
			snprintf(section, sizeof(section), "%.23s", line);
		} else if (sscanf(line, " %23s = %x", name, &v) == 2) {
			struct reg *r = &card->regs[card->nregs++];

			snprintf(r->section, sizeof(r->section), "%s", section);
			snprintf(r->name, sizeof(r->name), "%s", name);
			r->value = v;
		}
	}
	fclose(fp);
}

static bool find_reg(const struct card_info *card, const char *section,
		     const char *name, uint32_t *value)
{
	unsigned int i;

	for (i = 0; i < card->nregs; i++)
		if (!strcmp(card->regs[i].section, section) &&
		    !strcmp(card->regs[i].name, name)) {
			*value = card->regs[i].value;
			return true;
		}
	return false;
}

/* How many inputs the card's registers show (debugfs). */
static unsigned int card_register_inputs(const struct card_info *card)
{
	unsigned int i, n = 0;

	for (i = 0; i < card->nregs; i++)
		if (!strncmp(card->regs[i].section, "input ", 6) &&
		    !strcmp(card->regs[i].name, "STATUS"))
			n++;
	return n;
}

/* What the driver's QUERY_DV_TIMINGS would say, from the input's registers. */
static bool timings_from_registers(const struct card_info *card,
				   unsigned int input, struct input_info *in)
{
	uint32_t status, active, total, hsync, vsync, clock;
	struct v4l2_bt_timings *bt = &in->timings.bt;
	char sec[24];

	snprintf(sec, sizeof(sec), "input %u", input);
	if (!find_reg(card, sec, "STATUS", &status) ||
	    !find_reg(card, sec, "ACTIVE_SIZE", &active) ||
	    !find_reg(card, sec, "TOTAL_SIZE", &total) ||
	    !find_reg(card, sec, "HSYNC", &hsync) ||
	    !find_reg(card, sec, "VSYNC", &vsync) ||
	    !find_reg(card, sec, "PIXEL_CLOCK", &clock))
		return false;
	snprintf(in->source, sizeof(in->source), "registers");
	if (!(status & DAQCAP_IN_STATUS_POWER)) {
		in->result = -ENOLINK;
		return true;
	}
	if (!(status & DAQCAP_IN_STATUS_LOCKED)) {
		in->result = -ENOLCK;
		return true;
	}
	memset(&in->timings, 0, sizeof(in->timings));
	in->timings.type = V4L2_DV_BT_656_1120;
	bt->width = (active & DAQCAP_SIZE_WIDTH_MASK) >> DAQCAP_SIZE_WIDTH_SHIFT;
	bt->height = (active & DAQCAP_SIZE_HEIGHT_MASK) >>
		     DAQCAP_SIZE_HEIGHT_SHIFT;
	bt->hfrontporch = (hsync & DAQCAP_SYNC_FRONT_PORCH_MASK) >>
			  DAQCAP_SYNC_FRONT_PORCH_SHIFT;
	bt->hsync = (hsync & DAQCAP_SYNC_WIDTH_MASK) >> DAQCAP_SYNC_WIDTH_SHIFT;
	bt->vfrontporch = (vsync & DAQCAP_SYNC_FRONT_PORCH_MASK) >>
			  DAQCAP_SYNC_FRONT_PORCH_SHIFT;
	bt->vsync = (vsync & DAQCAP_SYNC_WIDTH_MASK) >> DAQCAP_SYNC_WIDTH_SHIFT;
	{
		uint32_t htotal = (total & DAQCAP_SIZE_WIDTH_MASK) >>
				  DAQCAP_SIZE_WIDTH_SHIFT;
		uint32_t vtotal = (total & DAQCAP_SIZE_HEIGHT_MASK) >>
				  DAQCAP_SIZE_HEIGHT_SHIFT;

		if (htotal < bt->width + bt->hfrontporch + bt->hsync ||
		    vtotal < bt->height + bt->vfrontporch + bt->vsync) {
			in->result = -ERANGE;
			return true;
		}
		bt->hbackporch = htotal - bt->width - bt->hfrontporch -
				 bt->hsync;
		bt->vbackporch = vtotal - bt->height - bt->vfrontporch -
				 bt->vsync;
	}
	bt->pixelclock = clock;
	bt->polarities = (status & DAQCAP_IN_STATUS_HSYNC_POS ?
			  V4L2_DV_HSYNC_POS_POL : 0) |
			 (status & DAQCAP_IN_STATUS_VSYNC_POS ?
			  V4L2_DV_VSYNC_POS_POL : 0);
	in->result = 0;
	return true;
}

/* ---- Gathering ------------------------------------------------------------ */

static void read_controls(struct chan_info *ch)
{
	struct v4l2_query_ext_ctrl q;

	memset(&q, 0, sizeof(q));
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	while (ch->nctrls < MAX_CTRLS && !xioctl(ch->fd, VIDIOC_QUERY_EXT_CTRL, &q)) {
		struct ctrl_info *c = &ch->ctrls[ch->nctrls];
		struct v4l2_ext_control ec;
		struct v4l2_ext_controls ecs;

		if (q.type == V4L2_CTRL_TYPE_CTRL_CLASS ||
		    (q.flags & V4L2_CTRL_FLAG_DISABLED))
			goto next;
		memset(c, 0, sizeof(*c));
		c->id = q.id;
		c->type = q.type;
		c->flags = q.flags;
		c->min = q.minimum;
		c->max = q.maximum;
		c->def = q.default_value;
		snprintf(c->name, sizeof(c->name), "%s", q.name);
		ctrl_key(q.name, c->key, sizeof(c->key));
		if (q.flags & V4L2_CTRL_FLAG_HAS_PAYLOAD ||
		    q.flags & V4L2_CTRL_FLAG_WRITE_ONLY)
			goto keep;
		memset(&ec, 0, sizeof(ec));
		memset(&ecs, 0, sizeof(ecs));
		ec.id = q.id;
		ecs.which = V4L2_CTRL_WHICH_CUR_VAL;
		ecs.count = 1;
		ecs.controls = &ec;
		if (xioctl(ch->fd, VIDIOC_G_EXT_CTRLS, &ecs))
			goto keep;
		c->have_value = true;
		c->value = q.type == V4L2_CTRL_TYPE_INTEGER64 ? ec.value64 :
							       ec.value;
		if (q.type == V4L2_CTRL_TYPE_MENU ||
		    q.type == V4L2_CTRL_TYPE_INTEGER_MENU) {
			struct v4l2_querymenu m;

			memset(&m, 0, sizeof(m));
			m.id = q.id;
			m.index = (uint32_t)c->value;
			if (!xioctl(ch->fd, VIDIOC_QUERYMENU, &m)) {
				if (q.type == V4L2_CTRL_TYPE_MENU)
					snprintf(c->menu, sizeof(c->menu),
						 "%s", m.name);
				else
					snprintf(c->menu, sizeof(c->menu),
						 "%lld", (long long)m.value);
			}
		}
keep:
		ch->nctrls++;
next:
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	}
}

static void read_channel(struct chan_info *ch)
{
	struct v4l2_format fmt;
	struct v4l2_streamparm parm;
	struct v4l2_create_buffers cb;

	if (!xioctl(ch->fd, VIDIOC_G_INPUT, &ch->input)) {
		ch->have_input = true;
		ch->card_input = daqcap_card_input(ch->fd, ch->input);
	}
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (!xioctl(ch->fd, VIDIOC_G_FMT, &fmt)) {
		ch->have_fmt = true;
		ch->pix = fmt.fmt.pix;
	}
	if (!xioctl(ch->fd, VIDIOC_G_DV_TIMINGS, &ch->timings))
		ch->have_timings = true;
	memset(&parm, 0, sizeof(parm));
	parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (!xioctl(ch->fd, VIDIOC_G_PARM, &parm)) {
		ch->have_parm = true;
		ch->tpf = parm.parm.capture.timeperframe;
	}
	/* CREATE_BUFS with count 0 changes nothing and says how many exist. */
	memset(&cb, 0, sizeof(cb));
	cb.memory = V4L2_MEMORY_MMAP;
	cb.format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ch->buffers = xioctl(ch->fd, VIDIOC_CREATE_BUFS, &cb) ? -1 :
		      (int)cb.index;
	if (opt.controls)
		read_controls(ch);
}

static int node_number(const char *name)
{
	const char *p = name + 5;

	if (strncmp(name, "video", 5) || !*p)
		return -1;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	return atoi(name + 5);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The channel number: the node's name is daqcap-<pci>-ch<N>. */
static unsigned int channel_index(const char *node, const char *card)
{
	char path[128], name[64];
	const char *base = strrchr(node, '/');
	unsigned int idx = 0;
	const char *p;
	FILE *fp;

	base = base ? base + 1 : node;
	snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name", base);
	fp = fopen(path, "r");
	if (fp) {
		if (fgets(name, sizeof(name), fp)) {
			p = strstr(name, "-ch");
			if (p && sscanf(p + 3, "%u", &idx) == 1) {
				fclose(fp);
				return idx;
			}
		}
		fclose(fp);
	}
	/* The card name is "DAQCAP ch<N> <pci>". */
	p = strstr(card, " ch");
	if (p && sscanf(p + 3, "%u", &idx) == 1)
		return idx;
	return 0;
}

static struct card_info *cards;
static unsigned int ncards;

static struct card_info *card_for(const char *bus)
{
	unsigned int i;
	struct card_info *c;

	for (i = 0; i < ncards; i++)
		if (!strcmp(cards[i].bus, bus))
			return &cards[i];
	c = realloc(cards, (ncards + 1) * sizeof(*cards));
	if (!c) {
		fputs(PROG ": out of memory\n", stderr);
		exit(1);
	}
	cards = c;
	c = &cards[ncards++];
	memset(c, 0, sizeof(*c));
	snprintf(c->bus, sizeof(c->bus), "%s", bus);
	snprintf(c->pci, sizeof(c->pci), "%s",
		 strncmp(bus, "PCI:", 4) ? bus : bus + 4);
	return c;
}

static int cmp_chan(const void *a, const void *b)
{
	const struct chan_info *x = *(struct chan_info *const *)a;
	const struct chan_info *y = *(struct chan_info *const *)b;

	return (int)x->index - (int)y->index;
}

static int cmp_card(const void *a, const void *b)
{
	return strcmp(((const struct card_info *)a)->pci,
		      ((const struct card_info *)b)->pci);
}

/* Open and identify one node; NULL if it is not a daqcap channel. */
static struct chan_info *probe_node(const char *node, int *err)
{
	struct v4l2_capability cap;
	struct chan_info *ch;
	int fd;

	fd = open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) ||
	    strcmp((const char *)cap.driver, "daqcap")) {
		*err = 0;
		close(fd);
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		fputs(PROG ": out of memory\n", stderr);
		exit(1);
	}
	ch->fd = fd;
	snprintf(ch->node, sizeof(ch->node), "%s", node);
	snprintf(ch->bus, sizeof(ch->bus), "%.31s",
		 (const char *)cap.bus_info);
	snprintf(ch->card, sizeof(ch->card), "%.32s", (const char *)cap.card);
	ch->version = cap.version;
	ch->index = channel_index(node, ch->card);
	return ch;
}

/* Switch idle channel @ch to @input, query, and put everything back. */
static bool probe_input(struct chan_info *ch, struct input_info *in)
{
	struct v4l2_format fmt;
	struct v4l2_dv_timings saved;
	unsigned int input = in->index, back;

	if (ch->buffers != 0 || !ch->have_input || !ch->have_fmt ||
	    !ch->have_timings)
		return false;
	saved = ch->timings;
	if (xioctl(ch->fd, VIDIOC_S_INPUT, &input))
		return false;
	memset(&in->timings, 0, sizeof(in->timings));
	in->result = xioctl(ch->fd, VIDIOC_QUERY_DV_TIMINGS, &in->timings) ?
		     -errno : 0;
	snprintf(in->source, sizeof(in->source), "probed on ch%u", ch->index);
	in->card_input = daqcap_card_input(ch->fd, input);
	back = ch->input;
	xioctl(ch->fd, VIDIOC_S_INPUT, &back);
	xioctl(ch->fd, VIDIOC_S_DV_TIMINGS, &saved);
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fmt.fmt.pix = ch->pix;
	xioctl(ch->fd, VIDIOC_S_FMT, &fmt);
	return true;
}

static void read_card(struct card_info *card)
{
	struct chan_info *first = card->chans[0];
	unsigned int i, c;

	/*
	 * First, while nothing of ours has woken the card: what follows
	 * (ENUMINPUT, the registers, the channels' counters) does.
	 */
	read_power(card);
	if (opt.debugfs) {
		read_lifecycle(card);
		read_registers(card);
	} else {
		card->lifecycle_error = "not read (--no-debugfs)";
		card->regs_error = "not read (--no-debugfs)";
	}

	for (i = 0; i < DAQCAP_MAX_INPUTS; i++) {
		struct input_info *in = &card->inputs[i];
		struct v4l2_input vi;

		memset(&vi, 0, sizeof(vi));
		vi.index = i;
		if (xioctl(first->fd, VIDIOC_ENUMINPUT, &vi))
			break;
		in->index = i;
		snprintf(in->name, sizeof(in->name), "%.31s",
			 (const char *)vi.name);
		in->status = vi.status;
		in->result = -EAGAIN;	/* unknown yet */
		in->card_input = -1;
		card->ninputs++;
	}

	for (c = 0; c < card->nchans; c++) {
		struct chan_info *ch = card->chans[c];
		char sec[24];

		read_channel(ch);
		snprintf(sec, sizeof(sec), "channel %u", ch->index);
		if (find_reg(card, sec, "STATUS", &ch->ch_status) &&
		    find_reg(card, sec, "CTRL", &ch->ch_ctrl))
			ch->have_status = true;
		if (opt.debugfs)
			read_counters(card, ch);
		else
			ch->counters_error = "not read (--no-debugfs)";
	}

	/*
	 * The registers are the card's inputs, V4L2's only those the board
	 * wires: a channel on an input tells its card number; with as many
	 * of each, they are the same.
	 */
	for (i = 0; i < card->ninputs; i++) {
		struct input_info *in = &card->inputs[i];
		uint32_t pattern;
		char sec[24];

		for (c = 0; c < card->nchans; c++)
			if (card->chans[c]->have_input &&
			    card->chans[c]->input == i)
				in->card_input = card->chans[c]->card_input;
		if (in->card_input < 0 &&
		    card_register_inputs(card) == card->ninputs)
			in->card_input = (int)i;
		snprintf(sec, sizeof(sec), "input %d", in->card_input);
		if (in->card_input >= 0 &&
		    find_reg(card, sec, "PATTERN", &pattern)) {
			in->pattern = pattern;
			in->have_pattern = true;
		}
	}

	for (i = 0; i < card->ninputs; i++) {
		struct input_info *in = &card->inputs[i];

		/* A channel on this input answers without changing anything. */
		for (c = 0; c < card->nchans; c++) {
			struct chan_info *ch = card->chans[c];

			if (!ch->have_input || ch->input != i)
				continue;
			memset(&in->timings, 0, sizeof(in->timings));
			in->result = xioctl(ch->fd, VIDIOC_QUERY_DV_TIMINGS,
					    &in->timings) ? -errno : 0;
			snprintf(in->source, sizeof(in->source), "ch%u",
				 ch->index);
			break;
		}
		if (c < card->nchans)
			continue;
		if (in->card_input >= 0 &&
		    timings_from_registers(card, (unsigned int)in->card_input,
					   in))
			continue;
		if (opt.probe_inputs)
			for (c = 0; c < card->nchans; c++)
				if (probe_input(card->chans[c], in))
					break;
	}
}

/* ---- Printing: text ----------------------------------------------------- */

static const char *chan_state(const struct chan_info *ch)
{
	if (!ch->have_status)
		return NULL;
	if (ch->ch_status & DAQCAP_CH_STATUS_HALTED)
		return "halted";
	if (ch->ch_status & DAQCAP_CH_STATUS_RUNNING)
		return ch->ch_status & DAQCAP_CH_STATUS_STARVED ?
		       "running (starved)" : "running";
	return "stopped";
}

static const char *input_signal(const struct input_info *in)
{
	if (in->status & V4L2_IN_ST_NO_POWER)
		return "no power";
	if (in->status & V4L2_IN_ST_NO_SYNC)
		return "no sync";
	if (in->status & V4L2_IN_ST_NO_SIGNAL)
		return "no signal";
	return "ok";
}

static const char *pattern_name(unsigned int p)
{
	return p == DAQCAP_PATTERN_BARS ? "bars" :
	       p == DAQCAP_PATTERN_VERIFY ? "verify" : "?";
}

static void print_text(void)
{
	unsigned int i, c, k;
	char buf[64], fcc[8];

	for (i = 0; i < ncards; i++) {
		struct card_info *card = &cards[i];

		printf("%sCard %s: %u channels, %u inputs (driver daqcap %u.%u.%u)\n",
		       i ? "\n" : "", card->pci, card->nchans, card->ninputs,
		       card->chans[0]->version >> 16,
		       card->chans[0]->version >> 8 & 0xff,
		       card->chans[0]->version & 0xff);

		printf("  Power:");
		for (k = 0; k < NPOWER; k++) {
			const struct power_attr *a = &card->power[k];

			printf("%s %s ", k ? "," : "", power_attrs[k].name);
			if (a->error)
				printf("unknown (%s)", a->error);
			else
				printf("%s", a->value);
		}
		printf("\n  Lifecycle:");
		for (k = 0; k < card->nlifecycle; k++)
			printf("%s%s %s", k % 6 ? ", " :
			       k ? "\n             " : " ",
			       card->lifecycle[k].name,
			       card->lifecycle[k].value);
		if (!card->nlifecycle)
			printf(" %s", card->lifecycle_error ?
			       card->lifecycle_error : "empty");
		printf("\n");

		printf("  Inputs:\n");
		for (k = 0; k < card->ninputs; k++) {
			struct input_info *in = &card->inputs[k];

			printf("    %u: %-10s signal %-9s", in->index, in->name,
			       input_signal(in));
			if (in->card_input >= 0 &&
			    in->card_input != (int)in->index)
				printf(" (card input %d)", in->card_input);
			if (in->result == -EAGAIN)
				printf(" timings unknown (no channel selects it; --probe-inputs)");
			else if (in->result)
				printf(" timings: %s", timings_error(in->result));
			else
				printf(" timings %s (%ux%u total, %.3f MHz)",
				       timings_name(&in->timings, buf,
						    sizeof(buf)),
				       V4L2_DV_BT_FRAME_WIDTH(&in->timings.bt),
				       V4L2_DV_BT_FRAME_HEIGHT(&in->timings.bt),
				       (double)in->timings.bt.pixelclock / 1e6);
			if (in->have_pattern)
				printf(", pattern %s", pattern_name(in->pattern));
			printf("\n");
		}

		printf("  Channels:\n");
		for (c = 0; c < card->nchans; c++) {
			struct chan_info *ch = card->chans[c];
			const char *state = chan_state(ch);

			printf("    ch%u %s:", ch->index, ch->node);
			if (ch->have_input)
				printf(" input %u,", ch->input);
			if (ch->have_fmt)
				printf(" %ux%u %s, stride %u, %u bytes/frame",
				       ch->pix.width, ch->pix.height,
				       fourcc_str(ch->pix.pixelformat, fcc),
				       ch->pix.bytesperline,
				       ch->pix.sizeimage);
			printf("\n");
			if (ch->have_timings)
				printf("      timings %s",
				       timings_name(&ch->timings, buf,
						    sizeof(buf)));
			if (ch->have_parm && ch->tpf.numerator)
				printf(", frame interval %u/%u s (%.2f fps)",
				       ch->tpf.numerator, ch->tpf.denominator,
				       (double)ch->tpf.denominator /
				       ch->tpf.numerator);
			if (ch->buffers >= 0)
				printf(", %d buffers allocated", ch->buffers);
			if (state)
				printf(", DMA %s", state);
			printf("\n");
			if (ch->nctrls) {
				printf("      controls:");
				for (k = 0; k < ch->nctrls; k++) {
					struct ctrl_info *ct = &ch->ctrls[k];

					printf("%s %s=", k ? "," : "", ct->key);
					if (!ct->have_value)
						printf("?");
					else if (ct->type == V4L2_CTRL_TYPE_BITMASK)
						printf("0x%" PRIx64,
						       (uint64_t)ct->value & 0xffffffffu);
					else
						printf("%" PRId64, ct->value);
					if (ct->menu[0])
						printf(" (%s)", ct->menu);
				}
				printf("\n");
			}
			if (ch->ncounters) {
				printf("      counters:");
				for (k = 0; k < ch->ncounters; k++)
					printf("%s%s %" PRId64,
					       k % 6 ? ", " :
					       k ? "\n               " : " ",
					       ch->counters[k].name,
					       ch->counters[k].value);
				printf("\n");
			} else if (ch->counters_error) {
				printf("      counters: %s\n",
				       ch->counters_error);
			}
		}
	}
}

/* ---- Printing: JSON ------------------------------------------------------ */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_timings(const struct v4l2_dv_timings *t)
{
	const struct v4l2_bt_timings *bt = &t->bt;
	char buf[64];

	printf("{\"name\": ");
	json_str(timings_name(t, buf, sizeof(buf)));
	printf(", \"width\": %u, \"height\": %u, \"interlaced\": %s, "
	       "\"total_width\": %u, \"total_height\": %u, "
	       "\"pixelclock\": %" PRIu64 ", \"fps\": %.3f}",
	       bt->width, bt->height, bt->interlaced ? "true" : "false",
	       V4L2_DV_BT_FRAME_WIDTH(bt), V4L2_DV_BT_FRAME_HEIGHT(bt),
	       (uint64_t)bt->pixelclock, timings_fps(bt));
}

static void print_json(void)
{
	unsigned int i, c, k;
	char fcc[8];

	printf("{\"cards\": [");
	for (i = 0; i < ncards; i++) {
		struct card_info *card = &cards[i];

		printf("%s\n  {\"pci\": ", i ? "," : "");
		json_str(card->pci);
		printf(", \"bus_info\": ");
		json_str(card->bus);
		printf(", \"driver_version\": \"%u.%u.%u\"",
		       card->chans[0]->version >> 16,
		       card->chans[0]->version >> 8 & 0xff,
		       card->chans[0]->version & 0xff);
		printf(",\n   \"power\": {");
		for (k = 0; k < NPOWER; k++) {
			const struct power_attr *a = &card->power[k];

			printf("%s", k ? ", " : "");
			json_str(power_attrs[k].name);
			printf(": ");
			if (a->error) {
				printf("null, \"%s_error\": ", power_attrs[k].name);
				json_str(a->error);
			} else {
				json_str(a->value);
			}
		}
		printf("},\n   \"lifecycle\": ");
		if (card->nlifecycle) {
			printf("{");
			for (k = 0; k < card->nlifecycle; k++) {
				const struct field *f = &card->lifecycle[k];

				printf("%s", k ? ", " : "");
				json_str(f->name);
				if (f->numeric) {
					printf(": %" PRIu64, f->num);
				} else {
					printf(": ");
					json_str(f->value);
				}
			}
			printf("}");
		} else {
			printf("null");
		}
		if (card->lifecycle_error) {
			printf(", \"lifecycle_error\": ");
			json_str(card->lifecycle_error);
		}
		printf(",\n   \"inputs\": [");
		for (k = 0; k < card->ninputs; k++) {
			struct input_info *in = &card->inputs[k];

			printf("%s\n    {\"index\": %u, \"name\": ", k ? "," : "",
			       in->index);
			json_str(in->name);
			if (in->card_input >= 0)
				printf(", \"card_input\": %d", in->card_input);
			else
				printf(", \"card_input\": null");
			printf(", \"signal\": ");
			json_str(input_signal(in));
			printf(", \"status\": %u", in->status);
			if (in->have_pattern) {
				printf(", \"pattern\": ");
				json_str(pattern_name(in->pattern));
			}
			printf(", \"timings\": ");
			if (in->result == -EAGAIN) {
				printf("null");
			} else if (in->result) {
				printf("{\"error\": ");
				json_str(timings_error(in->result));
				printf("}");
			} else {
				json_timings(&in->timings);
			}
			if (in->source[0]) {
				printf(", \"timings_from\": ");
				json_str(in->source);
			}
			printf("}");
		}
		printf("],\n   \"channels\": [");
		for (c = 0; c < card->nchans; c++) {
			struct chan_info *ch = card->chans[c];
			const char *state = chan_state(ch);

			printf("%s\n    {\"index\": %u, \"node\": ", c ? "," : "",
			       ch->index);
			json_str(ch->node);
			printf(", \"card\": ");
			json_str(ch->card);
			if (ch->have_input)
				printf(", \"input\": %u", ch->input);
			if (ch->have_fmt) {
				printf(", \"format\": ");
				json_str(fourcc_str(ch->pix.pixelformat, fcc));
				printf(", \"width\": %u, \"height\": %u, "
				       "\"bytesperline\": %u, \"sizeimage\": %u",
				       ch->pix.width, ch->pix.height,
				       ch->pix.bytesperline, ch->pix.sizeimage);
			}
			if (ch->have_timings) {
				printf(", \"timings\": ");
				json_timings(&ch->timings);
			}
			if (ch->have_parm && ch->tpf.numerator)
				printf(", \"frame_interval\": [%u, %u]",
				       ch->tpf.numerator, ch->tpf.denominator);
			if (ch->buffers >= 0)
				printf(", \"buffers\": %d", ch->buffers);
			if (state) {
				printf(", \"dma\": ");
				json_str(state);
			}
			printf(",\n     \"controls\": {");
			for (k = 0; k < ch->nctrls; k++) {
				struct ctrl_info *ct = &ch->ctrls[k];

				printf("%s", k ? ", " : "");
				json_str(ct->key);
				printf(": {\"id\": %u, \"name\": ", ct->id);
				json_str(ct->name);
				if (ct->have_value)
					printf(", \"value\": %" PRId64, ct->value);
				if (ct->menu[0]) {
					printf(", \"menu\": ");
					json_str(ct->menu);
				}
				printf(", \"min\": %" PRId64 ", \"max\": %" PRId64
				       ", \"default\": %" PRId64 "}",
				       ct->min, ct->max, ct->def);
			}
			printf("},\n     \"counters\": ");
			if (ch->ncounters) {
				printf("{");
				for (k = 0; k < ch->ncounters; k++) {
					printf("%s", k ? ", " : "");
					json_str(ch->counters[k].name);
					printf(": %" PRId64,
					       ch->counters[k].value);
				}
				printf("}");
			} else {
				printf("null");
			}
			if (ch->counters_error) {
				printf(", \"counters_error\": ");
				json_str(ch->counters_error);
			}
			printf("}");
		}
		printf("]}");
	}
	printf("\n]}\n");
}

int main(int argc, char **argv)
{
	enum { OPT_NO_DEBUGFS = 256, OPT_PROBE, OPT_NO_CONTROLS };
	static const struct option opts[] = {
		{ "device",       required_argument, NULL, 'd' },
		{ "json",         no_argument,       NULL, 'j' },
		{ "no-debugfs",   no_argument,       NULL, OPT_NO_DEBUGFS },
		{ "no-controls",  no_argument,       NULL, OPT_NO_CONTROLS },
		{ "probe-inputs", no_argument,       NULL, OPT_PROBE },
		{ "help",         no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int nums[MAX_NODES];
	unsigned int nnodes = 0, i, denied = 0;
	const char *only_bus = NULL;
	struct dirent *de;
	DIR *dir;
	int c;

	while ((c = getopt_long(argc, argv, "d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.device = optarg;
			break;
		case 'j':
			opt.json = true;
			break;
		case OPT_NO_DEBUGFS:
			opt.debugfs = false;
			break;
		case OPT_NO_CONTROLS:
			opt.controls = false;
			break;
		case OPT_PROBE:
			opt.probe_inputs = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs("Try '" PROG " --help' for more information.\n",
			      stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (opt.device && !*opt.device)
		usage_error("empty device name");

	if (opt.device) {
		struct chan_info *ch;
		int err = 0;

		ch = probe_node(opt.device, &err);
		if (!ch) {
			if (err == ENOENT || err == ENODEV || err == ENXIO)
				fprintf(stderr, PROG ": %s: no such device\n",
					opt.device);
			else if (err)
				fprintf(stderr, PROG ": %s: cannot open: %s\n",
					opt.device, strerror(err));
			else
				fprintf(stderr, PROG ": %s: not a daqcap device\n",
					opt.device);
			return EXIT_USAGE;
		}
		only_bus = strdup(ch->bus);
		close(ch->fd);
		free(ch);
	}

	dir = opendir("/dev");
	if (!dir) {
		perror(PROG ": /dev");
		return EXIT_NONE;
	}
	while ((de = readdir(dir)) && nnodes < MAX_NODES) {
		int n = node_number(de->d_name);

		if (n >= 0)
			nums[nnodes++] = n;
	}
	closedir(dir);
	qsort(nums, nnodes, sizeof(nums[0]), cmp_int);

	for (i = 0; i < nnodes; i++) {
		char node[32];
		struct chan_info *ch;
		struct card_info *card;
		int err = 0;

		snprintf(node, sizeof(node), "/dev/video%d", nums[i]);
		ch = probe_node(node, &err);
		if (!ch) {
			if (err == EACCES || err == EPERM)
				denied++;
			continue;
		}
		if (only_bus && strcmp(ch->bus, only_bus)) {
			close(ch->fd);
			free(ch);
			continue;
		}
		card = card_for(ch->bus);
		if (card->nchans == DAQCAP_MAX_CHANNELS) {
			close(ch->fd);
			free(ch);
			continue;
		}
		card->chans[card->nchans++] = ch;
	}
	if (!ncards) {
		fprintf(stderr, PROG ": no daqcap card found (no /dev/video* node with driver daqcap)%s\n",
			denied ? "; some nodes could not be opened: permission denied" :
			"");
		if (opt.json)
			printf("{\"cards\": []}\n");
		return EXIT_NONE;
	}
	qsort(cards, ncards, sizeof(*cards), cmp_card);
	for (i = 0; i < ncards; i++) {
		qsort(cards[i].chans, cards[i].nchans, sizeof(cards[i].chans[0]),
		      cmp_chan);
		read_card(&cards[i]);
	}
	if (opt.json)
		print_json();
	else
		print_text();
	return 0;
}
