"""Under Daphne the middleware chain runs synchronously, entered once per request."""

from asgiref.sync import SyncToAsync
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, override_settings


def test_asgi_middleware_chain_is_entered_once_as_a_whole():
    handler = ASGIHandler()  # loads the middleware in async mode, as under Daphne

    assert isinstance(handler._middleware_chain, SyncToAsync)


def test_without_the_sync_chain_each_middleware_would_hop_threads(settings):
    middleware = [m for m in settings.MIDDLEWARE if m != "config.middleware.SyncMiddlewareChain"]
    with override_settings(MIDDLEWARE=middleware):
        handler = ASGIHandler()

    assert not isinstance(handler._middleware_chain, SyncToAsync)


async def test_asgi_request_passes_through_the_sync_chain():
    response = await AsyncClient().get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["X-Frame-Options"] == "DENY"  # the outer middleware still ran
