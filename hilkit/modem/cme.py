"""+CME ERROR and +CMS ERROR codes: 3GPP TS 27.007 section 9.2 (mobile equipment, with the GPRS/EPS/5GS
causes of 9.2.2) and TS 27.005 section 3.2.5 (message service), numeric and text forms.

The texts are ModemManager's for the same codes (``include/ModemManager-errors.h`` and
``src/mm-error-helpers.c``), so a failure reads the same in hilkit's report as in ``mmcli``.
"""
from __future__ import annotations

import re

CME_ERRORS: dict[int, str] = {
    0: 'Phone failure', 1: 'No connection to phone', 2: 'Phone-adaptor link reserved', 3: 'Operation not allowed',
    4: 'Operation not supported', 5: 'PH-SIM PIN required', 6: 'PH-FSIM PIN required', 7: 'PH-FSIM PUK required',
    10: 'SIM not inserted', 11: 'SIM PIN required', 12: 'SIM PUK required', 13: 'SIM failure', 14: 'SIM busy',
    15: 'SIM wrong', 16: 'Incorrect password', 17: 'SIM PIN2 required', 18: 'SIM PUK2 required', 20: 'Memory full',
    21: 'Invalid index', 22: 'Not found', 23: 'Memory failure', 24: 'Text string too long',
    25: 'Invalid characters in text string', 26: 'Dial string too long', 27: 'Invalid characters in dial string',
    30: 'No network service', 31: 'Network timeout', 32: 'Network not allowed - emergency calls only',
    40: 'Network personalization PIN required', 41: 'Network personalization PUK required',
    42: 'Network subset personalization PIN required', 43: 'Network subset personalization PUK required',
    44: 'Service provider personalization PIN required', 45: 'Service provider personalization PUK required',
    46: 'Corporate personalization PIN required', 47: 'Corporate personalization PUK required',
    48: 'Hidden key required', 49: 'EAP method not supported', 50: 'Incorrect parameters', 51: 'Command disabled',
    52: 'Command aborted', 53: 'Not attached restricted', 54: 'Not allowed emergency only',
    55: 'Not allowed restricted', 56: 'Fixed dial number only', 57: 'Temporarily out of service',
    58: 'Language or alphabet not supported', 59: 'Unexpected data value', 60: 'System failure', 61: 'Data missing',
    62: 'Call barred', 63: 'Message waiting indication subscription failure', 100: 'Unknown error',
    102: 'IMSI unknown in HLR/HSS', 103: 'Illegal MS/UE', 104: 'IMSI unknown in VLR', 105: 'IMEI not accepted',
    106: 'Illegal ME', 107: 'PS services not allowed', 108: 'PS and non-PS services not allowed',
    109: 'UE identity not derived from network', 110: 'Implicitly detached', 111: 'PLMN not allowed',
    112: 'Location/tracking area not allowed', 113: 'Roaming not allowed in this location/tracking area',
    114: 'PS services not allowed in PLMN', 115: 'No cells in location/tracking area',
    116: 'MSC temporarily not reachable', 117: 'Network failure (attach)', 118: 'CS domain unavailable',
    119: 'ESM failure', 122: 'Congestion', 124: 'MBMS bearer capabilities insufficient for service',
    125: 'Not authorized for CSG', 126: 'Insufficient resources', 127: 'Missing or unknown APN',
    128: 'Unknown PDP address or type', 129: 'User authentication failed', 130: 'Activation rejected by GGSN or GW',
    131: 'Activation rejected (unspecified)', 132: 'Service option not supported',
    133: 'Requested service option not subscribed', 134: 'Service option temporarily out of order',
    135: 'NSAPI/PTI already in use', 136: 'Regular deactivation', 137: 'QoS not accepted',
    138: 'Call cannot be identified', 139: 'CS service temporarily unavailable', 140: 'Feature not supported',
    141: 'Semantic error in TFT operation', 142: 'Syntactical error in TFT operation', 143: 'Unknown PDP context',
    144: 'Semantic error in packet filter', 145: 'Syntactical error in packet filter',
    146: 'PDP context without TFT already activated', 147: 'Multicast group membership timeout',
    148: 'Unspecified GPRS error', 149: 'PDP authentication failure', 150: 'Invalid mobile class',
    151: 'Last PDN disconnection not allowed (legacy)', 171: 'Last PDN disconnection not allowed',
    172: 'Semantically incorrect message', 173: 'Invalid mandatory information', 174: 'Message type not implemented',
    175: 'Conditional IE error', 176: 'Unspecified protocol error', 177: 'Operator determined barring',
    178: 'Maximum number of PDP/bearer contexts reached', 179: 'Requested APN not supported',
    180: 'Rejected BCM violation', 181: 'Unsupported QCI/5QI value', 182: 'User data via control plane congested',
    183: 'SMS provided via GPRS in routing area', 184: 'Invalid PTI value', 185: 'No bearer activated',
    186: 'Message not compatible with protocol state', 187: 'Recovery on timer expiry',
    188: 'Invalid transaction ID value', 189: 'Service option not authorized in PLMN',
    190: 'Network failure (activation)', 191: 'Reactivation requested', 192: 'IPv4 only allowed',
    193: 'IPv6 only allowed', 194: 'Single address bearers only allowed',
    195: 'Collision with network initiated request', 196: 'IPv4v6 only allowed', 197: 'Non-IP only allowed',
    198: 'Bearer handling unsupported', 199: 'APN restriction incompatible',
    200: 'Multiple access to PDN connection not allowed', 201: 'ESM information not received',
    202: 'PDN connection nonexistent', 203: 'Multiple PDN connection to same APN not allowed',
    204: 'Severe network failure', 205: 'Insufficient resources for slice and DNN', 206: 'Unsupported SSC mode',
    207: 'Insufficient resources for slice', 208: 'Message type not compatible with protocol state',
    209: 'IE not implemented', 210: 'N1 mode not allowed', 211: 'Restricted service area', 212: 'LADN unavailable',
    213: 'Missing or unknown DNN in slice', 214: 'ngKSI already in use', 215: 'Payload not forwarded',
    216: 'Non-3GPP access to 5GCN not allowed', 217: 'Serving network not authorized',
    218: 'DNN not supported in slice', 219: 'Insufficient user plane resources for PDU session',
    220: 'Out of LADN service area', 221: 'PTI mismatch', 222: 'Max data rate for user plane integrity too low',
    223: 'Semantic error in QoS operation', 224: 'Syntactical error in QoS operation',
    225: 'Invalid mapped EPS bearer identity', 226: 'Redirection to 5GCN required',
    227: 'Redirection to EPC required', 228: 'Temporarily unauthorized for SNPN',
    229: 'Permanently unauthorized for SNPN', 230: 'Ethernet only allowed', 231: 'Unauthorized for CAG',
    232: 'No network slices available', 233: 'Wireline access area not allowed',
}

