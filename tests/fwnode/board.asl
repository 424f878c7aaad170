/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The board description of tests/fwnode/run, as ACPI tables give it on
 * x86: a _DSD with the device-tree binding's properties
 * (dts/bindings/media/daqcap-pci.yaml) and data subnodes for "inputs" and
 * "channels" (Documentation/firmware-guide/acpi/dsd/data-node-references.rst),
 * added to the ACPI devices QEMU's q35 gives the cards: \_SB.PCI0.Sxx.S00,
 * the first device below the root port in slot xx (card i: slot i + 1).
 *
 * Card 0 (0000:01:00.0) is wired as dts/daqcap-card.dtsi wires it: input 0
 * "SDI A", input 1 "HDMI 1", inputs 2 and 3 not wired; channel 0 starts on
 * input 1, channel 1 writes 32 lines per chunk.
 *
 * Card 1 (0000:02:00.0) leaves input 1 unwired, so that V4L2's input
 * numbers (0, 1, 2) are not the card's (0, 2, 3), and has values the
 * driver must refuse, each with a message, keeping its default: an input
 * node for input 7 (the card has 4), a second node for input 2, a label
 * too long, a label used twice, a channel node for channel 9, a default
 * input out of range, a default input that is not wired, and 100 lines
 * per chunk (the card's maximum is 64).
 *
 * Card 2 (0000:03:00.0) has no properties at all.
 */
DefinitionBlock ("", "SSDT", 2, "DAQCAP", "BOARD", 1)
{
	External (\_SB.PCI0.S08.S00, DeviceObj)
	External (\_SB.PCI0.S10.S00, DeviceObj)

	Scope (\_SB.PCI0.S08.S00)
	{
		Name (_DSD, Package () {
			ToUUID ("dbb8e3e6-5886-4ba6-8795-1319f52a966b"),
			Package () {
				Package () { "inputs", "INPS" },
				Package () { "channels", "CHNS" },
			}
		})
		Name (INPS, Package () {
			ToUUID ("dbb8e3e6-5886-4ba6-8795-1319f52a966b"),
			Package () {
				Package () { "input@0", "IN00" },
				Package () { "input@1", "IN01" },
				Package () { "input@2", "IN02" },
				Package () { "input@3", "IN03" },
			}
		})
		Name (IN00, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 0 },
				Package () { "label", "SDI A" },
				Package () { "daqcap,connector", "sdi" },
			}
		})
		Name (IN01, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 1 },
				Package () { "label", "HDMI 1" },
				Package () { "daqcap,connector", "hdmi" },
			}
		})
		Name (IN02, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 2 },
				Package () { "status", "disabled" },
			}
		})
		Name (IN03, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 3 },
				Package () { "status", "disabled" },
			}
		})
		Name (CHNS, Package () {
			ToUUID ("dbb8e3e6-5886-4ba6-8795-1319f52a966b"),
			Package () {
				Package () { "channel@0", "CH00" },
				Package () { "channel@1", "CH01" },
			}
		})
		Name (CH00, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 0 },
				Package () { "daqcap,default-input", 1 },
			}
		})
		Name (CH01, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 1 },
				Package () { "daqcap,lines-per-chunk", 32 },
			}
		})
	}

	Scope (\_SB.PCI0.S10.S00)
	{
		Name (_DSD, Package () {
			ToUUID ("dbb8e3e6-5886-4ba6-8795-1319f52a966b"),
			Package () {
				Package () { "inputs", "INPS" },
				Package () { "channels", "CHNS" },
			}
		})
		Name (INPS, Package () {
			ToUUID ("dbb8e3e6-5886-4ba6-8795-1319f52a966b"),
			Package () {
				Package () { "input@0", "IN00" },
				Package () { "input@1", "IN01" },
				Package () { "input@2", "IN02" },
				Package () { "input@3", "IN03" },
				Package () { "input@7", "IN07" },
				Package () { "input-again", "IN2A" },
			}
		})
		Name (IN00, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 0 },
				Package () { "label", "A label longer than thirty-one characters" },
			}
		})
		Name (IN01, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 1 },
				Package () { "status", "disabled" },
			}
		})
		Name (IN02, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 2 },
				Package () { "label", "Camera" },
			}
		})
		Name (IN03, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 3 },
				Package () { "label", "Camera" },
			}
		})
		Name (IN07, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 7 },
				Package () { "label", "Nowhere" },
			}
		})
		Name (IN2A, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 2 },
				Package () { "status", "disabled" },
			}
		})
		Name (CHNS, Package () {
			ToUUID ("dbb8e3e6-5886-4ba6-8795-1319f52a966b"),
			Package () {
				Package () { "channel@0", "CH00" },
				Package () { "channel@1", "CH01" },
				Package () { "channel@2", "CH02" },
				Package () { "channel@9", "CH09" },
			}
		})
		Name (CH00, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 0 },
				Package () { "daqcap,default-input", 9 },
			}
		})
		Name (CH01, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 1 },
				Package () { "daqcap,lines-per-chunk", 100 },
			}
		})
		Name (CH02, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 2 },
				Package () { "daqcap,default-input", 1 },
			}
		})
		Name (CH09, Package () {
			ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
			Package () {
				Package () { "reg", 9 },
				Package () { "daqcap,lines-per-chunk", 8 },
			}
		})
	}
}
