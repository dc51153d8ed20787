"""Polls (issue 16): every move of the poll table (qa/enums.POLL_TRANSITIONS) through its
service, the audit rows and the messages each change publishes, the ballot rules, and the
tallies counted from the stored ballots.

The expected table is written out here on purpose, not derived from the code under test."""

import itertools

import pytest

from live.errors import DomainError, IllegalTransition
from live.realtime import streams
from qa import services
from qa.enums import POLL_TRANSITIONS, PollState, next_poll_state
from qa.models import Ballot, BallotChoice, Poll, PollAuditEntry, PollOption
from qa.selectors import own_ballots, poll_tallies
from tests import factories

pytestmark = pytest.mark.django_db

STATES = ["draft", "open", "closed"]

# action -> {from: to}; a pair missing here must be refused.
EXPECTED_POLL_MOVES = {
    "edit": {"draft": "draft"},
    "delete": {"draft": "draft"},
    "open": {"draft": "open"},
    "close": {"open": "closed"},
    "show_results": {"draft": "draft", "open": "open", "closed": "closed"},
    "hide_results": {"draft": "draft", "open": "open", "closed": "closed"},
    "show": {"open": "open", "closed": "closed"},
    "hide": {"open": "open", "closed": "closed"},
}
CASES = list(itertools.product(EXPECTED_POLL_MOVES, STATES))
LEGAL = [(a, s) for a, s in CASES if s in EXPECTED_POLL_MOVES[a]]
ILLEGAL = [(a, s) for a, s in CASES if s not in EXPECTED_POLL_MOVES[a]]

SERVICES = {
    "edit": lambda **kw: services.poll_edit(question_vi="Câu hỏi mới?", **kw),
    "delete": services.poll_delete,
    "open": services.poll_open,
    "close": services.poll_close,
    "show_results": services.poll_show_results,
    "hide_results": services.poll_hide_results,
    "show": services.poll_show,
    "hide": services.poll_hide,
}


def make_poll(session, *, state="draft", kind="single", max_choices=None, options=3, **kw):
    moderator = kw.pop("actor", None) or factories.moderator(session.event)
    poll = services.poll_create(
        session=session,
        actor=moderator,
        question_vi="Dịch vụ nào nên số hoá trước?",
        question_en="Which service should go digital first?",
        kind=kind,
        max_choices=max_choices,
        options=[
            services.PollOptionText(f"Lựa chọn {i}", f"Option {i}") for i in range(1, options + 1)
        ],
    )
    fields = {"state": state, **kw}
    Poll.objects.filter(pk=poll.pk).update(**fields)
    poll.refresh_from_db()
    return poll


def option_ids(poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("pk", flat=True))


# ---- the table -----------------------------------------------------------------------------------


def test_poll_states_are_the_three_of_the_issue():
    assert PollState.values == STATES


def test_poll_table_is_exactly_the_expected_one():
    assert {a: dict(m) for a, m in POLL_TRANSITIONS.items()} == EXPECTED_POLL_MOVES


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_next_poll_state_legal(action, state):
    assert next_poll_state(action, state) == EXPECTED_POLL_MOVES[action][state]


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_next_poll_state_illegal_has_fixed_code(action, state):
    with pytest.raises(IllegalTransition) as refused:
        next_poll_state(action, state)
    assert (refused.value.code, refused.value.status) == (f"poll.cannot_{action}", 409)


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_poll_service_makes_every_legal_move(action, state, django_capture_on_commit_callbacks):
    session = factories.session()
    moderator = factories.moderator(session.event)
    # A flag move that changes nothing is no change: start from the other value.
    flags = {"results_shown": action == "hide_results", "on_screen": action == "hide"}
    poll = make_poll(session, state=state, actor=moderator, **flags)

    with django_capture_on_commit_callbacks(execute=True):
        SERVICES[action](poll_id=poll.pk, actor=moderator, version=poll.version)

    last = PollAuditEntry.objects.filter(session=session).order_by("-id").first()
    assert (last.action, last.from_state, last.actor_id) == (action, state, moderator.pk)
    if action == "delete":
        assert not Poll.objects.filter(pk=poll.pk).exists()
        assert (last.poll_id, last.to_state, last.detail["poll"]) == (None, "", poll.pk)
        return
    poll_after = Poll.objects.get(pk=poll.pk)
    assert poll_after.state == EXPECTED_POLL_MOVES[action][state] == last.to_state
    assert poll_after.version == poll.version + 1
    expected_flags = {
        "show_results": ("results_shown", True),
        "hide_results": ("results_shown", False),
        "show": ("on_screen", True),
        "hide": ("on_screen", False),
    }
    if action in expected_flags:
        field, value = expected_flags[action]
        assert getattr(poll_after, field) is value


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_poll_service_refuses_every_illegal_move_and_changes_nothing(action, state):
    session = factories.session()
    moderator = factories.moderator(session.event)
    poll = make_poll(session, state=state, actor=moderator)
    entries = PollAuditEntry.objects.count()

    with pytest.raises(IllegalTransition) as refused:
        SERVICES[action](poll_id=poll.pk, actor=moderator)

    assert refused.value.code == f"poll.cannot_{action}"
    assert Poll.objects.get(pk=poll.pk).version == poll.version
    assert PollAuditEntry.objects.count() == entries


