import io

import pytest
from django.core.management import call_command

from tests import factories


def print_urls(*args: str) -> str:
    out = io.StringIO()
    call_command("print_urls", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_print_urls_lists_every_screen_of_the_event():
    event = factories.event(slug="summit", name_vi="Hội nghị", name_en="Summit", join_code="HNSC23")
    second = factories.hall(event, name_en="Hall B", slug="hall-b", display_order=2)
    first = factories.hall(event, name_en="Hall A", slug="hall-a", display_order=1)

    out = print_urls("--host", "127.0.0.1", "--port", "8000")

    assert out == (
        "Hội nghị / Summit\n"
        "  Phone page (audience):   http://127.0.0.1:8000/e/summit/\n"
        "  Short link for screens:  http://127.0.0.1:8000/j/HNSC23\n"
        "  Control room (organisers): http://127.0.0.1:8000/moderate/events/summit/control/\n"
        "  Report (organisers):     http://127.0.0.1:8000/moderate/events/summit/report/\n"
        f"  Hall display, Hall A: http://127.0.0.1:8000/display/{first.pk}/\n"
        "  Join link, Hall A:    http://127.0.0.1:8000/j/HNSC23/hall-a\n"
        f"  Hall display, Hall B: http://127.0.0.1:8000/display/{second.pk}/\n"
        "  Join link, Hall B:    http://127.0.0.1:8000/j/HNSC23/hall-b\n"
        "Moderator console:  http://127.0.0.1:8000/moderate/\n"
        "Admin:              http://127.0.0.1:8000/admin/\n"
        "API docs:           http://127.0.0.1:8000/api/docs/\n"
    )


@pytest.mark.django_db
def test_print_urls_default_port_of_scheme_left_out():
    out = print_urls("--host", "summit.example.org", "--port", "443", "--scheme", "https")

    assert out.splitlines() == [
        "No event yet: run `manage.py load_demo` or add one in the admin.",
        "Moderator console:  https://summit.example.org/moderate/",
        "Admin:              https://summit.example.org/admin/",
        "API docs:           https://summit.example.org/api/docs/",
    ]


@pytest.mark.django_db
def test_print_urls_ipv6_host_bracketed():
    out = print_urls("--host", "::1", "--port", "8000")

    assert "Admin:              http://[::1]:8000/admin/" in out.splitlines()
