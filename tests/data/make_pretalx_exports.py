"""Make the pretalx schedule exports in tests/data with pretalx itself.

This script does NOT run in this project's environment and is not part of its
test suite. It runs inside a throwaway virtualenv that has pretalx installed
(pretalx 2025.2.2 made the committed files), against an empty SQLite database
that pretalx's own ``migrate`` created:

    python3.11 -m venv /tmp/pretalx-venv
    /tmp/pretalx-venv/bin/pip install pretalx==2025.2.2
    mkdir -p /tmp/pretalx-data
    cat > /tmp/pretalx.cfg <<'EOF'
    [filesystem]
    data = /tmp/pretalx-data

    [site]
    debug = False
    url = https://pretalx.example.org

    [database]
    backend = sqlite3
    name = /tmp/pretalx-data/db.sqlite3

    [locale]
    time_zone = UTC
    language_code = en
    EOF
    export PRETALX_CONFIG_FILE=/tmp/pretalx.cfg
    /tmp/pretalx-venv/bin/python -m pretalx migrate
    /tmp/pretalx-venv/bin/python make_pretalx_exports.py OUTDIR

It creates one event (slug ``smartcity-2026``, time zone Asia/Ho_Chi_Minh,
2026-12-10 to 2026-12-11, locales en and vi), two rooms, five speakers and six
proposals, takes each proposal through pretalx's own accept() and confirm()
state changes, places the talk slots in the WIP schedule, releases it
with ``Schedule.freeze()``, and then fetches the public export URLs
``/smartcity-2026/schedule.json`` and ``/smartcity-2026/schedule.xml`` through
pretalx's own URL routing, middleware and ``ExporterView`` (Django's test
client, as an anonymous visitor). It writes the responses as they are, byte
for byte, to OUTDIR/pretalx-schedule.json and OUTDIR/pretalx-schedule.xml.

GUIDs come from a per-database random instance identifier, and the numeric
ids and the proposal codes are random or database-dependent too, so a new run
gives different guid/code/id values (and different speaker codes) but the same
shape and content.
"""

import datetime as dt
import os
import sys
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretalx.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from pretalx import __version__  # noqa: E402
from pretalx.event.models import Event, Organiser  # noqa: E402
from pretalx.person.models import SpeakerProfile, User  # noqa: E402
from pretalx.person.services import create_user  # noqa: E402
from pretalx.schedule.models import Room  # noqa: E402
from pretalx.submission.models import (  # noqa: E402
    Submission,
    SubmissionStates,
    SubmissionType,
    Track,
)

SLUG = "smartcity-2026"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

SPEAKERS = {
    "lan": (
        "lan@example.org",
        "Nguyễn Thị Lan",
        "Kỹ sư giao thông tại Sở Giao thông Vận tải Hà Nội.",
    ),
    "binh": (
        "binh@example.org",
        "Trần Văn Bình",
        "Bác sĩ và chuyên gia y tế số, Bệnh viện Bạch Mai.",
    ),
    "alice": (
        "alice@example.org",
        "Alice Martin",
        "Urban data researcher working on open data in South-East Asia.",
    ),
    "hoang": (
        "hoang@example.org",
        "Lê Hoàng Anh",
        "Kiến trúc sư năng lượng, Đà Nẵng.",
    ),
    "kenji": (
        "kenji@example.org",
        "Kenji Sato",
        "Mobility product lead, previously at a Singapore parking operator.",
    ),
}

# (title, abstract, description, content_locale, speakers, room, day, start
#  (local time), minutes, track, type, do_not_record)
TALKS = [
    (
        "Giao thông thông minh cho Hà Nội",
        "Hệ thống đèn tín hiệu thích ứng và dữ liệu thời gian thực giúp giảm "
        "ùn tắc ở các nút giao trọng điểm của Hà Nội.",
        "Bài nói trình bày kết quả thí điểm ở quận Đống Đa và Cầu Giấy.",
        "vi",
        ["lan"],
        "Hội trường A",
        10,
        (9, 0),
        45,
        "mobility",
        "talk",
        False,
    ),
    (
        "Open data platforms for Asian cities",
        "How city governments in the region publish transport, air-quality "
        "and budget data, and what developers actually build with it.",
        "",
        "en",
        ["alice"],
        "Hall B",
        10,
        (9, 0),
        30,
        None,
        "talk",
        False,
    ),
    (
        "Chuyển đổi số trong y tế",
        "Hồ sơ sức khỏe điện tử, khám bệnh từ xa và những thách thức về "
        "bảo mật dữ liệu người bệnh tại Việt Nam.",
        "Hai diễn giả: một bác sĩ và một nhà nghiên cứu dữ liệu.",
        "vi",
        ["binh", "alice"],
        "Hội trường A",
        10,
        (10, 0),
        60,
        None,
        "keynote",
        False,
    ),
    (
        "Năng lượng tái tạo cho đô thị thông minh",
        "Điện mặt trời áp mái, lưới điện thông minh và lưu trữ năng lượng "
        "cho các tòa nhà công cộng ở Đà Nẵng.",
        "",
        "vi",
        ["hoang"],
        "Hội trường A",
        11,
        (9, 30),
        45,
        None,
        "talk",
        True,
    ),
    (
        "Digital twins for flood management in the Mekong Delta",
        "Combining satellite imagery, river gauges and a city digital twin "
        "to forecast flooding in Cần Thơ.",
        "",
        "en",
        ["alice"],
        "Hall B",
        11,
        (14, 0),
        45,
        None,
        "talk",
        False,
    ),
    (
        "Smart parking & mobility data: lessons from Singapore",
        "Sensors, pricing <and> payments: what worked, what did not, and what "
        "Hanoi & Ho Chi Minh City could reuse.",
        "",
        "en",
        ["kenji"],
        "Hall B",
        11,
        (15, 0),
        30,
        "mobility",
        "talk",
        False,
    ),
]


