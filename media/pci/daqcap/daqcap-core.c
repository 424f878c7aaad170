// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP multi-channel PCIe video and data-acquisition card: PCI driver.
 *
 * Probe identifies and resets the card before it lets it master the bus,
 * sets up its interrupts (MSI-X with a vector per channel, else MSI, else
 * INTx), registers a video node per DMA channel under one v4l2_device and
 * a media device whose graph links the card's inputs to its channels.
 * Remove undoes it step by step in the reverse order; unregistering the
 * media device takes the inputs' entities and the links with it. What
 * happens to the card in between (system sleep, reset, PCIe errors,
 * shutdown) is in daqcap-pm.c.
 *
 * Lifetime: struct daqcap_dev lives until the last file handle on any of
 * the card's nodes is closed. Remove unregisters the nodes (stopping any
 * streaming) and drops the probe's reference; the v4l2_device release
 * frees the struct. After remove no path touches the card: unregistered
 * nodes answer -ENODEV and all DMA memory is freed at unregistration.
 */

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "daqcap.h"
#include "daqcap-compat.h"

static char *irq_mode = "auto";
module_param(irq_mode, charp, 0444);
MODULE_PARM_DESC(irq_mode,
		 "interrupt mode: auto (MSI-X, else MSI, else INTx, else poll), msix, msi, intx or poll");

/**
 * daqcap_irq_mask_update() - change the card's global interrupt mask
 * @dev: the card
 * @clear: bits to clear
 * @set: bits to set
 *
 * On a polled card, the mask says what the poll timer serves, and whether
 * it runs at all.
 */
void daqcap_irq_mask_update(struct daqcap_dev *dev, u32 clear, u32 set)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->reg_lock, flags);
	/* The handlers read it without the lock. */
	WRITE_ONCE(dev->irq_mask, (dev->irq_mask & ~clear) | set);
	/* A polled card raises nothing: it has no vector to raise. */
	daqcap_write(dev, DAQCAP_REG_IRQ_MASK, dev->polled ? 0 : dev->irq_mask);
	if (dev->polled)
		daqcap_poll_kick(dev);
	spin_unlock_irqrestore(&dev->reg_lock, flags);
}

/**
 * daqcap_read_timestamp() - the card's free-running nanosecond counter
 * @dev: the card
 *
 * Reading the low word latches the high word, so the pair is consistent;
 * @dev->reg_lock keeps two readers from interleaving.
 *
 * Return: the counter.
 */
u64 daqcap_read_timestamp(struct daqcap_dev *dev)
{
	unsigned long flags;
	u32 lo, hi;

	spin_lock_irqsave(&dev->reg_lock, flags);
	lo = daqcap_read(dev, DAQCAP_REG_TIMESTAMP_LO);
	hi = daqcap_read(dev, DAQCAP_REG_TIMESTAMP_HI);
	spin_unlock_irqrestore(&dev->reg_lock, flags);
	return (u64)hi << 32 | lo;
}

/*
 * Every step of the probe that can fail can be made to fail with the
 * kernel's fail_function (Documentation/fault-injection/), one at a time,
 * to check that the probe unwinds each cleanly (tests/faultinject). The
 * static steps are noinline so that the probe really calls them.
 */

