"""Render a :class:`DeviceInfo` the way ``lsusb -v`` prints it, for reports and diffs."""
from __future__ import annotations

from hilkit.core.device import DeviceInfo, InterfaceInfo

_TYPE_ATTR = {"control": 0, "isochronous": 1, "bulk": 2, "interrupt": 3}


def _bcd(value: int) -> str:
    return f"{value >> 8:x}.{value & 0xff:02x}"


def format_lsusb(info: DeviceInfo) -> str:
    out = [
        f"Bus {info.bus:03d} Device {info.address:03d}: ID {info.id} {info.manufacturer} {info.product}".rstrip(),
        f"Port path: {info.port}",
        "Device Descriptor:",
        "  bLength                18",
        "  bDescriptorType         1",
        f"  bcdUSB               {_bcd(info.bcd_usb)}",
        f"  bDeviceClass          {info.device_class:3d}",
        f"  bDeviceSubClass       {info.device_subclass:3d}",
        f"  bDeviceProtocol       {info.device_protocol:3d}",
        f"  bMaxPacketSize0       {info.max_packet0:3d}",
        f"  idVendor           0x{info.id.vendor:04x}",
        f"  idProduct          0x{info.id.product:04x}",
        f"  bcdDevice            {_bcd(info.bcd_device)}",
        f"  iManufacturer           {info.manufacturer}",
        f"  iProduct                {info.product}",
        f"  iSerial                 {info.serial}",
        f"  bNumConfigurations    {info.num_configurations:3d}",
        "  Configuration Descriptor:",
        f"    bNumInterfaces        {len({i.number for i in info.interfaces}):3d}",
        f"    bConfigurationValue   {info.configuration:3d}",
        f"    bmAttributes         0x{info.config_attributes:02x}",
        f"    MaxPower            {info.max_power_ma:4d}mA",
    ]
    for itf in info.interfaces:
        out.extend(_interface(itf))
    return "\n".join(out) + "\n"


def _interface(itf: InterfaceInfo) -> list[str]:
    lines = [
        "    Interface Descriptor:",
        f"      bInterfaceNumber      {itf.number:3d}",
        f"      bAlternateSetting     {itf.alt:3d}",
        f"      bNumEndpoints         {len(itf.endpoints):3d}",
        f"      bInterfaceClass       {itf.cls:3d}",
        f"      bInterfaceSubClass    {itf.subclass:3d}",
        f"      bInterfaceProtocol    {itf.protocol:3d}",
        f"      iInterface              {itf.name}".rstrip(),
    ]
    kernel = ", ".join(f"{k}={v}" for k, v in (("driver", itf.driver), ("tty", itf.tty), ("net", itf.net)) if v)
    if kernel:
        lines.append(f"      (kernel: {kernel})")
    for ep in itf.endpoints:
        direction = "IN" if ep.address & 0x80 else "OUT"
        lines += [
            "      Endpoint Descriptor:",
            f"        bEndpointAddress     0x{ep.address:02x}  EP {ep.address & 0x0f} {direction}",
            f"        bmAttributes          {_TYPE_ATTR[ep.type]:3d}",
            f"          Transfer Type            {ep.type.capitalize()}",
            f"        wMaxPacketSize     0x{ep.max_packet:04x}  1x {ep.max_packet} bytes",
            f"        bInterval             {ep.interval:3d}",
        ]
    return lines
