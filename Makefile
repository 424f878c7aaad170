# SPDX-License-Identifier: GPL-2.0-only
#
# daqcap: top-level Makefile.
#
# When Kbuild reads this file (KERNELRELEASE is set) it only names the
# module's directory; everything else is the developer's entry point. Run
# `make help` for the targets.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

TOP := $(CURDIR)
SHELL := /bin/bash
export DAQCAP_CACHE ?= $(HOME)/.cache/daqcap

QEMU := $(DAQCAP_CACHE)/qemu/build/qemu-system-x86_64

# When this make run started (sub-makes inherit it), so that demo, bench and
# test print a total time that includes the installs and builds before them.
ifndef DAQCAP_MAKE_START
DAQCAP_MAKE_START := $(shell date +%s)
endif
export DAQCAP_MAKE_START

# `make && sudo make install` is the real-hardware path: build for the
# running kernel (or KDIR=...), then install.
.DEFAULT_GOAL := module

include pattern/pattern.mk
include utils/utils.mk
include gst-examples/gst-examples.mk

.PHONY: help setup emulator kernels debug-kernel modules module install \
	dkms-check vm demo bench test soak check tools clean

help:
	@echo "daqcap: V4L2 driver, emulated card and VM bench"
	@echo
	@echo "  make demo       boot the emulated card, capture from every channel, and"
	@echo "                  leave pictures and figures in out/demo/"
	@echo "  make bench      measure daqcap side by side with vivid in the VM:"
	@echo "                  cost per frame by size and I/O method, interrupts"
	@echo "                  and latency by coalescing setting and polled, the"
	@echo "                  card's ceiling, scaling to 8 channels on two cards,"
	@echo "                  instructions per frame counted by QEMU; report and"
	@echo "                  plots in out/bench/ (utils/daqcap-bench --help;"
	@echo "                  about 11 minutes)"
	@echo "  make test       install what is missing, build everything, run every"
	@echo "                  test suite; ends with 'N passed, N failed, N skipped'"
	@echo "  make emulator   build qemu-system-x86_64 with the DAQCAP card model"
	@echo "                  from Debian's QEMU source (cached in \$$DAQCAP_CACHE);"
	@echo "                  emulator/build --arch arm64 builds qemu-system-aarch64"
	@echo "                  (utils/daqcap-vm --arch arm64, the arm64 suite)"
	@echo "  make kernels    fetch the Debian 6.1 and 6.12 kernels for the VM bench"
	@echo "  make modules    build the driver for both of them (build/kmod/), and"
	@echo "                  for the verifier kernel once it is built"
	@echo "  make debug-kernel  build the verifier kernel (KASAN, lockdep, kmemleak,"
	@echo "                  DMA-API debugging, fault injection...) from Debian's"
	@echo "                  linux-source-6.12, cached; utils/daqcap-vm --kernel debug"
	@echo "  make, make module  build the driver for the running kernel, or KDIR=..."
	@echo "  make install    (as root) install it, with a udev rule for stable"
	@echo "                  names /dev/daqcap/<pci address>/chN"
	@echo "  make dkms-check build the module with DKMS for both Debian kernels"
	@echo "  make vm         open a shell in a VM with one emulated card"
	@echo "                  (utils/daqcap-vm --help for more)"
	@echo "  make tools      build the user-space tools (daqcap-verify, daqcap-info,"
	@echo "                  daqcap-pattern, the GStreamer example) into build/bin"
	@echo "  make soak       the long runs, not in make test (about 45 min on 2 cores):"
	@echo "                  tests/soak/run (two cards, all eight channels, formats,"
	@echo "                  sizes and I/O methods rotating, faults at random, 100,000"
	@echo "                  frames checked byte for byte, every gap a counted drop),"
	@echo "                  then tests/fuzz/run with 1,000,000 calls per node"
	@echo "                  (SOAK_ARGS=\"--kernel 6.12 --seed N\", FUZZ_KERNELS=\"6.1 debug\")"
	@echo "  make check      static checks: checkpatch --strict, kernel-doc, W=1 and"
	@echo "                  sparse on both kernels (also cross-built for arm64),"
	@echo "                  the datasheet/header contract,"
	@echo "                  the device-tree binding and examples (dt-schema,"
	@echo "                  dtc), the pattern generator's lint"
	@echo "  make setup      apt-install what the project needs"
	@echo "  make clean      remove build/ (the QEMU and kernel caches stay)"
	@echo
	@echo "  DAQCAP_CACHE=$(DAQCAP_CACHE)"

setup:
	scripts/setup

emulator:
	emulator/build

kernels:
	scripts/fetch-kernel 6.1 >/dev/null
	scripts/fetch-kernel 6.12 >/dev/null

debug-kernel:
	scripts/build-debug-kernel >/dev/null

modules: kernels
	@for k in 6.1 6.12 debug; do \
		[ $$k != debug ] || [ -f "$(DAQCAP_CACHE)/kernels/debug/vmlinuz" ] || continue; \
		rel=$$(scripts/fetch-kernel $$k) || exit 1; t0=$$(date +%s); \
		echo "modules: daqcap.ko for $$rel"; \
		scripts/build-module "$$rel" >/dev/null || exit 1; \
		echo "modules:   done in $$(($$(date +%s) - t0))s"; \
	done

module:
	scripts/setup driver
	$(MAKE) -C $(or $(KDIR),/lib/modules/$(shell uname -r)/build) M=$(TOP) modules

install:
	scripts/install-module

dkms-check:
	scripts/dkms-check

vm: emulator modules
	utils/daqcap-vm

demo:
	scripts/setup
	emulator/build
	$(MAKE) --no-print-directory modules tools
	scripts/demo

tools: pattern-all utils-all gst-examples-all

bench:
	scripts/setup emulator bench driver plots
	emulator/build
	$(MAKE) --no-print-directory modules tools
	utils/daqcap-bench $(BENCH_ARGS)

SOAK_ARGS ?=
FUZZ_KERNELS ?= 6.1 6.12
# Both runs always run; the target fails if either did.
soak:
	scripts/setup
	emulator/build
	$(MAKE) --no-print-directory modules tools
	s=0; tests/soak/run $(SOAK_ARGS) || s=$$?; \
	DAQCAP_FUZZ_CALLS=1000000 tests/fuzz/run $(FUZZ_KERNELS) || s=$$?; \
	exit $$s

check:
	scripts/setup driver kernel-source docs dt
	scripts/check-contract
	scripts/check-driver
	scripts/check-docs
	scripts/check-dts
	$(MAKE) --no-print-directory pattern-lint utils-lint

test:
	scripts/setup
	emulator/build
	$(MAKE) --no-print-directory debug-kernel modules tools
	tests/run

clean:
	rm -rf build

endif
