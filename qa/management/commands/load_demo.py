"""The demo conference: Vietnam - Asia Smart City Summit 2023, Hanoi, 29-30 November 2023.

Idempotent: every row is found by its natural key and written only when a value differs, so a
second run changes nothing. The questions go through the qa services (participant_join,
question_submit, question_approve, vote_cast, question_pin) like a phone's and a moderator's
would; client ids make the submissions idempotent.

`--today` (what `make run` loads) places the same summit on the current schedule: see
`place_today`. A session is found by its hall and English title (else its hall and start), so
moving between the 2023 dates and today's updates the same rows, and their questions stay."""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from live.broadcast import publish_session_updated
from live.enums import EventRole, ModerationMode, SessionStatus
from live.errors import DomainError
from live.models import Event, EventMembership, Hall, Session, Speaker
from live.selectors import sessions_with_people
from qa import services as qa
from qa.models import Participant, Question

DEMO_SLUG = "smart-city-summit-2023"
DEMO_MODERATOR_USERNAME = "moderator"
DEMO_MODERATOR_PASSWORD = "moderator"  # noqa: S105 - debug mode only, printed on stdout

TZ = "Asia/Ho_Chi_Minh"
DAY1 = dt.date(2023, 11, 29)
DAY2 = dt.date(2023, 11, 30)

