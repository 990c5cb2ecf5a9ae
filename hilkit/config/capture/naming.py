"""Name a captured device: the short vendor and model a draft profile gets, and its profile key.

The rule, in order of preference:

- **Sources.** lsusb's own names for the ids (from ``usb.ids``: the text after ``idVendor 0x12d1``
  and ``idProduct 0x1506``, or, when those lines carry none, the text after ``ID 12d1:1506`` on the
  ``Bus`` line) come first; the device's string descriptors (``iManufacturer``, ``iProduct``) are
  the fallback. The strings are what the firmware says about itself (``HUAWEI_MOBILE`` on many
  Huawei sticks); ``usb.ids`` names the product (``E3372 LTE/UMTS/GSM Modem/Networkcard``).
- **Vendor**: the first word of the vendor name, without trailing punctuation or an ``_suffix``:
  ``Huawei Technologies Co., Ltd.`` -> ``Huawei``, ``Sierra Wireless, Inc.`` -> ``Sierra``,
  ``HUAWEI_MOBILE`` -> ``HUAWEI``. Case is kept as given.
- **Model**: a *model token* the product name starts with (after a leading vendor word such as
  ``HUAWEI``), from the ``usb.ids`` name first, then from ``iProduct``: ``E3372 LTE/UMTS/GSM
  Modem/Networkcard`` -> ``E3372``, ``HUAWEI E3531`` -> ``E3531``. A model token is one word of
  letters and digits (``/ . + -`` allowed inside) with at least one letter and two digits
  (``E3372``, ``MF823``, ``ME909u-521``; not ``4G``, not ``LTE``). With no model token the whole
  product text is the model (``usb.ids`` first): ``Modem/Networkcard``, ``HUAWEI Mobile``.
- Nothing at all: ``unknown``.
- **Profile key**: ``vendor/model`` in lower case, every run of other characters than ``a-z0-9``
  made one ``-`` (non-ASCII letters folded to ASCII first): ``huawei/e3372``,
  ``huawei/huawei-mobile``. It is the name a :class:`~hilkit.config.profiles.ProfileLibrary` gives
  the file saved as ``<folder>/huawei/e3372.yaml``.

A ``Bus`` line's names are one text (``Huawei Technologies Co., Ltd. E3372 ...``); without the
``idVendor`` line's name to cut it at, it is cut after a company ending (``Co., Ltd.``, ``Inc.``,
``GmbH``, ...) or before its first model token; a text that cuts neither way is taken as the
vendor's name alone.
"""
from __future__ import annotations

import re
import unicodedata

from hilkit.config.capture.captured_device import CapturedDevice

_COMPANY_END = re.compile(
    r"^(.*?\b(?:Co\.?,?\s*Ltd\.?|Ltd\.?|Limited|Inc\.?|Incorporated|Corp\.?|Corporation|GmbH|AG|"
    r"S\.A\.|SA|LLC|L\.L\.C\.|plc|B\.V\.|N\.V\.|Oy|AB|ASA|Pty\.?\s*Ltd\.?|S\.p\.A\.|Srl|K\.K\.))"
    r"(?=\s|$)\s*(.*)$")
_MODEL_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./+-]*")
_TRAILING = ",.;:!?)"


def clean(text: str) -> str:
    """A string from the dump, safe for YAML and one line: printable characters only."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def usb_ids_names(device: CapturedDevice) -> tuple[str, str]:
    """lsusb's ``usb.ids`` names for the device's vendor and product ("" where it printed none)."""
    vendor, product, header = clean(device.vendor_name), clean(device.product_name), clean(device.header_name)
    if vendor or product or not header:
        if vendor and not product and header.startswith(vendor + " "):
            product = header[len(vendor):].strip()
        return vendor, product
    company = _COMPANY_END.match(header)
    if company:
        return company.group(1).strip(), company.group(2).strip()
    words = header.split()
    for n, word in enumerate(words[1:], 1):
        if model_token(word):
            return " ".join(words[:n]), " ".join(words[n:])
    return header, ""


def short_vendor(name: str) -> str:
    """The first word of a vendor name: ``Huawei Technologies Co., Ltd.`` -> ``Huawei``."""
    words = clean(name).split()
    first = words[0].split("_")[0].rstrip(_TRAILING) if words else ""
    return first or clean(name)


def model_token(word: str) -> str:
    """``word`` (trailing punctuation dropped) if it looks like a model number, else ""."""
    word = word.rstrip(_TRAILING)
    if (_MODEL_TOKEN.fullmatch(word) and any(c.isalpha() for c in word)
            and sum(c.isdigit() for c in word) >= 2):
        return word
    return ""


def leading_model(product: str, vendor_words: set[str]) -> str:
    """The model token ``product`` starts with, after a leading vendor word (``HUAWEI E3372``)."""
    words = [w for w in re.split(r"[\s_]+", clean(product)) if w]
    if words and words[0].rstrip(_TRAILING).casefold() in vendor_words and len(words) > 1:
        words = words[1:]
    return model_token(words[0]) if words else ""


def device_names(device: CapturedDevice) -> tuple[str, str]:
    """The short ``(vendor, model)`` a draft names ``device`` by (see the module's rule)."""
    ids_vendor, ids_product = usb_ids_names(device)
    manufacturer, product = clean(device.manufacturer), clean(device.product)
    vendor = short_vendor(ids_vendor) or short_vendor(manufacturer) or "unknown"
    vendor_words = {w.casefold() for w in (vendor, short_vendor(manufacturer), short_vendor(ids_vendor)) if w}
    model = (leading_model(ids_product, vendor_words) or leading_model(product, vendor_words)
             or ids_product or product or "unknown")
    return vendor, model


def slug(text: str) -> str:
    """``text`` as one lower-case path segment: ``HUAWEI Mobile`` -> ``huawei-mobile``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "unknown"


def profile_key(vendor: str, model: str) -> str:
    """The profile's name in a library: ``huawei/e3372``."""
    return f"{slug(vendor)}/{slug(model)}"
