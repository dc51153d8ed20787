"""Browser tests: Playwright's sync API driving the system's Chromium against real Daphne
servers (tests/servers.py, the `daphne` fixture in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's chromium first; else Playwright's own browser, if it was installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture
def browser(monkeypatch):
    """A Chromium for one test. Playwright's sync API keeps an event loop running in this
    thread while it is started, which Django takes for an async context; the test's own ORM
    calls are plain sync code, so they are allowed for the test's duration only. Started per
    test so that no loop outlives it into the async tests that follow."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    executable = chromium_path()
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as exc:  # the message says what to install
            raise RuntimeError(
                "No Chromium for the browser tests: install Debian's `chromium` "
                "(apt-get install chromium) or run `.venv/bin/playwright install chromium`."
            ) from exc
        yield browser
        browser.close()
        # Connections opened while Playwright's loop ran belong to that async context; close
        # them here, or the test database cannot be dropped at the end (PostgreSQL).
        connections.close_all()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """The collected static files, served by the test server as `make run` serves them."""
    root = tmp_path_factory.mktemp("static")
    env = dict(os.environ, STATIC_ROOT=str(root), DJANGO_SETTINGS_MODULE="tests.settings")
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return root


@pytest.fixture
def screens_server(daphne, static_root):
    """start(port=None) -> a Daphne serving the pages and their static files."""

    def start(port: int | None = None):
        return daphne(port, DJANGO_DEBUG="1", STATIC_ROOT=str(static_root))

    return start


@pytest.fixture
def page_for(browser):
    """page_for(width, height, user=None, language="vi") -> a page in a fresh browser context
    (its own cookies and storage: a phone, a display, a moderator's laptop). Records dialogs
    (`page.dialogs`) and script errors (`page.errors`)."""
    contexts = []

    def make(width: int, height: int, *, base_url: str, user=None, language: str = "vi"):
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=base_url
        )
        cookies = [{"name": "django_language", "value": language, "url": base_url}]
        if user is not None:
            client = Client()
            client.force_login(user)
            cookies.append(
                {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}
            )
        context.add_cookies(cookies)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.errors = []

        def on_dialog(dialog):
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


# ---- the summit the screen tests share (tests/e2e/test_screens.py, test_display_modes.py)

README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def summit():
    event = factories.event(
        slug="smart-city-2023",
        name_vi="Hội nghị Thượng đỉnh Thành phố thông minh 2023",
        name_en="Smart City Summit 2023",
        join_code="HN2023",
    )
    hall = factories.hall(event, name_vi="Hội trường A", name_en="Hall A", slug="hall-a")
    session = factories.session(
        hall,
        title_vi="Giao thông thông minh cho Hà Nội",
        title_en="Smart mobility for Hanoi",
        starts_at=timezone.now() - dt.timedelta(minutes=20),
    )
    session.speakers.add(
        factories.speaker(event, name="TS. Nguyễn Thị Lan", organisation="Sở GTVT Hà Nội")
    )
    # The person at the console runs the session (status, moderation mode, displays,
    # exports): an organiser. test_console_tools.py opens the console as a plain moderator.
    moderator = factories.organiser(event)
    return event, hall, session, moderator


@pytest.fixture
def screenshots_dir(tmp_path):
    """The README's pictures are rewritten only on request (UPDATE_SCREENSHOTS=1), so a test
    run leaves the work tree clean; otherwise they go to a temporary folder."""
    return README_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
