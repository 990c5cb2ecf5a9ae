"""What one ``lsusb -v`` dump says about a device: frozen records of its descriptors."""
from __future__ import annotations

from dataclasses import dataclass

from hilkit.core.device import DeviceInfo, EndpointInfo, InterfaceInfo
from hilkit.core.ids import ClassTriple, UsbId

HUB_CLASS = 0x09


@dataclass(frozen=True)
class CapturedEndpoint(EndpointInfo):
    """An endpoint as a device snapshot has it (type from bmAttributes bits 0-1, max_packet from bits 0-10 of
    wMaxPacketSize), plus what only a dump shows."""

    attributes: int = 0
    packets_per_microframe: int = 1  # bits 11-12 of wMaxPacketSize, plus one (high-bandwidth endpoints)
    line: int = 0


@dataclass(frozen=True)
class CapturedInterface(InterfaceInfo):
    """One interface descriptor, an (interface number, alternate setting) pair, as a device snapshot has it; its
    ``name`` is the iInterface string ("" when there is none or lsusb could not read it). A dump names no driver."""

    endpoints: tuple[CapturedEndpoint, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class CapturedAssociation(ClassTriple):
    """An Interface Association descriptor (IAD): groups interfaces into one function."""

    first_interface: int
    interface_count: int
    name: str = ""       # the iFunction string
    next_interface: int | None = None  # number of the interface descriptor printed right after it
    line: int = 0

    @property
    def interfaces(self) -> range:
        return range(self.first_interface, self.first_interface + self.interface_count)


@dataclass(frozen=True)
class CapturedConfiguration:
    value: int           # bConfigurationValue
    attributes: int      # bmAttributes
    max_power_ma: int
    num_interfaces: int  # bNumInterfaces
    interfaces: tuple[CapturedInterface, ...]
    associations: tuple[CapturedAssociation, ...] = ()
    name: str = ""       # the iConfiguration string
    line: int = 0

    @property
    def numbers(self) -> list[int]:
        return sorted({i.number for i in self.interfaces})

    def interface(self, number: int, alt: int = 0) -> CapturedInterface | None:
        return next((i for i in self.interfaces if i.number == number and i.alt == alt), None)


@dataclass(frozen=True)
class CapturedDevice:
    path: str            # the file the dump came from ("<stdin>")
    line: int            # its "Bus NNN Device NNN: ID vvvv:pppp" line
    bus: int
    address: int
    id: UsbId
    bcd_usb: int
    device_class: int
    device_subclass: int
    device_protocol: int
    num_configurations: int
    configurations: tuple[CapturedConfiguration, ...]
    manufacturer: str = ""   # the iManufacturer string
    product: str = ""        # the iProduct string
    serial: str = ""
    vendor_name: str = ""    # what lsusb's usb.ids says after idVendor and idProduct
    product_name: str = ""
    header_name: str = ""    # what lsusb's usb.ids says after "ID vvvv:pppp" on the Bus line (both names)
    bcd_device: int | None = None
    max_packet0: int | None = None
    notes: tuple[str, ...] = ()  # "Couldn't open device ..." and the like

    @property
    def is_hub(self) -> bool:
        return self.device_class == HUB_CLASS

    @property
    def configuration(self) -> CapturedConfiguration:
        """The first configuration listed (the one a draft describes)."""
        return self.configurations[0]

    def snapshot(self, port: str = "") -> DeviceInfo:
        """The dump as what a look at the port would show, in its first configuration: what a profile's
        mode check (:func:`hilkit.core.modes.mode_problems`) takes."""
        config = self.configuration
        return DeviceInfo(
            port=port or f"{self.path}:{self.line}", id=self.id, device_class=self.device_class,
            configuration=config.value, interfaces=config.interfaces, bus=self.bus, address=self.address,
            num_configurations=self.num_configurations, bcd_usb=self.bcd_usb, bcd_device=self.bcd_device or 0,
            device_subclass=self.device_subclass, device_protocol=self.device_protocol,
            manufacturer=self.manufacturer, product=self.product, serial=self.serial,
            config_attributes=config.attributes, max_power_ma=config.max_power_ma,
            configuration_values=tuple(c.value for c in self.configurations))
