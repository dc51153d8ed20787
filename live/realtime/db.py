"""`database_sync_to_async` that gives back the database connection it opened.

Channels' version closes old connections in the worker thread around the call. Under
asgiref 3.13 the call itself runs in a copy of the caller's context, and that copy is
copied back to the caller afterwards. `django.db.connections` is an asgiref Local kept in
that context, so the connection a call opens is invisible to Channels' clean-up outside it:
with the PostgreSQL pool it stayed checked out, reused by the same socket's later calls and
never returned (found when the test database could not be dropped: "being accessed by other
users"). Here the clean-up runs inside the call, in the context that holds the connection."""

from __future__ import annotations

import functools
from collections.abc import Callable

from channels.db import DatabaseSyncToAsync
from django.db import close_old_connections


def _closing(func: Callable) -> Callable:
    @functools.wraps(func)
    def call(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return call


class DatabaseCall(DatabaseSyncToAsync):
    def __init__(self, func: Callable, *args, **kwargs) -> None:
        super().__init__(_closing(func), *args, **kwargs)


database_sync_to_async = DatabaseCall