def test_poll_stale_version_is_a_conflict_with_the_poll():
    session = factories.session()
    poll = make_poll(session)
    with pytest.raises(services.PollVersionConflict) as refused:
        services.poll_open(poll_id=poll.pk, actor=None, version=poll.version + 1)
    assert (refused.value.code, refused.value.status, refused.value.poll.pk) == (
        "poll.version_conflict",
        409,
        poll.pk,
    )
    assert Poll.objects.get(pk=poll.pk).state == "draft"


# ---- creating and editing ---------------------------------------------------------------------------


def test_poll_create_stores_both_languages_in_order_and_publishes_to_moderators_only(
    django_capture_on_commit_callbacks, published
):
    session = factories.session()
    moderator = factories.moderator(session.event)

    with django_capture_on_commit_callbacks(execute=True):
        poll = make_poll(session, actor=moderator, kind="multiple", max_choices=2, options=4)

    options = list(poll.options.values_list("position", "text_vi", "text_en"))
    assert options == [(i, f"Lựa chọn {i}", f"Option {i}") for i in range(1, 5)]
    assert (poll.kind, poll.max_choices, poll.state, poll.version) == ("multiple", 2, "draft", 1)
    assert [t for t, _ in published(streams.moderation_stream(session.pk))] == ["poll.created"]
    assert published(streams.session_stream(session.pk)) == []


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"question_vi": "   "}, "poll.question_empty"),
        ({"question_vi": "x" * 301}, "poll.question_too_long"),
        ({"options": [services.PollOptionText("Một")]}, "poll.option_count"),
        ({"options": [services.PollOptionText(str(i)) for i in range(11)]}, "poll.option_count"),
        ({"options": [services.PollOptionText("Một"), services.PollOptionText(" ")]}, "poll.option_empty"),
        ({"options": [services.PollOptionText("Một"), services.PollOptionText("y" * 121)]}, "poll.option_too_long"),
        ({"kind": "single", "max_choices": 2}, "poll.max_choices"),
        ({"kind": "multiple", "max_choices": 1}, "poll.max_choices"),
        ({"kind": "multiple", "max_choices": 3}, "poll.max_choices"),
    ],
)  # fmt: skip
def test_poll_create_refuses_bad_input_and_stores_nothing(kw, code):
    session = factories.session()
    args = {
        "question_vi": "Câu hỏi?",
        "options": [services.PollOptionText("Một"), services.PollOptionText("Hai")],
        **kw,
    }
    with pytest.raises(DomainError) as refused:
        services.poll_create(session=session, actor=None, **args)
    assert (refused.value.code, refused.value.status) == (code, 400)
    assert Poll.objects.count() == PollOption.objects.count() == 0


def test_poll_edit_replaces_options_and_keeps_a_fitting_max_choices():
    session = factories.session()
    poll = make_poll(session, kind="multiple", max_choices=3, options=4)

    services.poll_edit(
        poll_id=poll.pk,
        actor=None,
        version=poll.version,
        options=[services.PollOptionText("A"), services.PollOptionText("B")],
    )

    poll.refresh_from_db()
    assert list(poll.options.values_list("text_vi", flat=True)) == ["A", "B"]
    assert (poll.max_choices, poll.version) == (2, 2)  # 3 no longer fits: all of them


def test_show_puts_one_poll_on_screen_and_takes_the_other_down(
    django_capture_on_commit_callbacks, published
):
    session = factories.session()
    first = make_poll(session, state="closed", on_screen=True)
    second = make_poll(session, state="open")

    with django_capture_on_commit_callbacks(execute=True):
        services.poll_show(poll_id=second.pk, actor=None)

    assert list(Poll.objects.filter(on_screen=True).values_list("pk", flat=True)) == [second.pk]
    # The phones and the display drop the closed poll that left the screen.
    public = published(streams.session_stream(session.pk))
    assert [(t, d["id"]) for t, d in public] == [
        ("poll.removed", first.pk),
        ("poll.updated", second.pk),
    ]
    display = published(streams.display_stream(session.hall_id))
    assert [t for t, _ in display] == ["poll.removed", "poll.updated"]


