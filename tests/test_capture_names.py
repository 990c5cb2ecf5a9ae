"""``hilkit profiles capture``: how a draft names the device, and how it writes numbers.

Names: lsusb's ``usb.ids`` names (the ``Bus`` line, ``idVendor``/``idProduct``) before the string
descriptors, shortened (``Huawei``/``E3372``); see :mod:`hilkit.config.capture.naming`. Numbers:
class codes and endpoint addresses in hex, as ``device_profiles/huawei/*.yaml`` write them. A draft
must load through a :class:`ProfileLibrary` under its profile key with every value it was drafted with.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hilkit.config.capture import (
    CapturedDevice,
    device_names,
    draft_profile,
    draft_yaml,
    parse_lsusb,
    parse_usb_devices,
    profile_key,
)
from hilkit.config.capture.naming import leading_model, model_token, short_vendor, slug, usb_ids_names
from hilkit.config.paths import PROJECT_ROOT
from hilkit.config.profiles import ProfileLibrary, load_profile

E3531_PATH = PROJECT_ROOT / "fixtures" / "huawei-e3531" / "lsusb-v.txt"
E3531_DUMP = E3531_PATH.read_text(encoding="utf-8")
E3372_PATH = PROJECT_ROOT / "fixtures" / "huawei-e3372" / "14dc-hilink.usb-devices.txt"
SHIPPED = PROJECT_ROOT / "device_profiles" / "huawei"

E3372_NAMES = "Huawei Technologies Co., Ltd. E3372 LTE/UMTS/GSM Modem/Networkcard"


def synthetic_e3372(with_id_names: bool, header: str = E3372_NAMES) -> str:
    """The real E3531 dump re-labelled (written for these tests, not a capture): id 12d1:1506, the
    strings an E3372 gives (HUAWEI_MOBILE), ``header`` after the id on the Bus line, and, when
    ``with_id_names``, usb.ids' names after idVendor/idProduct as lsusb prints them."""
    vendor_name, product_name = ("Huawei Technologies Co., Ltd.", "E3372 LTE/UMTS/GSM Modem/Networkcard") \
        if with_id_names else ("", "")
    text = (E3531_DUMP
            .replace("Bus 001 Device 008: ID 12d1:155e  ", f"Bus 001 Device 006: ID 12d1:1506 {header}")
            .replace("idVendor           0x12d1 ", f"idVendor           0x12d1 {vendor_name}")
            .replace("idProduct          0x155e ", f"idProduct          0x1506 {product_name}")
            .replace("iManufacturer           1 HUAWEI\n", "iManufacturer           1 HUAWEI_MOBILE\n")
            .replace("iProduct                2 HUAWEI Mobile", "iProduct                2 HUAWEI_MOBILE"))
    assert text.count("HUAWEI_MOBILE") == 2 and "12d1:1506" in text
    return text


def only(text: str, path: str = "synthetic.txt") -> CapturedDevice:
    (device,) = parse_lsusb(text, path)
    return device


# --- the naming rule --------------------------------------------------------------------------

def test_real_e3531_dump_has_no_usb_ids_names_so_the_strings_name_it():
    device = only(E3531_DUMP, str(E3531_PATH))
    assert (device.header_name, device.vendor_name, device.product_name) == ("", "", "")
    assert device_names(device) == ("HUAWEI", "HUAWEI Mobile")
    profile = draft_profile(device)
    assert (profile["vendor"], profile["model"]) == ("HUAWEI", "HUAWEI Mobile")
    assert profile_key(profile["vendor"], profile["model"]) == "huawei/huawei-mobile"


def test_real_e3372_capture_strings_only_say_huawei_mobile():
    """The real E3372 capture (usb-devices form) carries no usb.ids names: the strings are all there is."""
    (device,) = parse_usb_devices(E3372_PATH.read_text(encoding="utf-8"), str(E3372_PATH))
    assert (device.manufacturer, device.product) == ("HUAWEI_MOBILE", "HUAWEI_MOBILE")
    assert device_names(device) == ("HUAWEI", "HUAWEI_MOBILE")


