"""The poll endpoints (docs/api.md, Polls): thin views over qa/services.py, their answers,
their refusals (nothing changed), versions, and a fixed number of queries per list."""

import pytest

from qa.models import Ballot, Poll, PollAuditEntry, PollOption
from tests import factories
from tests.api_clients import anonymous, as_participant, as_user
from tests.qa.test_polls import make_poll, option_ids

pytestmark = pytest.mark.django_db

BODY = {
    "question_vi": "Dịch vụ nào nên số hoá trước?",
    "question_en": "Which service first?",
    "kind": "multiple",
    "max_choices": 2,
    "options": [
        {"text_vi": "Giấy phép lái xe", "text_en": "Driving licences"},
        {"text_vi": "Khai sinh", "text_en": "Birth registration"},
        {"text_vi": "Thuế"},
    ],
}


@pytest.fixture
def console():
    session = factories.session()
    return session, as_user(factories.moderator(session.event))


def test_create_answers_201_with_the_draft_in_the_moderation_view(console):
    session, client = console

    response = client.post(f"/api/v1/sessions/{session.pk}/polls/", BODY, format="json")

    assert response.status_code == 201
    data = response.json()
    poll = Poll.objects.get()
    assert (data["id"], data["state"], data["kind"], data["max_choices"], data["version"]) == (
        poll.pk,
        "draft",
        "multiple",
        2,
        1,
    )
    assert data["question"] == {"vi": BODY["question_vi"], "en": "Which service first?"}
    assert [(o["position"], o["text"], o["votes"]) for o in data["options"]] == [
        (1, {"vi": "Giấy phép lái xe", "en": "Driving licences"}, 0),
        (2, {"vi": "Khai sinh", "en": "Birth registration"}, 0),
        (3, {"vi": "Thuế", "en": ""}, 0),
    ]
    assert PollAuditEntry.objects.get().action == "create"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"options": [{"text_vi": "Một"}]}, 400, "invalid", "options"),
        ({"options": [{"text_vi": str(i)} for i in range(11)]}, 400, "invalid", "options"),
        ({"kind": "ranked"}, 400, "invalid", "kind"),
        ({"question_vi": "  "}, 400, "poll.question_empty", None),
        ({"max_choices": 1}, 400, "poll.max_choices", None),
        ({"options": "abc"}, 400, "invalid", "options"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(console, change, status, code, field):
    session, client = console

    response = client.post(
        f"/api/v1/sessions/{session.pk}/polls/", {**BODY, **change}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (status, code)
    if field:
        assert field in response.json()["fields"]
    assert Poll.objects.count() == PollOption.objects.count() == PollAuditEntry.objects.count() == 0


def test_patch_edits_a_draft_and_a_stale_version_is_409_with_the_poll(console):
    session, client = console
    poll = make_poll(session)
    url = f"/api/v1/polls/{poll.pk}/"

    edited = client.patch(url, {"question_en": "Which one?", "version": 1}, format="json")
    stale = client.patch(url, {"question_en": "Again?", "version": 1}, format="json")

    assert (edited.status_code, edited.json()["question"]["en"], edited.json()["version"]) == (
        200,
        "Which one?",
        2,
    )
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["poll"]["version"]) == ("poll.version_conflict", 2)
    assert Poll.objects.get().question_en == "Which one?"


@pytest.mark.parametrize("state", ["open", "closed"])
def test_patch_and_delete_refuse_an_opened_poll(console, state):
    session, client = console
    poll = make_poll(session, state=state)
    url = f"/api/v1/polls/{poll.pk}/"

    patched = client.patch(url, {"question_vi": "Khác?"}, format="json")
    deleted = client.delete(url)

    assert (patched.status_code, patched.json()["code"]) == (409, "poll.cannot_edit")
    assert (deleted.status_code, deleted.json()["code"]) == (409, "poll.cannot_delete")
    assert Poll.objects.get().question_vi == poll.question_vi


def test_delete_removes_a_draft_and_keeps_its_audit(console):
    session, client = console
    poll = make_poll(session)

    response = client.delete(f"/api/v1/polls/{poll.pk}/")

    assert response.status_code == 204
    assert not Poll.objects.exists()
    assert list(PollAuditEntry.objects.values_list("action", "poll_id")) == [
        ("create", None),
        ("delete", None),
    ]


def test_actions_walk_a_poll_through_its_life(console):
    session, client = console
    poll = make_poll(session)
    url = f"/api/v1/polls/{poll.pk}/"

    answers = [
        client.post(url + action + "/", {"version": version}, format="json")
        for version, action in enumerate(
            ["open", "show", "show-results", "close", "hide-results", "hide"], start=1
        )
    ]

    assert [a.status_code for a in answers] == [200] * 6
    last = answers[-1].json()
    assert (last["state"], last["results_shown"], last["on_screen"], last["version"]) == (
        "closed",
        False,
        False,
        7,
    )
    assert last["closed_at"] is not None and last["opened_at"] is not None
    actions = list(PollAuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["create", "open", "show", "show_results", "close", "hide_results", "hide"]


def test_an_illegal_action_is_409_with_its_code(console):
    session, client = console
    poll = make_poll(session)
    response = client.post(f"/api/v1/polls/{poll.pk}/close/")
    assert (response.status_code, response.json()["code"]) == (409, "poll.cannot_close")


def test_unknown_poll_is_404(console):
    _, client = console
    response = client.post("/api/v1/polls/987654/open/")
    assert (response.status_code, response.json()["code"]) == (404, "poll.not_found")


def test_list_is_every_poll_for_moderators_and_the_listed_ones_for_others(console):
    session, client = console
    draft = make_poll(session)
    opened = make_poll(session, state="open")
    closed_on_screen = make_poll(session, state="closed", on_screen=True)
    make_poll(session, state="closed")
    url = f"/api/v1/sessions/{session.pk}/polls/"

    moderators = client.get(url).json()
    public = anonymous().get(url).json()

    assert [p["id"] for p in moderators][:1] == [draft.pk] and len(moderators) == 4
    assert [p["id"] for p in public] == [opened.pk, closed_on_screen.pk]
    assert all(o["votes"] is None for p in public for o in p["options"])
    assert "created_at" not in public[0]


@pytest.mark.parametrize("n", [1, 8])
def test_list_query_count_is_fixed(console, django_assert_num_queries, n):
    session, client = console
    for _ in range(n):
        make_poll(session, state="open")
    client.get(f"/api/v1/sessions/{session.pk}/polls/")  # the token's user cached

    # token+user, session+event, membership, polls, options, voters, votes
    with django_assert_num_queries(7):
        response = client.get(f"/api/v1/sessions/{session.pk}/polls/")

    assert len(response.json()) == n


# ---- the HTTP ballot ----------------------------------------------------------------------------


def test_http_ballot_is_stored_and_changed():
    session = factories.session()
    poll = make_poll(session, state="open")
    a, b, _ = option_ids(poll)
    phone, participant = as_participant(session.event)
    url = f"/api/v1/polls/{poll.pk}/ballot/"

    first = phone.post(url, {"options": [a]}, format="json")
    second = phone.post(url, {"options": [b]}, format="json")

    assert (first.status_code, first.json()) == (200, {"poll": poll.pk, "options": [a]})
    assert second.json() == {"poll": poll.pk, "options": [b]}
    ballot = Ballot.objects.get()
    assert (ballot.participant_id, list(ballot.choices.values_list("option_id", flat=True))) == (
        participant.pk,
        [b],
    )


@pytest.mark.parametrize(
    ("state", "pick", "status", "code"),
    [
        ("closed", "own", 409, "poll.closed"),
        ("draft", "own", 404, "poll.not_found"),
        ("open", "other", 400, "poll.bad_option"),
        ("open", "two", 400, "poll.too_many_choices"),
        ("open", "none", 400, "poll.no_choice"),
        ("open", "text", 400, "invalid"),
    ],
)
def test_http_ballot_refusals_have_fixed_codes(state, pick, status, code):
    session = factories.session()
    poll = make_poll(session, state=state)
    other = make_poll(session, state="open")
    options = {
        "own": option_ids(poll)[:1],
        "other": option_ids(other)[:1],
        "two": option_ids(poll)[:2],
        "none": [],
        "text": ["a"],
    }[pick]
    phone, _ = as_participant(session.event)

    response = phone.post(f"/api/v1/polls/{poll.pk}/ballot/", {"options": options}, format="json")

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert Ballot.objects.count() == 0


def test_http_ballot_in_another_events_poll_is_not_found():
    poll = make_poll(factories.session(), state="open")
    phone, _ = as_participant(factories.event())
    response = phone.post(
        f"/api/v1/polls/{poll.pk}/ballot/", {"options": option_ids(poll)[:1]}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "poll.not_found")
