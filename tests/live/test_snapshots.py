"""A snapshot costs a fixed number of queries, whatever the number of questions."""

import pytest

from live.realtime import snapshots, streams
from qa import services
from tests import factories

pytestmark = pytest.mark.django_db


def _fill(session, n: int) -> None:
    moderator = factories.moderator(session.event)
    speakers = [factories.speaker(session.event), factories.speaker(session.event)]
    session.speakers.add(*speakers)
    for i in range(n):
        # Most addressed to a speaker (by name on every screen), some to everyone.
        to = speakers[i % 2] if i % 5 else None
        q = factories.question(session, status="approved" if i % 2 else "pending", addressed_to=to)
        if i % 3 == 0:
            services.question_edit(question_id=q.pk, actor=moderator, text=f"Đã sửa {i}")


@pytest.mark.parametrize("n", [1, 30])
def test_session_snapshot_query_count_is_fixed(django_assert_num_queries, n):
    session = factories.session()
    _fill(session, n)

    with django_assert_num_queries(3):  # session+event+hall, speakers, questions
        data = snapshots.build(streams.session_stream(session.pk))

    assert len(data["questions"]) == n // 2


@pytest.mark.parametrize("n", [1, 30])
def test_moderation_snapshot_query_count_is_fixed(django_assert_num_queries, n):
    session = factories.session()
    _fill(session, n)

    with django_assert_num_queries(5):  # session, speakers, questions, latest actions (2)
        data = snapshots.build(streams.moderation_stream(session.pk))

    assert len(data["questions"]) == n
    edited = [q for q in data["questions"] if q["edited"]]
    assert edited and all(q["last_action"]["action"] == "edit" for q in edited)


@pytest.mark.parametrize("n", [1, 30])
def test_display_snapshot_query_count_is_fixed(django_assert_num_queries, n):
    session = factories.session()
    _fill(session, n)

    with django_assert_num_queries(4):  # hall+event, active session, speakers, questions
        data = snapshots.build(streams.display_stream(session.hall_id))

    assert data["session"]["id"] == session.pk
    assert len(data["questions"]) == n // 2
    assert len(data["session"]["speakers"]) == 2