DEMO: dict[str, Any] = {
    "event": {
        "slug": DEMO_SLUG,
        "name_vi": "Hội nghị Thượng đỉnh Thành phố thông minh Việt Nam – Châu Á 2023",
        "name_en": "Vietnam – Asia Smart City Summit 2023",
        "venue": "Trung tâm Hội nghị Quốc gia, Hà Nội / National Convention Center, Hanoi",
        "starts_on": DAY1,
        "ends_on": DAY2,
        "timezone": TZ,
        "join_code": "HNSC23",
    },
    "halls": [
        {
            "slug": "hall-a",
            "name_vi": "Hội trường A – Phiên toàn thể",
            "name_en": "Hall A – Plenary",
            "display_order": 1,
        },
        {"slug": "hall-b", "name_vi": "Hội trường B", "name_en": "Hall B", "display_order": 2},
        {
            "slug": "room-c",
            "name_vi": "Phòng C – Kết nối doanh nghiệp",
            "name_en": "Room C – Business matching",
            "display_order": 3,
        },
    ],
    "speakers": [
        {
            "name": "TS. Nguyễn Thị Minh Hằng",
            "title": "Phó Giám đốc / Deputy Director",
            "organisation": "Sở Thông tin và Truyền thông Hà Nội",
        },
        {
            "name": "Trần Quốc Bảo",
            "title": "Giám đốc Trung tâm Điều hành đô thị thông minh / Head of the IOC",
            "organisation": "UBND thành phố Hà Nội",
        },
        {
            "name": "PGS.TS. Lê Hoàng Nam",
            "title": "Trưởng khoa Giao thông / Dean of Transport Engineering",
            "organisation": "Trường Đại học Giao thông Vận tải",
        },
        {
            "name": "Phạm Thu Trang",
            "title": "Trưởng phòng Giao thông thông minh / Head of Smart Mobility",
            "organisation": "Sở Giao thông Vận tải Hà Nội",
        },
        {
            "name": "Kenji Watanabe",
            "title": "Senior Urban Development Advisor",
            "organisation": "Japan International Cooperation Agency (JICA)",
        },
        {
            "name": "Đỗ Minh Tuấn",
            "title": "Giám đốc Chính phủ số / Director of Digital Government",
            "organisation": "Tập đoàn Công nghiệp – Viễn thông Quân đội (Viettel)",
        },
        {
            "name": "Vũ Thị Lan Anh",
            "title": "Kiến trúc sư trưởng dữ liệu / Chief Data Architect",
            "organisation": "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
        },
        {
            "name": "Sarah Lim",
            "title": "Principal Urban Specialist",
            "organisation": "Asian Development Bank",
        },
        {
            "name": "Hoàng Đức Thịnh",
            "title": "Giám đốc Trung tâm Giám sát an toàn không gian mạng / "
            "Director, Cyber Security Monitoring Centre",
            "organisation": "Cục An toàn thông tin",
        },
        {
            "name": "Ngô Thanh Hà",
            "title": "Phó Chủ tịch / Vice Chair",
            "organisation": "Hiệp hội Doanh nghiệp nhỏ và vừa Hà Nội",
        },
    ],
    "sessions": [
        {
            "hall": "hall-a",
            "day": DAY1,
            "start": "08:30",
            "end": "10:30",
            "status": SessionStatus.ENDED,
            "qa_open": False,
            "title_vi": "Phiên toàn thể khai mạc: Chuyển đổi số và Chương trình phát triển đô thị "
            "thông minh của Hà Nội đến năm 2025, định hướng đến năm 2030",
            "title_en": "Opening plenary: Hanoi's digital transformation and smart city programme "
            "to 2025, with a view to 2030",
            "description_vi": "Lãnh đạo thành phố trình bày kết quả chuyển đổi số, mục tiêu của Đề án "
            "phát triển đô thị thông minh bền vững đến năm 2025, định hướng đến năm "
            "2030, và những ưu tiên: hạ tầng số, dữ liệu dùng chung, dịch vụ cho "
            "người dân và doanh nghiệp.",
            "description_en": "City leaders report on Hanoi's digital transformation and set out the "
            "sustainable smart city programme to 2025 with a view to 2030: digital "
            "infrastructure, shared data, and services for citizens and businesses.",
            "speakers": ["TS. Nguyễn Thị Minh Hằng", "Kenji Watanabe"],
        },
        {
            "hall": "hall-a",
            "day": DAY1,
            "start": "10:45",
            "end": "12:00",
            "status": SessionStatus.ENDED,
            "qa_open": False,
            "title_vi": "Hạ tầng số và Trung tâm điều hành đô thị thông minh (IOC)",
            "title_en": "Digital infrastructure and the Intelligent Operations Centre (IOC)",
            "description_vi": "Từ camera, cảm biến đến phòng điều hành: IOC của Hà Nội kết nối dữ liệu "
            "các sở, ngành để xử lý phản ánh hiện trường trong ngày.",
            "description_en": "From cameras and sensors to the control room: how Hanoi's IOC joins the "
            "data of city departments to resolve citizens' reports the same day.",
            "speakers": ["Trần Quốc Bảo"],
        },
        {
            "hall": "hall-a",
            "day": DAY1,
            "start": "13:30",
            "end": "15:00",
            "status": SessionStatus.QA,
            "qa_open": True,
            "moderation": ModerationMode.PRE,
            "title_vi": "Giao thông thông minh: dữ liệu thời gian thực cho một Hà Nội bớt ùn tắc",
            "title_en": "Smart mobility: real-time data for a less congested Hanoi",
            "description_vi": "Điều khiển đèn tín hiệu thích ứng, vé điện tử liên thông xe buýt và "
            "đường sắt đô thị, bãi đỗ xe thông minh: kinh nghiệm từ Hà Nội và Tokyo.",
            "description_en": "Adaptive traffic signals, one e-ticket for buses and the metro, smart "
            "parking: lessons from Hanoi and Tokyo.",
            "speakers": ["PGS.TS. Lê Hoàng Nam", "Phạm Thu Trang", "Kenji Watanabe"],
        },
        {
            "hall": "hall-b",
            "day": DAY1,
            "start": "13:30",
            "end": "15:00",
            "status": SessionStatus.LIVE,
            "qa_open": True,
            "moderation": ModerationMode.PRE,
            "title_vi": "Chính phủ số và dịch vụ công trực tuyến: lấy người dân làm trung tâm",
            "title_en": "Digital government and online public services: citizens at the centre",
            "description_vi": "Định danh điện tử, dịch vụ công trực tuyến toàn trình và cổng dữ liệu "
            "mở: làm sao để người dân làm thủ tục một lần, ở một nơi.",
            "description_en": "Electronic identity, end-to-end online public services and open data "
            "portals: how a citizen can do a procedure once, in one place.",
            "speakers": ["Đỗ Minh Tuấn", "TS. Nguyễn Thị Minh Hằng"],
        },
        {
            "hall": "room-c",
            "day": DAY1,
            "start": "13:30",
            "end": "17:00",
            "status": SessionStatus.LIVE,
            "qa_open": False,
            "title_vi": "Kết nối doanh nghiệp Việt Nam – Châu Á",
            "title_en": "Vietnam – Asia business matching",
            "description_vi": "Các buổi gặp song phương đã đặt lịch trước giữa doanh nghiệp công nghệ "
            "và các đơn vị của thành phố.",
            "description_en": "Pre-booked one-to-one meetings between technology companies and city "
            "agencies.",
            "speakers": ["Ngô Thanh Hà"],
        },
        {
            "hall": "hall-a",
            "day": DAY2,
            "start": "08:30",
            "end": "10:00",
            "title_vi": "Nền tảng dữ liệu đô thị và dữ liệu mở",
            "title_en": "Urban data platforms and open data",
            "description_vi": "Kho dữ liệu dùng chung của thành phố, chuẩn trao đổi dữ liệu và bảo vệ "
            "dữ liệu cá nhân theo Nghị định 13/2023/NĐ-CP.",
            "description_en": "The city's shared data platform, data exchange standards and personal "
            "data protection under Decree 13/2023.",
            "speakers": ["Vũ Thị Lan Anh", "Trần Quốc Bảo"],
        },
        {
            "hall": "hall-b",
            "day": DAY2,
            "start": "08:30",
            "end": "10:00",
            "title_vi": "An toàn thông tin cho đô thị thông minh",
            "title_en": "Cybersecurity for smart cities",
            "description_vi": "Bảo vệ hệ thống điều khiển giao thông, cấp nước và chiếu sáng trước các "
            "cuộc tấn công mạng.",
            "description_en": "Protecting traffic control, water supply and street lighting systems "
            "from cyber attacks.",
            "speakers": ["Hoàng Đức Thịnh"],
        },
        {
            "hall": "hall-a",
            "day": DAY2,
            "start": "10:15",
            "end": "11:45",
            "title_vi": "Môi trường đô thị: quan trắc chất lượng không khí và năng lượng xanh",
            "title_en": "The urban environment: air quality monitoring and green energy",
            "description_vi": "Mạng cảm biến quan trắc không khí, chiếu sáng công cộng tiết kiệm năng "
            "lượng và dữ liệu cho quy hoạch xanh.",
            "description_en": "Air quality sensor networks, energy-saving street lighting and data for "
            "green urban planning.",
            "speakers": ["Sarah Lim", "Vũ Thị Lan Anh"],
        },
        {
            "hall": "hall-b",
            "day": DAY2,
            "start": "10:15",
            "end": "11:45",
            "moderation": ModerationMode.POST,
            "title_vi": "Tài chính cho đô thị thông minh: hợp tác công tư (PPP)",
            "title_en": "Financing smart cities: public-private partnerships (PPP)",
            "description_vi": "Các mô hình đầu tư, chia sẻ rủi ro và vai trò của các định chế tài chính "
            "quốc tế.",
            "description_en": "Investment models, risk sharing and the role of international finance "
            "institutions.",
            "speakers": ["Sarah Lim", "Ngô Thanh Hà"],
        },
        {
            "hall": "hall-a",
            "day": DAY2,
            "start": "14:00",
            "end": "15:30",
            "title_vi": "Phiên bế mạc: Tầm nhìn 2030 và cam kết hợp tác",
            "title_en": "Closing plenary: the 2030 vision and commitments to cooperate",
            "description_vi": "Tổng kết hội nghị, công bố các thỏa thuận hợp tác giữa thành phố và "
            "doanh nghiệp.",
            "description_en": "Summit conclusions and the cooperation agreements signed between the "
            "city and companies.",
            "speakers": ["TS. Nguyễn Thị Minh Hằng", "Sarah Lim"],
        },
    ],
    # Questions of the session in Q&A status (the smart mobility panel).
    "qa_session": ("hall-a", DAY1, "13:30"),
    "participants": ["Minh Anh", "Hoàng Long", "Thu Hà", "David Tan", "Quang Huy"],
    "questions": [
        {
            "client_id": "demo-1",
            "by": "Minh Anh",
            "status": "approved",
            "pinned": True,
            "text": "Khi nào Hà Nội có vé điện tử dùng chung cho xe buýt và đường sắt đô thị?",
            "voters": ["Hoàng Long", "Thu Hà", "David Tan", "Quang Huy"],
        },
        {
            "client_id": "demo-2",
            "by": "Hoàng Long",
            "status": "approved",
            "text": "Dữ liệu từ camera giao thông có được chia sẻ cho các nhóm nghiên cứu không?",
            "voters": ["Minh Anh", "Thu Hà"],
        },
        {
            "client_id": "demo-3",
            "by": "David Tan",
            "status": "approved",
            "anonymous": True,
            "text": "How will the city protect the personal data collected by traffic cameras?",
            "voters": ["Quang Huy"],
        },
        {
            "client_id": "demo-4",
            "by": "Thu Hà",
            "status": "pending",
            "text": "Thành phố có tính đến việc thu phí phương tiện vào nội đô giờ cao điểm không?",
            "voters": [],
        },
    ],
}


