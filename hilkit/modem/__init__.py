"""Talking to the modem: AT over pyserial, attach checks."""
from .at import AtClient, AtCommandError, AtResponse
from .attach import AtAttachChecker, AttachResult, attach_problems

__all__ = ["AtClient", "AtCommandError", "AtResponse", "AtAttachChecker", "AttachResult", "attach_problems"]
