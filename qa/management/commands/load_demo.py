"""The demo conference: Vietnam - Asia Smart City Summit 2023, Hanoi, 29-30 November 2023.

Idempotent: every row is found by its natural key and written only when a value differs, so a
second run changes nothing. The questions go through the qa services (participant_join,
question_submit, question_approve, vote_cast, question_pin) like a phone's and a moderator's
would; client ids make the submissions idempotent."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from live.enums import EventRole, ModerationMode, SessionStatus
from live.errors import DomainError
from live.models import Event, EventMembership, Hall, Session, Speaker
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


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(TZ))


def _describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)


def upsert(model: type[models.Model], lookup: dict, values: dict, *, label: str) -> models.Model:
    """Find by natural key; create, or write only the fields that differ, after full_clean.
    A session whose fields change gets its version bumped, like any other change."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
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
        obj.save()
    return obj


class Command(BaseCommand):
    help = "Load (or refresh) the demo summit. Running it again changes nothing."

    def handle(self, *args, **options) -> None:
        event = load(DEMO)
        sessions = event.sessions.count()
        self.stdout.write(
            f"Demo event “{event.name_en}” ({event.slug}): {event.halls.count()} halls, "
            f"{sessions} sessions, join code {event.join_code}."
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


def load(data: dict) -> Event:
    """Write the demo described by `data`, all or nothing."""
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
            session = _session(event, halls, speakers, item)
            sessions[(item["hall"], item["day"], item["start"])] = session

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


def _session(event: Event, halls: dict, speakers: dict, item: dict) -> Session:
    label = f"session “{item['title_en'] or item['title_vi']}”"
    hall = halls.get(item["hall"])
    if hall is None:
        raise CommandError(f"Demo data rejected: {label}: unknown hall {item['hall']!r}.")
    missing = [name for name in item.get("speakers", []) if name not in speakers]
    if missing:
        raise CommandError(f"Demo data rejected: {label}: unknown speakers {', '.join(missing)}.")
    values = {
        "title_vi": item["title_vi"],
        "title_en": item["title_en"],
        "description_vi": item.get("description_vi", ""),
        "description_en": item.get("description_en", ""),
        "ends_at": _at(item["day"], item["end"]),
        "status": item.get("status", SessionStatus.SCHEDULED),
        "qa_open": item.get("qa_open", True),
        "moderation": item.get("moderation", ModerationMode.PRE),
        "livestream_url": item.get("livestream_url", ""),
    }
    lookup = {"event": event, "hall": hall, "starts_at": _at(item["day"], item["start"])}
    session = upsert(Session, lookup, values, label=label)
    session.speakers.set([speakers[name] for name in item.get("speakers", [])])
    return session


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
    """Debug mode only: a moderator of the demo event who can log in at /admin/login/ (the
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
    EventMembership.objects.get_or_create(
        event=event, user=user, defaults={"role": EventRole.MODERATOR}
    )
    return user