# Off the panel's hours, `--today` places the panel so that it started this long ago.
PANEL_RUNNING_FOR = dt.timedelta(minutes=30)

PLACEMENT_RULE = (
    "--today places the summit on the current schedule, in the event's time zone, so that the "
    "smart mobility panel (13:30-15:00 on day one, in Q&A with questions) is running now: "
    "between 13:30 and 15:00 there, day one is today and every session keeps its printed time; "
    "at any other hour the whole schedule is moved so that the panel started 30 minutes ago "
    "(to the minute), every session keeping its length and its distance from the others, and "
    "day one is the date the opening session then falls on (yesterday or today). Statuses "
    "follow the clock: ended, live (the panel in Q&A), or scheduled."
)


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(TZ))


def _times(item: dict) -> tuple[dt.datetime, dt.datetime]:
    if "starts_at" in item:
        return item["starts_at"], item["ends_at"]
    return _at(item["day"], item["start"]), _at(item["day"], item["end"])


def place_today(data: dict, *, now: dt.datetime) -> dict:
    """The demo `data` moved onto the schedule around `now` (PLACEMENT_RULE), statuses from the
    clock. Pure: the same minute gives the same data, so running it twice writes nothing."""
    tz = zoneinfo.ZoneInfo(data["event"]["timezone"])
    local_now = now.astimezone(tz).replace(second=0, microsecond=0)
    panel = next(
        item
        for item in data["sessions"]
        if (item["hall"], item["day"], item["start"]) == tuple(data["qa_session"])
    )
    panel_start, panel_end = _times(panel)
    # Wall-clock arithmetic (aware datetimes of one zone): whole days keep the time of day.
    shift = dt.timedelta(days=(local_now.date() - panel_start.date()).days)
    if not panel_start + shift <= local_now < panel_end + shift:
        running_for = min(PANEL_RUNNING_FOR, (panel_end - panel_start) / 2)
        shift = local_now - running_for - panel_start
    placed = copy.deepcopy(data)
    for item in placed["sessions"]:
        starts_at, ends_at = (moment + shift for moment in _times(item))
        item["starts_at"], item["ends_at"] = starts_at, ends_at
        if ends_at <= local_now:
            item["status"], item["qa_open"] = SessionStatus.ENDED, False
        elif starts_at <= local_now:
            if item.get("status") not in (SessionStatus.LIVE, SessionStatus.QA):
                item["status"] = SessionStatus.LIVE
        else:
            item["status"] = SessionStatus.SCHEDULED
    starts = [item["starts_at"] for item in placed["sessions"]]
    ends = [item["ends_at"] for item in placed["sessions"]]
    placed["event"]["starts_on"] = min(starts).date()
    placed["event"]["ends_on"] = max(ends).date()
    placed["placement"] = {"now": local_now, "panel": (panel_start + shift, panel_end + shift)}
    return placed