@pytest.mark.parametrize("with_id_names", [True, False], ids=["id-lines-named", "bus-line-only"])
def test_usb_ids_names_beat_the_string_descriptors(with_id_names):
    device = only(synthetic_e3372(with_id_names))
    assert device.header_name == E3372_NAMES
    assert (device.manufacturer, device.product) == ("HUAWEI_MOBILE", "HUAWEI_MOBILE")
    assert usb_ids_names(device) == ("Huawei Technologies Co., Ltd.", "E3372 LTE/UMTS/GSM Modem/Networkcard")
    assert device_names(device) == ("Huawei", "E3372")
    profile = draft_profile(device)
    assert (profile["vendor"], profile["model"]) == ("Huawei", "E3372")
    assert profile["modes"]["modem"]["manufacturer"] == "HUAWEI_MOBILE", "the mode keeps the strings as the device says"
    assert ("Named 'Huawei' / 'E3372' from what lsusb showed: usb.ids vendor 'Huawei Technologies Co., Ltd.', "
            "usb.ids product 'E3372 LTE/UMTS/GSM Modem/Networkcard', iManufacturer 'HUAWEI_MOBILE', "
            "iProduct 'HUAWEI_MOBILE'") in profile["notes"]
    text = draft_yaml(profile)
    assert "# Profile key: huawei/e3372 (save it as <profiles folder>/huawei/e3372.yaml)\n" in text


def test_names_given_on_the_command_line_are_kept_as_given():
    profile = draft_profile(only(synthetic_e3372(True)), vendor="Huawei Technologies", model="E3372h-153")
    assert (profile["vendor"], profile["model"]) == ("Huawei Technologies", "E3372h-153")
    assert "Named" not in profile["notes"]
    assert "# Profile key: huawei-technologies/e3372h-153 " in draft_yaml(profile)


def test_a_usb_ids_product_without_model_number_gives_way_to_one_in_the_strings():
    text = synthetic_e3372(True).replace("E3372 LTE/UMTS/GSM Modem/Networkcard", "Modem/Networkcard") \
                                 .replace("iProduct                2 HUAWEI_MOBILE", "iProduct                2 HUAWEI E3372")
    assert device_names(only(text)) == ("Huawei", "E3372")
    plain = text.replace("iProduct                2 HUAWEI E3372", "iProduct                2 HUAWEI_MOBILE")
    assert device_names(only(plain)) == ("Huawei", "Modem/Networkcard"), "no model number anywhere: usb.ids' text"


@pytest.mark.parametrize("header, names", [
    (E3372_NAMES, ("Huawei Technologies Co., Ltd.", "E3372 LTE/UMTS/GSM Modem/Networkcard")),
    ("Huawei Technologies Co., Ltd. Modem/Networkcard", ("Huawei Technologies Co., Ltd.", "Modem/Networkcard")),
    ("Sierra Wireless, Inc. EM7455", ("Sierra Wireless, Inc.", "EM7455")),
    ("u-blox AG LARA-R2", ("u-blox AG", "LARA-R2")),
    ("Novatel Wireless MC950D", ("Novatel Wireless", "MC950D")),
    ("Acme", ("Acme", "")),
])
def test_a_bus_line_alone_is_cut_into_vendor_and_product(header, names):
    assert usb_ids_names(only(synthetic_e3372(False, header))) == names


@pytest.mark.parametrize("name, short", [
    ("Huawei Technologies Co., Ltd.", "Huawei"),
    ("Sierra Wireless, Inc.", "Sierra"),
    ("Qualcomm, Inc.", "Qualcomm"),
    ("HUAWEI_MOBILE", "HUAWEI"),
    ("HUAWEI", "HUAWEI"),
    ("u-blox AG", "u-blox"),
    ("  ", ""),
])
def test_short_vendor(name, short):
    assert short_vendor(name) == short


@pytest.mark.parametrize("product, model", [
    ("E3372 LTE/UMTS/GSM Modem/Networkcard", "E3372"),
    ("HUAWEI E3531", "E3531"),
    ("HUAWEI_E3131", "E3131"),
    ("ME909u-521 LTE Module", "ME909u-521"),
    ("E353/E3131 (Mass storage mode)", "E353/E3131"),
    ("MF823, LTE", "MF823"),
    ("4G LTE Modem", ""),
    ("Modem/Networkcard", ""),
    ("Mobile Broadband E3372", ""),
    ("HUAWEI_MOBILE", ""),
    ("", ""),
])
def test_leading_model(product, model):
    assert leading_model(product, {"huawei"}) == model


def test_model_token_and_slug():
    assert [model_token(w) for w in ("E3372", "E3372h-153", "EC25,", "4G", "LTE", "2.0", "1x")] == \
           ["E3372", "E3372h-153", "EC25", "", "", "", ""]
    assert [slug(t) for t in ("E3372", "HUAWEI Mobile\u2122", "E353/E3131", "Modem (Mass Storage Mode)", "--")] == \
           ["e3372", "huawei-mobiletm", "e353-e3131", "modem-mass-storage-mode", "unknown"]
    assert profile_key("Huawei", "E3372") == "huawei/e3372"


# --- hex, as the shipped profiles write it ------------------------------------------------------

