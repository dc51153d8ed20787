"""What a client receives, against what the API documents, so the documentation cannot drift
from what is sent:

- every REST answer the phone and the console use, against the response schema of its
  operation in the OpenAPI document served at /api/schema/;
- every stream message and socket answer, read from real sockets while the real services run:
  its `data` against the OpenAPI component of the same representation (a question, a session,
  a hall), and its keys, recursively, against the JSON examples of docs/protocol.md.

Objects are closed: a key a representation sends that its schema or its example does not name
fails here (OpenAPI allows extra keys by default; this test does not)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from live import services as live_services
from live.models import Hall
from live.realtime.db import database_sync_to_async
from qa import services
from qa.representations import question_public
from tests import factories
from tests.api_clients import as_user
from tests.realtime import token_header

PROTOCOL = Path(settings.BASE_DIR) / "docs" / "protocol.md"


# ---- the OpenAPI document, as JSON Schema ----------------------------------------------------


def _closed(node):
    """OpenAPI 3.0 -> JSON Schema 2020-12: `nullable` becomes a null alternative, and an
    object with properties admits no other key."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _closed(value) for key, value in node.items()}
    if "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def openapi(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def component_validator(openapi: dict, schema: dict) -> jsonschema.Draft202012Validator:
    root = {**_closed(schema), "components": _closed(openapi["components"])}
    return jsonschema.Draft202012Validator(root)


def check_component(openapi: dict, name: str, data) -> None:
    component_validator(openapi, {"$ref": f"#/components/schemas/{name}"}).validate(data)


def check_response(openapi: dict, method: str, template: str, response) -> None:
    """The answer's JSON against the schema its operation documents for its status."""
    operation = openapi["paths"][template][method.lower()]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (method, template, response.status_code)
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    component_validator(openapi, schema).validate(response.json())


# ---- docs/protocol.md examples -----------------------------------------------------------------


def protocol_examples() -> dict[str, list[dict]]:
    """type -> the `data` of each example frame in docs/protocol.md's JSON blocks."""
    examples: dict[str, list[dict]] = {}
    for block in re.findall(r"```json\n(.*?)```", PROTOCOL.read_text(), re.DOTALL):
        try:
            frames = [json.loads(block)]
        except json.JSONDecodeError:  # a block of one frame a line (client to server)
            frames = [json.loads(line) for line in block.splitlines() if line.strip()]
        for frame in frames:
            # The frame format's own example ({"...": "..."}) shows no representation.
            if "type" in frame and "data" in frame and frame["data"] != {"...": "..."}:
                examples.setdefault(frame["type"], []).append(frame["data"])
    return examples


def moderation_question_example() -> dict:
    """A question on the moderation stream: the `question.updated` example and the block of
    what "the question also carries" there."""
    text = PROTOCOL.read_text()
    extras = re.search(
        r"moderation stream the question also carries:\n\n```json\n(.*?)```", text, re.DOTALL
    )
    return {**protocol_examples()["question.updated"][0], **json.loads(extras.group(1))}


def stream_data_keys() -> dict[str, set[str]]:
    """The prose list of each snapshot's `data` keys: '- Display stream: `data` = `{...}`'."""
    found = re.findall(r"- (\w+) stream: `data` = `\{([^}]*)\}`", PROTOCOL.read_text())
    return {kind.lower(): set(re.findall(r'"(\w+)"', keys)) for kind, keys in found}


def shape_differences(example, sent, path: str = "data") -> list[str]:
    """Where `sent` has other keys than `example`, recursively. An example object with a "..."
    key elides the rest (only its named keys are checked); an object whose keys are all ids
    (`votes`) is a map: only its values are compared; a list's items are compared with the
    example's first item."""
    if isinstance(example, dict) and isinstance(sent, dict):
        if example and all(key.isdigit() for key in example):
            sample = next(iter(example.values()))
            return [d for k, v in sent.items() for d in shape_differences(sample, v, f"{path}.{k}")]
        named = {key for key in example if key != "..."}
        problems = []
        if "..." in example:
            if not named <= set(sent):
                problems.append(f"{path}: documented {sorted(named - set(sent))} not sent")
        elif set(example) != set(sent):
            problems.append(
                f"{path}: sent {sorted(set(sent) - named)} undocumented, "
                f"documented {sorted(named - set(sent))} not sent"
            )
        for key in named & set(sent):
            problems += shape_differences(example[key], sent[key], f"{path}.{key}")
        return problems
    if isinstance(example, list) and isinstance(sent, list):
        if not example:
            return []
        return [
            d
            for i, item in enumerate(sent)
            for d in shape_differences(example[0], item, f"{path}[{i}]")
        ]
    if example is None or sent is None:
        return []
    if isinstance(example, dict) != isinstance(sent, dict) or isinstance(
        example, list
    ) != isinstance(sent, list):
        return [f"{path}: documented {type(example).__name__}, sent {type(sent).__name__}"]
    return []


