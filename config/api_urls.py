"""/api/v1/: the paths clients outside this repository rely on (docs/api.md)."""

from django.urls import path, register_converter

from live import api as live_api
from qa import api as qa_api


class IdConverter:
    """A database id: up to 18 digits, within PostgreSQL's bigint and SQLite's integer, so a
    longer number is an unknown path (404 not_found), not an overflow in the query (a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("auth/token/", live_api.TokenView.as_view(), name="api-token"),
    path("events/<slug:slug>/", live_api.EventView.as_view(), name="api-event"),
    path("events/<slug:slug>/join/", qa_api.JoinView.as_view(), name="api-event-join"),
    path("events/<slug:slug>/export/", qa_api.EventExportView.as_view(), name="api-event-export"),
    path("halls/<id:hall_id>/", live_api.HallView.as_view(), name="api-hall"),
    path(
        "halls/<id:hall_id>/stage-message/",
        live_api.StageMessageView.as_view(),
        name="api-hall-stage-message",
    ),
    path(
        "halls/<id:hall_id>/stage-key/", live_api.StageKeyView.as_view(), name="api-hall-stage-key"
    ),
    path("sessions/<id:session_id>/", live_api.SessionView.as_view(), name="api-session"),
    path(
        "sessions/<id:session_id>/questions/",
        qa_api.SessionQuestionsView.as_view(),
        name="api-session-questions",
    ),
    path(
        "sessions/<id:session_id>/questions/bulk/",
        qa_api.BulkView.as_view(),
        name="api-session-questions-bulk",
    ),
    path(
        "sessions/<id:session_id>/export/", qa_api.ExportView.as_view(), name="api-session-export"
    ),
    path("sessions/<id:session_id>/audit/", qa_api.AuditView.as_view(), name="api-session-audit"),
    path(
        "sessions/<id:session_id>/reset/",
        qa_api.SessionResetView.as_view(),
        name="api-session-reset",
    ),
    path(
        "sessions/<id:session_id>/polls/",
        qa_api.SessionPollsView.as_view(),
        name="api-session-polls",
    ),
    path("polls/<id:poll_id>/", qa_api.PollView.as_view(), name="api-poll"),
    path("polls/<id:poll_id>/ballot/", qa_api.BallotView.as_view(), name="api-poll-ballot"),
    *[
        path(f"polls/<id:poll_id>/{action}/", view.as_view(), name=f"api-poll-{action}")
        for action, view in qa_api.POLL_ACTION_VIEWS.items()
    ],
    path("questions/<id:question_id>/", qa_api.QuestionView.as_view(), name="api-question"),
    path("questions/<id:question_id>/vote/", qa_api.VoteView.as_view(), name="api-question-vote"),
    path(
        "questions/<id:question_id>/merge/", qa_api.MergeView.as_view(), name="api-question-merge"
    ),
    path(
        "questions/<id:question_id>/mute-author/",
        qa_api.MuteAuthorView.as_view(),
        name="api-question-mute-author",
    ),
    path(
        "questions/<id:question_id>/unmute-author/",
        qa_api.UnmuteAuthorView.as_view(),
        name="api-question-unmute-author",
    ),
    path(
        "questions/<id:question_id>/queue/", qa_api.QueueView.as_view(), name="api-question-queue"
    ),
    *[
        path(
            f"questions/<id:question_id>/{action}/",
            view.as_view(),
            name=f"api-question-{action}",
        )
        for action, view in qa_api.QUESTION_ACTION_VIEWS.items()
    ],
]
