"""Who is calling: the client's address, for an HTTP request and for a socket's ASGI scope.

X-Forwarded-For is believed only when the request arrives from a trusted proxy
(settings.TRUSTED_PROXIES, addresses or networks); then the right-most entry that is not itself
a trusted proxy is the client (what the proxy saw, not what the client claimed)."""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings


@cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The caller's address of an HTTP request (see the module's docstring)."""
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def scope_client_ip(scope) -> str:
    """client_ip for a WebSocket's ASGI scope."""
    remote = (scope.get("client") or [""])[0] or ""
    forwarded = ",".join(
        value.decode("latin1")
        for name, value in scope.get("headers", ())
        if name == b"x-forwarded-for"
    )
    return forwarded_client(remote, forwarded)


def forwarded_client(remote: str, forwarded: str) -> str:
    if not _is_trusted(remote):
        return remote
    for entry in reversed([e.strip() for e in forwarded.split(",") if e.strip()]):
        try:
            ipaddress.ip_address(entry)
        except ValueError:
            break
        if not _is_trusted(entry):
            return entry
    return remote
