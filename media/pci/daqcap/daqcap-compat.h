/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daqcap: the differences between the kernels the driver builds against
 * (Debian's 6.1 and 6.12), kept here so the driver itself reads as code
 * for the newest one. An upstream submission drops this file.
 */
#ifndef DAQCAP_COMPAT_H
#define DAQCAP_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/pci.h>
#include <linux/version.h>
#include <media/videobuf2-core.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
/* 6.8 renamed min_buffers_needed and added the buffer count helpers. */
#define min_queued_buffers min_buffers_needed

static inline unsigned int vb2_get_num_buffers(struct vb2_queue *q)
{
	return q->num_buffers;
}

static inline void daqcap_vb2_set_max_buffers(struct vb2_queue *q,
					      unsigned int max)
{
	/* Before 6.8 every queue is limited to VB2_MAX_FRAME buffers. */
	BUILD_BUG_ON(VB2_MAX_FRAME > DAQCAP_MAX_BUFFERS);
}
#else
static inline void daqcap_vb2_set_max_buffers(struct vb2_queue *q,
					      unsigned int max)
{
	q->max_num_buffers = max;
}
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
/* 6.11 added pcim_iomap_region(); before it, request and map all at once. */
static inline void __iomem *pcim_iomap_region(struct pci_dev *pdev, int bar,
					      const char *name)
{
	int ret = pcim_iomap_regions(pdev, BIT(bar), name);

	if (ret)
		return IOMEM_ERR_PTR(ret);
	return pcim_iomap_table(pdev)[bar];
}
#endif

#ifndef PCI_IRQ_INTX
/* 6.8 renamed PCI_IRQ_LEGACY. */
#define PCI_IRQ_INTX PCI_IRQ_LEGACY
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
/* 6.13 added hrtimer_setup(), which sets the callback with the rest. */
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

#endif /* DAQCAP_COMPAT_H */
