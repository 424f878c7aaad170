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
 * The driver core calls the system sleep and PCI callbacks under the
 * device lock, so they never run at once; each takes a channel's mutex to
 * work on it, which orders them against the channel's ioctls. A sleep, a
 * reset and an error recovery may overlap (each its DAQCAP_HOLD_* bit):
 * the card is restored when the last of them lets it go. The runtime PM
 * callbacks take no channel's mutex (the thread that wakes the card often
 * holds one): they only touch the card's registers.
 */

#include <linux/device.h>
#include <linux/error-injection.h>
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
	dev->snapshot_valid = true;
}

static bool daqcap_input_differs(struct daqcap_dev *dev, unsigned int i)
{
	struct daqcap_input *in = &dev->inputs[i];

	return in->held_status != daqcap_in_read(dev, i, DAQCAP_IN_STATUS) ||
	       in->held_active != daqcap_in_read(dev, i, DAQCAP_IN_ACTIVE_SIZE) ||
	       in->held_clock != daqcap_in_read(dev, i, DAQCAP_IN_PIXEL_CLOCK);
}

/*
 * The input change interrupts the card could not raise meanwhile: the
 * inputs it latched in INPUT_CHANGED (read before the reset that clears
 * it), and those that differ from the snapshot, if there is one.
 */