# ---- the checks themselves ---------------------------------------------------------------------


def test_shape_check_refuses_an_undocumented_key(openapi, db):
    """The checks below can fail: one key more than documented is enough."""
    question = factories.question(factories.session(), status="approved")
    sent = {**question_public(question), "flagged": False}
    example = protocol_examples()["question.updated"][0]

    with pytest.raises(jsonschema.ValidationError):
        check_component(openapi, "QuestionPublic", sent)
    assert shape_differences(example, sent) == [
        "data: sent ['flagged'] undocumented, documented [] not sent"
    ]


@pytest.mark.django_db
def test_rest_representations_match_openapi(openapi):
    session = factories.session(factories.hall(factories.event(slug="summit")))
    moderator = factories.organiser(session.event, username="lan")
    console = as_user(moderator)
    approved = factories.question(session, status="approved")
    pending, duplicate = factories.question(session), factories.question(session, status="approved")
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    S, Q = "/api/v1/sessions/{session_id}/", "/api/v1/questions/{question_id}/"

    joined = phone.post("/api/v1/events/summit/join/", {"display_name": "Lan"}, format="json")
    phone.credentials(HTTP_X_PARTICIPANT_TOKEN=joined.json()["participant_token"])
    q = f"/api/v1/questions/{approved.pk}/"
    s = f"/api/v1/sessions/{session.pk}/"
    calls = [
        ("POST", "/api/v1/events/{slug}/join/", joined),
        (
            "POST",
            "/api/v1/auth/token/",
            APIClient().post(
                "/api/v1/auth/token/",
                {"username": "lan", "password": "pw-Secret-123"},
                format="json",
            ),
        ),
        ("GET", "/api/v1/events/{slug}/", phone.get("/api/v1/events/summit/")),
        ("GET", "/api/v1/events/{slug}/", phone.get("/api/v1/events/nowhere/")),
        ("GET", S, phone.get(s)),
        ("PATCH", S, console.patch(s, {"status": "qa", "version": 1}, format="json")),
        ("PATCH", S, console.patch(s, {"status": "break", "version": 1}, format="json")),
        (
            "POST",
            S + "questions/",
            phone.post(s + "questions/", {"text": "Hỏi?", "client_id": "c1"}, format="json"),
        ),
        (
            "POST",
            S + "questions/",
            phone.post(s + "questions/", {"text": "Hỏi?", "client_id": "c1"}, format="json"),
        ),
        ("POST", S + "questions/", phone.post(s + "questions/", {}, format="json")),
        ("GET", S + "questions/", phone.get(s + "questions/")),
        ("GET", S + "questions/", phone.get(s + "questions/", {"mine": "1"})),
        ("POST", Q + "vote/", phone.post(q + "vote/")),
        ("DELETE", Q + "vote/", phone.delete(q + "vote/")),
        ("POST", Q + "vote/", phone.post(f"/api/v1/questions/{pending.pk}/vote/")),
        ("POST", Q + "approve/", console.post(f"/api/v1/questions/{pending.pk}/approve/")),
        (
            "POST",
            Q + "approve/",
            console.post(f"/api/v1/questions/{pending.pk}/approve/", {"version": 1}, format="json"),
        ),
        ("POST", Q + "answer/", phone.post(q + "answer/")),
        ("POST", Q + "pin/", console.post(q + "pin/")),
        ("PATCH", Q, console.patch(q, {"text": "Hỏi lại?"}, format="json")),
        (
            "POST",
            Q + "merge/",
            console.post(
                f"/api/v1/questions/{duplicate.pk}/merge/", {"into": approved.pk}, format="json"
            ),
        ),
        (
            "POST",
            S + "questions/bulk/",
            console.post(
                s + "questions/bulk/", {"action": "archive", "ids": [pending.pk]}, format="json"
            ),
        ),
        ("POST", Q + "reject/", console.post("/api/v1/questions/987654/reject/")),
        ("GET", S + "export/", console.get(s + "export/", {"format": "json"})),
        ("GET", S + "audit/", console.get(s + "audit/")),
        ("GET", S + "audit/", APIClient().get(s + "audit/")),
    ]

    statuses = [(method, template, response.status_code) for method, template, response in calls]
    for method, template, response in calls:
        check_response(openapi, method, template, response)
    assert [status for _, _, status in statuses] == [
        201, 200, 200, 404, 200, 200, 409, 201, 200, 400, 200, 200, 200, 200, 409,
        200, 409, 403, 200, 200, 200, 200, 404, 200, 200, 401,
    ]  # fmt: skip