/* Check the card is one this driver knows, and learn its variant. */
static noinline int daqcap_identify(struct daqcap_dev *dev)
{
	struct device *d = &dev->pdev->dev;
	u32 id = daqcap_read(dev, DAQCAP_REG_ID);
	u32 version = daqcap_read(dev, DAQCAP_REG_VERSION);
	u32 cap = daqcap_read(dev, DAQCAP_REG_CAP);
	u32 formats = daqcap_read(dev, DAQCAP_REG_CAP_FORMATS);

	if (id != DAQCAP_ID_VALUE)
		return dev_err_probe(d, -ENODEV, "unexpected ID 0x%08x\n", id);
	if ((version & DAQCAP_VERSION_MAJOR_MASK) !=
	    (DAQCAP_VERSION_VALUE & DAQCAP_VERSION_MAJOR_MASK))
		return dev_err_probe(d, -ENODEV,
				     "unsupported contract version 0x%08x\n",
				     version);
	dev->version = version;
	dev->cap = cap;
	if ((formats & DAQCAP_FORMATS_ALL) != DAQCAP_FORMATS_ALL)
		return dev_err_probe(d, -ENODEV,
				     "card lacks formats: 0x%08x\n", formats);
	dev->num_channels = FIELD_GET(DAQCAP_CAP_CHANNELS_MASK, cap);
	dev->num_inputs = FIELD_GET(DAQCAP_CAP_INPUTS_MASK, cap);
	if (!dev->num_channels || dev->num_channels > DAQCAP_MAX_CHANNELS ||
	    !dev->num_inputs || dev->num_inputs > DAQCAP_MAX_INPUTS ||
	    FIELD_GET(DAQCAP_CAP_MAX_CHUNK_MASK, cap) <
	    DAQCAP_MAX_CHUNK_LINES)
		return dev_err_probe(d, -ENODEV, "bad capabilities 0x%08x\n",
				     cap);
	dev_info(d, "DAQCAP contract %u.%u, %u channels, %u inputs\n",
		 FIELD_GET(DAQCAP_VERSION_MAJOR_MASK, version),
		 FIELD_GET(DAQCAP_VERSION_MINOR_MASK, version), dev->num_channels,
		 dev->num_inputs);
	return 0;
}
ALLOW_ERROR_INJECTION(daqcap_identify, ERRNO);

/**
 * daqcap_card_check() - is the card the one probe found?
 * @dev: the card
 *
 * After a system sleep or a reset the slot may hold no card, or one that
 * does not answer (the reads return all ones), or another card.
 *
 * Return: 0, -EIO if the card does not answer, or -ENODEV for another card.
 */
int daqcap_card_check(struct daqcap_dev *dev)
{
	u32 id = daqcap_read(dev, DAQCAP_REG_ID);

	if (id == U32_MAX)
		return -EIO;
	if (id != DAQCAP_ID_VALUE ||
	    daqcap_read(dev, DAQCAP_REG_VERSION) != dev->version ||
	    daqcap_read(dev, DAQCAP_REG_CAP) != dev->cap)
		return -ENODEV;
	return 0;
}

/**
 * daqcap_card_reset() - stop all DMA, return every register to its reset value
 * @dev: the card
 *
 * The reset register is a posted write: reading the channels' status back
 * both flushes it and confirms that no channel is running any more.
 *
 * Return: true once the card reports every channel stopped (or reads all
 * ones: a card that is gone does no DMA), false if one still runs.
 */
bool daqcap_card_reset(struct daqcap_dev *dev)
{
	unsigned long flags;
	unsigned int c;

	/* The reset clears IRQ_MASK: its shadow with it, under its lock. */
	spin_lock_irqsave(&dev->reg_lock, flags);
	daqcap_write(dev, DAQCAP_REG_RESET, DAQCAP_RESET_MAGIC);
	WRITE_ONCE(dev->irq_mask, 0);
	spin_unlock_irqrestore(&dev->reg_lock, flags);
	for (c = 0; c < dev->num_channels; c++) {
		u32 status = readl(dev->regs + DAQCAP_CHANNEL_BASE(c) +
				   DAQCAP_CH_STATUS);

		if (status != U32_MAX &&
		    status & (DAQCAP_CH_STATUS_RUNNING | DAQCAP_CH_STATUS_BUSY)) {
			dev_err(&dev->pdev->dev, "ch%u still runs after a card reset\n",
				c);
			return false;
		}
	}
	return true;
}

