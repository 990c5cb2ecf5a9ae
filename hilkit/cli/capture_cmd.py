"""``hilkit profiles capture SOURCE``: read an ``lsusb -v`` dump and print a draft profile per device."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from hilkit.config.capture import CapturedDevice, draft_profile, draft_yaml, parse_lsusb
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


def capture_command(source: str, out: TextIO, err: TextIO, vendor: str | None = None,
                    model: str | None = None, *, stdin: TextIO | None = None) -> int:
    """``hilkit profiles capture SOURCE``: write a draft profile for each non-hub device to ``out``.

    ``source`` is a file or ``-`` for standard input. Several drafts are separated by ``---``
    (save each to its own file before checking it). ``vendor``/``model`` override what the dump's
    strings say, for every device. Returns 0, or 1 after printing a one-line error to ``err``.

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
        encoding = getattr(out, "encoding", None) or "utf-8"
        drafts = []
        for device in wanted:
            profile = draft_profile(device, vendor, model)
            text = draft_yaml(profile)
            if not _encodable(text, encoding):
                text = draft_yaml(profile, allow_unicode=False)
            _check_loads(text, device)
            drafts.append(text)
    except ProfileError as exc:
        print(exc.one_line(), file=err)
        return 1
    out.write("---\n".join(drafts))
    return 0
