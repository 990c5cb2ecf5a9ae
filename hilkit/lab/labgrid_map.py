"""What a labgrid place's resources mean to hilkit: power switch, USB port path, AT port, exporter host.

A place is one dongle. Its resources, as an exporter publishes them, map onto hilkit's contracts:

- power: ``NetworkPowerPort`` (any of labgrid's PDU models), ``NetworkUSBPowerPort`` (a hub port:
  uhubctl on the exporter host), ``NetworkSysfsGPIO`` (a relay on a GPIO line, exported from
  ``SysfsGPIO`` or ``MatchedSysfsGPIO``) -> :class:`LabgridPower`, a :class:`~hilkit.power.PowerSwitch`
  driving labgrid's own driver (NetworkPowerDriver, USBPowerDriver, DigitalOutputPowerDriver);
- USB port path: the ``path`` of a USB device resource (``NetworkUSBFlashableDevice`` and the other
  ``Network*`` USB resources an exporter publishes for a device matched by ``ID_PATH``), else the
  hub path and index of the ``NetworkUSBPowerPort`` (hub ``1-1`` port 3 is ``1-1.3``);
- AT port: a ``NetworkSerialPort`` (exported from ``USBSerialPort``/``RawSerialPort`` through ser2net,
  or given directly) named after the interface role (``at``, ``diag``, ``ppp``), or the only one,
  opened by pyserial as ``rfc2217://host:port`` or ``socket://host:port``.
"""
from __future__ import annotations

from typing import Any

from hilkit.lab.labgrid_place import PlaceError, PlaceResource
from hilkit.power import PowerSwitch

POWER_CLASSES = {"NetworkPowerPort": "NetworkPowerDriver", "NetworkUSBPowerPort": "USBPowerDriver",
                 "NetworkSysfsGPIO": "DigitalOutputPowerDriver"}
SERIAL_CLASSES = {"NetworkSerialPort"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def power_resource(place: str, resources: list[PlaceResource]) -> PlaceResource:
    """The one resource that powers the place's dongle."""
    found = [r for r in resources if r.cls in POWER_CLASSES]
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} ({', '.join(r.name for r in found)})"
        raise PlaceError(f"labgrid place {place}: {what} power resources (expected exactly one of: "
                         f"{', '.join(POWER_CLASSES)}, exported from NetworkPowerPort, USBPowerPort, SysfsGPIO "
                         f"or MatchedSysfsGPIO)")
    return found[0]


def usb_port_path(place: str, resources: list[PlaceResource]) -> str:
    """The dongle's USB port path (``1-1.3``) from the place: its USB device, else its hub port."""
    for res in resources:
        if res.cls.startswith("Network") and "busnum" in res.params and res.cls != "NetworkUSBPowerPort" \
                and res.params.get("path"):
            return str(res.params["path"])
    for res in resources:
        if res.cls == "NetworkUSBPowerPort" and res.params.get("path") and res.params.get("index") is not None:
            return hub_port_path(str(res.params["path"]), int(res.params["index"]))
    devices = [r.name for r in resources if "busnum" in r.params and r.cls != "NetworkUSBPowerPort"]
    hint = f" (USB device {', '.join(devices)} is not available: is the dongle unplugged?)" if devices else ""
    raise PlaceError(f"labgrid place {place}: no resource gives the dongle's USB port path{hint} (expected a USB "
                     f"device matched by ID_PATH, e.g. USBFlashableDevice, or a USBPowerPort; or set the slot's port)")


def hub_port_path(hub: str, index: int) -> str:
    """The USB path of port ``index`` on hub ``hub`` (sysfs names: root hub ``usb1`` -> ``1-3``)."""
    if hub.startswith("usb") and hub[3:].isdigit():
        return f"{hub[3:]}-{index}"
    return f"{hub}.{index}"


def serial_resource(place: str, resources: list[PlaceResource], role: str) -> PlaceResource | None:
    """The serial port for interface ``role``: the one named so, else for ``at`` the only one."""
    ports = [r for r in resources if r.cls in SERIAL_CLASSES]
    named = [r for r in ports if r.name == role]
    if named:
        return named[0]
    if role == "at" and len(ports) == 1:
        return ports[0]
    return None


def serial_url(res: PlaceResource) -> str:
    """The pyserial URL of a NetworkSerialPort (``rfc2217`` is labgrid's default protocol)."""
    host, port = res.params.get("host"), res.params.get("port")
    if not (host and port):
        raise PlaceError(f"labgrid serial port {res.path} has no host:port yet (is the tty there? "
                         f"seen: host {host!r} port {port!r})")
    scheme = "socket" if res.params.get("protocol") == "raw" else "rfc2217"
    return f"{scheme}://{host}:{port}"


def exporter_host(resources: list[PlaceResource]) -> str:
    """The host the place's USB hardware hangs off (where usb_modeswitch must run)."""
    usb_first = sorted(resources, key=lambda r: "busnum" not in r.params)  # the USB device's host, else any
    for res in usb_first:
        if res.cls != "NetworkPowerPort" and res.params.get("host"):
            extra = res.params.get("extra") or {}
            return str(extra.get("proxy") if extra.get("proxy_required") else res.params["host"])
    return ""


class LabgridPower(PowerSwitch):
    """A dongle's power through labgrid's driver for the place's power resource.

    ``driver`` is a bound, active labgrid driver implementing PowerProtocol (``on``, ``off``, ``get``).
    """

    def __init__(self, driver: Any, name: str) -> None:
        super().__init__(name)
        self.driver = driver

    def _set(self, on: bool) -> None:
        try:
            self.driver.on() if on else self.driver.off()
        except Exception as exc:  # noqa: BLE001 - labgrid's drivers raise what their transport raises
            raise _power_error(self.name, "on" if on else "off", exc) from None

    def _read(self) -> bool | None:
        try:
            return bool(self.driver.get())
        except NotImplementedError:
            return None
        except Exception as exc:  # noqa: BLE001 - as above
            raise _power_error(self.name, "read back", exc) from None


def _power_error(name: str, action: str, exc: Exception) -> Exception:
    from hilkit.core.errors import PowerError
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return PowerError(f"{name}: could not switch {action} through labgrid: {type(exc).__name__}: {text}")


def power_driver(target: Any, res: PlaceResource) -> Any:
    """Bind and activate labgrid's power driver for ``res`` on ``target`` (a RemotePlace target)."""
    from labgrid.factory import target_factory
    if res.cls == "NetworkSysfsGPIO":
        gpio = target_factory.class_from_string("GpioDigitalOutputDriver")(target, name=None)
        target.activate(gpio)
    driver = target_factory.class_from_string(POWER_CLASSES[res.cls])(target, name=None)
    target.activate(driver)
    return driver
