"""The event's people in the admin (the role table's `manage_people`): an organiser with staff
status gives and takes roles at their own events, names a user by username, and sees and
touches no other event's people. A moderator with staff status gets none of it."""

import pytest
from django.test import Client

from live.enums import EventRole
from live.models import EventMembership
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "/admin/live/eventmembership/"


@pytest.fixture
def two_events():
    ours, theirs = factories.event(slug="ours"), factories.event(slug="theirs")
    boss = factories.organiser(ours, username="to-chuc")
    boss.is_staff = True
    boss.save(update_fields=["is_staff"])
    stranger = factories.moderator(theirs, username="nguoi-khac")
    factories.user("tran-van-an")
    return ours, theirs, boss, stranger


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_organiser_lists_only_their_events_people(two_events):
    _ours, _theirs, boss, _stranger = two_events
    response = signed_in(boss).get(LIST)
    assert response.status_code == 200
    shown = {m.user.username for m in response.context["cl"].result_list}
    assert shown == {"to-chuc"}


def test_an_organiser_adds_a_moderator_to_their_event_by_username(two_events):
    ours, _theirs, boss, _stranger = two_events
    client = signed_in(boss)
    assert client.get(LIST + "add/").status_code == 200
    response = client.post(
        LIST + "add/", {"user": "tran-van-an", "event": ours.pk, "role": EventRole.MODERATOR}
    )
    assert response.status_code == 302, response.content[:500]
    added = EventMembership.objects.get(user__username="tran-van-an")
    assert (added.event, added.role) == (ours, EventRole.MODERATOR)


def test_an_organiser_cannot_give_a_role_at_another_event_or_to_nobody(two_events):
    ours, theirs, boss, _stranger = two_events
    client = signed_in(boss)
    response = client.post(
        LIST + "add/", {"user": "tran-van-an", "event": theirs.pk, "role": EventRole.ORGANISER}
    )
    assert response.status_code == 200
    assert "event" in response.context["adminform"].form.errors
    response = client.post(
        LIST + "add/", {"user": "khong-co-ai", "event": ours.pk, "role": EventRole.MODERATOR}
    )
    assert list(response.context["adminform"].form.errors) == ["user"]
    assert not EventMembership.objects.filter(user__username="tran-van-an").exists()


def test_an_organiser_cannot_see_change_or_delete_another_events_people(two_events):
    _ours, _theirs, boss, stranger = two_events
    membership = EventMembership.objects.get(user=stranger)
    client = signed_in(boss)
    assert client.get(f"{LIST}{membership.pk}/change/").status_code in (302, 403)
    client.post(f"{LIST}{membership.pk}/change/", {"role": EventRole.ORGANISER})
    client.post(f"{LIST}{membership.pk}/delete/", {"post": "yes"})
    membership.refresh_from_db()
    assert membership.role == EventRole.MODERATOR


def test_an_organiser_changes_a_role_at_their_event_but_not_its_person(two_events):
    ours, _theirs, boss, _stranger = two_events
    helper = factories.moderator(ours, username="tro-ly")
    membership = EventMembership.objects.get(user=helper)
    client = signed_in(boss)
    response = client.post(
        f"{LIST}{membership.pk}/change/",
        {"role": EventRole.ORGANISER, "user": "tran-van-an", "event": ours.pk},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.user, membership.role) == (helper, EventRole.ORGANISER)


def test_a_moderator_with_staff_status_manages_nobody(two_events):
    ours, _theirs, _boss, _stranger = two_events
    helper = factories.moderator(ours, username="tro-ly")
    helper.is_staff = True
    helper.save(update_fields=["is_staff"])
    client = signed_in(helper)
    assert client.get(LIST).status_code == 403
    response = client.post(
        LIST + "add/", {"user": "tran-van-an", "event": ours.pk, "role": EventRole.ORGANISER}
    )
    assert response.status_code == 403
    assert not EventMembership.objects.filter(user__username="tran-van-an").exists()
