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

#include <linux/pci.h>
#include <linux/property.h>
#include <linux/string.h>

#include "daqcap.h"

/*
 * "status" is read as a property, not with fwnode_device_is_available():
 * an ACPI data subnode is never "available" to that, whatever it says, and
 * for a device-tree node both read the same property.
 */
static bool daqcap_fw_node_enabled(struct fwnode_handle *node)
{
	const char *status;

	if (fwnode_property_read_string(node, "status", &status))
		return true;
	return !strcmp(status, "okay") || !strcmp(status, "ok");
}

static void daqcap_fw_read_input(struct daqcap_dev *dev,
				 struct fwnode_handle *node)
{
	struct device *d = &dev->pdev->dev;
	struct daqcap_input *in;
	const char *label;
	unsigned int i;
	u32 reg;

	if (fwnode_property_read_u32(node, "reg", &reg) ||
	    reg >= dev->num_inputs) {
		dev_warn(d, "firmware node %pfwP: no reg, or not one of the card's %u inputs: ignored\n",
			 node, dev->num_inputs);
		return;
	}
	in = &dev->inputs[reg];
	in->offered = daqcap_fw_node_enabled(node);
	if (fwnode_property_read_string(node, "label", &label))
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
				   struct fwnode_handle *node)
{
	struct device *d = &dev->pdev->dev;
	struct daqcap_chan *chan;
	u32 reg, val;

	if (fwnode_property_read_u32(node, "reg", &reg) ||
	    reg >= dev->num_channels) {
		dev_warn(d, "firmware node %pfwP: no reg, or not one of the card's %u channels: ignored\n",
			 node, dev->num_channels);
		return;
	}
	chan = &dev->chans[reg];
	if (!fwnode_property_read_u32(node, "daqcap,default-input", &val)) {
		/* The inputs were read first. */
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

/* Call @fn on each child of the node's child @name, if there is one. */
static void daqcap_fw_for_each(struct daqcap_dev *dev, const char *name,
			       void (*fn)(struct daqcap_dev *dev,
					  struct fwnode_handle *node))
{
	struct fwnode_handle *parent, *child;

	parent = device_get_named_child_node(&dev->pdev->dev, name);
	if (!parent)
		return;
	fwnode_for_each_child_node(parent, child)
		fn(dev, child);
	fwnode_handle_put(parent);
}

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
	if (dev_fwnode(d)) {
		daqcap_fw_for_each(dev, "inputs", daqcap_fw_read_input);
		daqcap_fw_for_each(dev, "channels", daqcap_fw_read_channel);
	}

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
	for (c = 0; c < dev->num_channels; c++) {
		struct daqcap_chan *chan = &dev->chans[c];

		if (dev->inputs[chan->default_input].offered)
			continue;
		dev_info(d, "channel %u: input %u is not wired: starting on input %u\n",
			 c, chan->default_input, dev->offered[0]);
		chan->default_input = dev->offered[0];
	}
}
