"""``hilkit profiles capture SOURCE [--out PATH]``: a draft profile per device of an ``lsusb -v`` dump."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from hilkit.config.capture import CapturedDevice, draft_profile, draft_yaml, parse_lsusb, profile_key
from hilkit.core.errors import ProfileError


def _read(source: str, stdin: TextIO | None) -> tuple[str, str]:
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin
        return stream.read(), "<stdin>"
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise ProfileError(source, None, "", "no such file") from None
    except OSError as exc:
        raise ProfileError(source, None, "", f"cannot read: {exc.strerror or exc}") from None
    return data.decode("utf-8", errors="replace"), source


def _check_loads(text: str, device: CapturedDevice) -> None:
    """Make sure the draft loads as a profile: a one-line error now beats a broken file later."""
    from hilkit.config.profiles import load_profile

    handle, name = tempfile.mkstemp(suffix=".yaml", prefix="hilkit-capture-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_profile(name, "captured")
    except ProfileError as exc:
        raise ProfileError(device.path, device.line, "draft",
                           f"the profile drafted for {device.id} does not load ({exc.problem}); "
                           "please report this with the dump") from None
    finally:
        os.unlink(name)


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _targets(out_path: str, drafts: list[tuple[CapturedDevice, str, str]], force: bool) -> list[Path]:
    """Where each draft goes: ``out_path`` itself, or ``out_path/<profile key>.yaml`` when it is a
    folder (an existing one, or a path ending in ``/``). Checked before anything is written."""
    base = Path(out_path)
    folder = base.is_dir() or out_path.endswith(("/", os.sep))
    if not folder and len(drafts) > 1:
        ids = ", ".join(f"{d.id} (line {d.line})" for d, _, _ in drafts)
        raise ProfileError(out_path, None, "--out", f"one file, but the dump has {len(drafts)} devices to draft "
                           f"({ids}); give a folder (--out DIR/ writes DIR/<vendor>/<model>.yaml for each) or "
                           "dump one device (lsusb -v -d vvvv:pppp)")
    targets = [base / f"{key}.yaml" for _, key, _ in drafts] if folder else [base]
    seen: dict[Path, CapturedDevice] = {}
    for target, (device, _, _) in zip(targets, drafts, strict=True):
        if target in seen:
            raise ProfileError(str(target), None, "--out", f"the devices of lines {seen[target].line} and "
                               f"{device.line} both draft to this file (same vendor and model); write them one "
                               "at a time (--out FILE, lsusb -v -d vvvv:pppp)")
        seen[target] = device
        if target.is_dir():
            raise ProfileError(str(target), None, "--out", "is a folder (expected a file to write the draft to)")
        if target.exists() and not force:
            raise ProfileError(str(target), None, "--out", "exists; not overwritten (add --force to replace it)")
    return targets


def _write(target: Path, text: str, force: bool) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProfileError(str(exc.filename or target.parent), None, "--out",
                           f"cannot make the folder: {exc.strerror or exc}") from None
    try:
        with target.open("w" if force else "x", encoding="utf-8", newline="\n") as file:
            file.write(text)
    except FileExistsError:
        raise ProfileError(str(target), None, "--out", "exists; not overwritten (add --force to replace it)") from None
    except OSError as exc:
        raise ProfileError(str(exc.filename or target), None, "--out",
                           f"cannot write: {exc.strerror or exc}") from None


def capture_command(source: str, out: TextIO, err: TextIO, vendor: str | None = None,
                    model: str | None = None, *, stdin: TextIO | None = None, out_path: str | None = None,
                    force: bool = False) -> int:
    """``hilkit profiles capture SOURCE [--out PATH [--force]]``: a draft profile for each non-hub device.

    ``source`` is a file or ``-`` for standard input. Without ``out_path`` the drafts go to ``out``,
    several separated by ``---`` (save each to its own file before checking it). With ``out_path``
    each is written as UTF-8 to that file (one device only), or, when ``out_path`` is a folder (an
    existing one, or ending in ``/``), to ``<folder>/<profile key>.yaml`` (``DIR/huawei/e3372.yaml``);
    missing parent folders are made, an existing file is left alone unless ``force``, and ``out``
    gets one line per file written. ``vendor``/``model`` override the names drafted (see
    :mod:`hilkit.config.capture.naming`), for every device. Returns 0, or 1 after printing a
    one-line error to ``err``; every target is checked before the first file is written.

    Someone with the stick runs ``lsusb -v -d vvvv:pppp`` (or plain ``lsusb -v``), pastes the output
    into a file, and gets a profile draft that ``hilkit profiles check`` accepts: ids, device class,
    configuration and every interface descriptor (alt settings included) with its endpoints. What a
    dump cannot tell (which port answers AT commands, switches, attach) is left for a human: interface
    roles are *guesses* from class codes (see :func:`hilkit.config.capture.guess_role`) and the draft
    says so.
    """
    try:
        text, path = _read(source, stdin)
        devices = parse_lsusb(text, path)
        wanted = [d for d in devices if not d.is_hub]
        if not wanted:
            raise ProfileError(path, devices[0].line, "", f"only hubs in this dump ({len(devices)}): nothing to "
                               "draft (expected the modem; try lsusb -v -d vvvv:pppp)")
        encoding = "utf-8" if out_path is not None else getattr(out, "encoding", None) or "utf-8"
        drafts = []
        for device in wanted:
            profile = draft_profile(device, vendor, model)
            text = draft_yaml(profile)
            if not _encodable(text, encoding):
                text = draft_yaml(profile, allow_unicode=False)
            _check_loads(text, device)
            drafts.append((device, profile_key(profile["vendor"], profile["model"]), text))
        if out_path is not None:
            targets = _targets(out_path, drafts, force)
            for target, (device, key, text) in zip(targets, drafts, strict=True):
                _write(target, text, force)
                print(f"wrote the draft for {device.id} (profile key {key}) to {target}", file=out)
            return 0
    except ProfileError as exc:
        print(exc.one_line(), file=err)
        return 1
    out.write("---\n".join(text for _, _, text in drafts))
    return 0