@pytest.mark.django_db
def test_rest_stage_and_queue_endpoints_match_openapi(openapi):
    session = factories.session()
    moderator = factories.moderator(session.event)
    organiser = factories.moderator(session.event, role="organiser")
    console = as_user(moderator)
    approved = factories.question(session, status="approved")
    pending = factories.question(session)
    Q = "/api/v1/questions/{question_id}/"
    H = "/api/v1/halls/{hall_id}/"
    q, h = f"/api/v1/questions/{approved.pk}/", f"/api/v1/halls/{session.hall_id}/"
    calls = [
        ("POST", Q + "queue/", console.post(q + "queue/", {"position": 1}, format="json")),
        ("POST", Q + "queue/", console.post(q + "queue/", {"position": 0}, format="json")),
        ("POST", Q + "queue/", console.post(q + "queue/", {"version": 1}, format="json")),
        ("POST", Q + "queue/", console.post(f"/api/v1/questions/{pending.pk}/queue/")),
        ("POST", Q + "queue/", APIClient().post(q + "queue/")),
        ("POST", Q + "unqueue/", console.post(q + "unqueue/", {"version": 2}, format="json")),
        ("POST", H + "stage-message/", console.post(h + "stage-message/", {"text": "Hết giờ"})),
        ("POST", H + "stage-message/", console.post(h + "stage-message/", {}, format="json")),
        ("POST", H + "stage-message/", console.post("/api/v1/halls/987654/stage-message/")),
        ("POST", H + "stage-key/", as_user(organiser).post(h + "stage-key/")),
        ("POST", H + "stage-key/", console.post(h + "stage-key/")),
        ("POST", H + "stage-key/", APIClient().post(h + "stage-key/")),
    ]

    for method, template, response in calls:
        check_response(openapi, method, template, response)
    assert [response.status_code for _, _, response in calls] == [
        200, 400, 409, 409, 401, 200, 200, 400, 404, 200, 403, 401,
    ]  # fmt: skip


@pytest.mark.django_db
def test_rest_moderator_question_list_matches_openapi(openapi):
    session = factories.session()
    factories.question(session, status="pending")
    console = as_user(factories.moderator(session.event))

    response = console.get(f"/api/v1/sessions/{session.pk}/questions/")

    assert response.status_code == 200
    check_response(openapi, "GET", "/api/v1/sessions/{session_id}/questions/", response)


# ---- streams ---------------------------------------------------------------------------------


@database_sync_to_async
def venue():
    session = factories.session()
    moderator = factories.moderator(session.event)
    questions = [factories.question(session, status=s) for s in ("pending", "approved", "approved")]
    services.question_pin(question_id=questions[1].pk, actor=moderator)
    # A poll open on the hall screen with its results shown: in every public snapshot.
    poll = new_poll(session, moderator)
    for move in (services.poll_open, services.poll_show, services.poll_show_results):
        move(poll_id=poll.pk, actor=moderator)
    return session, moderator, live_services.api_token_issue(user=moderator), questions, poll


def new_poll(session, moderator):
    return services.poll_create(
        session=session,
        actor=moderator,
        question_vi="Dịch vụ nào nên số hoá trước?",
        question_en="Which service first?",
        options=[services.PollOptionText("Một", "One"), services.PollOptionText("Hai", "Two")],
    )


