# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# Build and test the DAQCAP pattern generator (pattern/daqcap-pattern.c), its
# unit test and the daqcap-pattern rendering tool.
#
# Include it from the top-level Makefile:
#
#	include pattern/pattern.mk
#	all: pattern-all
#	check: pattern-check
#
# or run it on its own from the top of the tree:
#
#	make -f pattern/pattern.mk [TARGET...]
#
# Targets (all named pattern-*, so they cannot clash with the includer's):
#
#   pattern-all     the tool and the unit test (default when run on its own)
#   pattern-tool    $(PATTERN_BUILD)/bin/daqcap-pattern
#   pattern-test    $(PATTERN_BUILD)/tests/test-pattern (ASan + UBSan build)
#   pattern-check   build and run the unit test; TAP on stdout, fails if any
#                   test fails
#   pattern-bench   build $(PATTERN_BUILD)/tests/test-pattern-bench (-O2, no
#                   sanitizers) and run it, for real throughput figures
#   pattern-lint    compile the generator as QEMU 7.2 does (gnu11 and its
#                   warnings), as strict C99 with -Wconversion, with clang
#                   -Weverything when clang is there; run kernel-doc on it
#                   when a kernel-doc script is found; all with -Werror
#   pattern-xcheck  compare frames and windows (crop) rendered by the tool
#                   with the independent Python model
#                   tests/pattern/pattern-ref.py (needs python3); TAP, a
#                   result per case
#   pattern-images  sample frames in $(PATTERN_BUILD)/pattern/, as PPM and,
#                   when pnmtopng (Debian: netpbm) is there, PNG
#   pattern-clean   remove what these rules build
#
# Variables: CC, PATTERN_BUILD (default: build/ at the top of the tree),
# PATTERN_CFLAGS, PATTERN_SAN_FLAGS, PATTERN_LDFLAGS, PYTHON3.

_pattern_mk := $(lastword $(MAKEFILE_LIST))
_pattern_saved_goal := $(.DEFAULT_GOAL)

# Top of the tree, as a prefix: empty when run from the top.
_pattern_top := $(patsubst %/,%,$(dir $(patsubst %/,%,$(dir $(_pattern_mk)))))
_pt := $(if $(filter .,$(_pattern_top)),,$(_pattern_top)/)

PATTERN_BUILD ?= $(_pt)build
PATTERN_CFLAGS ?= -O2 -g
PATTERN_SAN_FLAGS ?= -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
PATTERN_LDFLAGS ?=
PYTHON3 ?= python3

PATTERN_SRC := $(_pt)pattern/daqcap-pattern.c
PATTERN_DEPS := $(PATTERN_SRC) $(_pt)pattern/daqcap-pattern.h \
	$(_pt)media/pci/daqcap/daqcap-regs.h
PATTERN_INC := -I$(_pt)media/pci/daqcap -I$(_pt)pattern -I$(_pt)include/uapi
PATTERN_WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wundef -Wwrite-strings -Werror
# The generator itself: plain C99, conversion-clean.
PATTERN_LIB_WARN := -std=c99 -pedantic $(PATTERN_WARN) -Wconversion \
	-Wsign-conversion
# What QEMU 7.2's meson build uses for hw/ sources.
PATTERN_QEMU_FLAGS := -std=gnu11 -O2 -Wall -Wstrict-prototypes \
	-Wredundant-decls -Wundef -Wwrite-strings -Wmissing-prototypes \
	-Wold-style-declaration -Wold-style-definition -Wtype-limits \
	-Wformat-security -Wformat-y2k -Winit-self -Wignored-qualifiers \
	-Wempty-body -Wnested-externs -Wendif-labels -Wexpansion-to-defined \
	-Wimplicit-fallthrough=2 -Wno-missing-include-dirs \
	-Wno-shift-negative-value -Wno-psabi -fno-strict-aliasing -fno-common \
	-fwrapv -fstack-protector-strong -fPIE -Werror

PATTERN_TOOL := $(PATTERN_BUILD)/bin/daqcap-pattern
PATTERN_TEST := $(PATTERN_BUILD)/tests/test-pattern
PATTERN_BENCH := $(PATTERN_BUILD)/tests/test-pattern-bench
PATTERN_OBJ := $(PATTERN_BUILD)/pattern/daqcap-pattern.o

