"""The stage screen of a hall: the message to the stage (service and POST .../stage-message/),
the stage key (POST .../stage-key/, organisers only, locking the old key out of the page and
the socket), the page /stage/<id>/?key=, the snapshot's query count, and the stage stream
(snapshot, a queued question arriving, stage.message, 4403 for a wrong key, 4404, an open
socket with a renewed key closed with 4403)."""

import asyncio

import pytest
from django.test import Client

from live import services
from live.errors import DomainError
from live.models import Hall, HallAction
from live.realtime import snapshots, streams
from live.realtime.db import database_sync_to_async
from qa import services as qa_services
from tests import factories
from tests.api_clients import anonymous, as_participant, as_user
from tests.realtime import StreamClient

db = pytest.mark.django_db
realtime = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


def message_url(hall) -> str:
    return f"/api/v1/halls/{hall.pk}/stage-message/"


def key_url(hall) -> str:
    return f"/api/v1/halls/{hall.pk}/stage-key/"


# ---- the message to the stage -------------------------------------------------------------------


@db
def test_stage_message_is_stored_audited_and_published(
    published, django_capture_on_commit_callbacks
):
    hall = factories.hall()
    moderator = factories.moderator(hall.event)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(moderator).post(
            message_url(hall), {"text": "  Còn   2 câu hỏi nữa "}, format="json"
        )

    assert response.status_code == 200, response.json()
    hall.refresh_from_db()
    body = response.json()
    assert body == {"hall_id": hall.pk, "text": "Còn 2 câu hỏi nữa", "at": body["at"]}
    assert (hall.stage_message, hall.stage_message_at.isoformat()) == (body["text"], body["at"])
    assert hall.version == 1  # not a display setting
    action = HallAction.objects.get(hall=hall)
    assert (action.actor, action.action, action.detail) == (
        moderator,
        "stage_message",
        {"stage_message": ["", "Còn 2 câu hỏi nữa"]},
    )
    for stream in (streams.stage_stream(hall.pk), streams.control_stream(hall.event_id)):
        assert published(stream) == [("stage.message", body)]
    assert published(streams.display_stream(hall.pk)) == []


@db
def test_stage_message_reaches_the_consoles_of_the_session_the_hall_shows(
    published, django_capture_on_commit_callbacks
):
    hall = factories.hall()
    shown = factories.session(hall, status="live")
    moderator = factories.moderator(hall.event)

    with django_capture_on_commit_callbacks(execute=True):
        body = as_user(moderator).post(message_url(hall), {"text": "Xin tóm tắt"}, format="json")

    assert published(streams.moderation_stream(shown.pk)) == [("stage.message", body.json())]


