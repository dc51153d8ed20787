"""`make run` without Redis: the same streams on the in-memory backend (one process)."""

import pytest

from live.realtime.db import database_sync_to_async
from qa import services
from tests import factories
from tests.realtime import state_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_backend")]


@database_sync_to_async
def arrange(n=3):
    session = factories.session()
    return (
        session,
        factories.moderator(session.event),
        [factories.question(session) for _ in range(n)],
    )


approve = database_sync_to_async(services.question_approve)


async def test_memory_backend_delivers_in_order(stream_client):
    session, moderator, questions = await arrange()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    for q in questions:
        await approve(question_id=q.pk, actor=moderator)
    frames = [await client.receive() for _ in questions]

    assert [f["seq"] for f in frames] == [1, 2, 3]
    assert [f["data"]["id"] for f in frames] == [q.pk for q in questions]


async def test_memory_backend_resume_replays_missed(stream_client):
    session, moderator, questions = await arrange()
    path = f"/ws/sessions/{session.pk}/"
    steady = await stream_client(path)
    dropped = await stream_client(path)
    epoch, seq = dropped.frames[0]["epoch"], dropped.frames[0]["seq"]
    await dropped.disconnect()

    for q in questions:
        await approve(question_id=q.pk, actor=moderator)
    live = [await steady.receive() for _ in questions]
    resumed = await stream_client(f"{path}?epoch={epoch}&seq={seq}", expect_snapshot=False)
    replay = [await resumed.receive() for _ in questions]

    assert replay == live
    assert state_of(dropped.frames + replay) == state_of(steady.frames)


async def test_memory_backend_coalesces_votes(stream_client):
    session, _, questions = await arrange(1)
    question = questions[0]
    await database_sync_to_async(services.question_approve)(question_id=question.pk, actor=None)
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    for _ in range(4):
        participant, _token = await database_sync_to_async(factories.participant)(session.event)
        await database_sync_to_async(services.vote_cast)(
            question_id=question.pk, participant=participant
        )

    frames = []
    while not await client.nothing_more(0.8):
        frames.append(await client.receive())

    assert {f["type"] for f in frames} == {"votes.updated"}
    assert frames[-1]["data"] == {"votes": {str(question.pk): 4}}