async def collect(client, wanted: dict[str, int], timeout: float = 10.0) -> list[dict]:
    """Receive until `client` got `wanted[type]` frames of each type (whatever their order:
    answers match by ref, and commands of different kinds commit in different rounds); all
    frames of those types it received."""
    while any(sum(f["type"] == t for f in client.frames) < n for t, n in wanted.items()):
        await client.receive(timeout=timeout)
    return [frame for frame in client.frames if frame["type"] in wanted]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_stream_frames_match_documented_shapes(openapi, stream_client):
    session, moderator, token, (pending, approved, other), poll = await venue()
    option = await database_sync_to_async(lambda: poll.options.first().pk)()
    examples, snapshot_keys = protocol_examples(), stream_data_keys()
    _, participant_token = await database_sync_to_async(factories.participant)(session.event)
    phone = await stream_client(f"/ws/sessions/{session.pk}/")
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")
    stage_key = await database_sync_to_async(
        lambda: Hall.objects.values_list("stage_key", flat=True).get(pk=session.hall_id)
    )()
    stage = await stream_client(f"/ws/halls/{session.hall_id}/stage/?key={stage_key}")
    console = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(token))
    joiner = await stream_client(f"/ws/sessions/{session.pk}/")
    snapshot_frames = {"audience": phone.frames[0], "display": display.frames[0]}
    snapshot_frames["moderation"] = console.frames[0]
    snapshot_frames["stage"] = stage.frames[0]
    organiser = await database_sync_to_async(factories.moderator)(session.event, role="organiser")
    organiser_token = await database_sync_to_async(live_services.api_token_issue)(user=organiser)
    control = await stream_client(
        f"/ws/events/{session.event_id}/control/", token_header(organiser_token)
    )

    # The phone's commands, each answered (an `error` once with and once without a ref).
    for command in (
        {"type": "ping"},
        {"type": "identify", "token": participant_token, "ref": "i1"},
        {"type": "vote", "question": approved.pk, "ref": "v1"},
        {"type": "vote", "question": pending.pk, "ref": "v2"},
        {"type": "ask", "text": "Khi nào có xe buýt điện?", "client_id": "a", "ref": "a1"},
        {"type": "ballot", "poll": poll.pk, "options": [option], "ref": "b1"},
        {"type": "approve"},
    ):
        await phone.send(command)
    await joiner.send({"type": "join", "display_name": "Minh", "ref": "j1"})
    answers = await collect(
        phone,
        {"pong": 1, "identified": 1, "vote.done": 1, "error": 2, "asked": 1, "ballot.done": 1},
    )
    await collect(phone, {"poll.results": 1})  # before the poll leaves the phones' view
    answers += await collect(joiner, {"joined": 1})
    # The moderators' changes, as the stream messages they make on each stream.
    call = database_sync_to_async
    await call(services.question_approve)(question_id=pending.pk, actor=moderator)
    await call(services.question_reject)(question_id=other.pk, actor=moderator)
    await call(live_services.session_update)(session_id=session.pk, actor=moderator, qa_open=False)
    draft = await call(new_poll)(session, moderator)
    await call(services.poll_delete)(poll_id=draft.pk, actor=moderator)
    await call(services.poll_close)(poll_id=poll.pk, actor=moderator)
    await call(services.poll_hide)(poll_id=poll.pk, actor=moderator)
    polls = {"poll.results": 1, "poll.updated": 1, "poll.removed": 1}
    public = {
        "votes.updated": 1,
        "question.updated": 1,
        "question.removed": 1,
        "session.updated": 1,
    }
    moderation_frames = await collect(
        console,
        {
            "question.created": 1,
            "votes.updated": 1,
            "question.updated": 2,
            "session.updated": 1,
            "poll.created": 1,
            "poll.removed": 1,
            "poll.updated": 2,
            "poll.results": 1,
        },
    )
    moderation_frames += (await collect(console, {"presence.updated": 1}))[:1]
    await call(live_services.session_update)(session_id=session.pk, actor=moderator, status="ended")
    await call(live_services.hall_display_update)(
        hall_id=session.hall_id, actor=moderator, display_mode="pinned"
    )
    await call(live_services.hall_stage_message)(
        hall_id=session.hall_id, actor=moderator, text="Còn 2 câu hỏi nữa"
    )
    public_frames = await collect(phone, {**public, **polls})
    public_frames += await collect(
        display, {**public, **polls, "display.session_changed": 1, "hall.updated": 1}
    )
    public_frames += await collect(
        stage,
        {**public, "display.session_changed": 1, "hall.updated": 1, "stage.message": 1},
    )
    control_frames = await collect(
        control, {"session.updated": 2, "hall.updated": 1, "control.halls": 1}
    )
    stream_frames = public_frames + moderation_frames + control_frames

    # 1. The keys of every frame of a type with a JSON example in docs/protocol.md.
    differences = []
    documented_types = set(examples) - {"snapshot"}
    moderation_question = moderation_question_example()
    for frame in [*answers, *stream_frames]:
        if frame in moderation_frames and frame["type"].startswith("question."):
            options = [shape_differences(moderation_question, frame["data"])]
        elif frame["type"] == "display.session_changed":  # a display snapshot: checked below
            continue
        else:
            options = [shape_differences(e, frame["data"]) for e in examples[frame["type"]]]
        if all(options):
            differences.append((frame["type"], options))
    assert differences == []
    sent_types = {frame["type"] for frame in [*answers, *stream_frames]}
    assert documented_types - sent_types == set()  # every documented frame type was checked
    for example in examples["error"]:  # each documented form of `error` was sent
        errors = [f["data"] for f in answers if f["type"] == "error"]
        assert any(not shape_differences(example, data) for data in errors), example

    # 2. Snapshots: the documented keys of each stream kind, each part against its component.
    assert shape_differences(examples["snapshot"][0], snapshot_frames["audience"]["data"]) == []
    event_schema = copy.deepcopy(openapi["components"]["schemas"]["EventDetail"])
    for key in ("halls", "sessions"):  # the REST event without its programme
        event_schema["properties"].pop(key)
        event_schema["required"].remove(key)
    for kind, frame in snapshot_frames.items():
        data = frame["data"]
        question = "QuestionModeration" if kind == "moderation" else "QuestionPublic"
        assert (kind, set(data)) == (kind, snapshot_keys[kind])
        check_component(openapi, "Session", data["session"])
        assert len(data["questions"]) == {"moderation": 3, "stage": 1}.get(kind, 2)
        for item in data["questions"]:
            check_component(openapi, question, item)
            if kind == "moderation":
                assert shape_differences(moderation_question, item) == []
        if kind != "stage":
            assert [p["id"] for p in data["polls"]] == [poll.pk]
            poll_component = "PollModeration" if kind == "moderation" else "PollPublic"
            check_component(openapi, poll_component, data["polls"][0])
            assert not all(shape_differences(e, data["polls"][0]) for e in examples["poll.updated"])
    check_component(openapi, "Hall", snapshot_frames["display"]["data"]["hall"])
    check_component(openapi, "Hall", snapshot_frames["stage"]["data"]["hall"])
    check_component(openapi, "StageMessage", snapshot_frames["stage"]["data"]["stage_message"])
    assert not shape_differences(
        examples["stage.message"][0], snapshot_frames["stage"]["data"]["stage_message"]
    )
    component_validator(openapi, event_schema).validate(snapshot_frames["display"]["data"]["event"])
    presence = {"presence": snapshot_frames["moderation"]["data"]["presence"]}
    assert shape_differences(examples["presence.updated"][0], presence) == []

    # 3. Each representation inside a message against its OpenAPI component.
    for frame in stream_frames:
        data = frame["data"]
        if frame["type"] in ("question.updated", "question.created"):
            moderation = frame in moderation_frames
            check_component(openapi, "QuestionModeration" if moderation else "QuestionPublic", data)
        elif frame["type"] in ("poll.updated", "poll.created"):
            moderation = frame in moderation_frames
            check_component(openapi, "PollModeration" if moderation else "PollPublic", data)
        elif frame["type"] == "session.updated":
            check_component(openapi, "Session", data["session"])
        elif frame["type"] == "hall.updated":
            check_component(openapi, "Hall", data["hall"])
        elif frame["type"] == "stage.message":
            check_component(openapi, "StageMessage", data)
        elif frame["type"] == "display.session_changed":
            kind = "stage" if "stage_message" in data else "display"
            assert (set(data), data["session"]) == (snapshot_keys[kind], None)
            check_component(openapi, "Hall", data["hall"])
            component_validator(openapi, event_schema).validate(data["event"])
    (asked,) = [frame for frame in answers if frame["type"] == "asked"]
    check_component(openapi, "QuestionPublic", asked["data"]["question"])
    (ballot,) = [frame for frame in answers if frame["type"] == "ballot.done"]
    assert ballot["data"] == {"ref": "b1", "poll": poll.pk, "options": [option]}
    check_component(
        openapi, "BallotResponse", {k: v for k, v in ballot["data"].items() if k != "ref"}
    )

    # 4. The control room's snapshot: its documented keys and example, each hall, session and
    # the event against their components (its messages were checked above).
    control_data = control.frames[0]["data"]
    (control_example,) = [e for e in examples["snapshot"] if "halls" in e]
    assert set(control_data) == snapshot_keys["control"]
    assert shape_differences(control_example, control_data) == []
    component_validator(openapi, event_schema).validate(control_data["event"])
    for hall in control_data["halls"]:
        check_component(openapi, "Hall", hall)
    halls = [f["data"] for f in control_frames if f["type"] == "control.halls"]
    for data in [control_data, *halls]:
        assert data["sessions"] == {str(session.hall_id): data["sessions"][str(session.hall_id)]}
        for item in data["sessions"].values():
            if item is not None:
                check_component(openapi, "Session", item)
