"""A database call from the event loop (live.realtime.db.database_sync_to_async) gives its
pooled connection back when it returns. With Channels' own wrapper, under asgiref 3.13 the
connection a call opened stayed checked out: the clean-up ran outside the context that held
it (live/realtime/db.py). Seen first as a test database PostgreSQL could not drop."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from live.models import Session
from live.realtime.db import database_sync_to_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not connection.settings_dict["ENGINE"].endswith("postgresql"), reason="a PostgreSQL pool"
    ),
]


def in_use() -> int:
    stats = connection.pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


async def test_each_call_gives_its_pooled_connection_back():
    """As a socket does: one task calls again and again (its handshake, then its frames)."""
    before = await sync_to_async(in_use)()

    for _ in range(5):
        await database_sync_to_async(Session.objects.count)()
        assert await sync_to_async(in_use)() == before


async def test_a_call_that_raises_gives_it_back_too():
    def fails():
        Session.objects.count()
        raise ValueError("after a query")

    before = await sync_to_async(in_use)()
    with pytest.raises(ValueError):
        await database_sync_to_async(fails)()
    assert await sync_to_async(in_use)() == before


@pytest.mark.usefixtures("realtime_keys")
async def test_sockets_give_back_what_their_handshakes_and_commands_took(stream_client):
    """The case that leaked: 30 phones connect at once and identify (each handshake looks its
    session up, each identify reads the phone); once they are done, the pool is as before."""
    from tests import factories
    from tests.qa.test_socket_polls import identified

    session = await database_sync_to_async(factories.session)()
    phones = [await database_sync_to_async(factories.participant)(session.event) for _ in range(30)]
    before = await sync_to_async(in_use)()

    await asyncio.gather(*(identified(stream_client, session, token) for _, token in phones))

    assert await sync_to_async(in_use)() == before