static void daqcap_inputs_report_changes(struct daqcap_dev *dev, u32 latched)
{
	unsigned int i;

	if (latched == U32_MAX)
		latched = 0;
	for (i = 0; i < dev->num_inputs; i++)
		if (latched & BIT(i) ||
		    (dev->snapshot_valid && daqcap_input_differs(dev, i)))
			daqcap_input_changed(dev, i);
	dev->snapshot_valid = false;
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

/* Drop the runtime PM reference a hold took, if it took one. */
static void daqcap_hold_pm_put(struct daqcap_dev *dev)
{
	if (!dev->hold_pm)
		return;
	dev->hold_pm = false;
	pm_runtime_mark_last_busy(&dev->pdev->dev);
	pm_runtime_put_autosuspend(&dev->pdev->dev);
}

/*
 * Stop the card's DMA and interrupts for @reason, keeping every
 * application's stream. With the link frozen by a PCIe error the card's
 * registers read all ones: no snapshot is taken then.
 */
static void daqcap_card_hold(struct daqcap_dev *dev, u32 reason)
{
	struct pci_dev *pdev = dev->pdev;
	bool first = !dev->hold_reasons;
	unsigned int c;

	dev->hold_reasons |= reason;
	if (!first || daqcap_card_state(dev) != DAQCAP_CARD_UP)
		return;
	/*
	 * Awake, and kept so until restored: a card in D3hot reads all ones
	 * (it may have been asleep, with no stream, when a reset came).
	 */
	pm_runtime_get_sync(&pdev->dev);
	dev->hold_pm = true;
	/* From here on STREAMON leaves the card alone. */
	WRITE_ONCE(dev->state, DAQCAP_CARD_HELD);
	for (c = 0; c < dev->num_channels; c++)
		daqcap_chan_hold(&dev->chans[c]);
	daqcap_irq_mask_update(dev, U32_MAX, 0);
	daqcap_irqs_sync(dev);
	dev->snapshot_valid = false;
	if (!pci_channel_offline(pdev))
		daqcap_inputs_snapshot(dev);
}

/*
 * The card is gone or broken for good: end every stream in error, the held
 * ones too. Idempotent: a channel that took the bus away has set the state
 * already, and every later lifecycle step comes here again.
 */
static void daqcap_card_lose(struct daqcap_dev *dev, const char *why)
{
	unsigned int c;

	if (daqcap_card_state(dev) != DAQCAP_CARD_GONE || READ_ONCE(dev->lose_why)) {
		dev_err(&dev->pdev->dev, "%s: the card is lost, streams end in error\n",
			why);
		WRITE_ONCE(dev->state, DAQCAP_CARD_GONE);
		WRITE_ONCE(dev->lose_why, NULL);
		dev->lifecycle.lost++;
	}
	dev->recovering = false;
	dev->hold_reasons = 0;
	for (c = 0; c < dev->num_channels; c++)
		daqcap_chan_lose(&dev->chans[c]);
	daqcap_irq_mask_update(dev, U32_MAX, 0);
	daqcap_irqs_sync(dev);
	daqcap_hold_pm_put(dev);
}

/*
 * @reason lets the card go; when nothing holds it any more, bring it back,
 * and every stream it had with it.
 */
static int daqcap_card_release(struct daqcap_dev *dev, u32 reason,
			       const char *why)
{
	unsigned int c;
	u32 latched;
	int ret;

	dev->hold_reasons &= ~reason;
	if (dev->hold_reasons)
		return 0;
	switch (daqcap_card_state(dev)) {
	case DAQCAP_CARD_UP:
		return 0;
	case DAQCAP_CARD_GONE:
		daqcap_card_lose(dev, why);
		return -ENODEV;
	case DAQCAP_CARD_HELD:
		break;
	}
	latched = daqcap_read(dev, DAQCAP_REG_INPUT_CHANGED);
	ret = daqcap_card_reinit(dev);
	if (ret) {
		daqcap_card_lose(dev, why);
		return ret;
	}
	WRITE_ONCE(dev->state, DAQCAP_CARD_UP);
	daqcap_irq_mask_update(dev, 0, DAQCAP_IRQ_INPUT_CHANGE);
	for (c = 0; c < dev->num_channels; c++)
		daqcap_chan_restart(&dev->chans[c]);
	daqcap_inputs_report_changes(dev, latched);
	daqcap_hold_pm_put(dev);
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

	daqcap_card_hold(dev, DAQCAP_HOLD_SLEEP);
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

	if (!daqcap_card_release(dev, DAQCAP_HOLD_SLEEP, "resume"))
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

/*
 * Runs in the thread that wants the card, which often holds a channel's
 * mutex: so it touches only the card. A card that does not answer is left
 * to the PCI core (removal, or error recovery: with the link down, the
 * core wakes the card before it reports the error); another card is lost
 * by @lose_work, under the device lock. An error returned here would
 * stick to the device and fail every later wake, even after a recovery.
 */
static int daqcap_runtime_resume(struct device *d)
{
	struct daqcap_dev *dev = dev_get_drvdata(d);
	u32 latched;
	int ret;

	if (daqcap_card_state(dev) == DAQCAP_CARD_GONE)
		return 0;
	latched = daqcap_read(dev, DAQCAP_REG_INPUT_CHANGED);
	ret = daqcap_card_reinit(dev);
	if (ret == -ENODEV) {
		WRITE_ONCE(dev->lose_why, "another card after runtime resume");
		mod_delayed_work(system_wq, &dev->lose_work, 0);
		return 0;
	}
	if (ret) {
		dev_warn_ratelimited(d, "runtime resume: the card does not answer\n");
		return 0;
	}
	daqcap_irq_mask_update(dev, 0, DAQCAP_IRQ_INPUT_CHANGE);
	daqcap_inputs_report_changes(dev, latched);
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
ALLOW_ERROR_INJECTION(daqcap_pm_get, ERRNO);

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
	/*
	 * A hold that a removal interrupted (the card unplugged between
	 * error_detected and resume) gives its reference back here: the
	 * count outlives the driver.
	 */
	if (dev->hold_pm) {
		dev->hold_pm = false;
		pm_runtime_put_noidle(d);
	}
}

/* ---- PCIe errors and function reset -------------------------------------- */

/*
 * How long PCIe error recovery may hold the card. When recovery fails (the
 * link does not come back after the reset), the PCI core logs it and calls
 * no driver, so without this the applications would wait forever. The
 * core itself waits up to 60 s for a device to come back after a reset.
 */
#define DAQCAP_RECOVERY_TIMEOUT_MS	65000

/**
 * daqcap_lose_work() - end the streams of a card that will not come back
 * @work: &daqcap_dev.lose_work
 *
 * For a recovery that never completed, a card whose DMA a channel had to
 * cut (daqcap_chan_force_stop()), or another card found by a runtime
 * resume. Takes the device lock the lifecycle
 * callbacks run under, without waiting for it: remove cancels this work
 * while holding it.
 */
void daqcap_lose_work(struct work_struct *work)
{
	struct daqcap_dev *dev = container_of(to_delayed_work(work),
					      struct daqcap_dev, lose_work);
	struct device *d = &dev->pdev->dev;
	const char *why;

	if (!device_trylock(d)) {
		schedule_delayed_work(&dev->lose_work, HZ / 10);
		return;
	}
	why = READ_ONCE(dev->lose_why);
	if (dev->recovering)
		daqcap_card_lose(dev, "PCIe error recovery did not complete");
	else if (why)
		daqcap_card_lose(dev, why);
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
	daqcap_card_hold(dev, DAQCAP_HOLD_ERROR);
	dev->recovering = true;
	mod_delayed_work(system_wq, &dev->lose_work,
			 msecs_to_jiffies(DAQCAP_RECOVERY_TIMEOUT_MS));
	return PCI_ERS_RESULT_NEED_RESET;
}

/*
 * The link's reset cleared the card's configuration: its BAR, memory
 * decoding and bus mastering. Give it back probe's. Loading the copy
 * first matters before Linux 6.12, whose pci_restore_state() restores a
 * saved state only once: a runtime resume since probe has used it up, and
 * the card would be left answering no access (all ones).
 */
static pci_ers_result_t daqcap_slot_reset(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	/* A card given up (bus mastering taken away) stays given up. */
	if (daqcap_card_state(dev) == DAQCAP_CARD_GONE) {
		daqcap_card_lose(dev, "PCIe error");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	if (pci_load_saved_state(pdev, dev->pci_state)) {
		dev_err(&pdev->dev, "cannot load the configuration saved at probe\n");
		daqcap_card_lose(dev, "PCIe error");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	pci_restore_state(pdev);
	/* No bus mastering for a card not known to be this one. */
	pci_clear_master(pdev);
	if (daqcap_card_check(dev)) {
		daqcap_card_lose(dev, "PCIe error");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	pci_set_master(pdev);
	return PCI_ERS_RESULT_RECOVERED;
}

static void daqcap_error_resume(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	dev->recovering = false;
	cancel_delayed_work(&dev->lose_work);
	if (!daqcap_card_release(dev, DAQCAP_HOLD_ERROR, "PCIe error")) {
		dev->lifecycle.recoveries++;
		dev_info(&pdev->dev, "recovered from a PCIe error\n");
	}
}

static void daqcap_reset_prepare(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	daqcap_card_hold(dev, DAQCAP_HOLD_RESET);
}

static void daqcap_reset_done(struct pci_dev *pdev)
{
	struct daqcap_dev *dev = pci_get_drvdata(pdev);

	if (!daqcap_card_release(dev, DAQCAP_HOLD_RESET, "function reset"))
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
 * can use it any more, and no channel's lock is taken. (The PCI core
 * wakes the card before this, which takes no channel's lock either.)
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
