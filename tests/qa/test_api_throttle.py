"""Throttles: per participant and per client IP, counted in the Django cache, 429 with
Retry-After; the per-IP join limit lets a hall behind one NAT in, not a script."""

import threading
import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from live.throttling import Throttled, count_request, count_requests, throttle_rate
from qa.models import Participant, Question
from qa.throttles import throttle_join
from tests import factories
from tests.api_clients import anonymous, as_participant, rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return factories.session()


def test_throttle_rates_are_in_settings():
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) >= {
        "participant_question",
        "participant_vote",
        "ip_question",
        "ip_vote",
        "ip_join",
        "ip_join_day",
        "ip_auth",
    }
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["participant_question"] == "5/min"
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["participant_vote"] == "60/min"


def test_participant_question_throttle_sixth_is_429(session):
    client, _ = as_participant(session.event)
    url = f"/api/v1/sessions/{session.pk}/questions/"
    statuses = [client.post(url, {"text": f"Câu {i}"}, format="json").status_code for i in range(6)]
    assert statuses == [201, 201, 201, 201, 201, 429]
    response = client.post(url, {"text": "Nữa"}, format="json")
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Question.objects.count() == 5


def test_participant_question_throttle_is_per_participant(session):
    url = f"/api/v1/sessions/{session.pk}/questions/"
    first, _ = as_participant(session.event)
    for i in range(5):
        first.post(url, {"text": f"Câu {i}"}, format="json")
    second, _ = as_participant(session.event)
    assert second.post(url, {"text": "Của tôi"}, format="json").status_code == 201


def test_participant_question_retry_of_stored_question_not_counted(session):
    client, _ = as_participant(session.event)
    url = f"/api/v1/sessions/{session.pk}/questions/"
    for i in range(5):
        client.post(url, {"text": f"Câu {i}", "client_id": f"c{i}"}, format="json")
    retry = client.post(url, {"text": "Câu 0", "client_id": "c0"}, format="json")
    assert retry.status_code == 200
    assert client.post(url, {"text": "Mới", "client_id": "c9"}, format="json").status_code == 429