static noinline int daqcap_irqs_request(struct daqcap_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	unsigned int want = dev->num_channels + 1;
	unsigned int types;
	unsigned int c;
	int ret;

	if (!strcmp(irq_mode, "msix"))
		types = PCI_IRQ_MSIX;
	else if (!strcmp(irq_mode, "msi"))
		types = PCI_IRQ_MSI;
	else if (!strcmp(irq_mode, "intx"))
		types = PCI_IRQ_INTX;
	else if (!strcmp(irq_mode, "auto"))
		types = PCI_IRQ_ALL_TYPES;
	else if (!strcmp(irq_mode, "poll"))
		types = 0;
	else
		return dev_err_probe(&pdev->dev, -EINVAL,
				     "irq_mode=%s: want auto, msix, msi, intx or poll\n",
				     irq_mode);

	/* A vector per channel and one for global events, or just one. */
	ret = -ENOSPC;
	if (types & PCI_IRQ_MSIX)
		ret = pci_alloc_irq_vectors(pdev, want, want, PCI_IRQ_MSIX);
	if (ret < 0 && types & ~PCI_IRQ_MSIX)
		ret = pci_alloc_irq_vectors(pdev, 1, 1, types & ~PCI_IRQ_MSIX);
	if (ret < 0 && types == PCI_IRQ_ALL_TYPES) {
		dev_warn(&pdev->dev, "no interrupt vector (%pe): polling the card\n",
			 ERR_PTR(ret));
		types = 0;
	}
	if (!types) {
		daqcap_poll_init(dev);
		return 0;
	}
	if (ret < 0)
		return dev_err_probe(&pdev->dev, ret, "no interrupt vectors\n");
	dev->nvecs = ret;
	dev->msix = pdev->msix_enabled;

	/* Names that tell the cards and their vectors apart. */
	snprintf(dev->irq_name, sizeof(dev->irq_name), "%s-%s",
		 DAQCAP_DRV_NAME, pci_name(pdev));
	if (!dev->msix) {
		ret = request_irq(pci_irq_vector(pdev, 0), daqcap_shared_irq,
				  pdev->msi_enabled ? 0 : IRQF_SHARED,
				  dev->irq_name, dev);
		if (ret)
			return ret;
		for (c = 0; c < dev->num_channels; c++)
			dev->chans[c].irq = pci_irq_vector(pdev, 0);
		return 0;
	}

	ret = request_irq(pci_irq_vector(pdev, DAQCAP_MSIX_VEC_GLOBAL),
			  daqcap_global_irq, 0, dev->irq_name, dev);
	if (ret)
		return ret;
	for (c = 0; c < dev->num_channels; c++) {
		struct daqcap_chan *chan = &dev->chans[c];

		snprintf(chan->irq_name, sizeof(chan->irq_name), "%s-ch%u",
			 dev->irq_name, c);
		chan->irq = pci_irq_vector(pdev, DAQCAP_MSIX_VEC_CHANNEL(c));
		ret = request_irq(chan->irq, daqcap_chan_irq, 0,
				  chan->irq_name, chan);
		if (ret)
			goto err_free_chan_irqs;
	}
	return 0;

err_free_chan_irqs:
	while (c--)
		free_irq(dev->chans[c].irq, &dev->chans[c]);
	free_irq(pci_irq_vector(pdev, DAQCAP_MSIX_VEC_GLOBAL), dev);
	return ret;
}
ALLOW_ERROR_INJECTION(daqcap_irqs_request, ERRNO);

/**
 * daqcap_irqs_sync() - wait for the card's running interrupt handlers
 * @dev: the card, its interrupts masked
 */
void daqcap_irqs_sync(struct daqcap_dev *dev)
{
	unsigned int c;

	if (dev->polled) {
		hrtimer_cancel(&dev->poll_timer);
		return;
	}
	synchronize_irq(pci_irq_vector(dev->pdev, 0));
	if (!dev->msix)
		return;
	for (c = 0; c < dev->num_channels; c++)
		synchronize_irq(dev->chans[c].irq);
}

static void daqcap_irqs_free(struct daqcap_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	unsigned int c;

	if (dev->polled) {
		hrtimer_cancel(&dev->poll_timer);
		return;
	}
	if (!dev->msix) {
		free_irq(pci_irq_vector(pdev, 0), dev);
		return;
	}
	for (c = dev->num_channels; c--;)
		free_irq(dev->chans[c].irq, &dev->chans[c]);
	free_irq(pci_irq_vector(pdev, DAQCAP_MSIX_VEC_GLOBAL), dev);
}