def _describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)


def upsert(model: type[models.Model], lookup: dict, values: dict, *, label: str) -> models.Model:
    """Find by natural key; create, or write only the fields that differ, after full_clean.
    A session whose fields change gets its version bumped, like any other change."""
    return _upsert(model, lookup, values, label=label)[0]


def _upsert(
    model: type[models.Model], lookup: dict, values: dict, *, label: str
) -> tuple[models.Model, str]:
    """upsert, also saying what it did: "created", "changed" or "" (nothing)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**{**lookup, **values})
        changed = True
    else:
        changed = [field for field, value in values.items() if getattr(obj, field) != value]
        for field in changed:
            setattr(obj, field, values[field])
        if changed and hasattr(obj, "version"):
            obj.version += 1
    if changed:
        try:
            obj.full_clean()
        except ValidationError as error:
            raise CommandError(f"Demo data rejected: {label}: {_describe(error)}") from None
        created = obj.pk is None
        obj.save()
        return obj, "created" if created else "changed"
    return obj, ""


class Command(BaseCommand):
    help = (
        "Load (or refresh) the demo summit, on its 2023 dates. Running it again changes nothing; "
        "fields edited meanwhile are put back. " + PLACEMENT_RULE
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--today",
            action="store_true",
            help="Place the summit on the current schedule (what `make run` loads).",
        )
        # For tests: the "now" --today places the summit around (ISO 8601, with an offset).
        parser.add_argument("--now", help=argparse.SUPPRESS)

    def handle(self, *args, **options) -> None:
        data = DEMO
        if options["now"] is not None and not options["today"]:
            raise CommandError("--now needs --today.")
        if options["today"]:
            data = place_today(DEMO, now=_parse_now(options["now"]))
        event = load(data)
        sessions = event.sessions.count()
        self.stdout.write(
            f"Demo event “{event.name_en}” ({event.slug}): {event.halls.count()} halls, "
            f"{sessions} sessions, join code {event.join_code}."
        )
        if "placement" in data:
            now, (panel_start, panel_end) = data["placement"]["now"], data["placement"]["panel"]
            self.stdout.write(
                f"Placed on today's schedule ({event.timezone}, now {now:%Y-%m-%d %H:%M}): day "
                f"one is {event.starts_on.isoformat()}, the smart mobility panel runs "
                f"{panel_start:%H:%M}–{panel_end:%H:%M}."
            )
        if settings.DEBUG:
            user = ensure_demo_moderator(event)
            self.stdout.write(
                f"Demo moderator (debug mode only): username “{user.username}”, "
                f"password “{DEMO_MODERATOR_PASSWORD}”."
            )
        else:
            self.stdout.write(
                "DJANGO_DEBUG is off: no demo moderator was created. Create accounts with "
                "`manage.py createsuperuser` and give them an event role in the admin."
            )


def _parse_now(value: str | None) -> dt.datetime:
    if value is None:
        return timezone.now()
    try:
        now = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now is not an ISO date and time: {value}.") from None
    if now.tzinfo is None:
        raise CommandError(f"--now needs a time zone offset: {value}.")
    return now


def load(data: dict) -> Event:
    """Write the demo described by `data`, all or nothing. Sessions are written directly (not
    through session_update: the demo may move a session anywhere, e.g. from ended back to
    scheduled); screens already open on a session that changed are told after commit, as
    session_update would tell them."""
    _check_unique(data)
    with transaction.atomic():
        event_values = dict(data["event"])
        slug = event_values.pop("slug")
        event = upsert(Event, {"slug": slug}, event_values, label=f"event {slug}")

        halls: dict[str, Hall] = {}
        for item in data["halls"]:
            values = dict(item)
            hall_slug = values.pop("slug")
            halls[hall_slug] = upsert(
                Hall, {"event": event, "slug": hall_slug}, values, label=f"hall {hall_slug}"
            )

        speakers: dict[str, Speaker] = {}
        for item in data["speakers"]:
            values = dict(item)
            name = values.pop("name")
            speakers[name] = upsert(
                Speaker, {"event": event, "name": name}, values, label=f"speaker {name}"
            )

        sessions: dict[tuple, Session] = {}
        for item in data["sessions"]:
            session, done = _session(event, halls, speakers, item, sessions.values())
            sessions[(item["hall"], item["day"], item["start"])] = session
            if done == "changed":
                publish_session_updated(sessions_with_people().get(pk=session.pk))

        qa_session = sessions.get(tuple(data["qa_session"]))
        if qa_session is None:
            raise CommandError(
                f"Demo data rejected: no session {data['qa_session']} for the questions."
            )
        _questions(event, qa_session, data)
    return event


def _check_unique(data: dict) -> None:
    """Natural keys repeated in the data would silently overwrite each other."""
    keys = {
        "hall slug": [item["slug"] for item in data["halls"]],
        "speaker": [item["name"] for item in data["speakers"]],
        "session (hall, day, start)": [
            f"{item['hall']} {item['day']} {item['start']}" for item in data["sessions"]
        ],
        "participant": list(data["participants"]),
        "question client id": [item["client_id"] for item in data["questions"]],
    }
    for what, values in keys.items():
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise CommandError(
                f"Demo data rejected: duplicate {what}: {', '.join(map(str, repeated))}."
            )


def _session(
    event: Event, halls: dict, speakers: dict, item: dict, taken: Iterable[Session]
) -> tuple[Session, str]:
    label = f"session “{item['title_en'] or item['title_vi']}”"
    hall = halls.get(item["hall"])
    if hall is None:
        raise CommandError(f"Demo data rejected: {label}: unknown hall {item['hall']!r}.")
    missing = [name for name in item.get("speakers", []) if name not in speakers]
    if missing:
        raise CommandError(f"Demo data rejected: {label}: unknown speakers {', '.join(missing)}.")
    starts_at, ends_at = _times(item)
    values = {
        "starts_at": starts_at,
        "title_vi": item["title_vi"],
        "title_en": item["title_en"],
        "description_vi": item.get("description_vi", ""),
        "description_en": item.get("description_en", ""),
        "ends_at": ends_at,
        "status": item.get("status", SessionStatus.SCHEDULED),
        "qa_open": item.get("qa_open", True),
        "moderation": item.get("moderation", ModerationMode.PRE),
        "livestream_url": item.get("livestream_url", ""),
    }
    # Its title finds it wherever it was placed (2023 or today); its start, if it was renamed.
    rows = Session.objects.filter(event=event, hall=hall).exclude(pk__in=[s.pk for s in taken])
    found = (
        rows.filter(title_en=item["title_en"]).order_by("pk").first()
        or rows.filter(starts_at=starts_at).order_by("pk").first()
    )
    lookup = {"pk": found.pk} if found else {"event": event, "hall": hall, "starts_at": starts_at}
    session, done = _upsert(Session, lookup, values, label=label)
    wanted = {speakers[name].pk for name in item.get("speakers", [])}
    if set(session.speakers.values_list("pk", flat=True)) != wanted:
        session.speakers.set(wanted)
        done = done or "changed"
    return session, done


def _questions(event: Event, session: Session, data: dict) -> None:
    """Through the services a phone and a moderator use; each step is a no-op when done."""
    people: dict[str, Participant] = {}
    for name in data["participants"]:
        participant = (
            Participant.objects.filter(event=event, display_name=name).order_by("pk").first()
        )
        if participant is None:
            participant, _token = qa.participant_join(event=event, display_name=name)
        people[name] = participant

    try:
        for item in data["questions"]:
            question, _created = qa.question_submit(
                session=session,
                participant=people[item["by"]],
                text=item["text"],
                anonymous=item.get("anonymous", False),
                client_id=item["client_id"],
            )
            if item["status"] == "approved" and question.status == "pending":
                question = qa.question_approve(question_id=question.pk, actor=None)
            if question.status in ("approved", "answered"):
                for voter in item["voters"]:
                    qa.vote_cast(question_id=question.pk, participant=people[voter])
            pinned_elsewhere = Question.objects.filter(session=session, pinned=True).exists()
            if item.get("pinned") and not pinned_elsewhere and question.status == "approved":
                qa.question_pin(question_id=question.pk, actor=None)
    except DomainError as error:
        raise CommandError(
            f"Demo data rejected: questions: {error.message} ({error.code})"
        ) from None
    except KeyError as error:
        raise CommandError(f"Demo data rejected: questions: unknown participant {error}.") from None


def ensure_demo_moderator(event: Event):
    """Debug mode only: an organiser of the demo event who can log in at /admin/login/ (the
    admin login form wants is_staff; a membership alone grants no admin permission)."""
    if not settings.DEBUG:
        raise CommandError("The demo moderator exists only in debug mode.")
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_MODERATOR_USERNAME).first()
    if user is None:
        user = user_model.objects.create_user(
            username=DEMO_MODERATOR_USERNAME, password=DEMO_MODERATOR_PASSWORD, is_staff=True
        )
    else:
        fields = []
        if not user.check_password(DEMO_MODERATOR_PASSWORD):
            user.set_password(DEMO_MODERATOR_PASSWORD)
            fields.append("password")
        for field in ("is_staff", "is_active"):
            if not getattr(user, field):
                setattr(user, field, True)
                fields.append(field)
        if fields:
            user.save(update_fields=fields)
    # An organiser, so that the demo shows everything: the consoles, the control room, the
    # stage keys and the report (an organiser moderates too).
    EventMembership.objects.update_or_create(
        event=event, user=user, defaults={"role": EventRole.ORGANISER}
    )
    return user
