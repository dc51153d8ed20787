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

    with django_assert_num_queries(4):  # session+event+hall, speakers, questions, polls
        data = snapshots.build(streams.session_stream(session.pk))

    assert len(data["questions"]) == n // 2


@pytest.mark.parametrize("n", [1, 30])
def test_moderation_snapshot_query_count_is_fixed(django_assert_num_queries, n):
    session = factories.session()
    _fill(session, n)

    # session, speakers, questions, latest actions (2), polls
    with django_assert_num_queries(6):
        data = snapshots.build(streams.moderation_stream(session.pk))

    assert len(data["questions"]) == n
    edited = [q for q in data["questions"] if q["edited"]]
    assert edited and all(q["last_action"]["action"] == "edit" for q in edited)


@pytest.mark.parametrize("n", [1, 30])
def test_display_snapshot_query_count_is_fixed(django_assert_num_queries, n):
    session = factories.session()
    _fill(session, n)

    # hall+event, active session, speakers, questions, polls
    with django_assert_num_queries(5):
        data = snapshots.build(streams.display_stream(session.hall_id))

    assert data["session"]["id"] == session.pk
    assert len(data["questions"]) == n // 2
    assert len(data["session"]["speakers"]) == 2


def _polls(session, n: int) -> None:
    """n polls: drafts, open ones with ballots, closed ones (the last closed one on screen)."""
    from qa.models import Poll

    for i in range(n):
        poll = services.poll_create(
            session=session,
            actor=None,
            question_vi=f"Thăm dò {i}?",
            options=[services.PollOptionText(f"Ý {j}") for j in range(3)],
        )
        if i % 3 == 0:
            continue
        services.poll_open(poll_id=poll.pk, actor=None)
        for _ in range(2):
            phone, _token = factories.participant(session.event)
            option = poll.options.first().pk
            services.ballot_cast(poll_id=poll.pk, participant=phone, options=[option])
        if i % 3 == 2:
            services.poll_close(poll_id=poll.pk, actor=None)
    last_closed = Poll.objects.filter(session=session, state="closed").last()
    if last_closed is not None:
        services.poll_show(poll_id=last_closed.pk, actor=None)


@pytest.mark.parametrize(("n", "public"), [(2, 1), (12, 5)])
def test_snapshots_with_polls_cost_three_more_queries(django_assert_num_queries, n, public):
    """The polls, their options, their voters and their votes: four queries however many."""
    session = factories.session()
    _fill(session, 1)
    _polls(session, n)

    with django_assert_num_queries(7):
        data = snapshots.build(streams.session_stream(session.pk))
    with django_assert_num_queries(8):
        display = snapshots.build(streams.display_stream(session.hall_id))
    with django_assert_num_queries(9):
        moderation = snapshots.build(streams.moderation_stream(session.pk))

    assert len(data["polls"]) == len(display["polls"]) == public  # open, or closed on screen
    assert len(moderation["polls"]) == n
    assert all(p["voters"] == 2 for p in data["polls"])
