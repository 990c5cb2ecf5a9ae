"""Each check made before sending refuses with a one-line reason and a hint, and NOTHING reaches
the device; plus `hilkit switch`, usb_modeswitch's command line on the engine."""
from __future__ import annotations

import copy

import pytest
import yaml

from hilkit.cli.main import main
from hilkit.config.paths import PROJECT_ROOT
from hilkit.core.errors import SwitchFailed, SwitchRefused
from hilkit.core.switchconfig import SwitchConfig

E3131 = yaml.safe_load((PROJECT_ROOT / "device_profiles" / "huawei" / "e3131.yaml").read_text())
FORUM = "55534243123456780000000000000011060000000000000000000000000000"


def refused(dongle, config: dict, where: str = "profile.yaml:7") -> SwitchRefused:
    with pytest.raises(SwitchRefused) as info:
        dongle.run_switch(SwitchConfig.from_mapping(config), where=where)
    assert "\n" not in str(info.value) and str(info.value).startswith(where + ": ")
    assert info.value.hint
    return info.value


def test_storage_command_to_a_vendor_class_device_is_refused(dongle_of):
    data = copy.deepcopy(E3131)
    data["modes"]["storage"]["device_class"] = 0xFF   # a storage interface under a vendor-class device
    dongle, device = dongle_of(data)
    error = refused(dongle, {"MessageContent": FORUM})
    assert error.problem == ("can't use storage command in MessageContent with interface 0; "
                             "interface class is 255, expected 8")
    assert device.switch_transfers() == []


def test_storage_interface_under_class_2_device_counts_as_storage(dongle_of):
    """usb_modeswitch's 'Bogus Class' rule: interface class 8 under device class 2 is treated as 8."""
    data = copy.deepcopy(E3131)
    data["modes"]["storage"]["device_class"] = 0x02
    dongle, device = dongle_of(data)
    dongle.switch_to("modem")
    assert device.switch_transfers()[0].data.hex() == FORUM


def test_missing_bulk_endpoint_is_refused(dongle_of):
    data = copy.deepcopy(E3131)
    data["modes"]["storage"]["interfaces"][0]["endpoints"] = [{"address": 0x81, "type": "bulk"},
                                                              {"address": 0x02, "type": "interrupt"}]
    dongle, device = dongle_of(data)
    error = refused(dongle, {"MessageContent": FORUM})
    assert error.problem == "message (bulk OUT) endpoint not given or found on interface 0"
    assert device.switch_transfers() == []


def test_message_endpoint_the_interface_lacks_is_refused_before_any_transfer(dongle_of):
    """072f:100d in usb-modeswitch-data names MessageEndpoint=0x02; on a stick without it, pyusb
    would raise ValueError mid-switch (a traceback from `hilkit switch`)."""
    dongle, device = dongle_of(copy.deepcopy(E3131))
    error = refused(dongle, {"MessageContent": FORUM, "MessageEndpoint": 0x02})
    assert error.problem == ("MessageEndpoint=0x02 is not an endpoint of interface 0 (its endpoints: "
                             "0x81 bulk IN, 0x01 bulk OUT)")
    assert device.switch_transfers() == []


def test_message_endpoint_of_the_wrong_direction_is_refused(dongle_of):
    dongle, device = dongle_of(copy.deepcopy(E3131))
    error = refused(dongle, {"MessageContent": FORUM, "MessageEndpoint": 0x81})
    assert error.problem.startswith("MessageEndpoint=0x81 is a bulk IN endpoint of interface 0, not a bulk OUT")
    assert device.switch_transfers() == []


def test_response_endpoint_is_checked_only_when_a_csw_is_read(dongle_of):
    """046d:c261 (usb-modeswitch-data) names ResponseEndpoint=0x01, an OUT endpoint, with a message
    that is no CBW: usb_modeswitch never reads a response, so neither check nor refusal."""
    dongle, device = dongle_of(copy.deepcopy(E3131))
    error = refused(dongle, {"MessageContent": FORUM, "ResponseEndpoint": 0x01})
    assert error.problem.startswith("ResponseEndpoint=0x01 is a bulk OUT endpoint of interface 0, not a bulk IN")
    with pytest.raises(SwitchFailed, match="no re-enumeration"):  # a CD-ROM ignores the message: sent, not refused
        dongle.run_switch(SwitchConfig.from_mapping({"MessageContent": "0f00010142", "ResponseEndpoint": 0x01}),
                          timeout=0.2)
    assert [t.data.hex() for t in device.switch_transfers() if t.kind == "bulk"] == ["0f00010142"]


