"""Draft a device profile from ``lsusb -v`` output: the public names of the parser and the drafter."""
from __future__ import annotations

from hilkit.config.capture.captured_device import (
           CapturedAssociation,
           CapturedConfiguration,
           CapturedDevice,
           CapturedEndpoint,
           CapturedInterface,
)
from hilkit.config.capture.draft import draft_profile, draft_yaml
from hilkit.config.capture.interface_roles import guess_role
from hilkit.config.capture.lsusb_text import parse_lsusb
from hilkit.config.capture.naming import device_names, profile_key
from hilkit.config.capture.usb_devices_text import parse_usb_devices

__all__ = ["CapturedAssociation", "CapturedConfiguration", "CapturedDevice", "CapturedEndpoint",
           "CapturedInterface", "device_names", "draft_profile", "draft_yaml", "guess_role", "parse_lsusb",
           "parse_usb_devices", "profile_key"]
