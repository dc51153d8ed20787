import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached state must not leak between tests."""
    cache.clear()
    yield
    cache.clear()
