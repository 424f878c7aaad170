// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: the card through the system's lifecycle.
 *
 * A system sleep, a function reset and PCIe error recovery all come down
 * to two steps around a card that loses its state:
 *
 * - hold: every streaming channel's DMA stops (confirmed) and its buffers
 *   go back to the driver's pending list, in order, none returned to the
 *   application; the card's interrupts are masked and the handlers done.
 * - restore: the card is checked to be the one probe found, reset, and
 *   given back what it lost (the interrupt mask, the inputs' test
 *   patterns); every held channel is programmed and started again with its
 *   buffers, and an input that changed meanwhile gets its source change
 *   event. The application sees a sequence gap and nothing else.
 *
 * A card found gone or different, or an error the link does not recover
 * from, ends every stream in error instead: DQBUF fails with -EIO, never
 * hangs. Shutdown (reboot, kexec) stops all DMA for good.
 *
 * Runtime PM puts the card in D3hot while nothing needs it: every stream
 * holds a reference, and so does every ioctl or debugfs read that touches
 * the card, and every file handle subscribed to source change events (a
 * card in D3hot cannot raise the input change interrupt). The card comes
 * back reset, and gets the same restore without channels to restart.
 *
 * The driver core calls all of these under the device lock, so they never
 * run at once; each takes a channel's mutex to work on it, which orders
 * them against the channel's ioctls.
 */

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/pm.h>
#include <linux/pm_runtime.h>
#include <linux/workqueue.h>

#include "daqcap.h"

/* Remember what the inputs looked like, to find what changed meanwhile. */
static void daqcap_inputs_snapshot(struct daqcap_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->num_inputs; i++) {
		struct daqcap_input *in = &dev->inputs[i];

		in->held_status = daqcap_in_read(dev, i, DAQCAP_IN_STATUS);
		in->held_active = daqcap_in_read(dev, i, DAQCAP_IN_ACTIVE_SIZE);
		in->held_clock = daqcap_in_read(dev, i, DAQCAP_IN_PIXEL_CLOCK);
	}
}

static bool daqcap_input_differs(struct daqcap_dev *dev, unsigned int i)
{
	struct daqcap_input *in = &dev->inputs[i];

	return in->held_status != daqcap_in_read(dev, i, DAQCAP_IN_STATUS) ||
	       in->held_active != daqcap_in_read(dev, i, DAQCAP_IN_ACTIVE_SIZE) ||
	       in->held_clock != daqcap_in_read(dev, i, DAQCAP_IN_PIXEL_CLOCK);
}

/* Stop the card's DMA and interrupts, keeping every application's stream. */
static void daqcap_card_hold(struct daqcap_dev *dev)
{
	unsigned int c;

	if (daqcap_card_state(dev) != DAQCAP_CARD_UP)
		return;
	/* From here on STREAMON leaves the card alone. */
	WRITE_ONCE(dev->state, DAQCAP_CARD_HELD);
	for (c = 0; c < dev->num_channels; c++)
		daqcap_chan_hold(&dev->chans[c]);
	daqcap_irq_mask_update(dev, U32_MAX, 0);
	daqcap_irqs_sync(dev);
	daqcap_inputs_snapshot(dev);
}

/* The card is gone or broken for good: end every stream in error. */
static void daqcap_card_lose(struct daqcap_dev *dev, const char *why)
{
	unsigned int c;

	if (daqcap_card_state(dev) == DAQCAP_CARD_GONE)
		return;
	dev_err(&dev->pdev->dev, "%s: the card is lost, streams end in error\n",
		why);
	WRITE_ONCE(dev->state, DAQCAP_CARD_GONE);
	dev->lifecycle.lost++;
	dev->recovering = false;
	for (c = 0; c < dev->num_channels; c++)
		daqcap_chan_lose(&dev->chans[c]);
	daqcap_irq_mask_update(dev, U32_MAX, 0);
	daqcap_irqs_sync(dev);
}

/* The test patterns the driver set, which a reset of the card forgot. */
static void daqcap_inputs_restore_patterns(struct daqcap_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->num_inputs; i++)
		daqcap_in_write(dev, i, DAQCAP_IN_PATTERN,
				READ_ONCE(dev->inputs[i].pattern));
}

/*
 * A card that lost its state (reset, D3hot, power): check it is the same
 * card, reset it, and give it back the global state the driver set.
 */
static int daqcap_card_reinit(struct daqcap_dev *dev)
{
	if (daqcap_card_check(dev))
		return -ENODEV;
	if (!daqcap_card_reset(dev))
		return -EIO;
	daqcap_inputs_restore_patterns(dev);
	return 0;
}

