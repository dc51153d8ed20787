"""The event report in a real browser: it renders its charts from the server's SVG (no script
needed), and prints to PDF."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from live.models import ConnectionSample, Event, Hall
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


def test_report_page_shows_charts_and_prints_to_pdf(
    screens_server, page_for, screenshots_dir, tmp_path
):
    call_command("load_demo", verbosity=0)
    event = Event.objects.get()
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    for index, hall in enumerate(Hall.objects.filter(event=event)):
        for minute in range(0, 180, 5):
            phones = int((600 - index * 150) * min(minute, 90) / 90)
            ConnectionSample.objects.create(
                hall=hall, at=start + dt.timedelta(minutes=minute), phones=phones, displays=1
            )
    organiser = factories.moderator(event, role="organiser")
    server = screens_server()
    page = page_for(1366, 768, base_url=server.url, user=organiser)

    page.goto(f"/moderate/events/{event.slug}/report/")

    assert page.locator("svg.r-svg").count() == 2
    assert page.locator("svg.r-svg polyline").count() == Hall.objects.filter(event=event).count()
    assert page.locator(".r-hall table tbody tr").count() == event.sessions.count()
    page.screenshot(path=str(screenshots_dir / "report.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (tmp_path / "report.pdf").write_bytes(pdf)
    assert page.errors == []