.PHONY: pattern-all pattern-tool pattern-test pattern-check pattern-bench \
	pattern-lint pattern-xcheck pattern-images pattern-clean

pattern-all: pattern-tool pattern-test

pattern-tool: $(PATTERN_TOOL)

pattern-test: $(PATTERN_TEST)

$(PATTERN_OBJ): $(PATTERN_DEPS) $(_pattern_mk)
	@mkdir -p $(@D)
	$(CC) $(PATTERN_LIB_WARN) $(PATTERN_CFLAGS) $(PATTERN_INC) -c -o $@ $<

$(PATTERN_TOOL): $(_pt)utils/src/daqcap-pattern.c \
		$(_pt)utils/src/daqcap-tool.h \
		$(_pt)include/uapi/linux/daqcap.h $(PATTERN_OBJ)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(PATTERN_WARN) $(PATTERN_CFLAGS) $(PATTERN_INC) \
		-o $@ $(filter-out %.h,$^) $(PATTERN_LDFLAGS)

# Sanitizers instrument the generator too, so both sources are compiled here.
$(PATTERN_TEST): $(_pt)tests/pattern/test-pattern.c $(PATTERN_DEPS) \
		$(_pattern_mk)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(PATTERN_WARN) $(PATTERN_SAN_FLAGS) $(PATTERN_INC) \
		-o $@ $< $(PATTERN_SRC) $(PATTERN_LDFLAGS)

$(PATTERN_BENCH): $(_pt)tests/pattern/test-pattern.c $(PATTERN_DEPS) \
		$(_pattern_mk)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(PATTERN_WARN) $(PATTERN_CFLAGS) $(PATTERN_INC) \
		-o $@ $< $(PATTERN_SRC) $(PATTERN_LDFLAGS)

pattern-check: $(PATTERN_TEST)
	$(PATTERN_TEST)

pattern-bench: $(PATTERN_BENCH)
	$(PATTERN_BENCH)

_pattern_clang := $(shell command -v clang 2>/dev/null)
_pattern_kdoc := $(firstword $(wildcard \
	/usr/src/linux-headers-*/scripts/kernel-doc \
	/usr/lib/linux-kbuild-*/scripts/kernel-doc))

pattern-lint:
	$(CC) $(PATTERN_QEMU_FLAGS) -Wextra $(PATTERN_INC) -fsyntax-only \
		$(PATTERN_SRC)
	$(CC) $(PATTERN_LIB_WARN) -O2 $(PATTERN_INC) -fsyntax-only \
		$(PATTERN_SRC)
ifneq ($(_pattern_clang),)
	clang -std=c99 -Weverything -Wno-padded \
		-Wno-declaration-after-statement -Wno-documentation \
		-Wno-documentation-unknown-command -Werror $(PATTERN_INC) \
		-fsyntax-only $(PATTERN_SRC)
endif
ifneq ($(_pattern_kdoc),)
	@kd=$(_pattern_kdoc); \
	w=$$($$kd -h 2>&1 | grep -q -e -Wall && echo -Wall); \
	echo "$$kd $$w -none $(_pt)pattern/daqcap-pattern.h $(PATTERN_SRC)"; \
	$$kd $$w -none $(_pt)pattern/daqcap-pattern.h $(PATTERN_SRC) 2>&1 | \
		{ ! grep .; }
endif

# Windows (crop), as a sixth field LEFT,TOP,WxH: an odd top; a left edge
# inside a VERIFY word (RGB24, 2 x 3 bytes); NV12's and NV16's chroma rows
# of a window; a corner; a window that is the whole frame; even windows of
# frames of an odd width (whose own rows have no bytes in these formats).
_pattern_xcheck_windows := \
	YUYV:bars:320x240:0:0:2,3,100x50 RGB24:verify:333x7:4:99:2,1,17x5 \
	GREY:verify:64x16:1:7:6,0,33x16 NV12:verify:66x16:15:4294967295:2,2,40x10 \
	NV12:bars:400x360:3:150:100,34,200x100 NV16:verify:34x7:2:99:2,1,20x5 \
	NV16:bars:322x242:9:123456789:10,33,96x41 \
	XBGR32:bars:100x300:12:4294967295:6,10,50x100 \
	UYVY:bars:320x240:3:150:318,238,2x2 Y16:bars:641x97:2:1000:0,0,641x97 \
	YUYV:verify:641x4:1:3:2,1,16x2 NV16:bars:641x6:2:9:4,2,20x3