HEX_LINE = re.compile(r"\b(device_class|class|subclass|protocol|address): (\S+?)[,}\n]")


def test_class_codes_and_addresses_are_written_in_hex():
    text = draft_yaml(draft_profile(only(E3531_DUMP, str(E3531_PATH))))
    values = HEX_LINE.findall(text)
    assert len(values) == 1 + 6 * 3 + 10, "device class, three codes per interface descriptor, 10 endpoints"
    assert all(re.fullmatch(r"0x[0-9a-f]{2}", value) for _, value in values), values
    for line in ("    device_class: 0x02\n", "      class: 0xff\n", "      subclass: 0x0d\n",
                 "      protocol: 0x00\n", "      - {address: 0x82, type: interrupt, max_packet: 64}\n",
                 "      - {address: 0x04, type: bulk, max_packet: 512}\n"):
        assert line in text, line
    # counts and numbers stay decimal, as in the shipped profiles
    assert "    configuration: 1\n" in text and "    - number: 4\n" in text and "      alt: 1\n" in text


def test_the_shipped_profiles_write_the_same_keys_in_hex():
    """The style the draft copies: every such value in a shipped Huawei profile is a 0x literal."""
    for path in sorted(SHIPPED.glob("*.yaml")):
        values = [value for _, value in HEX_LINE.findall(path.read_text(encoding="utf-8"))]
        assert values and all(v.startswith("0x") for v in values), path.name


# --- round trip: draft -> file -> ProfileLibrary -> the same values -------------------------------

def _drafted_devices() -> list[tuple[str, CapturedDevice]]:
    return [
        ("e3531 lsusb -v", only(E3531_DUMP, str(E3531_PATH))),
        ("e3372 synthetic header", only(synthetic_e3372(True))),
        ("e3372 usb-devices", parse_usb_devices(E3372_PATH.read_text(encoding="utf-8"), str(E3372_PATH))[0]),
    ]


@pytest.mark.parametrize("name, device", _drafted_devices(), ids=[n for n, _ in _drafted_devices()])
def test_a_draft_round_trips_through_a_profile_library(name, device, tmp_path):
    profile = draft_profile(device)
    text = draft_yaml(profile)
    assert yaml.safe_load(text) == profile, "the YAML reads back as exactly the drafted dict"
    key = profile_key(profile["vendor"], profile["model"])
    path = tmp_path / f"{key}.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")

    library = ProfileLibrary(tmp_path)
    assert library.keys() == [key]
    loaded = library.get(key)
    assert (loaded.key, loaded.vendor, loaded.model) == (key, profile["vendor"], profile["model"])
    ((mode_name, drafted),) = profile["modes"].items()
    mode = loaded.initial_mode
    assert mode.name == mode_name
    assert ([str(i) for i in mode.ids], mode.device_class, mode.configuration) == \
           (drafted["ids"], drafted["device_class"], drafted["configuration"])
    assert (mode.manufacturer, mode.product) == (drafted.get("manufacturer"), drafted.get("product"))
    got = [(i.number, i.alt, i.cls, i.subclass, i.protocol, i.role, i.name or None,
            [(e.address, e.type, e.max_packet) for e in i.endpoints]) for i in mode.interfaces]
    want = [(i["number"], i.get("alt", 0), i["class"], i["subclass"], i["protocol"], i["role"], i.get("name"),
             [(e["address"], e["type"], e.get("max_packet")) for e in i.get("endpoints", [])])
            for i in drafted["interfaces"]]
    assert got == want
    # and the same as the device the draft was made from
    assert [(i.number, i.alt, i.cls, i.subclass, i.protocol, [e.address for e in i.endpoints])
            for i in mode.interfaces] == \
           [(i.number, i.alt, i.cls, i.subclass, i.protocol, [e.address for e in i.endpoints])
            for i in device.configuration.interfaces]


def test_the_real_e3372_draft_matches_the_shipped_hilink_mode(tmp_path):
    (device,) = parse_usb_devices(E3372_PATH.read_text(encoding="utf-8"), str(E3372_PATH))
    path = Path(tmp_path / "e3372.yaml")
    path.write_text(draft_yaml(draft_profile(device, vendor="Huawei", model="E3372")), encoding="utf-8")
    got = load_profile(path).initial_mode
    want = load_profile(SHIPPED / "e3372-hilink.yaml").modes["hilink"]
    assert got.name == "hilink" and (got.device_class, got.manufacturer) == (want.device_class, want.manufacturer)
    assert [(i.number, i.classes, i.role, [(e.address, e.type) for e in i.endpoints]) for i in got.interfaces] == \
           [(i.number, i.classes, i.role, [(e.address, e.type) for e in i.endpoints]) for i in want.interfaces]