/**
 * daqcap_card_restore_globals() - after a reset of a card in use
 * @dev: the card, no channel running
 *
 * Gives the card back what the driver set outside the channels: the
 * inputs' test patterns and the input change interrupt.
 */
void daqcap_card_restore_globals(struct daqcap_dev *dev)
{
	daqcap_inputs_restore_patterns(dev);
	daqcap_irq_mask_update(dev, 0, DAQCAP_IRQ_INPUT_CHANGE);
}

/* The input change interrupts the card could not raise meanwhile. */
static void daqcap_inputs_report_changes(struct daqcap_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->num_inputs; i++)
		if (daqcap_input_differs(dev, i))
			daqcap_input_changed(dev, i);
}

/* Bring a held card back, and every stream it had with it. */
static int daqcap_card_restore(struct daqcap_dev *dev, const char *why)
{
	unsigned int c;
	int ret;

	if (daqcap_card_state(dev) != DAQCAP_CARD_HELD)
		return daqcap_card_state(dev) == DAQCAP_CARD_UP ? 0 : -ENODEV;
	ret = daqcap_card_reinit(dev);
	if (ret) {
		daqcap_card_lose(dev, why);
		return ret;
	}
	WRITE_ONCE(dev->state, DAQCAP_CARD_UP);
	daqcap_irq_mask_update(dev, 0, DAQCAP_IRQ_INPUT_CHANGE);
	for (c = 0; c < dev->num_channels; c++)
		daqcap_chan_restart(&dev->chans[c]);
	daqcap_inputs_report_changes(dev);
	return 0;
}

/* ---- System sleep -------------------------------------------------------- */

/*
 * The PCI core saves the configuration space and chooses the power state
 * after this returns, and restores both before resume is called.
 */
static int daqcap_suspend(struct device *d)
{
	struct daqcap_dev *dev = dev_get_drvdata(d);

	daqcap_card_hold(dev);
	dev->lifecycle.suspends++;
	return 0;
}

/*
 * The card lost its state (D3hot with No_Soft_Reset clear, or power): a
 * failure here is the card's and is reported through the streams, not to
 * the PM core, which could do nothing about it.
 */
static int daqcap_resume(struct device *d)
{
	struct daqcap_dev *dev = dev_get_drvdata(d);

	if (!daqcap_card_restore(dev, "resume"))
		dev->lifecycle.resumes++;
	return 0;
}

/* ---- Runtime PM ---------------------------------------------------------- */

/* How long the idle card stays in D0 (power/autosuspend_delay_ms). */
#define DAQCAP_AUTOSUSPEND_MS	1000

/*
 * Nothing streams (each stream holds a reference): mask the interrupts;
 * the PCI core saves the configuration space and chooses D3hot.
 */
static int daqcap_runtime_suspend(struct device *d)
{
	struct daqcap_dev *dev = dev_get_drvdata(d);

	daqcap_irq_mask_update(dev, U32_MAX, 0);
	daqcap_irqs_sync(dev);
	daqcap_inputs_snapshot(dev);
	dev->lifecycle.runtime_suspends++;
	return 0;
}

static int daqcap_runtime_resume(struct device *d)
{
	struct daqcap_dev *dev = dev_get_drvdata(d);
	int ret;

	if (daqcap_card_state(dev) == DAQCAP_CARD_GONE)
		return -ENODEV;
	ret = daqcap_card_reinit(dev);
	if (ret) {
		daqcap_card_lose(dev, "runtime resume");
		return ret;
	}
	daqcap_irq_mask_update(dev, 0, DAQCAP_IRQ_INPUT_CHANGE);
	daqcap_inputs_report_changes(dev);
	dev->lifecycle.runtime_resumes++;
	return 0;
}

const struct dev_pm_ops daqcap_pm_ops = {
	SYSTEM_SLEEP_PM_OPS(daqcap_suspend, daqcap_resume)
	RUNTIME_PM_OPS(daqcap_runtime_suspend, daqcap_runtime_resume, NULL)
};

/**
 * daqcap_pm_get() - wake the card for something that touches it
 * @dev: the card
 *
 * Return: 0, or a negative error code with no reference taken.
 */
int daqcap_pm_get(struct daqcap_dev *dev)
{
	return pm_runtime_resume_and_get(&dev->pdev->dev);
}

/**
 * daqcap_pm_put() - let the card sleep once idle for the autosuspend delay
 * @dev: the card
 */
void daqcap_pm_put(struct daqcap_dev *dev)
{
	pm_runtime_mark_last_busy(&dev->pdev->dev);
	pm_runtime_put_autosuspend(&dev->pdev->dev);
}