def test_configuration_the_device_lacks_is_refused_before_unconfiguring_it(dongle_of):
    """usb_modeswitch sends SET_CONFIGURATION 0 before N: on a device without N that leaves it unconfigured."""
    dongle, device = dongle_of(copy.deepcopy(E3131))
    error = refused(dongle, {"Configuration": 3})
    assert error.problem == ("Configuration=3: 12d1:14fe has no configuration 3 (bNumConfigurations 1, "
                             "bConfigurationValue 1)")
    assert device.switch_transfers() == []
    assert dongle.snapshot().configuration == 1


def test_two_special_modes_are_refused(dongle_of):
    dongle, device = dongle_of(copy.deepcopy(E3131))
    error = refused(dongle, {"HuaweiNewMode": 1, "SierraMode": 1})
    assert "more than one special mode set (SierraMode, HuaweiNewMode)" in error.problem
    assert device.switch_transfers() == []


@pytest.mark.parametrize("message, problem", [
    (FORUM[:-2], "MessageContent is a CBW of 30 bytes (expected 31)"),
    (FORUM + "00", "MessageContent is a CBW of 32 bytes (expected 31)"),
    ("55534244" + FORUM[8:], "MessageContent starts like a CBW but its signature is 55534244"),
])
def test_malformed_cbw_is_refused(dongle_of, message, problem):
    dongle, device = dongle_of(copy.deepcopy(E3131))
    assert problem in refused(dongle, {"MessageContent": message}).problem
    assert device.switch_transfers() == []


def test_device_already_in_target_mode_needs_no_switch(dongle_of):
    dongle, device = dongle_of(copy.deepcopy(E3131))
    dongle.switch_to("modem")
    sent = len(device.switch_transfers())
    error = refused(dongle, {"TargetVendor": 0x12d1, "TargetProductList": "1506,1c05", "MessageContent": FORUM})
    assert error.problem.startswith("no switch needed: the device on 1-1.1 is 12d1:1c05")
    assert len(device.switch_transfers()) == sent


def test_wrong_device_for_the_config_is_refused(dongle_of):
    dongle, device = dongle_of(copy.deepcopy(E3131))
    error = refused(dongle, {"DefaultVendor": 0x12d1, "DefaultProduct": 0x1f01, "MessageContent": FORUM})
    assert "is 12d1:14fe, not the DefaultVendor:DefaultProduct 12d1:1f01" in error.problem
    assert device.switch_transfers() == []


