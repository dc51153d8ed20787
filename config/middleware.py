"""Run the middleware chain synchronously, entered once per request.

Every view of this project is synchronous (DRF, the pages). Under Daphne, Django runs each
middleware that can be async in async mode, and Django's MiddlewareMixin then hands every
process_request and process_response to a thread: two thread hops per middleware, some
sixteen per request, ~8 ms of CPU for a trivial view (measured for issue #6).

Django builds the chain from the innermost middleware outwards and keeps it synchronous from
the first sync-only one on; so this pass-through, last in MIDDLEWARE, makes the whole chain
and the view run in one thread. Django's own middleware keep their names in MIDDLEWARE, so
`check --deploy` still sees them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SyncMiddlewareChain:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
