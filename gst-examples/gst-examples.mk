# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# Build and run the GStreamer examples (gst-examples/).
#
# Include it from the top-level Makefile:
#
#	include gst-examples/gst-examples.mk
#	tools: gst-examples-all
#
# or run it on its own from the top of the tree:
#
#	make -f gst-examples/gst-examples.mk [TARGET...]
#
# Targets:
#
#   gst-examples-all    $(GST_EXAMPLES_BUILD)/bin/daqcap-gst-latency, the
#                       appsink example (needs libgstreamer1.0-dev and
#                       libgstreamer-plugins-base1.0-dev)
#   gst-examples-check  run every example in a VM with the emulated card
#                       (gst-examples/run-tests); TAP on stdout
#   gst-examples-clean  remove what these rules build
#
# Variables: CC, GST_EXAMPLES_BUILD (default: build/ at the top of the
# tree), GST_EXAMPLES_CFLAGS, PKG_CONFIG.

_gst_examples_mk := $(lastword $(MAKEFILE_LIST))
_gst_examples_saved_goal := $(.DEFAULT_GOAL)
_gst_examples_top := $(patsubst %/,%,$(dir $(patsubst %/,%,$(dir $(_gst_examples_mk)))))
_gt := $(if $(filter .,$(_gst_examples_top)),,$(_gst_examples_top)/)

GST_EXAMPLES_BUILD ?= $(_gt)build
GST_EXAMPLES_CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
_gst_examples_pkgs := gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0 \
	gstreamer-allocators-1.0

GST_EXAMPLES_LATENCY := $(GST_EXAMPLES_BUILD)/bin/daqcap-gst-latency

.PHONY: gst-examples-all gst-examples-check gst-examples-clean

gst-examples-all: $(GST_EXAMPLES_LATENCY)

$(GST_EXAMPLES_LATENCY): $(_gt)gst-examples/src/daqcap-gst-latency.c \
		$(_gt)pattern/daqcap-pattern.c $(_gt)pattern/daqcap-pattern.h \
		$(_gt)media/pci/daqcap/daqcap-regs.h $(_gst_examples_mk)
	@$(PKG_CONFIG) --exists $(_gst_examples_pkgs) || { \
		echo "gst-examples: GStreamer development files missing" \
			"(Debian: libgstreamer1.0-dev" \
			"libgstreamer-plugins-base1.0-dev)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror \
		$(GST_EXAMPLES_CFLAGS) -I$(_gt)pattern -I$(_gt)media/pci/daqcap \
		$$($(PKG_CONFIG) --cflags $(_gst_examples_pkgs)) -o $@ \
		$(_gt)gst-examples/src/daqcap-gst-latency.c \
		$(_gt)pattern/daqcap-pattern.c \
		$$($(PKG_CONFIG) --libs $(_gst_examples_pkgs)) -lm

gst-examples-check: $(GST_EXAMPLES_LATENCY)
	$(_gt)gst-examples/run-tests

gst-examples-clean:
	rm -f $(GST_EXAMPLES_LATENCY)
	rm -rf $(GST_EXAMPLES_BUILD)/gst-examples

ifeq ($(firstword $(MAKEFILE_LIST)),$(_gst_examples_mk))
.DEFAULT_GOAL := gst-examples-all
else
.DEFAULT_GOAL := $(_gst_examples_saved_goal)
endif
