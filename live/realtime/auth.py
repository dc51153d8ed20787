"""Who is on the other end of a socket.

Browsers authenticate with the Django session cookie; display boxes and the venue's own apps
send `Authorization: Token <key>` (DRF's token). Origin is checked against ALLOWED_HOSTS for
browsers; a client without an Origin header is not a browser, so it cannot be abused for
cross-site WebSocket hijacking, and is let through (it still needs a token to moderate)."""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.contrib.auth.models import AnonymousUser


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


class BrowserOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


def OriginCheck(inner):
    """AllowedHostsOriginValidator's host list, with a missing Origin allowed (see above)."""
    allowed = AllowedHostsOriginValidator(inner).allowed_origins
    return BrowserOriginValidator(inner, allowed)
