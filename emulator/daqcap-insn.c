// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daqcap-insn: a QEMU TCG plugin that counts the guest instructions
 * executed between two marks the guest sets, per translation block, for
 * make bench's instruction counts (utils/daqcap-bench --insn).
 *
 * The guest marks the start and the end of a counting window with a no-op
 * only it means: "nopl 0x44514301(%rax,%rax,1)" opens a window (bytes
 * 0f 1f 84 00 01 43 51 44, "DQC" and 1 in the displacement) and
 * "nopl 0x44514302(%rax,%rax,1)" closes it. daqcap-cost --insn-marks
 * executes them around its baseline and its measurement; on a CPU (or a
 * QEMU without this plugin) they are plain no-ops.
 *
 * Opening a window zeroes every block's count; closing it appends to the
 * output file one record per block that ran in it:
 *
 *   window N
 *   VADDR INSNS EXECUTIONS      (hex address; instructions in the block;
 *   ...                          times the block ran)
 *   end N BLOCKS TOTAL_INSNS
 *
 * The host knows the guest's symbols (its /proc/kallsyms) and so which
 * module, which kernel function or user space each block belongs to. A
 * block counts whole each time it starts, even when an interrupt or a
 * fault leaves it early; the counts are exact when QEMU runs every vCPU
 * in one thread (-accel tcg,thread=single), as utils/daqcap-vm does by
 * default, since inline counters are not atomic.
 *
 * Usage: -plugin PATH/libdaqcap-insn.so,out=FILE
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* The marks: "nopl disp32(%rax,%rax,1)" with "DQC" and an operation. */
static const uint8_t mark_prefix[] = { 0x0f, 0x1f, 0x84, 0x00 };
#define MARK_LEN 8
#define MARK_MAGIC 0x44514300u
enum { MARK_OPEN = 1, MARK_CLOSE = 2 };

struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t executions;	/* incremented inline by the translated code */
};

/* blocks and the output, for the translation and mark callbacks */
static GMutex lock;
/* (vaddr, insns) -> struct block; a block retranslated keeps its record */
static GHashTable *blocks;
static FILE *out;
static unsigned int windows;
static bool window_open;

static guint block_hash(gconstpointer key)
{
	const struct block *b = key;

	return g_int64_hash(&b->vaddr) ^ (guint)b->insns;
}

static gboolean block_equal(gconstpointer a, gconstpointer b)
{
	const struct block *x = a, *y = b;

	return x->vaddr == y->vaddr && x->insns == y->insns;
}

static void zero_block(gpointer key, gpointer value, gpointer data)
{
	((struct block *)value)->executions = 0;
}

static void write_block(gpointer key, gpointer value, gpointer data)
{
	struct block *b = value;
	uint64_t *totals = data;

	if (!b->executions)
		return;
	fprintf(out, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->vaddr, b->insns,
		b->executions);
	totals[0]++;
	totals[1] += b->insns * b->executions;
}

static void mark(unsigned int vcpu, void *op)
{
	uint64_t totals[2] = { 0, 0 };

	g_mutex_lock(&lock);
	if (!out) {
		/* QEMU is exiting: the file is closed. */
	} else if (GPOINTER_TO_UINT(op) == MARK_OPEN) {
		g_hash_table_foreach(blocks, zero_block, NULL);
		window_open = true;
	} else if (window_open) {
		fprintf(out, "window %u\n", windows);
		g_hash_table_foreach(blocks, write_block, totals);
		fprintf(out, "end %u %" PRIu64 " %" PRIu64 "\n", windows, totals[0],
			totals[1]);
		fflush(out);
		windows++;
		window_open = false;
	}
	g_mutex_unlock(&lock);
}

static unsigned int mark_op(struct qemu_plugin_insn *insn)
{
	const uint8_t *data = qemu_plugin_insn_data(insn);
	uint32_t disp;

	if (qemu_plugin_insn_size(insn) != MARK_LEN ||
	    memcmp(data, mark_prefix, sizeof(mark_prefix)))
		return 0;
	memcpy(&disp, data + sizeof(mark_prefix), sizeof(disp));
	disp = GUINT32_FROM_LE(disp);
	if ((disp & ~0xffu) != MARK_MAGIC)
		return 0;
	disp &= 0xff;
	return disp == MARK_OPEN || disp == MARK_CLOSE ? disp : 0;
}

static void tb_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block key = {
		.vaddr = qemu_plugin_tb_vaddr(tb),
		.insns = qemu_plugin_tb_n_insns(tb),
	};
	struct block *b;

	g_mutex_lock(&lock);
	b = g_hash_table_lookup(blocks, &key);
	if (!b) {
		b = g_new0(struct block, 1);
		*b = key;
		g_hash_table_insert(blocks, b, b);
	}
	g_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->executions, 1);

	for (size_t i = 0; i < key.insns; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		unsigned int op = mark_op(insn);

		if (op)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark,
							       QEMU_PLUGIN_CB_NO_REGS,
							       GUINT_TO_POINTER(op));
	}
}

static void plugin_exit(qemu_plugin_id_t id, void *data)
{
	g_mutex_lock(&lock);
	if (out)
		fclose(out);
	out = NULL;
	g_mutex_unlock(&lock);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	const char *path = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else {
			fprintf(stderr, "daqcap-insn: unknown argument '%s' (out=FILE)\n",
				argv[i]);
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "daqcap-insn: no out=FILE\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	blocks = g_hash_table_new_full(block_hash, block_equal, NULL, g_free);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_translated);
	qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
	return 0;
}
