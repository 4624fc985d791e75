"""The listening sockets, bound before anything says the proxy is ready.

`sanitizer serve` binds (and listens on) the ingress address and the console's before it
starts the app, so an address that is taken, not on this host or not allowed stops the start
with one line naming the address, the setting and the fix, and nothing before it claims the
proxy is ready. uvicorn then serves on these sockets (`Server.serve(sockets=...)`).
"""

from __future__ import annotations

import contextlib
import errno
import socket

BACKLOG = 2048  # uvicorn's default


class CannotListen(Exception):
    """An address cannot be listened on; `message` names it, the setting and the fix. It
    never leaves `sanitizer serve`'s start (one log line there), so it is not part of the
    `sanitizer.errors` tree."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _fix(error: int, setting: str) -> str:
    if error == errno.EADDRINUSE:
        return (
            f"the address is already in use by another process: stop it, or set another "
            f"{setting}.port"
        )
    if error == errno.EADDRNOTAVAIL:
        return f"this host has no such address; set {setting}.host to one of its addresses"
    if error == errno.EACCES:
        return f"not allowed (ports below 1024 need privileges); set {setting}.port to 1024 or more"
    return f"set {setting}.host and {setting}.port to an address this host can listen on"


def _display(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind(host: str, port: int, *, setting: str) -> list[socket.socket]:
    """Listening sockets for every address `host` names (as asyncio's create_server would
    bind them); `CannotListen` for the first that fails, after closing the others."""
    where = _display(host, port)
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        raise CannotListen(
            f"cannot listen on {where} ({setting}): the host name does not resolve; set "
            f"{setting}.host to an address of this host"
        ) from None
    sockets: list[socket.socket] = []
    seen = set()
    try:
        for family, kind, proto, _, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and len(infos) > 1:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
                sock.listen(BACKLOG)
            except OSError as exc:
                raise CannotListen(
                    f"cannot listen on {where} ({setting}): {_fix(exc.errno or 0, setting)}"
                ) from None
    except BaseException:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        raise
    return sockets


def url(sockets: list[socket.socket], host: str, *, tls: bool) -> str:
    """The address served, as a URL with the port actually bound (for port 0)."""
    port = sockets[0].getsockname()[1]
    return f"{'https' if tls else 'http'}://{_display(host, port)}"
