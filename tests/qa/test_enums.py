"""Every move of the question lifecycle (qa/enums.py) and of a session's status
(live/enums.py, through live.services.session_update), legal and illegal.

The expected tables are written out here on purpose, not derived from the code under test."""

import itertools

import pytest
from django.utils import translation

from live import services as live_services
from live.enums import SESSION_TRANSITIONS, SessionStatus
from live.errors import DomainError, IllegalTransition
from qa.enums import (
    ACTION_BUTTONS,
    FLAG_ACTIONS,
    TRANSITIONS,
    QuestionAction,
    QuestionStatus,
    next_status,
)
from tests import factories

STATUSES = ["pending", "approved", "rejected", "answered", "archived"]

# action -> {from: to}; a pair missing here must be refused.
EXPECTED_QUESTION_MOVES = {
    "approve": {"pending": "approved", "rejected": "approved"},
    "reject": {"pending": "rejected", "approved": "rejected"},
    "answer": {"approved": "answered"},
    "archive": {
        "pending": "archived",
        "approved": "archived",
        "rejected": "archived",
        "answered": "archived",
    },
    "restore": {"rejected": "pending", "archived": "pending", "answered": "approved"},
    "merge": {"pending": "archived", "approved": "archived", "answered": "archived"},
    # Flag actions keep the status.
    "pin": {"approved": "approved"},
    "unpin": {"approved": "approved", "answered": "answered"},
    "edit": {
        "pending": "pending",
        "approved": "approved",
        "rejected": "rejected",
        "answered": "answered",
    },
    # A translation (issue 14): wherever an edit is allowed.
    "translate": {
        "pending": "pending",
        "approved": "approved",
        "rejected": "rejected",
        "answered": "answered",
    },
}

QUESTION_CASES = list(itertools.product(EXPECTED_QUESTION_MOVES, STATUSES))
LEGAL_QUESTION_CASES = [(a, s) for a, s in QUESTION_CASES if s in EXPECTED_QUESTION_MOVES[a]]
ILLEGAL_QUESTION_CASES = [(a, s) for a, s in QUESTION_CASES if s not in EXPECTED_QUESTION_MOVES[a]]


def test_question_statuses_are_the_five_of_the_issue():
    assert QuestionStatus.values == STATUSES


def test_question_tables_cover_exactly_the_expected_actions():
    assert set(TRANSITIONS) | set(FLAG_ACTIONS) == set(EXPECTED_QUESTION_MOVES)
    assert not set(TRANSITIONS) & set(FLAG_ACTIONS)
    assert len(LEGAL_QUESTION_CASES) == 26
    assert len(ILLEGAL_QUESTION_CASES) == 24


@pytest.mark.parametrize(("action", "status"), LEGAL_QUESTION_CASES)
def test_next_status_legal_move_returns_target(action, status):
    assert next_status(action, status) == EXPECTED_QUESTION_MOVES[action][status]


@pytest.mark.parametrize(("action", "status"), ILLEGAL_QUESTION_CASES)
def test_next_status_illegal_move_raises_fixed_code(action, status):
    with pytest.raises(IllegalTransition) as error:
        next_status(action, status)

    assert error.value.code == f"question.cannot_{action}"
    assert error.value.status == 409
    assert isinstance(error.value, DomainError)


def test_next_status_illegal_move_message_readable():
    with translation.override("en"), pytest.raises(IllegalTransition) as error:
        next_status(QuestionAction.APPROVE, QuestionStatus.ARCHIVED)

    assert str(error.value) == "A question that is “Archived” cannot be approved."


@pytest.mark.parametrize("action", ["submit", "session", "delete"])
@pytest.mark.parametrize("status", STATUSES)
def test_next_status_unknown_action_raises_value_error(action, status):
    with pytest.raises(ValueError) as error:
        next_status(action, status)

    assert str(error.value) == f"unknown question action {action!r}"


def test_every_moderator_action_has_a_button_label():
    with translation.override("en"):
        labels = {action: str(label) for action, label in ACTION_BUTTONS.items()}

    assert labels == {
        "approve": "Approve",
        "reject": "Reject",
        "answer": "Mark answered",
        "archive": "Archive",
        "restore": "Restore",
        "merge": "Merge",
        "pin": "Pin",
        "unpin": "Unpin",
        "edit": "Edit",
        "translate": "Translate",
    }
    assert set(labels) == set(EXPECTED_QUESTION_MOVES)


# ---- sessions -------------------------------------------------------------------------------


SESSION_STATUSES = ["scheduled", "live", "qa", "break", "ended"]

EXPECTED_SESSION_MOVES = {
    "scheduled": {"live", "qa", "ended"},
    "live": {"qa", "break", "ended"},
    "qa": {"live", "break", "ended"},
    "break": {"live", "qa", "ended"},
    "ended": {"live", "qa"},
}

SESSION_CASES = [(a, b) for a, b in itertools.product(SESSION_STATUSES, repeat=2) if a != b]
LEGAL_SESSION_CASES = [(a, b) for a, b in SESSION_CASES if b in EXPECTED_SESSION_MOVES[a]]
ILLEGAL_SESSION_CASES = [(a, b) for a, b in SESSION_CASES if b not in EXPECTED_SESSION_MOVES[a]]


def test_session_transition_table_is_the_expected_one():
    assert SessionStatus.values == SESSION_STATUSES
    assert {k: set(v) for k, v in SESSION_TRANSITIONS.items()} == EXPECTED_SESSION_MOVES
    assert (len(LEGAL_SESSION_CASES), len(ILLEGAL_SESSION_CASES)) == (14, 6)


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), LEGAL_SESSION_CASES)
def test_session_update_legal_status_move_applied(before, after):
    session = factories.session(status=before)

    updated = live_services.session_update(session_id=session.pk, actor=None, status=after)

    session.refresh_from_db()
    assert (updated.status, updated.version) == (after, 2)
    assert (session.status, session.version) == (after, 2)


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), ILLEGAL_SESSION_CASES)
def test_session_update_illegal_status_move_refused(before, after):
    session = factories.session(status=before)

    with pytest.raises(IllegalTransition) as error:
        live_services.session_update(session_id=session.pk, actor=None, status=after)

    session.refresh_from_db()
    assert (error.value.code, error.value.status) == ("session.illegal_status", 409)
    assert (session.status, session.version) == (before, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("status", SESSION_STATUSES)
def test_session_update_same_status_changes_nothing(status):
    session = factories.session(status=status)

    updated = live_services.session_update(session_id=session.pk, actor=None, status=status)

    assert (updated.status, updated.version) == (status, 1)


@pytest.mark.django_db
def test_session_update_unknown_status_refused():
    session = factories.session(status="live")

    with pytest.raises(DomainError) as error:
        live_services.session_update(session_id=session.pk, actor=None, status="paused")

    session.refresh_from_db()
    assert error.value.code == "session.invalid_status"
    assert (session.status, session.version) == ("live", 1)