def test_participant_vote_throttle(session):
    question = factories.question(session, status="approved")
    client, _ = as_participant(session.event)
    url = f"/api/v1/questions/{question.pk}/vote/"
    with rates(participant_vote="4/min"):
        statuses = [client.post(url).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def test_ip_vote_throttle_counts_every_phone_of_one_address(session):
    question = factories.question(session, status="approved")
    url = f"/api/v1/questions/{question.pk}/vote/"
    with rates(ip_vote="3/min"):
        statuses = [as_participant(session.event)[0].post(url).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_ip_question_throttle(session):
    url = f"/api/v1/sessions/{session.pk}/questions/"
    with rates(ip_question="2/min"):
        statuses = [
            as_participant(session.event)[0].post(url, {"text": "Câu"}, format="json").status_code
            for _ in range(3)
        ]
    assert statuses == [201, 201, 429]


def test_ip_join_throttle_429_with_retry_after(session):
    url = f"/api/v1/events/{session.event.slug}/join/"
    with rates(ip_join="3/hour"):
        responses = [anonymous().post(url) for _ in range(4)]
    assert [r.status_code for r in responses] == [201, 201, 201, 429]
    assert 3590 <= int(responses[-1]["Retry-After"]) <= 3600
    assert Participant.objects.count() == 3


@override_settings(TRUSTED_PROXIES=["10.0.0.2"])
def test_ip_join_throttle_uses_forwarded_address_from_trusted_proxy(session):
    url = f"/api/v1/events/{session.event.slug}/join/"
    with rates(ip_join="1/hour"):
        first = anonymous().post(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.1")
        other = anonymous().post(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.2")
        again = anonymous().post(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert [first.status_code, other.status_code, again.status_code] == [201, 201, 429]


def test_ip_join_throttle_ignores_forwarded_address_from_untrusted_peer(session):
    url = f"/api/v1/events/{session.event.slug}/join/"
    with rates(ip_join="1/hour"):
        first = anonymous().post(
            url, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.1"
        )
        spoofed = anonymous().post(
            url, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.2"
        )
    assert [first.status_code, spoofed.status_code] == [201, 429]


def test_ip_join_default_rate_lets_a_hall_in_but_not_a_script():
    """2,000 phones behind one NAT join; a script minting 20,000 identities gets 3,000."""
    allowed = [count_request("ip_join", "203.0.113.50")[0] for _ in range(20_000)]
    assert all(allowed[:2000])
    assert sum(allowed) == 3000


def test_ip_join_day_rate_caps_a_slow_script(session):
    url = f"/api/v1/events/{session.event.slug}/join/"
    with rates(ip_join="100/hour", ip_join_day="2/day"):
        responses = [anonymous().post(url) for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 429]
    assert 86390 <= int(responses[-1]["Retry-After"]) <= 86400


def test_auth_token_throttle():
    with rates(ip_auth="2/min"):
        statuses = [
            anonymous().post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code
            for _ in range(3)
        ]
    assert statuses == [400, 400, 429]


def disconnect_redis_cache():
    """Django's RedisCache.close() leaves the sockets open; close this thread's pools."""
    for pool in caches["default"]._cache._pools.values():
        pool.disconnect()


def test_throttle_with_redis_cache_is_atomic_across_threads(session):
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    }
    url = f"/api/v1/events/{session.event.slug}/join/"
    with override_settings(CACHES=redis_cache), rates(ip_vote="20/min", ip_join="2/hour"):
        results = []
        lock = threading.Lock()

        def hit():
            try:
                allowed, _wait = count_request("ip_vote", "198.51.100.9")
                with lock:
                    results.append(allowed)
            finally:
                disconnect_redis_cache()  # each thread has its own cache connection

        threads = [threading.Thread(target=hit) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        responses = [anonymous().post(url) for _ in range(3)]
        stored = caches["default"].get("throttle:ip_join:127.0.0.1")
        # Not clear(): that would flush the whole Redis database other tests share.
        caches["default"].delete_many(
            [
                f"throttle:{key}{suffix}"
                for key in ("ip_vote:198.51.100.9", "ip_join:127.0.0.1")
                for suffix in ("", ":start")
            ]
        )
        disconnect_redis_cache()
    assert sum(results) == 20
    assert len(results) == 50
    assert [r.status_code for r in responses] == [201, 201, 429]
    assert stored == 3


# ---- one accounting for both doors; joins spread --------------------------------------------------


def join_verdict(ip):
    """throttle_join as (allowed, seconds to wait)."""
    try:
        throttle_join(ip=ip)
    except Throttled as refused:
        assert refused.code == "join.throttled"
        return False, refused.wait
    return True, 0.0


def test_ip_join_burst_admits_a_hall_and_spreads_the_rest_of_the_hour():
    """2,000 phones behind one NAT join at once; a script gets 2,500 at once, then waits ten
    minutes for the rest of its hourly 3,000 (it took them all in 17 s before)."""
    allowed = [join_verdict("203.0.113.60") for _ in range(3000)]

    assert all(ok for ok, _wait in allowed[:2000])
    assert sum(ok for ok, _wait in allowed) == 2500
    assert 590 <= allowed[-1][1] <= 600


def test_join_over_http_past_the_burst_is_429_with_retry_after_of_the_window(session):
    url = f"/api/v1/events/{session.event.slug}/join/"
    with rates(ip_join_burst="2/10min"):
        responses = [anonymous().post(url) for _ in range(3)]

    assert [r.status_code for r in responses] == [201, 201, 429]
    assert 590 <= int(responses[-1]["Retry-After"]) <= 600


def test_throttle_rate_reads_a_period_with_a_multiple():
    with rates(ip_join_burst="2500/10min", ip_vote="5/2h"):
        assert throttle_rate("ip_join_burst") == (2500, 600)
        assert throttle_rate("ip_vote") == (5, 7200)
    assert throttle_rate("participant_vote") == (60, 60)


def test_count_requests_in_one_redis_round_counts_each_hit_in_order(session):
    """The socket's vote rounds count all their hits in one Lua script: per key, the first
    `limit` hits pass, the rest wait for the window (its TTL in Redis)."""
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=redis_cache), rates(participant_vote="3/min", ip_vote="4/min"):
        first = count_requests(
            [("participant_vote", "1"), ("ip_vote", "198.51.100.3")] * 2
            + [("participant_vote", "2"), ("ip_vote", "198.51.100.3")]
        )
        second = count_requests([("participant_vote", "1")] * 2 + [("ip_vote", "198.51.100.3")])
        stored = caches["default"].get("throttle:participant_vote:1")
        # INCRBY, EXPIRE where the count opened the window, TTL: no window-start key as the
        # generic path keeps.
        assert caches["default"].get("throttle:participant_vote:1:start") is None
        keys = [
            f"throttle:{k}"
            for k in ("participant_vote:1", "participant_vote:2", "ip_vote:198.51.100.3")
        ]
        caches["default"].delete_many(keys)
        disconnect_redis_cache()

    assert [ok for ok, _ in first] == [True] * 6
    assert [ok for ok, _ in second] == [True, False, True]  # the phone's 4th, the address's 4th
    assert all(55 <= wait <= 60 for ok, wait in second if not ok)
    assert stored == 4