def main(outdir: Path):
    outdir.mkdir(parents=True, exist_ok=True)
    with scopes_disabled():
        if Event.objects.filter(slug=SLUG).exists():
            sys.exit(f"Event {SLUG} exists already: start from a fresh database.")

        organiser = Organiser.objects.create(
            name="Smart City Vietnam", slug="smartcity-vn"
        )
        orga_user = User.objects.create_user(
            email="orga@example.org", password="not-used-anywhere", name="Orga"
        )
        event = Event(
            name="Vietnam - Asia Smart City Summit",
            slug=SLUG,
            organiser=organiser,
            timezone="Asia/Ho_Chi_Minh",
            date_from=dt.date(2026, 12, 10),
            date_to=dt.date(2026, 12, 11),
            email="orga@example.org",
            locale="en",
            locale_array="en,vi",
            content_locale_array="en,vi",
            is_public=True,
        )
        event.save()  # builds CfP, default "Talk" type, WIP schedule, ...

        rooms = {}
        for position, (name, capacity) in enumerate(
            [("Hội trường A", 400), ("Hall B", 120)]
        ):
            rooms[name] = Room.objects.create(
                event=event, name=name, capacity=capacity, position=position
            )

        types = {
            "talk": SubmissionType.objects.get(event=event),
            "keynote": SubmissionType.objects.create(
                event=event, name="Keynote", default_duration=60
            ),
        }
        tracks = {
            "mobility": Track.objects.create(
                event=event, name="Smart Mobility", color="#1f77b4"
            ),
        }

        speakers = {}
        for key, (email, name, bio) in SPEAKERS.items():
            user = create_user(email=email, name=name, event=event)
            profile = SpeakerProfile.objects.get(user=user, event=event)
            profile.biography = bio
            profile.save()
            speakers[key] = user

        for (
            title,
            abstract,
            description,
            locale,
            speaker_keys,
            room,
            day,
            (hour, minute),
            minutes,
            track,
            type_key,
            do_not_record,
        ) in TALKS:
            submission = Submission.objects.create(
                event=event,
                title=title,
                abstract=abstract,
                description=description or None,
                content_locale=locale,
                submission_type=types[type_key],
                track=tracks.get(track),
                duration=minutes,
                do_not_record=do_not_record,
                state=SubmissionStates.SUBMITTED,
            )
            for key in speaker_keys:
                submission.speakers.add(speakers[key])
            submission.accept(person=orga_user)
            submission.confirm(person=orga_user)
            # confirm() made exactly one visible slot in the WIP schedule.
            slot = submission.slots.get(schedule=event.wip_schedule)
            start = dt.datetime(2026, 12, day, hour, minute, tzinfo=TZ)
            slot.room = rooms[room]
            slot.start = start
            slot.end = start + dt.timedelta(minutes=minutes)
            slot.save()

        schedule, _wip = event.wip_schedule.freeze(
            "1.0", user=orga_user, notify_speakers=False
        )
        print(f"pretalx {__version__}: released schedule {schedule.version}")

    # pretalx only serves event pages on the configured site domain.
    host = urlparse(settings.SITE_URL)
    client = Client(HTTP_HOST=host.netloc)
    for suffix in ("json", "xml"):
        response = client.get(
            f"/{SLUG}/schedule.{suffix}", secure=host.scheme == "https"
        )
        if response.status_code != 200:
            sys.exit(f"schedule.{suffix}: HTTP {response.status_code}")
        target = outdir / f"pretalx-schedule.{suffix}"
        target.write_bytes(response.content)
        print(f"{target}: {response['Content-Type']}, {len(response.content)} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