def test_draft_changes_never_reach_the_audience(django_capture_on_commit_callbacks, published):
    session = factories.session()
    poll = make_poll(session)
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_show_results(poll_id=poll.pk, actor=None)
        services.poll_edit(poll_id=poll.pk, actor=None, question_en="Which one?")
        services.poll_delete(poll_id=poll.pk, actor=None)
    assert published(streams.session_stream(session.pk)) == []
    assert [t for t, _ in published(streams.moderation_stream(session.pk))] == [
        "poll.updated",
        "poll.updated",
        "poll.removed",
    ]


# ---- ballots --------------------------------------------------------------------------------------


def cast(poll, participant, options, **kw):
    return services.ballot_cast(poll_id=poll.pk, participant=participant, options=options, **kw)


def stored(poll) -> dict[int, list[int]]:
    rows = BallotChoice.objects.filter(poll=poll).order_by("option__position")
    ballots: dict[int, list[int]] = {}
    for participant_id, option_id in rows.values_list("ballot__participant_id", "option_id"):
        ballots.setdefault(participant_id, []).append(option_id)
    return ballots


def test_ballot_is_stored_once_and_changed_while_open(django_capture_on_commit_callbacks):
    session = factories.session()
    poll = make_poll(session, state="open")
    a, b, c = option_ids(poll)
    phone, _ = factories.participant(session.event)

    assert cast(poll, phone, [a]) == [a]
    assert cast(poll, phone, [b]) == [b]

    assert stored(poll) == {phone.pk: [b]}
    assert Ballot.objects.filter(poll=poll).count() == 1
    tally = poll_tallies(polls=[poll])[poll.pk]
    assert (tally.voters, tally.votes) == (1, {a: 0, b: 1, c: 0})


def test_multiple_choice_ballot_within_the_limit_counts_each_option_once():
    session = factories.session()
    poll = make_poll(session, state="open", kind="multiple", max_choices=2, options=4)
    a, b, c, d = option_ids(poll)
    phones = [factories.participant(session.event)[0] for _ in range(3)]

    assert cast(poll, phones[0], [c, a, a]) == [a, c]  # in the poll's order, once each
    cast(poll, phones[1], [a, d])
    cast(poll, phones[2], [b])

    tally = poll_tallies(polls=[poll])[poll.pk]
    assert (tally.voters, tally.votes) == (3, {a: 2, b: 1, c: 1, d: 1})


@pytest.mark.parametrize(
    ("kind", "max_choices", "chosen", "code"),
    [
        ("single", None, [0, 1], "poll.too_many_choices"),
        ("multiple", 2, [0, 1, 2], "poll.too_many_choices"),
        ("single", None, [], "poll.no_choice"),
    ],
)
def test_ballot_over_the_limit_is_refused_and_keeps_the_earlier_one(
    kind, max_choices, chosen, code
):
    session = factories.session()
    poll = make_poll(session, state="open", kind=kind, max_choices=max_choices, options=3)
    ids = option_ids(poll)
    phone, _ = factories.participant(session.event)
    cast(poll, phone, [ids[2]])

    with pytest.raises(DomainError) as refused:
        cast(poll, phone, [ids[i] for i in chosen])

    assert (refused.value.code, refused.value.status) == (code, 400)
    assert stored(poll) == {phone.pk: [ids[2]]}


def test_ballot_in_a_closed_poll_is_refused():
    session = factories.session()
    poll = make_poll(session, state="open")
    phone, _ = factories.participant(session.event)
    cast(poll, phone, [option_ids(poll)[0]])
    services.poll_close(poll_id=poll.pk, actor=None)

    with pytest.raises(DomainError) as refused:
        cast(poll, phone, [option_ids(poll)[1]])

    assert (refused.value.code, refused.value.status) == ("poll.closed", 409)
    assert stored(poll) == {phone.pk: [option_ids(poll)[0]]}


def test_ballot_in_a_draft_is_not_found():
    session = factories.session()
    poll = make_poll(session, state="draft")
    phone, _ = factories.participant(session.event)
    with pytest.raises(DomainError) as refused:
        cast(poll, phone, [option_ids(poll)[0]])
    assert (refused.value.code, refused.value.status) == ("poll.not_found", 404)
    assert Ballot.objects.count() == 0


def test_ballot_in_another_sessions_poll_is_not_found():
    session = factories.session()
    other = factories.session(factories.hall(session.event))
    poll = make_poll(other, state="open")
    phone, _ = factories.participant(session.event)
    with pytest.raises(DomainError) as refused:
        cast(poll, phone, [option_ids(poll)[0]], session_id=session.pk)
    assert refused.value.code == "poll.not_found"
    assert Ballot.objects.count() == 0


