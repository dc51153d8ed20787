"""/api/v1/: the paths clients outside this repository rely on (docs/api.md)."""

from django.urls import path

from live import api as live_api
from qa import api as qa_api

urlpatterns = [
    path("auth/token/", live_api.TokenView.as_view(), name="api-token"),
    path("events/<slug:slug>/", live_api.EventView.as_view(), name="api-event"),
    path("events/<slug:slug>/join/", qa_api.JoinView.as_view(), name="api-event-join"),
    path("sessions/<int:session_id>/", live_api.SessionView.as_view(), name="api-session"),
    path(
        "sessions/<int:session_id>/questions/",
        qa_api.SessionQuestionsView.as_view(),
        name="api-session-questions",
    ),
    path(
        "sessions/<int:session_id>/questions/bulk/",
        qa_api.BulkView.as_view(),
        name="api-session-questions-bulk",
    ),
    path(
        "sessions/<int:session_id>/export/", qa_api.ExportView.as_view(), name="api-session-export"
    ),
    path("sessions/<int:session_id>/audit/", qa_api.AuditView.as_view(), name="api-session-audit"),
    path("questions/<int:question_id>/", qa_api.QuestionView.as_view(), name="api-question"),
    path("questions/<int:question_id>/vote/", qa_api.VoteView.as_view(), name="api-question-vote"),
    path(
        "questions/<int:question_id>/merge/", qa_api.MergeView.as_view(), name="api-question-merge"
    ),
    *[
        path(
            f"questions/<int:question_id>/{action}/",
            qa_api.action_view(action).as_view(),
            name=f"api-question-{action}",
        )
        for action in qa_api.MODERATION_ACTIONS
    ],
]
