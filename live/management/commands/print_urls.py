"""Print where everything is: `make run` calls this just before Daphne starts."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from live.models import Event


class Command(BaseCommand):
    help = (
        "Print the URLs of the phone pages, hall displays and their join links, moderator console, "
        "admin and API docs."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Host name the server answers on.")
        parser.add_argument("--port", type=int, default=8000, help="Port the server listens on.")
        parser.add_argument(
            "--scheme", default="http", choices=["http", "https"], help="http or https."
        )

    def handle(self, *args, host: str, port: int, scheme: str, **options) -> None:
        default_port = {"http": 80, "https": 443}[scheme]
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address
        base = f"{scheme}://{host}" + ("" if port == default_port else f":{port}")
        lines = []
        events = Event.objects.prefetch_related("halls").order_by("-starts_on", "slug")
        for event in events:
            lines.append(f"{event.name_vi} / {event.name_en}")
            lines.append(f"  Phone page (audience):   {base}/e/{event.slug}/")
            lines.append(f"  Short link for screens:  {base}/j/{event.join_code}")
            lines.append(
                f"  Control room (organisers): {base}/moderate/events/{event.slug}/control/"
            )
            lines.append(f"  Report (organisers):     {base}/moderate/events/{event.slug}/report/")
            for hall in sorted(event.halls.all(), key=lambda h: (h.display_order, h.pk)):
                name = hall.name_en or hall.name_vi
                lines.append(f"  Hall display, {name}: {base}/display/{hall.pk}/")
                lines.append(f"  Join link, {name}:    {base}/j/{event.join_code}/{hall.slug}")
        if not lines:
            lines.append("No event yet: run `manage.py load_demo` or add one in the admin.")
        lines.append(f"Moderator console:  {base}/moderate/")
        lines.append(f"Admin:              {base}/admin/")
        lines.append(f"API docs:           {base}/api/docs/")
        self.stdout.write("\n".join(lines))
