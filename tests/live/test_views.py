"""What the screens share (live/views.py): the language rule and switch, the phone page cache,
pages small and script-clean; and live's own pages, the short link and the hall display.
The phone page and the moderator console themselves: tests/qa/test_views.py."""

import gzip
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders

from live.models import Session
from live.views import _qr_svg
from tests import factories

pytestmark = pytest.mark.django_db


class ScriptsAndStyles(HTMLParser):
    """Every <script> (its attributes and whether it has inline code) and stylesheet link."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.styles: list[str] = []
        self._in_script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = {"attrs": attrs, "code": ""}
            self.scripts.append(self._in_script)
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script["code"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def parse(response) -> ScriptsAndStyles:
    parser = ScriptsAndStyles()
    parser.feed(response.content.decode())
    return parser


def gzipped_size(urls: list[str]) -> int:
    total = 0
    for url in urls:
        path = finders.find(url.removeprefix("/static/"))
        assert path, url
        with open(path, "rb") as f:
            total += len(gzip.compress(f.read(), compresslevel=9))
    return total


@pytest.fixture
def summit():
    event = factories.event(slug="smart-city", join_code="HN2023")
    hall = factories.hall(event, name_vi="Hội trường A", name_en="Hall A")
    live = factories.session(hall, title_vi="Giao thông thông minh", title_en="Smart mobility")
    later = factories.session(
        hall, title_vi="Năng lượng xanh", title_en="Green energy", status="scheduled"
    )
    return event, hall, live, later


def moderator_client(client, event):
    user = factories.moderator(event)
    client.force_login(user)
    return client


def test_pages_ignore_browser_language_until_one_is_chosen(client, summit):
    event, hall, live, later = summit
    url = f"/e/{event.slug}/?session={live.pk}"
    response = client.get(url, headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="vi"' in response.content.decode()
    display = client.get(f"/display/{hall.pk}/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="vi"' in display.content.decode()
    client.cookies["django_language"] = "en"
    assert '<html lang="en"' in client.get(url).content.decode()


def test_join_link_redirects_to_event_case_insensitive(client, summit):
    event = summit[0]
    for code in ("HN2023", "hn2023", "Hn2023"):
        response = client.get(f"/j/{code}")
        assert response.status_code == 302
        assert response["Location"] == f"/e/{event.slug}/"


def test_join_link_unknown_code_is_404(client, summit):
    assert client.get("/j/NOPE99").status_code == 404


def test_join_link_with_trailing_slash_redirects_to_event(client, summit):
    event = summit[0]
    response = client.get("/j/HN2023/")
    assert response.status_code == 302
    assert response["Location"] == f"/e/{event.slug}/"


# ---- the join link of one hall: /j/<code>/<hall_slug> --------------------------------------


def assert_not_cacheable(response):
    assert response.status_code == 302
    assert set(response["Cache-Control"].split(", ")) == {
        "max-age=0",
        "no-cache",
        "no-store",
        "must-revalidate",
        "private",
    }


def test_hall_join_link_opens_the_hall_current_session(client, summit):
    event, hall, live, later = summit
    response = client.get(f"/j/HN2023/{hall.slug}")
    assert_not_cacheable(response)
    assert response["Location"] == f"/e/{event.slug}/?session={live.pk}"


def test_hall_join_link_with_trailing_slash_opens_the_hall_current_session(client, summit):
    event, hall, live, later = summit
    response = client.get(f"/j/HN2023/{hall.slug}/")
    assert_not_cacheable(response)
    assert response["Location"] == f"/e/{event.slug}/?session={live.pk}"


def test_hall_join_link_follows_the_hall_to_its_next_session(client, summit):
    event, hall, live, later = summit
    assert client.get(f"/j/HN2023/{hall.slug}")["Location"].endswith(f"?session={live.pk}")
    Session.objects.filter(pk=live.pk).update(status="ended")
    response = client.get(f"/j/HN2023/{hall.slug}")
    assert_not_cacheable(response)
    assert response["Location"] == f"/e/{event.slug}/?session={later.pk}"


def test_hall_join_link_hall_without_session_goes_to_session_list(client, summit):
    event = summit[0]
    empty = factories.hall(event, slug="hall-b")
    factories.session(empty, status="ended")
    response = client.get("/j/HN2023/hall-b")
    assert_not_cacheable(response)
    assert response["Location"] == f"/e/{event.slug}/"


def test_hall_join_link_unknown_hall_goes_to_session_list(client, summit):
    event = summit[0]
    response = client.get("/j/HN2023/no-such-hall")
    assert_not_cacheable(response)
    assert response["Location"] == f"/e/{event.slug}/"


def test_hall_join_link_hall_of_another_event_goes_to_session_list(client, summit):
    event = summit[0]
    other = factories.hall(factories.event(join_code="OTHER1"), slug="hall-z")
    factories.session(other)
    response = client.get("/j/HN2023/hall-z")
    assert response["Location"] == f"/e/{event.slug}/"


def test_hall_join_link_code_and_slug_case_blind(client, summit):
    event, hall, live, later = summit
    for url in (f"/j/hn2023/{hall.slug}", f"/j/Hn2023/{hall.slug.upper()}"):
        response = client.get(url)
        assert_not_cacheable(response)
        assert response["Location"] == f"/e/{event.slug}/?session={live.pk}"


def test_hall_join_link_unknown_code_is_404(client, summit):
    hall = summit[1]
    assert client.get(f"/j/NOPE99/{hall.slug}").status_code == 404


def test_display_page_shows_the_hall_join_link_as_qr_and_text(client, summit):
    event, hall, live, later = summit
    response = client.get(f"/display/{hall.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert _qr_svg(f"http://testserver/j/HN2023/{hall.slug}") in html
    assert (
        f'<p class="d-join-url">testserver/j/HN2023<wbr><span class="d-join-hall">/{hall.slug}'
        "</span></p>" in html
    )
    assert '<p class="d-join-code" id="d-join-code">HN2023</p>' in html


def test_display_page_of_each_hall_shows_its_own_join_link(client, summit):
    event = summit[0]
    other = factories.hall(event, slug="hall-b")
    html = client.get(f"/display/{other.pk}/").content.decode()
    assert _qr_svg("http://testserver/j/HN2023/hall-b") in html
    assert (
        '<p class="d-join-url">testserver/j/HN2023<wbr><span class="d-join-hall">/hall-b</span></p>'
        in html
    )


def test_display_page_unknown_hall_is_404(client, summit):
    assert client.get("/display/999999/").status_code == 404


@pytest.mark.parametrize("page", ["phone", "display", "moderator"])
def test_pages_have_no_inline_scripts_and_stay_under_50kb(client, summit, page):
    event, hall, live, later = summit
    moderator_client(client, event)
    url = {
        "phone": f"/e/{event.slug}/?session={live.pk}",
        "display": f"/display/{hall.pk}/",
        "moderator": f"/moderate/sessions/{live.pk}/",
    }[page]
    parsed = parse(client.get(url))
    sources = [s["attrs"]["src"] for s in parsed.scripts if "src" in s["attrs"]]
    data_blocks = [s for s in parsed.scripts if s["attrs"].get("type") == "application/json"]
    # livesocket.js and the page's script; the console also has its Polls panel's (polls.js).
    assert len(sources) == (3 if page == "moderator" else 2)
    assert len(data_blocks) == 1
    assert all(
        ("src" in s["attrs"]) != (s["attrs"].get("type") == "application/json")
        for s in parsed.scripts
    )
    assert all(s["code"].strip() == "" for s in parsed.scripts if "src" in s["attrs"])
    assert gzipped_size(sources + parsed.styles) < 50 * 1024


# ---- the language switch and the page cache ------------------------------------------------------


def test_language_link_sets_the_cookie_and_goes_back(client, summit):
    event, hall, live, later = summit
    page = f"/e/{event.slug}/?session={live.pk}"
    html = client.get(page).content.decode()
    assert f'href="/lang/en/?next=%2Fe%2F{event.slug}%2F%3Fsession%3D{live.pk}"' in html

    response = client.get(f"/lang/en/?next=%2Fe%2F{event.slug}%2F%3Fsession%3D{live.pk}")

    assert response.status_code == 302
    assert response["Location"] == page
    assert response.cookies["django_language"].value == "en"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_language_link_never_sends_the_visitor_off_site(client, target):
    response = client.get("/lang/vi/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_language_link_with_unknown_language_is_404(client):
    response = client.get("/lang/fr/?next=/")
    assert response.status_code == 404
    assert "django_language" not in response.cookies


def test_phone_page_sets_no_cookie_so_it_can_be_cached(client, summit):
    event, hall, live, later = summit
    response = client.get(f"/e/{event.slug}/?session={live.pk}")
    assert response.status_code == 200
    assert not response.cookies  # no CSRF token: the phone's API calls carry their own token


def test_phone_page_is_served_from_the_cache_per_language(client, summit, settings):
    settings.PHONE_PAGE_CACHE_SECONDS = 60
    event, hall, live, later = summit
    page = f"/e/{event.slug}/?session={live.pk}"
    first = client.get(page).content.decode()
    live.title_vi, live.title_en = "Tiêu đề mới", "New title"
    live.save()

    cached = client.get(page).content.decode()
    client.get("/lang/en/?next=/")
    english = client.get(page).content.decode()

    assert cached == first and "Giao thông thông minh" in cached  # within the window: cached
    assert "New title" in english  # another language: its own entry, rendered now
    settings.PHONE_PAGE_CACHE_SECONDS = 0
    client.get("/lang/vi/?next=/")
    assert "Tiêu đề mới" in client.get(page).content.decode()  # off: rendered every time


def test_phone_page_renders_while_redis_is_down(client, summit, settings, redis_down, caplog):
    """The page cache is best effort: with its Redis stopped the page is rendered, not a 500."""
    settings.PHONE_PAGE_CACHE_SECONDS = 60
    event, hall, live, later = summit

    response = client.get(f"/e/{event.slug}/?session={live.pk}")

    assert response.status_code == 200
    assert "Giao thông thông minh" in response.content.decode()
    assert "page cache unavailable" in caplog.text