static noinline int daqcap_inputs_register(struct daqcap_dev *dev)
{
	unsigned int i;
	int ret;

	for (i = 0; i < dev->num_inputs; i++) {
		struct daqcap_input *in = &dev->inputs[i];
		u32 caps = daqcap_in_read(dev, i, DAQCAP_IN_CAPS);

		in->has_edid = caps != U32_MAX && caps & DAQCAP_IN_CAPS_EDID;
		/* An input the board does not wire is not in the graph. */
		if (!in->offered)
			continue;
		if (in->label[0])
			strscpy(in->name, in->label, sizeof(in->name));
		else
			snprintf(in->name, sizeof(in->name), "daqcap-%s-in%u",
				 pci_name(dev->pdev), i);
		in->entity.name = in->name;
		in->entity.function = MEDIA_ENT_F_DV_DECODER;
		in->pad.flags = MEDIA_PAD_FL_SOURCE;
		ret = media_entity_pads_init(&in->entity, 1, &in->pad);
		if (ret)
			return ret;
		ret = media_device_register_entity(&dev->mdev, &in->entity);
		if (ret)
			return ret;
	}
	return 0;
}
ALLOW_ERROR_INJECTION(daqcap_inputs_register, ERRNO);

static void daqcap_release(struct v4l2_device *v4l2_dev)
{
	struct daqcap_dev *dev = container_of(v4l2_dev, struct daqcap_dev,
					      v4l2_dev);
	unsigned int c;

	for (c = 0; c < dev->num_channels; c++)
		daqcap_chan_free(&dev->chans[c]);
	media_device_cleanup(&dev->mdev);
	v4l2_device_unregister(&dev->v4l2_dev);
	mutex_destroy(&dev->edid_lock);
	mutex_destroy(&dev->start_lock);
	pci_dev_put(dev->pdev);
	kfree(dev);
}

/*
 * The last of the card once its channels are unregistered and its
 * interrupts freed, for remove and for a probe that failed after its nodes
 * were registered. Only now that no channel streams and no handler runs:
 * those may find the card gone and queue @lose_work, which must not run
 * after dev is freed. The reset stops any DMA a stream left behind.
 */
static void daqcap_card_retire(struct daqcap_dev *dev)
{
	cancel_delayed_work_sync(&dev->lose_work);
	if (!daqcap_card_reset(dev))
		pci_clear_master(dev->pdev);
	WRITE_ONCE(dev->state, DAQCAP_CARD_GONE);
}

static int daqcap_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct daqcap_dev *dev;
	unsigned int c;
	bool dma32;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	dma32 = ret != 0;
	if (ret)
		ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret)
		return dev_err_probe(&pdev->dev, ret, "no usable DMA mask\n");
	/*
	 * A descriptor's length is 32 bits wide (DAQCAP_DESC_LEN). Without
	 * this the DMA API assumes 64 KiB segments: an IOMMU would merge no
	 * further, and DMA-API debugging reports every longer segment
	 * vb2-dma-sg maps (found by the verifier kernel).
	 */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->dma32 = dma32;
	dev->pdev = pci_dev_get(pdev);
	spin_lock_init(&dev->reg_lock);
	mutex_init(&dev->start_lock);
	mutex_init(&dev->edid_lock);
	INIT_DELAYED_WORK(&dev->lose_work, daqcap_lose_work);

	dev->regs = pcim_iomap_region(pdev, DAQCAP_REGS_BAR, DAQCAP_DRV_NAME);
	ret = PTR_ERR_OR_ZERO((void __force *)dev->regs);
	if (ret)
		goto err_free_dev;
	ret = daqcap_identify(dev);
	if (ret)
		goto err_free_dev;
	/*
	 * A card the previous kernel left running (kexec, a driver that
	 * crashed) would write into this kernel's memory the moment it may
	 * master the bus: stop it first.
	 */
	if (!daqcap_card_reset(dev)) {
		ret = -EIO;
		goto err_free_dev;
	}
	pci_set_master(pdev);
	for (c = 0; c < dev->num_inputs; c++)
		dev->inputs[c].pattern = DAQCAP_PATTERN_BARS;
	daqcap_fw_read(dev);

	/* From here on the v4l2_device's release frees dev. */
	dev->mdev.dev = &pdev->dev;
	strscpy(dev->mdev.model, "DAQCAP", sizeof(dev->mdev.model));
	snprintf(dev->mdev.bus_info, sizeof(dev->mdev.bus_info), "PCI:%s",
		 pci_name(pdev));
	dev->mdev.hw_revision = pdev->revision;
	media_device_init(&dev->mdev);
	dev->v4l2_dev.mdev = &dev->mdev;
	dev->v4l2_dev.release = daqcap_release;
	ret = v4l2_device_register(&pdev->dev, &dev->v4l2_dev);
	if (ret) {
		media_device_cleanup(&dev->mdev);
		goto err_free_dev;
	}
	pci_set_drvdata(pdev, dev);

	ret = daqcap_inputs_register(dev);
	if (ret)
		goto err_put_dev;

	/* What the interrupt handlers use exists before they can run. */
	for (c = 0; c < dev->num_channels; c++) {
		dev->chans[c].dev = dev;
		dev->chans[c].index = c;
		dev->chans[c].regs = dev->regs + DAQCAP_CHANNEL_BASE(c);
		ret = daqcap_chan_init(&dev->chans[c]);
		if (ret)
			goto err_put_dev;
	}
	ret = daqcap_irqs_request(dev);
	if (ret)
		goto err_put_dev;

	for (c = 0; c < dev->num_channels; c++) {
		ret = daqcap_chan_register(&dev->chans[c]);
		if (ret)
			goto err_unregister_chans;
	}
	ret = daqcap_media_links_create(dev);
	if (ret)
		goto err_unregister_chans;
	ret = media_device_register(&dev->mdev);
	if (ret)
		goto err_unregister_chans;
	daqcap_debugfs_init(dev);
	daqcap_irq_mask_update(dev, 0, DAQCAP_IRQ_INPUT_CHANGE);
	/* What error recovery restores after a reset of the link. */
	pci_save_state(pdev);
	dev->pci_state = pci_store_saved_state(pdev);
	if (!dev->pci_state) {
		ret = -ENOMEM;
		goto err_unregister_media;
	}
	daqcap_pm_init(dev);
	return 0;

