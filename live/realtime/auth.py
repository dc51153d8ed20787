"""Who is on the other end of a socket.

Browsers authenticate with the Django session cookie; display boxes and the venue's own apps
send `Authorization: Token <key>` (DRF's token). A browser's Origin is checked as Django's
CSRF check checks a form post's (OriginCheck below); a client without an Origin header is not
a browser (browsers always send one on a WebSocket handshake), so it cannot be abused for
cross-site WebSocket hijacking, and is let through (it still needs a token to moderate)."""

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from live.realtime.db import database_sync_to_async


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    try:
        token = Token.objects.select_related("user").get(key=key)
    except Token.DoesNotExist:
        return None
    return token.user if token.user.is_active else None


class TokenAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            for name, value in scope.get("headers", []):
                if name == b"authorization":
                    kind, _, key = value.decode("latin1").partition(" ")
                    if kind.lower() == "token" and 0 < len(key.strip()) <= 64:
                        scope = dict(
                            scope, user=await _user_for_token(key.strip()) or AnonymousUser()
                        )
                    break
        return await self.inner(scope, receive, send)


def TokenOrSessionAuthMiddleware(inner):
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


def _is_secure(scope) -> bool:
    """wss, or TLS ended at the proxy that says so (SECURE_PROXY_SSL_HEADER), as for HTTP."""
    if scope.get("scheme") == "wss":
        return True
    header, secure_value = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) or (None, None)
    if header is None or not header.startswith("HTTP_"):
        return False
    name = header[5:].lower().replace("_", "-").encode()
    return (_header(scope, name) or "").split(",")[0].strip() == secure_value


def origin_allowed(scope) -> bool:
    """Django's CSRF origin check (CsrfViewMiddleware._origin_verified), for a handshake: the
    Origin is the site's own (scheme, host and port of the request, the host one that
    ALLOWED_HOSTS serves) or one of CSRF_TRUSTED_ORIGINS (exact, or `https://*.example.org`
    for its subdomains, same scheme and port). Settings are read per handshake."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True  # not a browser: see the module's docstring
    host = _header(scope, b"host") or ""
    domain, _port = split_domain_port(host)
    if domain and validate_host(domain, settings.ALLOWED_HOSTS):
        own = f"{'https' if _is_secure(scope) else 'http'}://{host}"
        if origin == own:
            return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parsed = urlsplit(origin)
        netloc = parsed.netloc.lower()
    except ValueError:
        return False
    return any(
        is_same_domain(netloc, trusted.netloc[trusted.netloc.index("*") + 1 :])
        for trusted in map(urlsplit, settings.CSRF_TRUSTED_ORIGINS)
        if "*" in trusted.netloc and trusted.scheme == parsed.scheme
    )


class OriginCheck:
    """Refuses the handshake (HTTP 403) of a browser from another site."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.inner(scope, receive, send)
