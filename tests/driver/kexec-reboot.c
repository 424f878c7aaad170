// SPDX-License-Identifier: GPL-2.0-only
/*
 * kexec-reboot: load a kernel with kexec_file_load(2) and reboot into it
 * at once, as `kexec -s -l KERNEL --initrd=INITRD --command-line=CMDLINE;
 * kexec -e` does. The kexec test (tests/driver/kexec-guest.sh) uses it in
 * the VM; Debian's kexec-tools would bring the Xen libraries along and ask
 * on the host whether to take over its reboots.
 *
 * Usage: kexec-reboot KERNEL INITRD CMDLINE
 * Returns only on failure (exit status 1, with the reason).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <sys/reboot.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	int kfd, ifd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s KERNEL INITRD CMDLINE\n", argv[0]);
		return 2;
	}
	kfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	ifd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", argv[0],
			kfd < 0 ? argv[1] : argv[2], strerror(errno));
		return 1;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(argv[3]) + 1, argv[3], 0UL)) {
		fprintf(stderr, "%s: kexec_file_load: %s\n", argv[0], strerror(errno));
		return 1;
	}
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	fprintf(stderr, "%s: reboot(KEXEC): %s\n", argv[0], strerror(errno));
	return 1;
}
