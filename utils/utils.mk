# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# Build and test the user-space tools: daqcap-verify (capture and check
# every byte against the card's pattern) and daqcap-info (list the cards),
# their man pages, and their tests.
#
# Include it from the top-level Makefile:
#
#	include utils/utils.mk
#	tools: utils-all
#
# or run it on its own from the top of the tree:
#
#	make -f utils/utils.mk [TARGET...]
#
# Targets (all named utils-*, so they cannot clash with the includer's):
#
#   utils-all       the tools, their unit test and, when rst2man (Debian:
#                   python3-docutils) is there, the man pages (default when
#                   run on its own)
#   utils-tools     $(UTILS_BUILD)/bin/daqcap-verify, .../daqcap-info,
#                   .../daqcap-cost (utils/daqcap-bench's measuring half)
#   utils-test      $(UTILS_BUILD)/tests/test-verify (ASan + UBSan build of
#                   daqcap-verify's checking code, with synthetic frames)
#   utils-man       $(UTILS_BUILD)/man/daqcap-verify.1, daqcap-info.1,
#                   daqcap-cost.1, daqcap-bench.1
#   utils-check     on the host, no card needed: the unit test and the
#                   command-line tests (tests/utils/cli-test); TAP on
#                   stdout, fails if any test fails
#   utils-vm-check  in VMs with the emulated card (tests/utils/vm-test):
#                   real captures with every I/O method, corruption
#                   detection, daqcap-info; needs the emulator and modules
#   utils-lint      the sources with -O2 -Wall -Wextra ... -Wconversion and,
#                   when there, clang -Weverything; all with -Werror
#   utils-clean     remove what these rules build
#
# Variables: CC, UTILS_BUILD (default: build/ at the top of the tree),
# UTILS_CFLAGS, UTILS_SAN_FLAGS, UTILS_LDFLAGS, RST2MAN, UTILS_KERNELS
# (kernels for utils-vm-check, default "6.1 6.12").

_utils_mk := $(lastword $(MAKEFILE_LIST))
_utils_saved_goal := $(.DEFAULT_GOAL)

# Top of the tree, as a prefix: empty when run from the top.
_utils_top := $(patsubst %/,%,$(dir $(patsubst %/,%,$(dir $(_utils_mk)))))
_ut := $(if $(filter .,$(_utils_top)),,$(_utils_top)/)

UTILS_BUILD ?= $(_ut)build
UTILS_CFLAGS ?= -O2 -g
UTILS_SAN_FLAGS ?= -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
UTILS_LDFLAGS ?=
UTILS_KERNELS ?= 6.1 6.12
RST2MAN ?= $(shell command -v rst2man 2>/dev/null || command -v rst2man.py 2>/dev/null)

UTILS_INC := -I$(_ut)media/pci/daqcap -I$(_ut)pattern -I$(_ut)include/uapi
UTILS_WARN := -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wundef -Wwrite-strings -Wformat=2 -Werror
UTILS_TOOL_H := $(_ut)utils/src/daqcap-tool.h $(_ut)include/uapi/linux/daqcap.h
UTILS_PATTERN_DEPS := $(_ut)pattern/daqcap-pattern.c \
	$(_ut)pattern/daqcap-pattern.h $(_ut)media/pci/daqcap/daqcap-regs.h

UTILS_VERIFY := $(UTILS_BUILD)/bin/daqcap-verify
UTILS_INFO := $(UTILS_BUILD)/bin/daqcap-info
UTILS_COST := $(UTILS_BUILD)/bin/daqcap-cost
UTILS_TEST := $(UTILS_BUILD)/tests/test-verify
UTILS_PATTERN_OBJ := $(UTILS_BUILD)/utils/daqcap-pattern.o
UTILS_MANPAGES := $(UTILS_BUILD)/man/daqcap-verify.1 \
	$(UTILS_BUILD)/man/daqcap-info.1 $(UTILS_BUILD)/man/daqcap-cost.1 \
	$(UTILS_BUILD)/man/daqcap-bench.1

.PHONY: utils-all utils-tools utils-test utils-man utils-check \
	utils-vm-check utils-lint utils-clean

utils-all: utils-tools utils-test $(if $(RST2MAN),utils-man)

utils-tools: $(UTILS_VERIFY) $(UTILS_INFO) $(UTILS_COST)

utils-test: $(UTILS_TEST)

# The generator, built here too so that this file stands on its own.
$(UTILS_PATTERN_OBJ): $(UTILS_PATTERN_DEPS) $(_utils_mk)
	@mkdir -p $(@D)
	$(CC) $(UTILS_WARN) $(UTILS_CFLAGS) $(UTILS_INC) -c -o $@ $<