# Sizes and sequences that cover bars, box (and its bounce), text, ramp,
# odd widths and clipping, at sizes the Python model renders in seconds;
# every format, NV12 and NV16 (all their rows) included. 400x360 has k = 3,
# so text edges on odd lines, where NV12's chroma row takes the upper line.
_pattern_xcheck_cases := \
	YUYV:bars:320x240:0:0 UYVY:bars:320x240:3:150 \
	RGB24:bars:320x240:15:116 BGR24:bars:322x242:9:123456789 \
	XBGR32:bars:100x300:12:4294967295 GREY:bars:17x13:1:7 \
	Y16:bars:641x97:2:1000 YUYV:bars:8x64:0:5 RGB24:bars:1x1:0:0 \
	GREY:verify:333x7:4:99 YUYV:verify:64x16:15:4294967295 \
	NV12:bars:400x360:3:150 NV16:bars:322x242:9:123456789 \
	NV12:bars:2x2:0:0 NV16:bars:8x63:1:5 NV12:verify:66x16:15:4294967295 \
	NV16:verify:34x7:2:99 \
	$(_pattern_xcheck_windows)

pattern-xcheck: $(PATTERN_TOOL)
	@mkdir -p $(PATTERN_BUILD)/pattern
	@f=$(PATTERN_BUILD)/pattern/xcheck.raw; n=0; bad=0; \
	set -- $(_pattern_xcheck_cases); echo "1..$$#"; \
	for c in $(_pattern_xcheck_cases); do \
		n=$$((n + 1)); r="daqcap-pattern failed"; \
		set -- $$(echo $$c | tr : ' '); \
		if $(PATTERN_TOOL) --raw -f $$1 -p $$2 -s $$3 -i $$4 -n $$5 \
			$${6:+--crop $$6} -o $$f && \
		   r=$$($(PYTHON3) $(_pt)tests/pattern/pattern-ref.py --check $$f \
			--format $$1 --pattern $$2 --size $$3 --input $$4 \
			--sequence $$5 $${6:+--crop $$6} 2>$$f.err); then \
			echo "ok $$n - $$c: $${r#*: }"; \
		else \
			[ -n "$$r" ] || r=": $$(tail -n 1 $$f.err 2>/dev/null)"; \
			echo "not ok $$n - $$c: $${r#*: }"; bad=$$((bad + 1)); \
		fi; \
	done; rm -f $$f $$f.err; [ $$bad = 0 ]

_pattern_pnmtopng := $(shell command -v pnmtopng 2>/dev/null)

pattern-images: $(PATTERN_TOOL)
	@mkdir -p $(PATTERN_BUILD)/pattern
	$(PATTERN_TOOL) -f YUYV -s 1920x1080 -i 2 -n 1234 \
		-o $(PATTERN_BUILD)/pattern/bars-1920x1080-yuyv.ppm
	$(PATTERN_TOOL) -f RGB24 -s 640x480 -i 0 -n 150 \
		-o $(PATTERN_BUILD)/pattern/bars-640x480-rgb24.ppm
	$(PATTERN_TOOL) -f Y16 -s 640x480 -i 15 -n 4294967295 \
		-o $(PATTERN_BUILD)/pattern/bars-640x480-y16.pgm
	$(PATTERN_TOOL) -f RGB24 -p verify -s 640x480 \
		-o $(PATTERN_BUILD)/pattern/verify-640x480-rgb24.ppm
ifneq ($(_pattern_pnmtopng),)
	for f in $(PATTERN_BUILD)/pattern/*.ppm $(PATTERN_BUILD)/pattern/*.pgm; do \
		pnmtopng $$f > $${f%.p?m}.png || exit 1; \
	done
endif

pattern-clean:
	rm -f $(PATTERN_TOOL) $(PATTERN_TEST) $(PATTERN_BENCH)
	rm -rf $(PATTERN_BUILD)/pattern

# Run on its own, default to pattern-all; included, leave the includer's
# default goal alone.
ifeq ($(firstword $(MAKEFILE_LIST)),$(_pattern_mk))
.DEFAULT_GOAL := pattern-all
else
.DEFAULT_GOAL := $(_pattern_saved_goal)
endif
