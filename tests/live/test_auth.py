"""live/realtime/auth.py: who may open a socket from a browser. The Origin is compared as
Django's CSRF check compares it (scheme, host and port): the site's own origin (the request's
Host, validated by ALLOWED_HOSTS) or one of CSRF_TRUSTED_ORIGINS. No Origin: not a browser."""

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from config.asgi import application


async def handshake(origin: str | None, host: str = "summit.example.org", scheme: str = "ws", **h):
    headers = [(b"host", host.encode())] if host else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += [(name.replace("_", "-").encode(), value.encode()) for name, value in h.items()]
    communicator = WebsocketCommunicator(application, "/ws/nothing-here/", headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


SITE = override_settings(ALLOWED_HOSTS=["summit.example.org", "127.0.0.1"], CSRF_TRUSTED_ORIGINS=[])


@SITE
@pytest.mark.parametrize(
    ("origin", "host", "scheme", "headers"),
    [
        ("http://summit.example.org", "summit.example.org", "ws", {}),
        ("https://summit.example.org", "summit.example.org", "wss", {}),
        # TLS ends at the proxy, which says so (SECURE_PROXY_SSL_HEADER).
        ("https://summit.example.org", "summit.example.org", "ws", {"x_forwarded_proto": "https"}),
        # The browser tests: the page and its socket on 127.0.0.1 and a port of their own.
        ("http://127.0.0.1:8123", "127.0.0.1:8123", "ws", {}),
    ],
)
async def test_the_sites_own_origin_passes(origin, host, scheme, headers):
    assert await handshake(origin, host, scheme, **headers) is True


@SITE
@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://summit.example.org:9999", "summit.example.org"),  # another port
        ("http://127.0.0.1:9999", "127.0.0.1:8123"),
        ("https://summit.example.org", "summit.example.org"),  # https page, plain socket
        ("https://evil.example.com", "summit.example.org"),
        ("https://summit.example.org.evil.com", "summit.example.org"),
        ("null", "summit.example.org"),
        ("https://evil.example.com", "evil.example.com"),  # a host the site does not serve
    ],
)
async def test_other_origins_are_refused(origin, host):
    assert await handshake(origin, host) is False


@override_settings(
    ALLOWED_HOSTS=["app.internal"],
    CSRF_TRUSTED_ORIGINS=["https://summit.example.org", "https://*.venue.example"],
)
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://summit.example.org", True),
        ("https://hall-a.venue.example", True),
        ("https://summit.example.org:8443", False),
        ("http://summit.example.org", False),
        ("http://hall-a.venue.example", False),
    ],
)
async def test_csrf_trusted_origins_pass_as_for_a_form_post(origin, allowed):
    assert await handshake(origin, "app.internal") is allowed


@SITE
async def test_a_client_without_origin_is_not_a_browser_and_passes():
    assert await handshake(None, "summit.example.org") is True