err_unregister_media:
	daqcap_irq_mask_update(dev, U32_MAX, 0);
	daqcap_debugfs_exit(dev);
	media_device_unregister(&dev->mdev);
err_unregister_chans:
	while (c--)
		daqcap_chan_unregister(&dev->chans[c]);
	daqcap_irqs_free(dev);
	/* Its nodes were open to user space: it may have streamed. */
	daqcap_card_retire(dev);
err_put_dev:
	v4l2_device_disconnect(&dev->v4l2_dev);
	v4l2_device_put(&dev->v4l2_dev);
	return ret;

err_free_dev:
	mutex_destroy(&dev->edid_lock);
	mutex_destroy(&dev->start_lock);
	pci_dev_put(dev->pdev);
	kfree(dev);
	return ret;
}

static void daqcap_remove(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);
	unsigned int c;

	daqcap_pm_exit(dev);
	kfree(dev->pci_state);
	dev->pci_state = NULL;
	daqcap_irq_mask_update(dev, U32_MAX, 0);
	daqcap_debugfs_exit(dev);
	media_device_unregister(&dev->mdev);
	for (c = dev->num_channels; c--;)
		daqcap_chan_unregister(&dev->chans[c]);
	daqcap_irqs_free(dev);
	daqcap_card_retire(dev);
	v4l2_device_disconnect(&dev->v4l2_dev);
	/* The last file handle to close frees dev (daqcap_release). */
	v4l2_device_put(&dev->v4l2_dev);
}

static const struct pci_device_id daqcap_pci_ids[] = {
	{ PCI_DEVICE(DAQCAP_PCI_VENDOR_ID, DAQCAP_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, daqcap_pci_ids);

static struct pci_driver daqcap_pci_driver = {
	.name = DAQCAP_DRV_NAME,
	.id_table = daqcap_pci_ids,
	.probe = daqcap_probe,
	.remove = daqcap_remove,
	.shutdown = daqcap_shutdown,
	.err_handler = &daqcap_err_handlers,
	.driver.pm = pm_ptr(&daqcap_pm_ops),
};

static int __init daqcap_init(void)
{
	int ret;

	daqcap_debugfs_root_init();
	ret = pci_register_driver(&daqcap_pci_driver);
	if (ret)
		daqcap_debugfs_root_exit();
	return ret;
}

static void __exit daqcap_exit(void)
{
	pci_unregister_driver(&daqcap_pci_driver);
	daqcap_debugfs_root_exit();
}

module_init(daqcap_init);
module_exit(daqcap_exit);

MODULE_DESCRIPTION("DAQCAP multi-channel PCIe video and data-acquisition card");
MODULE_AUTHOR("The daqcap authors");
MODULE_LICENSE("GPL");
