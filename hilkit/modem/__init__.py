"""Talking to the modem: AT over pyserial, attach checks."""
from hilkit.modem.at import AtClient, AtCommandError, AtResponse
from hilkit.modem.attach import AtAttachChecker, AttachResult, attach_problems

__all__ = ["AtClient", "AtCommandError", "AtResponse", "AtAttachChecker", "AttachResult", "attach_problems"]
