"""Attached boards, device strings, opening, and samna's presence and release, on the samna double."""
import pytest

import dynapspec.hardware as hw
from dynapspec.errors import DeviceError

from hardware_support import small


def code(info) -> str:
    return info.value.diagnostics[0].code


def test_boards_get_device_strings_ranked_by_bus_then_address(samna):
    d = samna._double
    d.attach("Speck2fDevKit", bus=2, address=3)
    d.attach("Speck2fDevKit", bus=1, address=9)
    d.attach("Speck2eTestBoard", bus=1, address=4)
    d.attach("XyloAudio3TestBoard", bus=3, address=1)
    listed = hw.boards()
    assert [b.device for b in listed] == ["speck2e:0", "speck2fdevkit:0", "speck2fdevkit:1", "XyloAudio3TestBoard:0"]
    assert [(b.usb_bus, b.usb_address) for b in listed[1:3]] == [(1, 9), (2, 3)]
    assert listed[-1].target is None and all(b.available for b in listed)


@pytest.mark.parametrize("device", ["speck2fdevkit", "speck2fdevkit:0", "Speck2fDevKit:0", "SPECK2FDEVKIT"])
def test_a_name_alone_means_index_0_and_samna_names_work_too(samna, device):
    first = samna._double.attach("Speck2fDevKit", bus=1, address=5)
    samna._double.attach("Speck2fDevKit", bus=1, address=6)
    with hw.open(device, settle_s=0) as board:
        assert board.device == "speck2fdevkit:0"
        assert board._handle.info is first


def test_unknown_missing_and_malformed_device_strings(samna):
    samna._double.attach("Speck2fDevKit")
    with pytest.raises(DeviceError) as info:
        hw.open("speck2fdevkit:1")
    assert code(info) == "device-not-found" and "only 1 speck2fdevkit board(s) attached" in str(info.value)
    with pytest.raises(DeviceError) as info:
        hw.open("speck2e")
    assert code(info) == "device-not-found" and "no speck2e board is attached; attached: speck2fdevkit:0" in str(info.value)
    with pytest.raises(DeviceError) as info:
        hw.open("toaster:0")
    assert code(info) == "device-string" and "'toaster' is not a board dynapspec knows" in str(info.value)
    with pytest.raises(DeviceError) as info:
        hw.open("speck2fdevkit:first")
    assert code(info) == "device-string" and info.value.exit_status == 2


@pytest.mark.parametrize("device", ["foo:bar", "a:b:c", "speck2fdevkit:-1", "speck9:0", ""])
def test_a_malformed_device_string_is_a_usage_error_even_without_samna(no_samna, device):
    for call in (lambda: hw.open(device), lambda: hw.deploy(small(), device)):
        with pytest.raises(DeviceError) as info:
            call()
        assert code(info) == "device-string" and info.value.exit_status == 2


def test_a_board_held_by_another_process_is_busy_and_not_offered(samna):
    info = samna._double.attach("Speck2fDevKit")
    samna._double.hold(info)
    assert [b.available for b in hw.boards()] == [False]
    assert hw.find_board(small()) is None
    with pytest.raises(DeviceError) as err:
        hw.open("speck2fdevkit:0")
    assert code(err) == "device-busy" and err.value.exit_status == 3


def test_find_board_prefers_the_exact_target_then_the_same_chip(samna):
    assert hw.find_board(small()) is None  # nothing attached
    samna._double.attach("Speck2eDevKit")
    samna._double.attach("Speck2fModuleDevKit")
    assert hw.find_board(small("speck2fdevkit")) == "speck2fmodule:0"  # same chip, another board
    samna._double.attach("Speck2fDevKit")
    assert hw.find_board(small("speck2fdevkit")) == "speck2fdevkit:0"
    assert hw.find_board(small("speck2edevkit")) == "speck2edevkit:0"
    assert hw.find_board(small("dynapcnndevkit")) is None


def test_without_samna_find_board_says_none_and_the_rest_says_how_to_install(no_samna):
    assert hw.find_board(small()) is None
    for call in (hw.boards, lambda: hw.open("speck2fdevkit"), lambda: hw.deploy(small(), "speck2fdevkit", None)):
        with pytest.raises(DeviceError) as info:
            call()
        assert code(info) == "samna-missing" and info.value.exit_status == 3
        assert "pip install --force-reinstall 'samna' --index-url https://gitlab.com/" in str(info.value)


def test_a_failing_samna_installer_stub_is_reported_as_missing(samna, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def stub(name, *args, **kwargs):
        if name == "samna":
            raise RuntimeError("pip install --force-reinstall failed: no network")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", stub)
    with pytest.raises(DeviceError) as info:
        hw.boards()
    assert code(info) == "samna-missing" and "no network" in str(info.value)


def test_dynapcnn_needs_a_samna_from_before_0_46(samna):
    samna._double.attach("DynapcnnDevKit")
    with pytest.raises(DeviceError) as info:
        hw.open("dynapcnndevkit")
    assert code(info) == "samna-version"
    assert "no 'dynapcnn' module; it was removed in samna 0.46" in str(info.value)
    assert samna._double.state.opened == {}  # refused before opening
    samna._double.reset("0.45.0")
    samna._double.attach("DynapcnnDevKit")
    with hw.open("dynapcnndevkit", settle_s=0) as board:
        assert board.profile.chip == "dynapcnn"


def test_older_samna_spellings_are_feature_detected(samna):
    samna._double.reset("0.48.5", legacy=True)
    assert not hasattr(samna.device, "get_all_devices")
    samna._double.attach("Speck2fDevKit")
    assert [b.device for b in hw.boards()] == ["speck2fdevkit:0"]
    with hw.open("speck2fdevkit", settle_s=0) as board:
        board.apply(small())
        assert board._model is samna._double.state.opened[board._handle.info.key()].model


@pytest.mark.parametrize("version, warned", [("0.48.5", False), ("0.46.0", False), ("0.45.0", True), ("0.49.1", True)])
def test_a_samna_outside_the_followed_releases_is_warned_about(samna, version, warned):
    samna._double.reset(version)
    samna._double.attach("Speck2fDevKit")
    with hw.open("speck2fdevkit", settle_s=0) as board:
        assert [w.code for w in board.warnings] == (["samna-untested"] if warned else [])


def test_closing_releases_the_board_for_the_next_user(samna):
    samna._double.attach("Speck2fDevKit")
    board = hw.open("speck2fdevkit", settle_s=0)
    assert [b.available for b in hw.boards()] == [False]
    board.close()
    board.close()  # twice is fine
    assert board.closed and [b.available for b in hw.boards()] == [True]
    with pytest.raises(DeviceError) as info:
        board.apply(small())
    assert code(info) == "device-lost"


def test_samna_failing_to_list_boards_is_a_clean_error(samna, monkeypatch):
    def broken():
        raise RuntimeError("libusb: access denied")

    monkeypatch.setattr(samna.device, "get_unopened_devices", broken)
    with pytest.raises(DeviceError) as info:
        hw.boards()
    assert code(info) == "device-not-found" and "libusb: access denied" in str(info.value)
    assert hw.find_board(small()) is None


def test_the_samna_version_is_logged_when_a_board_opens(samna, caplog):
    import logging

    samna._double.attach("Speck2fDevKit")
    with caplog.at_level(logging.INFO, logger="dynapspec.hardware"):
        hw.open("speck2fdevkit", settle_s=0).close()
    assert "speck2fdevkit:0: samna 0.48.5" in caplog.text
