// SPDX-License-Identifier: GPL-2.0-only
/*
 * DAQCAP: what the board's firmware says about the card
 * (Documentation/devicetree/bindings/media/daqcap-pci.yaml).
 *
 * The card reports its inputs and channels; only the board knows which
 * inputs are wired, what they are called and what each channel should
 * start with. A device-tree node below the PCIe port, or an ACPI _DSD with
 * the same properties and data subnodes, says so:
 *
 *   inputs/input@N:     reg, label, status, daqcap,connector
 *   channels/channel@N: reg, daqcap,default-input, daqcap,lines-per-chunk
 *
 * Everything is read once, at probe, through the fwnode property API. A
 * value the card cannot honour is refused with a message, and the default
 * stands; without any node the card works as if every input were wired
 * and had no label.
 */

#include <linux/of.h>
#include <linux/pci.h>
#include <linux/property.h>
#include <linux/string.h>

#include "daqcap.h"

/*
 * "status" is read as a property, not with fwnode_device_is_available():
 * an ACPI data subnode is never "available" to that, whatever it says.
 */
static bool daqcap_fw_node_enabled(struct fwnode_handle *node)
{
	const char *status;

	if (fwnode_property_read_string(node, "status", &status))
		return true;
	return !strcmp(status, "okay") || !strcmp(status, "ok");
}

static void daqcap_fw_read_input(struct daqcap_dev *dev,
				 struct fwnode_handle *node, unsigned int reg)
{
	struct device *d = &dev->pdev->dev;
	struct daqcap_input *in = &dev->inputs[reg];
	const char *label;
	unsigned int i;

	in->offered = daqcap_fw_node_enabled(node);
	/* An unwired input is neither listed nor in the graph: no name. */
	if (!in->offered || fwnode_property_read_string(node, "label", &label))
		return;
	if (!*label || strlen(label) >= sizeof(in->label)) {
		dev_warn(d, "input %u: label \"%s\" empty or longer than %zu characters: ignored\n",
			 reg, label, sizeof(in->label) - 1);
		return;
	}
	/* The label names the input's media entity: it must be unique. */
	for (i = 0; i < dev->num_inputs; i++) {
		if (!strcmp(dev->inputs[i].label, label)) {
			dev_warn(d, "input %u: label \"%s\" is input %u's already: ignored\n",
				 reg, label, i);
			return;
		}
	}
	strscpy(in->label, label, sizeof(in->label));
}

static void daqcap_fw_read_channel(struct daqcap_dev *dev,
				   struct fwnode_handle *node, unsigned int reg)
{
	struct device *d = &dev->pdev->dev;
	struct daqcap_chan *chan = &dev->chans[reg];
	u32 val;

	if (!fwnode_property_read_u32(node, "daqcap,default-input", &val)) {
		/* Which inputs are wired is known by now. */
		if (val >= dev->num_inputs)
			dev_warn(d, "channel %u: daqcap,default-input %u is not one of the card's %u inputs: ignored\n",
				 reg, val, dev->num_inputs);
		else if (!dev->inputs[val].offered)
			dev_warn(d, "channel %u: daqcap,default-input %u is not wired: ignored\n",
				 reg, val);
		else
			chan->default_input = val;
	}
	if (!fwnode_property_read_u32(node, "daqcap,lines-per-chunk", &val)) {
		if (val >= 1 && val <= DAQCAP_MAX_CHUNK_LINES)
			chan->default_chunk_lines = val;
		else
			dev_warn(d, "channel %u: daqcap,lines-per-chunk %u is not 1 to %u: %u used\n",
				 reg, val, DAQCAP_MAX_CHUNK_LINES,
				 chan->default_chunk_lines);
	}
}

/**
 * struct daqcap_fw_list - one list of nodes the binding defines
 * @name: the list's node ("inputs", "channels")
 * @what: what each of its nodes describes, for messages
 * @disabled_is_absent: a disabled node says nothing (channels), rather
 *	than that its input is not wired (inputs)
 * @read: reads one node, whose reg is valid and seen for the first time
 */
struct daqcap_fw_list {
	const char *name;
	const char *what;
	bool disabled_is_absent;
	void (*read)(struct daqcap_dev *dev, struct fwnode_handle *node,
		     unsigned int reg);
};