def test_ballot_in_another_events_poll_is_not_found():
    poll = make_poll(factories.session(), state="open")
    phone, _ = factories.participant(factories.event())
    with pytest.raises(DomainError) as refused:
        cast(poll, phone, [option_ids(poll)[0]])
    assert refused.value.code == "poll.not_found"


def test_ballot_with_an_option_of_another_poll_is_refused():
    session = factories.session()
    poll = make_poll(session, state="open")
    other = make_poll(session, state="open")
    phone, _ = factories.participant(session.event)
    with pytest.raises(DomainError) as refused:
        cast(poll, phone, [option_ids(poll)[0], option_ids(other)[1]])
    assert (refused.value.code, refused.value.status) == ("poll.bad_option", 400)
    assert Ballot.objects.count() == 0


def test_ballots_apply_refuses_one_and_stores_the_others_last_change_wins():
    session = factories.session()
    poll = make_poll(session, state="open")
    a, b, c = option_ids(poll)
    one, two = (factories.participant(session.event)[0] for _ in range(2))
    change = services.BallotChange

    results = services.ballots_apply(
        [
            change(one.pk, one.event_id, poll.pk, (a,)),
            change(two.pk, two.event_id, poll.pk, (a, b)),  # too many
            change(one.pk, one.event_id, poll.pk, (c,)),
        ]
    )

    assert results[0] == [c] and results[2] == [c]
    assert results[1].code == "poll.too_many_choices"
    assert stored(poll) == {one.pk: [c]}


def test_own_ballots_are_the_phones_in_public_polls():
    session = factories.session()
    poll = make_poll(session, state="open", kind="multiple", options=3)
    a, _, c = option_ids(poll)
    phone, _ = factories.participant(session.event)
    cast(poll, phone, [c, a])
    assert own_ballots(session_id=session.pk, participant_id=phone.pk) == {poll.pk: [a, c]}


def test_tallies_are_published_with_absolute_counts(published):
    """poll.results goes out once per window, with absolute counts; the audience sees the
    votes only once the results are shown."""
    from live.realtime import coalesce
    from qa import broadcast

    session = factories.session()
    poll = make_poll(session, state="open")
    a, b, _ = option_ids(poll)
    phones = [factories.participant(session.event)[0] for _ in range(3)]
    for phone, option in zip(phones, (a, a, b), strict=True):
        cast(poll, phone, [option])

    broadcast.flush_polls(str(session.pk), [str(poll.pk)])
    services.poll_show_results(poll_id=poll.pk, actor=None)
    broadcast.flush_polls(str(session.pk), [str(poll.pk)])

    moderation = [
        d for t, d in published(streams.moderation_stream(session.pk)) if t == "poll.results"
    ]
    public = [d for t, d in published(streams.session_stream(session.pk)) if t == "poll.results"]
    counts = {str(a): 2, str(b): 1, str(option_ids(poll)[2]): 0}
    assert moderation == [{"poll": poll.pk, "voters": 3, "votes": counts}] * 2
    assert public == [
        {"poll": poll.pk, "voters": 3, "votes": None},
        {"poll": poll.pk, "voters": 3, "votes": counts},
    ]
    assert coalesce._flushers[broadcast.POLLS] is broadcast.flush_polls


# ---- concurrency (PostgreSQL: real row locks) --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_voters_are_counted_exactly():
    """200 phones vote at once from 20 threads (each its own connection), half of them
    changing their mind once: one ballot each, every choice counted once, the tallies equal
    to the ballots' final choices."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    session = factories.session()
    poll = make_poll(session, state="open", kind="multiple", max_choices=2, options=4)
    ids = option_ids(poll)
    phones = [factories.participant(session.event)[0] for _ in range(200)]
    final = {p.pk: sorted({ids[i % 4], ids[(i * 7) % 4]}) for i, p in enumerate(phones)}
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def vote(chunk: list) -> None:
        try:
            start.wait()
            for i, phone in chunk:
                if i % 2:
                    services.ballot_cast(poll_id=poll.pk, participant=phone, options=[ids[3]])
                services.ballot_cast(poll_id=poll.pk, participant=phone, options=final[phone.pk])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    numbered = list(enumerate(phones))
    threads = [threading.Thread(target=vote, args=(numbered[k::20],)) for k in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert Ballot.objects.filter(poll=poll).count() == 200
    expected = {option: 0 for option in ids}
    for chosen in final.values():
        for option in chosen:
            expected[option] += 1
    tally = poll_tallies(polls=[Poll.objects.prefetch_related("options").get(pk=poll.pk)])
    assert (tally[poll.pk].voters, tally[poll.pk].votes) == (200, expected)
    assert stored(poll) == {p: [o for o in ids if o in c] for p, c in final.items()}