# -- hilkit switch ---------------------------------------------------------------------------
def test_hilkit_switch_with_usb_modeswitch_flags(capsys):
    code = main(["switch", "--power-on", "--port", "1-1.2", "-v", "12d1", "-p", "14fe", "-V", "12d1",
                 "-P", "1506,1c05", "-M", FORUM, "-D"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == "ok:12d1:1c05"
    assert "Mode switch succeeded: 12d1:1c05" in err


def test_hilkit_switch_refusal_exits_1_with_usb_modeswitchs_words(capsys):
    code = main(["switch", "--power-on", "-v", "12d1", "-p", "155e", "-M",
                 "55534243123456780000000000000011063000000100010000000000000000", "-D"])
    out, err = capsys.readouterr()
    assert code == 1 and out.strip() == "fail:"
    assert "Error: can't use storage command in MessageContent with interface 0; interface class is 2" in err


def test_hilkit_switch_config_file(tmp_path, capsys):
    config = tmp_path / "12d1:14fe"
    config.write_text(f'# Huawei E3131\nTargetVendor=0x12d1\nTargetProductList="1506,1c05"\nMessageContent="{FORUM}"\n')
    code = main(["switch", "--power-on", "--port", "1-1.2", "-c", str(config), "-Q"])
    assert code == 0, capsys.readouterr().err


def test_hilkit_switch_refuses_to_guess_between_identical_sticks(tmp_path, capsys):
    rig = tmp_path / "two.yaml"
    rig.write_text(f"""name: two-e3131
backend: virtual
profiles: {PROJECT_ROOT / 'device_profiles'}
slots:
  - {{name: left, power: {{driver: gpio, pin: 5}}, port: "1-1.2", profile: huawei/e3131}}
  - {{name: right, power: {{driver: gpio, pin: 6}}, port: "1-1.3", profile: huawei/e3131}}
""")
    code = main(["switch", "--rig", str(rig), "--power-on", "-v", "12d1", "-p", "14fe", "-M", FORUM])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 devices are 12d1:14fe (ports 1-1.2, 1-1.3): name one with --port" in err
    code = main(["switch", "--rig", str(rig), "--power-on", "--port", "1-1.3", "-V", "12d1", "-P", "1c05",
                 "-M", FORUM, "-Q"])
    assert code == 0


def test_hilkit_switch_bad_config_file_is_one_line(tmp_path, capsys):
    config = tmp_path / "bad"
    config.write_text("TargetVendor=0x12d1\nMesageContent=\"00\"\n")
    assert main(["switch", "-c", str(config)]) == 2
    assert capsys.readouterr().err.strip() == f"{config}:2: MesageContent: unknown usb_modeswitch key"


def test_hilkit_switch_says_first_which_lab_it_acts_on(capsys):
    assert main(["switch", "--power-on", "--port", "1-1.2", "-P", "1506,1c05", "-V", "12d1", "-M", FORUM]) == 0
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("hilkit switch: on the simulated dongles of the virtual lab (rig virtual, ")
    assert "--rig host" in first


def test_no_device_on_a_virtual_lab_hints_power_on(capsys):
    assert main(["switch", "-v", "12d1", "-p", "14fe", "-M", FORUM]) == 1
    err = capsys.readouterr().err
    assert "Error: no device 12d1:14fe found (present: nothing) (the lab's dongles start powered off: " \
           "add --power-on)" in err


def test_the_forums_target_fails_as_soon_as_the_stick_settles_naming_what_it_became(capsys):
    """The forum asked for 1506; the E3131 comes back as 1c05. The verdict comes when the stick has
    settled (the virtual lab knows it has nothing more on its way), not at the 20 s budget's end."""
    code = main(["switch", "--power-on", "-v", "12d1", "-p", "14fe", "-V", "12d1", "-P", "1506", "-M", FORUM])
    err = capsys.readouterr().err
    assert code == 1
    error = next(line for line in err.splitlines() if line.startswith("Error: "))
    assert error.startswith("Error: wrong id: MessageContent switch on port 1-1.2: expected 12d1:1506, but the "
                            "device settled after "), error
    assert "within 20.0 s" not in error and "seen 12d1:1c05 " in error
    assert "hint: the device came back as 12d1:1c05: if that is the modem, accept it too with -P 1506,1c05" in err


@pytest.mark.parametrize("message, says", [
    ("5553424312345678...", "it contains '...': a message shortened for reading"),
    (FORUM[:-2] + "zz", "character 'z' at position 61 of 62"),
    (FORUM + "0", "63 hex digits, an odd number"),
])
def test_a_message_that_is_not_hex_says_so_before_anything_is_sent(capsys, message, says):
    assert main(["switch", "--power-on", "-v", "12d1", "-p", "14fe", "-V", "12d1", "-P", "1c05", "-M", message]) == 1
    err = capsys.readouterr().err
    assert f"Error: MessageContent is not hex: {says}" in err
    assert "Traceback" not in err and "Mode switch succeeded" not in err


def test_the_host_rig_is_built_in(capsys):
    from hilkit.config.paths import builtin_rig
    from hilkit.lab.registry import load_rig
    rig = load_rig(builtin_rig("host"))
    assert (rig.name, rig.backend, rig.slots) == ("host", "linux", ())
