"""A stand-in for polkit on a private system bus: it owns ``org.freedesktop.PolicyKit1`` and
authorizes every ``CheckAuthorization``. Debian's ModemManager asks polkit before it enables or
connects a modem; on a private bus nothing else would answer, and the call would fail with
``ServiceUnknown``. Every action asked is kept (:attr:`asked`)."""
from __future__ import annotations

import threading
from typing import Any

AUTHORITY = """<node><interface name="org.freedesktop.PolicyKit1.Authority">
<method name="CheckAuthorization">
  <arg type="(sa{sv})" direction="in"/><arg type="s" direction="in"/><arg type="a{ss}" direction="in"/>
  <arg type="u" direction="in"/><arg type="s" direction="in"/><arg type="(bba{ss})" direction="out"/>
</method></interface></node>"""


def gi_missing() -> str:
    """Why PyGObject's Gio cannot be used here ("" when it can)."""
    try:
        import gi
        gi.require_version("Gio", "2.0")
        from gi.repository import Gio  # noqa: F401
    except (ImportError, ValueError) as exc:
        return f"PyGObject (Gio) is not importable: {exc}"
    return ""


class PolkitStandIn:
    def __init__(self, address: str) -> None:
        from gi.repository import Gio, GLib
        self.asked: list[str] = []
        self._glib = GLib
        self._context = GLib.MainContext.new()
        self._loop = GLib.MainLoop.new(self._context, False)
        ready = threading.Event()
        self._error: BaseException | None = None

        def run() -> None:
            self._context.push_thread_default()
            try:
                flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                         | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
                self._connection = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
                node = Gio.DBusNodeInfo.new_for_xml(AUTHORITY)
                self._connection.register_object("/org/freedesktop/PolicyKit1/Authority", node.interfaces[0],
                                                  self._call, None, None)
                self._connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                           "RequestName", GLib.Variant("(su)", ("org.freedesktop.PolicyKit1", 4)),
                                           None, Gio.DBusCallFlags.NONE, -1, None)
            except BaseException as exc:  # noqa: BLE001 - handed to the constructor's thread
                self._error = exc
                ready.set()
                return
            ready.set()
            self._loop.run()
            try:
                self._connection.close_sync(None)
            except GLib.Error:
                pass   # the bus went first

        self._thread = threading.Thread(target=run, name="polkit-standin", daemon=True)
        self._thread.start()
        ready.wait()
        if self._error is not None:
            raise self._error

    def _call(self, connection: Any, sender: str, path: str, interface: str, method: str, params: Any,
              invocation: Any) -> None:
        self.asked.append(params.unpack()[1])
        invocation.return_value(self._glib.Variant("((bba{ss}))", ((True, False, {}),)))

    def close(self) -> None:
        self._context.invoke_full(self._glib.PRIORITY_DEFAULT, self._loop.quit)
        self._thread.join(timeout=5)