$(UTILS_VERIFY): $(_ut)utils/src/daqcap-verify.c $(UTILS_PATTERN_OBJ) \
		$(UTILS_TOOL_H) $(_utils_mk)
	@mkdir -p $(@D)
	$(CC) $(UTILS_WARN) $(UTILS_CFLAGS) $(UTILS_INC) -o $@ $< \
		$(UTILS_PATTERN_OBJ) $(UTILS_LDFLAGS)

$(UTILS_INFO): $(_ut)utils/src/daqcap-info.c $(UTILS_TOOL_H) \
		$(_ut)media/pci/daqcap/daqcap-regs.h $(_utils_mk)
	@mkdir -p $(@D)
	$(CC) $(UTILS_WARN) $(UTILS_CFLAGS) $(UTILS_INC) -o $@ $< \
		$(UTILS_LDFLAGS)

$(UTILS_COST): $(_ut)utils/src/daqcap-cost.c $(UTILS_TOOL_H) $(_utils_mk)
	@mkdir -p $(@D)
	$(CC) $(UTILS_WARN) $(UTILS_CFLAGS) $(UTILS_INC) -o $@ $< \
		$(UTILS_LDFLAGS)

# The unit test includes daqcap-verify.c; sanitizers cover both sources.
$(UTILS_TEST): $(_ut)tests/utils/test-verify.c \
		$(_ut)utils/src/daqcap-verify.c $(UTILS_TOOL_H) \
		$(UTILS_PATTERN_DEPS) $(_utils_mk)
	@mkdir -p $(@D)
	$(CC) $(UTILS_WARN) $(UTILS_SAN_FLAGS) $(UTILS_INC) \
		-I$(_ut)utils/src -o $@ $< $(_ut)pattern/daqcap-pattern.c \
		$(UTILS_LDFLAGS)

utils-man: $(UTILS_MANPAGES)

$(UTILS_BUILD)/man/%.1: $(_ut)utils/doc/%.rst
	@if [ -z "$(RST2MAN)" ]; then \
		echo "utils-man: no rst2man (Debian: python3-docutils)" >&2; \
		exit 1; \
	fi
	@mkdir -p $(@D)
	$(RST2MAN) --halt=warning $< $@

utils-check: $(UTILS_TEST) $(UTILS_VERIFY) $(UTILS_INFO)
	@$(UTILS_TEST) && \
	DAQCAP_BIN=$(UTILS_BUILD)/bin $(_ut)tests/utils/cli-test

utils-vm-check: $(UTILS_VERIFY) $(UTILS_INFO)
	DAQCAP_BIN=$(UTILS_BUILD)/bin $(_ut)tests/utils/vm-test $(UTILS_KERNELS)

_utils_clang := $(shell command -v clang 2>/dev/null)

# clang -Weverything: the kernel's uapi headers guard themselves with
# _UAPI_* names, reserved in C (-Wreserved-macro-identifier); theirs to keep.
utils-lint:
	for f in daqcap-verify daqcap-info daqcap-cost; do \
		$(CC) $(UTILS_WARN) -O2 -Wconversion -Wsign-conversion \
			$(UTILS_INC) -fsyntax-only $(_ut)utils/src/$$f.c || \
			exit 1; \
	done
ifneq ($(_utils_clang),)
	for f in daqcap-verify daqcap-info daqcap-cost; do \
		clang -std=gnu11 -Weverything -Wno-padded \
			-Wno-declaration-after-statement -Wno-documentation \
			-Wno-documentation-unknown-command \
			-Wno-disabled-macro-expansion -Wno-format-nonliteral \
			-Wno-unsafe-buffer-usage -Wno-unknown-warning-option \
			-Wno-reserved-macro-identifier \
			-Werror $(UTILS_INC) -fsyntax-only \
			$(_ut)utils/src/$$f.c || exit 1; \
	done
endif

utils-clean:
	rm -f $(UTILS_VERIFY) $(UTILS_INFO) $(UTILS_COST) $(UTILS_TEST) $(UTILS_PATTERN_OBJ)
	rm -f $(UTILS_MANPAGES)

# Run on its own, default to utils-all; included, leave the includer's
# default goal alone.
ifeq ($(firstword $(MAKEFILE_LIST)),$(_utils_mk))
.DEFAULT_GOAL := utils-all
else
.DEFAULT_GOAL := $(_utils_saved_goal)
endif