/**
 * daqcap_pm_init() - allow runtime PM, at the end of probe
 * @dev: the card
 *
 * The PCI core probes with a runtime PM reference held and runtime PM
 * forbidden (power/control "on"); a capture card idles most of its life,
 * so the driver allows it, and drops probe's reference.
 */
void daqcap_pm_init(struct daqcap_dev *dev)
{
	struct device *d = &dev->pdev->dev;

	pm_runtime_set_autosuspend_delay(d, DAQCAP_AUTOSUSPEND_MS);
	pm_runtime_use_autosuspend(d);
	pm_runtime_mark_last_busy(d);
	pm_runtime_put_noidle(d);
	pm_runtime_allow(d);
}

/**
 * daqcap_pm_exit() - undo daqcap_pm_init(), at the start of remove
 * @dev: the card
 */
void daqcap_pm_exit(struct daqcap_dev *dev)
{
	struct device *d = &dev->pdev->dev;

	pm_runtime_forbid(d);
	pm_runtime_get_noresume(d);
	pm_runtime_dont_use_autosuspend(d);
}

/* ---- PCIe errors and function reset -------------------------------------- */

/*
 * How long PCIe error recovery may hold the card. When recovery fails (the
 * link does not come back after the reset), the PCI core logs it and calls
 * no driver, so without this the applications would wait forever.
 */
#define DAQCAP_RECOVERY_TIMEOUT_MS	15000

/**
 * daqcap_recovery_timeout() - end the streams of a recovery that never ended
 * @work: &daqcap_dev.recovery_timeout
 *
 * Takes the device lock the recovery callbacks run under, without waiting
 * for it (remove cancels this work while holding it).
 */
void daqcap_recovery_timeout(struct work_struct *work)
{
	struct daqcap_dev *dev = container_of(to_delayed_work(work),
					      struct daqcap_dev,
					      recovery_timeout);
	struct device *d = &dev->pdev->dev;

	if (!device_trylock(d)) {
		schedule_delayed_work(&dev->recovery_timeout, HZ / 10);
		return;
	}
	if (dev->recovering) {
		dev->recovering = false;
		daqcap_card_lose(dev, "PCIe error recovery did not complete");
	}
	device_unlock(d);
}

static pci_ers_result_t daqcap_error_detected(struct pci_dev *pdev,
					      pci_channel_state_t state)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	dev->lifecycle.pci_errors++;
	dev_warn(&pdev->dev, "PCIe error (channel state %d): stopping DMA\n",
		 state);
	if (state == pci_channel_io_perm_failure) {
		daqcap_card_lose(dev, "PCIe error");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	/* What the card wrote around the error cannot be trusted: reset it. */
	daqcap_card_hold(dev);
	dev->recovering = true;
	schedule_delayed_work(&dev->recovery_timeout,
			      msecs_to_jiffies(DAQCAP_RECOVERY_TIMEOUT_MS));
	return PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t daqcap_slot_reset(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	pci_restore_state(pdev);
	pci_save_state(pdev);
	if (daqcap_card_check(dev)) {
		daqcap_card_lose(dev, "PCIe error");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	return PCI_ERS_RESULT_RECOVERED;
}

static void daqcap_error_resume(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	dev->recovering = false;
	cancel_delayed_work(&dev->recovery_timeout);
	if (!daqcap_card_restore(dev, "PCIe error")) {
		dev->lifecycle.recoveries++;
		dev_info(&pdev->dev, "recovered from a PCIe error\n");
	}
}

static void daqcap_reset_prepare(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	daqcap_card_hold(dev);
}

static void daqcap_reset_done(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	if (!daqcap_card_restore(dev, "function reset"))
		dev->lifecycle.resets++;
}

const struct pci_error_handlers daqcap_err_handlers = {
	.error_detected = daqcap_error_detected,
	.slot_reset = daqcap_slot_reset,
	.resume = daqcap_error_resume,
	.reset_prepare = daqcap_reset_prepare,
	.reset_done = daqcap_reset_done,
};

/**
 * daqcap_shutdown() - stop all DMA and interrupts for a reboot or kexec
 * @pdev: the card
 *
 * After kexec the next kernel owns the memory the card was given, and
 * with an IOMMU it starts with new page tables: the card must not write
 * anything from here on. The reset stops every channel at once (and is
 * confirmed); the channels' software state stays as it is, since nothing
 * can use it any more, and no lock an application may hold is waited for.
 */
void daqcap_shutdown(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	WRITE_ONCE(dev->state, DAQCAP_CARD_GONE);
	daqcap_irq_mask_update(dev, U32_MAX, 0);
	if (!daqcap_card_reset(dev))
		pci_clear_master(pdev);
	daqcap_irqs_sync(dev);
}