static void daqcap_fw_read_node(struct daqcap_dev *dev,
				const struct daqcap_fw_list *list,
				unsigned int count, struct fwnode_handle *node,
				unsigned long *seen)
{
	struct device *d = &dev->pdev->dev;
	u32 reg;

	if (fwnode_property_read_u32(node, "reg", &reg) || reg >= count) {
		dev_warn(d, "firmware node %pfwP: no reg, or not one of the card's %u %ss: ignored\n",
			 node, count, list->what);
		return;
	}
	if (list->disabled_is_absent && !daqcap_fw_node_enabled(node))
		return;
	if (test_and_set_bit(reg, seen)) {
		dev_warn(d, "firmware node %pfwP: %s %u is described already: ignored\n",
			 node, list->what, reg);
		return;
	}
	list->read(dev, node, reg);
}

/*
 * Read each node of @list (the card has @count of what they describe),
 * disabled ones included: on a device tree the fwnode iterators skip
 * those, and "not wired" is what a board says with them.
 */
static void daqcap_fw_read_list(struct daqcap_dev *dev,
				const struct daqcap_fw_list *list,
				unsigned int count)
{
	struct fwnode_handle *parent, *child;
	unsigned long seen = 0;
	struct device_node *np;

	parent = device_get_named_child_node(&dev->pdev->dev, list->name);
	if (!parent)
		return;
	if (is_of_node(parent)) {
		for_each_child_of_node(to_of_node(parent), np)
			daqcap_fw_read_node(dev, list, count,
					    of_fwnode_handle(np), &seen);
	} else {
		fwnode_for_each_child_node(parent, child)
			daqcap_fw_read_node(dev, list, count, child, &seen);
	}
	fwnode_handle_put(parent);
}

static const struct daqcap_fw_list daqcap_fw_inputs = {
	.name = "inputs",
	.what = "input",
	.read = daqcap_fw_read_input,
};

static const struct daqcap_fw_list daqcap_fw_channels = {
	.name = "channels",
	.what = "channel",
	.disabled_is_absent = true,
	.read = daqcap_fw_read_channel,
};

/**
 * daqcap_fw_read() - apply the board's description of the card
 * @dev: the card, identified (its inputs and channels counted)
 *
 * Sets which inputs are offered and their labels, the V4L2 input numbering
 * (&daqcap_dev.offered) and each channel's defaults, before the inputs'
 * entities and the channels are set up.
 */
void daqcap_fw_read(struct daqcap_dev *dev)
{
	struct device *d = &dev->pdev->dev;
	unsigned int i, c;

	for (i = 0; i < dev->num_inputs; i++)
		dev->inputs[i].offered = true;
	for (c = 0; c < dev->num_channels; c++) {
		dev->chans[c].default_input = c % dev->num_inputs;
		dev->chans[c].default_chunk_lines = DAQCAP_CHUNK_LINES_DEFAULT;
	}
	if (dev_fwnode(d))
		daqcap_fw_read_list(dev, &daqcap_fw_inputs, dev->num_inputs);

	dev->num_offered = 0;
	for (i = 0; i < dev->num_inputs; i++) {
		struct daqcap_input *in = &dev->inputs[i];

		if (!in->offered)
			continue;
		in->index = dev->num_offered;
		dev->offered[dev->num_offered++] = i;
	}
	if (!dev->num_offered) {
		/* A capture node must have an input to capture. */
		dev_warn(d, "firmware disables every input: offering them all\n");
		for (i = 0; i < dev->num_inputs; i++) {
			dev->inputs[i].offered = true;
			dev->inputs[i].index = i;
			dev->offered[i] = i;
		}
		dev->num_offered = dev->num_inputs;
	}
	/* The channels' defaults, knowing which inputs are wired. */
	if (dev_fwnode(d))
		daqcap_fw_read_list(dev, &daqcap_fw_channels,
				    dev->num_channels);
	for (c = 0; c < dev->num_channels; c++) {
		struct daqcap_chan *chan = &dev->chans[c];

		if (dev->inputs[chan->default_input].offered)
			continue;
		dev_info(d, "channel %u: input %u is not wired: starting on input %u\n",
			 c, chan->default_input, dev->offered[0]);
		chan->default_input = dev->offered[0];
	}
}