@db
def test_stage_message_keeps_vietnamese_and_counts_composed_letters():
    hall = factories.hall()
    decomposed = "Tóm tắt nhé".replace("ó", "o\u0301").replace("ắ", "a\u0306\u0301")
    text = decomposed + "ữ" * (200 - len("Tóm tắt nhé"))

    response = as_user(factories.moderator(hall.event)).post(
        message_url(hall), {"text": text}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["text"].startswith("Tóm tắt nhé")
    assert len(response.json()["text"]) == 200


@db
def test_empty_stage_message_clears_it(published):
    hall = factories.hall()
    moderator = factories.moderator(hall.event)
    services.hall_stage_message(hall_id=hall.pk, actor=moderator, text="Wrap up")

    response = as_user(moderator).post(message_url(hall), {"text": ""}, format="json")

    assert response.json() == {"hall_id": hall.pk, "text": "", "at": None}
    hall.refresh_from_db()
    assert (hall.stage_message, hall.stage_message_at) == ("", None)


@db
@pytest.mark.parametrize("body", [{}, {"text": "x" * 201}, {"text": 5 * ["a"]}])
def test_stage_message_bad_text_is_400_with_the_field(body):
    hall = factories.hall()

    response = as_user(factories.moderator(hall.event)).post(message_url(hall), body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["text"]
    assert Hall.objects.get(pk=hall.pk).stage_message == ""
    assert not HallAction.objects.exists()


@db
def test_stage_message_service_refuses_too_long_text():
    hall = factories.hall()

    with pytest.raises(DomainError) as error:
        services.hall_stage_message(hall_id=hall.pk, actor=None, text="x" * 201)

    assert error.value.code == "hall.stage_message_too_long"


@db
def test_who_may_send_a_stage_message():
    hall = factories.hall()
    body = {"text": "Wrap up"}
    participant_client, _ = as_participant(hall.event)

    assert anonymous().post(message_url(hall), body, format="json").status_code == 401
    assert participant_client.post(message_url(hall), body, format="json").status_code == 403
    stranger = as_user(factories.moderator(factories.event()))
    assert stranger.post(message_url(hall), body, format="json").status_code == 403
    assert Hall.objects.get(pk=hall.pk).stage_message == ""
    organiser = as_user(factories.moderator(hall.event, role="organiser"))
    assert organiser.post(message_url(hall), body, format="json").status_code == 200
    response = as_user(factories.superuser()).post(
        "/api/v1/halls/987654/stage-message/", body, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "hall.not_found")


# ---- the stage key ------------------------------------------------------------------------------


@db
def test_organiser_renews_the_stage_key_which_locks_the_old_page_out():
    hall = factories.hall()
    old = hall.stage_key
    organiser = factories.moderator(hall.event, role="organiser")
    assert Client().get(f"/stage/{hall.pk}/?key={old}").status_code == 200

    response = as_user(organiser).post(key_url(hall))

    assert response.status_code == 200
    new = response.json()["stage_key"]
    assert response.json() == {"stage_key": new, "stage_url": f"/stage/{hall.pk}/?key={new}"}
    assert new != old and Hall.objects.get(pk=hall.pk).stage_key == new
    action = HallAction.objects.get(hall=hall)
    assert (action.actor, action.action, action.detail) == (organiser, "stage_key", {})
    assert Client().get(f"/stage/{hall.pk}/?key={old}").status_code == 403
    assert Client().get(response.json()["stage_url"]).status_code == 200


@db
def test_who_may_renew_the_stage_key():
    hall = factories.hall()
    key = hall.stage_key
    participant_client, _ = as_participant(hall.event)

    assert anonymous().post(key_url(hall)).status_code == 401
    assert participant_client.post(key_url(hall)).status_code == 403
    assert (
        as_user(factories.moderator(factories.event(), role="organiser"))
        .post(key_url(hall))
        .status_code
        == 403
    )
    plain = as_user(factories.moderator(hall.event)).post(key_url(hall))
    assert (plain.status_code, plain.json()["code"]) == (403, "organiser.forbidden")
    assert Hall.objects.get(pk=hall.pk).stage_key == key
    assert as_user(factories.superuser()).post(key_url(hall)).status_code == 200
    missing = as_user(factories.superuser()).post("/api/v1/halls/987654/stage-key/")
    assert missing.status_code == 404


# ---- the page -----------------------------------------------------------------------------------


@db
@pytest.mark.parametrize("key", ["", "?key=", "?key=wrong", "?key=x" + "y" * 100])
def test_stage_page_without_the_right_key_is_403(key):
    hall = factories.hall()

    assert Client().get(f"/stage/{hall.pk}/{key}").status_code == 403


@db
def test_stage_page_hands_its_script_the_socket_with_the_key_in_vietnamese_first():
    hall = factories.hall(stage_key="k-123_abc")

    response = Client().get(f"/stage/{hall.pk}/?key=k-123_abc")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    config = response.context["config"]
    assert config["ws"] == f"/ws/halls/{hall.pk}/stage/?key=k-123_abc"
    assert (config["lang"], config["strings"]["live"]) == ("vi", "TRỰC TIẾP")
    assert Client().get("/stage/987654/?key=x").status_code == 404


# ---- the snapshot -------------------------------------------------------------------------------


@db
@pytest.mark.parametrize("n", [1, 12])
def test_stage_snapshot_query_count_is_fixed_and_holds_pinned_then_queue(
    django_assert_num_queries, n
):
    session = factories.session()
    moderator = factories.moderator(session.event)
    speaker = factories.speaker(session.event, name="Nguyễn Thị Hà")
    session.speakers.add(speaker)
    questions = [
        factories.question(session, status="approved", addressed_to=speaker) for _ in range(n + 2)
    ]
    qa_services.question_pin(question_id=questions[0].pk, actor=moderator)
    for q in reversed(questions[1 : n + 1]):
        qa_services.question_queue(question_id=q.pk, actor=moderator)
    services.hall_stage_message(hall_id=session.hall_id, actor=moderator, text="Hai câu nữa")

    with django_assert_num_queries(4):  # hall+event, current session, speakers, questions
        data = snapshots.build(streams.stage_stream(session.hall_id))

    assert set(data) == {"event", "hall", "session", "stage_message", "questions"}
    assert data["session"]["id"] == session.pk
    expected = [questions[0].pk, *[q.pk for q in reversed(questions[1 : n + 1])]]
    assert [q["id"] for q in data["questions"]] == expected
    assert [q["queue_position"] for q in data["questions"]] == [None, *range(1, n + 1)]
    assert data["stage_message"]["text"] == "Hai câu nữa"


# ---- the stream ---------------------------------------------------------------------------------


@database_sync_to_async
def stage_venue():
    session = factories.session()
    moderator = factories.moderator(session.event)
    first = factories.question(session, status="approved", text="Câu hỏi đầu tiên?")
    second = factories.question(session, status="approved", text="Câu hỏi thứ hai?")
    qa_services.question_pin(question_id=first.pk, actor=moderator)
    hall = Hall.objects.select_related("event").get(pk=session.hall_id)
    return session, hall, moderator, first, second


def stage_path(hall, key: str | None = None) -> str:
    return f"/ws/halls/{hall.pk}/stage/?key={hall.stage_key if key is None else key}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_stage_stream_snapshot_queue_and_message(stream_client):
    session, hall, moderator, first, second = await stage_venue()
    stage = await stream_client(stage_path(hall))

    snapshot = stage.frames[0]["data"]
    assert snapshot["session"]["id"] == session.pk
    assert snapshot["stage_message"] == {"hall_id": hall.pk, "text": "", "at": None}
    assert [(q["id"], q["pinned"]) for q in snapshot["questions"]] == [(first.pk, True)]

    await database_sync_to_async(qa_services.question_queue)(question_id=second.pk, actor=moderator)
    queued = await stage.receive_type("question.updated")
    assert (queued["data"]["id"], queued["data"]["queue_position"]) == (second.pk, 1)

    await database_sync_to_async(services.hall_stage_message)(
        hall_id=hall.pk, actor=moderator, text="Tóm tắt nhé"
    )
    message = await stage.receive_type("stage.message")
    assert (message["data"]["hall_id"], message["data"]["text"]) == (hall.pk, "Tóm tắt nhé")
    assert stage.gaps == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_stage_stream_follows_session_and_hall_changes(stream_client):
    session, hall, moderator, first, _ = await stage_venue()
    later = await database_sync_to_async(factories.session)(
        hall, status="scheduled", starts_at=session.ends_at
    )
    stage = await stream_client(stage_path(hall))

    await database_sync_to_async(services.session_update)(
        session_id=session.pk, actor=moderator, qa_open=False
    )
    updated = await stage.receive_type("session.updated")
    assert updated["data"]["session"]["qa_open"] is False
    await database_sync_to_async(services.session_update)(
        session_id=session.pk, actor=moderator, status="ended"
    )
    changed = await stage.receive_type("display.session_changed")
    assert changed["data"]["session"]["id"] == later.pk
    assert set(changed["data"]) == {"event", "hall", "session", "stage_message", "questions"}
    await database_sync_to_async(services.hall_display_update)(
        hall_id=hall.pk, actor=moderator, display_mode="pinned"
    )
    assert (await stage.receive_type("hall.updated"))["data"]["hall"]["display_mode"] == "pinned"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
@pytest.mark.parametrize("key", ["", "wrong", None])
async def test_stage_stream_wrong_or_missing_key_closes_4403(key):
    _, hall, _, _, _ = await stage_venue()
    path = f"/ws/halls/{hall.pk}/stage/" if key is None else stage_path(hall, key)
    client = StreamClient(path)

    assert await client.connect()
    assert await client.close_code() == 4403


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_stage_stream_unknown_hall_closes_4404():
    client = StreamClient("/ws/halls/987654/stage/?key=x")

    assert await client.connect()
    assert await client.close_code() == 4404


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_renewed_key_closes_open_socket_and_refuses_the_old_key(stream_client):
    _, hall, _, _, _ = await stage_venue()
    organiser = await database_sync_to_async(factories.moderator)(hall.event, role="organiser")
    old = await stream_client(stage_path(hall))

    loop = asyncio.get_running_loop()
    started = loop.time()
    renewed = await database_sync_to_async(services.hall_stage_key_renew)(
        hall_id=hall.pk, actor=organiser
    )

    assert await old.close_code(timeout=5) == 4403
    assert loop.time() - started < 3  # the watch runs every REALTIME_WATCHDOG_SECONDS (1 s here)
    again = StreamClient(stage_path(hall, old.path.split("key=")[1]))
    assert await again.connect()
    assert await again.close_code() == 4403
    fresh = await stream_client(stage_path(renewed))
    assert fresh.frames[0]["type"] == "snapshot"