CMS_ERRORS: dict[int, str] = {
    300: 'ME failure', 301: 'SMS service reserved', 302: 'Operation not allowed', 303: 'Operation not supported',
    304: 'Invalid PDU mode parameter', 305: 'Invalid text mode parameter', 310: 'SIM not inserted',
    311: 'SIM PIN required', 312: 'PH-SIM PIN required', 313: 'SIM failure', 314: 'SIM busy', 315: 'SIM wrong',
    316: 'SIM PUK required', 317: 'SIM PIN2 required', 318: 'SIM PUK2 required', 320: 'Memory failure',
    321: 'Invalid index', 322: 'Memory full', 330: 'SMSC address unknown', 331: 'No network', 332: 'Network timeout',
    340: 'No CNMA acknowledgement expected', 500: 'Unknown',
}

#: +CME ERROR codes that are about the SIM (27.007 9.2.1: not inserted, PIN/PUK needed, failure, busy,
#: wrong, wrong password, PIN2/PUK2)
SIM_CODES = frozenset({5, 10, 11, 12, 13, 14, 15, 16, 17, 18})


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_BY_TEXT = {_key(text): code for code, text in CME_ERRORS.items()}


def cme_text(code: int) -> str:
    return CME_ERRORS.get(code, f"error {code}")


def cme_code_of_text(text: str) -> int | None:
    """The code of a text-form ``+CME ERROR: <text>`` (``AT+CMEE=2``), matched without case and
    punctuation; None for a text 27.007 does not name."""
    return _BY_TEXT.get(_key(text))
