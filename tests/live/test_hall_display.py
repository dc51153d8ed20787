"""A hall's display settings: PATCH /api/v1/halls/<id>/ (who may, what it refuses, 409 on a
stale version), the HallAction audit row, and `hall.updated` on the hall's display, stage and
control streams after commit."""

import pytest

from live import services
from live.errors import Conflict, DomainError
from live.models import Hall, HallAction
from live.realtime import streams
from tests import factories
from tests.api_clients import anonymous, as_participant, as_user

pytestmark = pytest.mark.django_db


def test_patch_sets_mode_and_top_questions_audits_and_publishes(
    published, django_capture_on_commit_callbacks
):
    hall = factories.hall()
    organiser = factories.organiser(hall.event)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(organiser).patch(
            f"/api/v1/halls/{hall.pk}/",
            {"display_mode": "pinned", "top_questions": 3, "version": 1},
            format="json",
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["display_mode"], body["top_questions"], body["version"]) == ("pinned", 3, 2)
    action = HallAction.objects.get(hall=hall)
    assert (action.actor, action.action) == (organiser, "display")
    assert action.detail == {"display_mode": ["questions", "pinned"], "top_questions": [5, 3]}
    for stream in (
        streams.display_stream(hall.pk),
        streams.stage_stream(hall.pk),
        streams.control_stream(hall.event_id),
    ):
        assert published(stream) == [("hall.updated", {"hall": body})]


def test_organiser_may_patch_too():
    hall = factories.hall()
    organiser = factories.moderator(hall.event, role="organiser")
    response = as_user(organiser).patch(
        f"/api/v1/halls/{hall.pk}/", {"display_mode": "join"}, format="json"
    )
    assert response.status_code == 200
    assert Hall.objects.get(pk=hall.pk).display_mode == "join"


def test_stale_version_is_409_with_the_hall_and_changes_nothing():
    hall = factories.hall()
    organiser = factories.organiser(hall.event)
    services.hall_display_update(hall_id=hall.pk, actor=organiser, display_mode="blank")
    response = as_user(organiser).patch(
        f"/api/v1/halls/{hall.pk}/", {"display_mode": "join", "version": 1}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "hall.version_conflict"
    assert (body["hall"]["display_mode"], body["hall"]["version"]) == ("blank", 2)
    assert Hall.objects.get(pk=hall.pk).display_mode == "blank"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"display_mode": "everything"}, "display_mode"),
        ({"top_questions": 13}, "top_questions"),
        ({"top_questions": -1}, "top_questions"),
        ({"top_questions": "many"}, "top_questions"),
        ({"version": 0}, "version"),
    ],
)
def test_bad_values_are_400_with_the_field_and_change_nothing(payload, field):
    hall = factories.hall()
    response = as_user(factories.organiser(hall.event)).patch(
        f"/api/v1/halls/{hall.pk}/", payload, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    hall.refresh_from_db()
    assert (hall.display_mode, hall.top_questions, hall.version) == ("questions", 5, 1)
    assert not HallAction.objects.exists()


def test_who_may_patch():
    hall = factories.hall()
    other_event = factories.event()
    url = f"/api/v1/halls/{hall.pk}/"
    body = {"display_mode": "blank"}
    assert anonymous().patch(url, body, format="json").status_code == 401
    client, _participant = as_participant(hall.event)
    assert client.patch(url, body, format="json").status_code == 403
    stranger = factories.organiser(other_event)
    assert as_user(stranger).patch(url, body, format="json").status_code == 403
    # The hall's displays are the organisers' (the role table): a moderator is refused.
    refused = as_user(factories.moderator(hall.event)).patch(url, body, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "organiser.forbidden")
    assert as_user(factories.user()).patch(url, body, format="json").status_code == 403
    assert Hall.objects.get(pk=hall.pk).display_mode == "questions"
    assert as_user(factories.superuser()).patch(url, body, format="json").status_code == 200


def test_unknown_hall_is_404_and_get_is_public():
    assert (
        as_user(factories.superuser())
        .patch("/api/v1/halls/999999/", {}, format="json")
        .json()["code"]
        == "hall.not_found"
    )
    hall = factories.hall()
    body = anonymous().get(f"/api/v1/halls/{hall.pk}/").json()
    assert body["display_mode"] == "questions"
    assert "stage_key" not in body


def test_service_refuses_bad_values_and_stale_versions(
    published, django_capture_on_commit_callbacks
):
    hall = factories.hall()
    # Callbacks run: a refused or empty change must publish nothing, not merely wait for commit.
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(DomainError) as bad:
            services.hall_display_update(hall_id=hall.pk, actor=None, display_mode="x")
        assert bad.value.code == "hall.invalid_display_mode"
        with pytest.raises(DomainError):
            services.hall_display_update(hall_id=hall.pk, actor=None, top_questions=99)
        with pytest.raises(Conflict):
            services.hall_display_update(hall_id=hall.pk, actor=None, version=7, top_questions=2)
        unchanged = services.hall_display_update(
            hall_id=hall.pk, actor=None, display_mode="questions"
        )
    assert unchanged.version == 1
    assert not HallAction.objects.exists()
    assert published(streams.display_stream(hall.pk)) == []


def test_every_hall_gets_its_own_stage_key():
    event = factories.event()
    keys = {factories.hall(event).stage_key for _ in range(3)}
    assert len(keys) == 3
