"""The event report (issue 15): its numbers checked against the database on the demo summit,
who may see it, and the connection samples it charts (live/samples.py)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from live import samples
from live.models import ConnectionSample, Event, Hall
from live.realtime import streams
from qa.models import Question, Vote
from qa.report import event_report
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)
    return Event.objects.get()


def test_the_report_numbers_on_the_demo_summit(demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        report = event_report(demo)

    questions = Question.objects.filter(session__event=demo)
    assert report["totals"]["asked"] == questions.count() > 0
    assert (
        report["totals"]["approved"]
        == questions.filter(status__in=["approved", "answered"]).count()
    )
    assert report["totals"]["answered"] == questions.filter(status="answered").count()
    assert report["totals"]["votes"] == questions.aggregate(n=Sum("vote_count"))["n"] > 0
    phones = set(questions.exclude(participant=None).values_list("participant_id", flat=True))
    phones |= set(
        Vote.objects.filter(question__session__event=demo).values_list("participant_id", flat=True)
    )
    assert report["totals"]["phones"] == len(phones)
    per_session = {f.session.pk: f for h in report["halls"] for f in h.sessions}
    assert len(per_session) == demo.sessions.count()
    for figures in per_session.values():
        own = questions.filter(session=figures.session)
        assert figures.asked == own.count()
        assert figures.votes == (own.aggregate(n=Sum("vote_count"))["n"] or 0)
    assert [h.hall.pk for h in report["halls"]] == list(
        Hall.objects.filter(sessions__event=demo)
        .distinct()
        .order_by("display_order", "pk")
        .values_list("pk", flat=True)
    )
    top = report["top_questions"]
    assert [q.vote_count for q in top] == sorted((q.vote_count for q in top), reverse=True)
    assert report["questions_chart"]["bars"]


def test_the_page_is_for_organisers(demo):
    url = f"/moderate/events/{demo.slug}/report/"
    assert Client().get(url).status_code == 302  # to the sign-in page
    client = Client()
    client.force_login(factories.moderator(demo))
    assert client.get(url).status_code == 403
    client.force_login(factories.moderator(demo, role="organiser"))
    page = client.get(url)
    assert page.status_code == 200
    assert "Số câu hỏi theo phiên" in page.content.decode()  # Vietnamese unless chosen
    client.cookies["django_language"] = "en"
    assert "Questions per session" in client.get(url).content.decode()
    assert Client().get("/moderate/events/nope/report/").status_code == 302


def test_text_is_escaped_in_the_report(demo):
    session = demo.sessions.first()
    factories.question(session, text="<script>alert(1)</script>", status="approved", vote_count=999)
    client = Client()
    client.force_login(factories.superuser())
    page = client.get(f"/moderate/events/{demo.slug}/report/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_sample_per_hall_and_minute_from_every_processes_presence(memory_backend):
    event = factories.event(starts_on=timezone.localdate(), ends_on=timezone.localdate())
    hall, other = factories.hall(event), factories.hall(event)
    session = factories.session(hall, status="live")
    old = factories.event(starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 1, 2))
    factories.hall(old)
    # Two processes report their sockets.
    memory_backend.presence_report(
        "p1", {streams.session_stream(session.pk): 700, streams.display_stream(hall.pk): 1}
    )
    memory_backend.presence_report(
        "p2", {streams.session_stream(session.pk): 650, streams.display_stream(other.pk): 2}
    )
    now = timezone.now().replace(second=5)

    assert samples.take_sample(now) == 2
    assert samples.take_sample(now + dt.timedelta(seconds=20)) == 0  # the same minute: taken

    rows = {s.hall_id: (s.session_id, s.phones, s.displays) for s in ConnectionSample.objects.all()}
    assert rows == {hall.pk: (session.pk, 1350, 1), other.pk: (None, 0, 2)}
    assert samples.take_sample(now + dt.timedelta(minutes=1)) == 2
    assert ConnectionSample.objects.count() == 4


def test_the_connections_chart_has_a_line_per_hall(demo):
    halls = list(Hall.objects.filter(event=demo)[:2])
    start = timezone.now().replace(second=0, microsecond=0)
    for minute in range(30):
        for index, hall in enumerate(halls):
            ConnectionSample.objects.create(
                hall=hall, at=start + dt.timedelta(minutes=minute), phones=minute * (index + 1)
            )
    chart = event_report(demo)["connections_chart"]
    assert [s["name"] for s in chart["series"]] == [h.name for h in halls]
    assert [s["peak"] for s in chart["series"]] == [29, 58]
    assert len(chart["series"][0]["points"].split()) == 30
    assert chart["y_ticks"][-1]["label"] >= 58
