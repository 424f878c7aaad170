// SPDX-License-Identifier: GPL-2.0-only
/*
 * daqcap_vm_sleep: a helper of the VM bench (utils/daqcap-vm --ram-root),
 * never for real hardware.
 *
 * On an S3 wake QEMU resets every device, and the firmware is expected to
 * program the chipset again before it jumps to the OS's waking vector.
 * SeaBIOS 1.16 (Debian 12's) does so through the PCIe MMCONFIG window that
 * the reset has just disabled, so its writes are lost: after the wake the
 * q35 MCH has no MMCONFIG (PCIEXBAR) and the BIOS area is not shadowed
 * (PAM), the LPC bridge decodes no ACPI PM registers (PMBASE, ACPI_CNTL)
 * and the root complex register block is gone (RCBA). The kernel then
 * reads all ones from every PCI configuration space and cannot power off.
 *
 * This module saves those registers before the system sleeps and writes
 * them back first thing after the wake (syscore resume: one CPU, interrupts
 * off, before any device resumes), through the legacy configuration ports,
 * which work without MMCONFIG. It also sets SCI_EN again, which the ACPI
 * core set while the PM registers were not decoded yet. It does nothing
 * unless 00:00.0 is the q35 MCH (8086:29c0) and 00:1f.0 its ICH9 LPC
 * bridge (8086:2918).
 */
#include <linux/module.h>
#include <linux/syscore_ops.h>
#include <linux/io.h>
#include <linux/interrupt.h>
#include <linux/suspend.h>

#define CONF_ADDR(dev, fn, off) \
	(0x80000000u | ((dev) << 11) | ((fn) << 8) | ((off) & 0xfc))

static const struct {
	u8 dev, fn, off;
} regs[] = {
	{ 0x00, 0, 0x64 },	/* PCIEXBAR, upper half first */
	{ 0x00, 0, 0x60 },	/* PCIEXBAR, with its enable bit */
	{ 0x00, 0, 0x90 },	/* PAM0-3 */
	{ 0x00, 0, 0x94 },	/* PAM4-6 */
	{ 0x1f, 0, 0x40 },	/* PMBASE */
	{ 0x1f, 0, 0x44 },	/* ACPI_CNTL */
	{ 0x1f, 0, 0xf0 },	/* RCBA */
};

static u32 saved[ARRAY_SIZE(regs)];
static u16 pmbase;
static bool sci_en;
static DEFINE_RAW_SPINLOCK(conf_lock);

static u32 conf_read(u8 dev, u8 fn, u8 off)
{
	unsigned long flags;
	u32 v;

	raw_spin_lock_irqsave(&conf_lock, flags);
	outl(CONF_ADDR(dev, fn, off), 0xcf8);
	v = inl(0xcfc);
	raw_spin_unlock_irqrestore(&conf_lock, flags);
	return v;
}

static void conf_write(u8 dev, u8 fn, u8 off, u32 v)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&conf_lock, flags);
	outl(CONF_ADDR(dev, fn, off), 0xcf8);
	outl(v, 0xcfc);
	raw_spin_unlock_irqrestore(&conf_lock, flags);
}

static int vmsleep_suspend_(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(regs); i++)
		saved[i] = conf_read(regs[i].dev, regs[i].fn, regs[i].off);
	pmbase = saved[4] & 0xff80;
	sci_en = pmbase && (inw(pmbase + 4) & 1);
	return 0;
}

static void vmsleep_resume_(void)
{
	unsigned int i;
	u32 now = conf_read(0x1f, 0, 0x40);

	/* Nothing lost (s2idle, pm_test, or a firmware that did its job). */
	if (now == saved[4])
		return;
	for (i = 0; i < ARRAY_SIZE(regs); i++)
		conf_write(regs[i].dev, regs[i].fn, regs[i].off, saved[i]);
	if (sci_en)
		outw(inw(pmbase + 4) | 1, pmbase + 4);
	pr_info("daqcap_vm_sleep: restored the q35 chipset registers lost in the S3 wake\n");
}

/* Kernels with "struct syscore" (6.19, and Debian's 6.12 backport) pass data. */
#ifdef VMSLEEP_SYSCORE_DATA
static int vmsleep_suspend(void *data) { return vmsleep_suspend_(); }
static void vmsleep_resume(void *data) { vmsleep_resume_(); }
static const struct syscore_ops vmsleep_ops = {
	.suspend = vmsleep_suspend,
	.resume = vmsleep_resume,
};
static struct syscore vmsleep = { .ops = &vmsleep_ops };
#define vmsleep_register() register_syscore(&vmsleep)
#define vmsleep_unregister() unregister_syscore(&vmsleep)
#else
static struct syscore_ops vmsleep_ops = {
	.suspend = vmsleep_suspend_,
	.resume = vmsleep_resume_,
};
#define vmsleep_register() register_syscore_ops(&vmsleep_ops)
#define vmsleep_unregister() unregister_syscore_ops(&vmsleep_ops)
#endif

/*
 * s2idle: QEMU raises the ACPI RTC event (RTC_STS) only to wake a suspended
 * (S3) machine, never at run time, so the RTC alarm that rtc-cmos arms as
 * an ACPI event never ends an s2idle. Its interrupt (IRQ 8, when HPET's
 * legacy replacement does not take it: daqcap-vm boots with hpet=disable)
 * does, once armed for wakeup like this.
 */
#define RTC_IRQ 8
static bool rtc_irq_wake;

static int vmsleep_pm_notify(struct notifier_block *nb, unsigned long event, void *unused)
{
	switch (event) {
	case PM_SUSPEND_PREPARE:
		rtc_irq_wake = !enable_irq_wake(RTC_IRQ);
		break;
	case PM_POST_SUSPEND:
		if (rtc_irq_wake)
			disable_irq_wake(RTC_IRQ);
		rtc_irq_wake = false;
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block vmsleep_pm_nb = {
	.notifier_call = vmsleep_pm_notify,
};

static int __init vmsleep_init(void)
{
	if (conf_read(0, 0, 0) != 0x29c08086 || conf_read(0x1f, 0, 0) != 0x29188086)
		return -ENODEV;
	vmsleep_register();
	register_pm_notifier(&vmsleep_pm_nb);
	return 0;
}

static void __exit vmsleep_exit(void)
{
	unregister_pm_notifier(&vmsleep_pm_nb);
	vmsleep_unregister();
}

module_init(vmsleep_init);
module_exit(vmsleep_exit);
MODULE_DESCRIPTION("VM bench: restore the q35 chipset after SeaBIOS's S3 resume");
MODULE_LICENSE("GPL");
