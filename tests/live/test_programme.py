"""Importing the programme (issue 15, live/programme.py and `manage.py import_programme`):
each format read round trip, re-import a no-op, an edited file updates what it matches, every
kind of bad row reported with where and which column and nothing written, overlaps, running
sessions, the event's time zone, and a connected hall display following a moved session."""

import datetime as dt
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook, load_workbook

from live.models import Hall, Session, Speaker
from live.programme import SPREADSHEET_COLUMNS, ProgrammeInvalid, import_programme
from live.realtime.db import database_sync_to_async
from tests import factories

DATA = Path(__file__).resolve().parents[1] / "data"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = "hall,date,start,end,title_vi,title_en,description_vi,description_en,speakers,external_id"
TEMPLATE = (DATA / "programme.csv").read_bytes()


@pytest.fixture(autouse=True)
def in_english(client):
    """The problems and the admin pages in English, as these tests read them (both languages
    are in the catalogue; the Vietnamese ones are checked below)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def summit():
    return factories.event(slug="sc26", timezone="Asia/Ho_Chi_Minh")


def run(event, data: bytes, name: str = "programme.csv", **kw):
    return import_programme(event, data, name, actor=None, **kw)


def snapshot(event) -> list[tuple]:
    """Every session as the screens would show it, with its version."""
    return [
        (
            s.external_id,
            s.hall.name_vi,
            s.title_vi,
            s.title_en,
            s.starts_at,
            s.ends_at,
            sorted(p.name for p in s.speakers.all()),
            s.version,
        )
        for s in Session.objects.filter(event=event).order_by("starts_at", "hall_id")
    ]


def problems_of(event, data: bytes, name: str = "programme.csv", **kw) -> list[tuple]:
    with pytest.raises(ProgrammeInvalid) as invalid:
        run(event, data, name, **kw)
    return [(p.where, p.column) for p in invalid.value.problems]


# ---- the spreadsheet ------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_round_trip_in_the_events_time_zone():
    event = summit()

    plan = run(event, TEMPLATE)

    assert (len(plan.added), plan.new_halls) == (3, ["Hội trường A", "Hội trường B"])
    rows = snapshot(event)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("SC26-001", "Hội trường A", "Khai mạc Hội nghị Thành phố thông minh"),
        ("SC26-002", "Hội trường A", "Giao thông thông minh cho Hà Nội"),
        ("SC26-003", "Hội trường B", "Chuyển đổi số trong y tế"),
    ]
    # 08:30 in Hanoi is 01:30 UTC.
    assert rows[0][4] == dt.datetime(2026, 12, 10, 8, 30, tzinfo=HANOI)
    assert rows[0][4].astimezone(dt.UTC).hour == 1
    assert rows[1][6] == ["Alice Martin", "Trần Thị Bình"]
    speaker = Speaker.objects.get(event=event, name="Trần Thị Bình")
    assert (speaker.title, speaker.organisation) == ("ThS.", "Sở GTVT Hà Nội")
    assert Hall.objects.get(event=event, name_vi="Hội trường A").slug == "hoi-truong-a"


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing():
    event = summit()
    run(event, TEMPLATE)
    before = snapshot(event)

    plan = run(event, TEMPLATE)

    assert (len(plan.added), len(plan.changed), len(plan.unchanged)) == (0, 0, 3)
    assert (plan.new_halls, plan.new_speakers) == ([], [])
    assert snapshot(event) == before  # versions included: nothing was saved


@pytest.mark.django_db
def test_an_edited_file_updates_what_it_matches_and_says_so():
    event = summit()
    run(event, TEMPLATE)
    other = factories.session(
        Hall.objects.get(event=event, name_vi="Hội trường B"),
        starts_at=dt.datetime(2026, 12, 10, 14, 0, tzinfo=HANOI),
        ends_at=dt.datetime(2026, 12, 10, 15, 0, tzinfo=HANOI),
    )
    edited = (
        TEMPLATE.decode()
        .replace("09:30,10:30,Giao thông", "10:45,11:30,Giao thông")
        .replace("Digital health", "Digital healthcare")
        .replace("SC26-003", "")  # no id: matched by hall and start
    )
    edited += "Hội trường C,11/12/2026,09:00,10:00,Đô thị xanh,Green cities,,,,SC26-004\n"

    plan = run(event, edited.encode())

    assert [p.row.external_id for p in plan.added] == ["SC26-004"]
    changed = {p.session.title_vi: sorted(p.changes) for p in plan.changed}
    assert changed == {
        "Giao thông thông minh cho Hà Nội": ["ends_at", "starts_at"],
        "Chuyển đổi số trong y tế": ["title_en"],
    }
    assert [s.pk for s in plan.left_alone] == [other.pk]
    assert plan.new_halls == ["Hội trường C"]
    moved = Session.objects.get(event=event, external_id="SC26-002")
    assert moved.starts_at == dt.datetime(2026, 12, 10, 10, 45, tzinfo=HANOI)
    assert moved.version == 2
    assert Session.objects.get(event=event, external_id="SC26-003").title_en == "Digital healthcare"


@pytest.mark.django_db
def test_bom_semicolons_and_a_missing_optional_column():
    event = summit()
    data = (
        "\ufeffhall;date;start;end;title_vi\n"
        "Hội trường A;2026-12-10;8:30;9:15;Khai mạc\n"
        "\n"
        "Hội trường A;2026-12-10;09:30;10:00;Phiên 2\n"
    ).encode()

    run(event, data)

    assert [r[2] for r in snapshot(event)] == ["Khai mạc", "Phiên 2"]
    # title_en is not in the file: a re-import leaves a title typed in the admin alone.
    Session.objects.filter(title_vi="Khai mạc").update(title_en="Opening")
    assert len(run(event, data).changed) == 0
    assert Session.objects.get(title_vi="Khai mạc").title_en == "Opening"


@pytest.mark.django_db
def test_xlsx_with_date_cells_and_text_cells():
    event = summit()
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(
        ["Hội trường A", dt.date(2026, 12, 10), dt.time(8, 30), dt.time(9, 15), "Khai mạc",
         "Opening", None, None, "Nguyễn Văn An | TS. | UBND TP Hà Nội", "X1"]
    )  # fmt: skip
    sheet.append(
        ["Hội trường A", "10/12/2026", "09:30", "10:30", "Giao thông thông minh", None, None,
         None, None, "X2"]
    )  # fmt: skip
    out = io.BytesIO()
    book.save(out)

    plan = run(event, out.getvalue(), "programme.xlsx")

    assert len(plan.added) == 2
    rows = snapshot(event)
    assert rows[0][:6] == (
        "X1",
        "Hội trường A",
        "Khai mạc",
        "Opening",
        dt.datetime(2026, 12, 10, 8, 30, tzinfo=HANOI),
        dt.datetime(2026, 12, 10, 9, 15, tzinfo=HANOI),
    )
    assert rows[0][6] == ["Nguyễn Văn An"]
    assert run(event, out.getvalue(), "programme.xlsx").unchanged.__len__() == 2


# ---- bad input: every problem reported, nothing written ----------------------------------------


@pytest.mark.django_db
def test_every_bad_row_is_reported_with_its_line_and_column_and_nothing_is_written():
    event = summit()
    data = "\n".join(
        [
            HEADER,
            "Hội trường A,10/12/2026,08:30,09:15,Khai mạc,,,,,A1",  # good
            ",10/12/2026,09:30,10:30,Không có hội trường,,,,,A2",  # no hall
            "Hội trường A,31/02/2026,09:30,10:30,Ngày sai,,,,,A3",  # no such date
            "Hội trường A,10/12/2026,9 giờ,10:30,Giờ sai,,,,,A4",  # not a time
            "Hội trường A,10/12/2026,12:00,11:00,Kết thúc trước,,,,,A5",  # ends before start
            "Hội trường A,10/12/2026,13:00,14:00,,,,,,A6",  # no title
            "Hội trường A,10/12/2026,15:00,16:00,Diễn giả,,,, | TS. | ,A7",  # nameless speaker
            f"{'H' * 121},10/12/2026,15:00,16:00,Tên dài,,,,,A8",  # hall name too long
            "Hội trường A,10/12/2026,17:00,18:00,Trùng id,,,,,A1",  # id used twice
        ]
    ).encode()

    assert problems_of(event, data) == [
        ("line 3", "hall"),
        ("line 4", "date"),
        ("line 5", "start"),
        ("line 6", "end"),
        ("line 7", "title_vi"),
        ("line 8", "speakers"),
        ("line 9", "hall"),
    ]
    assert not Session.objects.filter(event=event).exists()
    assert not Hall.objects.filter(event=event).exists()
    # The rows read, the id used twice is found by the plan.
    good = "\n".join([HEADER, *data.decode().split("\n")[1:2], data.decode().split("\n")[-1]])
    assert problems_of(event, good.encode()) == [("line 3", "external_id")]
    assert not Session.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_columns_checked_first():
    event = summit()
    data = b"hall,date,start,ende,title_vi\nA,10/12/2026,08:30,09:00,X\n"
    assert problems_of(event, data) == [("line 1", "ende"), ("line 1", "end")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, name",
    [
        ("Hội trường".encode("utf-16"), "programme.csv"),
        (b"not a zip", "programme.xlsx"),
        (b"{not json", "schedule.json"),
        (b'{"schedule": {}}', "schedule.json"),
        (b"<schedule><day>", "schedule.xml"),
        (b"<html></html>", "schedule.xml"),
        (b"hall,date", "programme.pdf"),
        (b"", "programme.csv"),
    ],
)
def test_files_that_are_no_programme_are_refused(data, name):
    event = summit()
    with pytest.raises(ProgrammeInvalid) as invalid:
        run(event, data, name)
    assert invalid.value.problems
    assert not Session.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_an_xml_entity_bomb_is_refused_not_expanded():
    event = summit()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<schedule><day><room name='A'><event><title>&c;</title></event></room></day></schedule>"
    )
    with pytest.raises(ProgrammeInvalid) as invalid:
        run(event, bomb, "schedule.xml")
    assert "entity" in str(invalid.value)


@pytest.mark.django_db
def test_overlaps_in_the_file_and_with_sessions_left_alone_are_reported():
    event = summit()
    data = "\n".join(
        [
            HEADER,
            "Hội trường A,10/12/2026,08:30,09:30,Một,,,,,",
            "Hội trường A,10/12/2026,09:00,10:00,Hai,,,,,",
            "Hội trường B,10/12/2026,09:00,10:00,Ba,,,,,",  # another hall: fine
        ]
    ).encode()
    assert problems_of(event, data) == [("line 3", "start")]

    hall = factories.hall(event, name_vi="Hội trường B", name_en="Hall B")
    factories.session(
        hall,
        title_vi="Đã có",
        starts_at=dt.datetime(2026, 12, 10, 9, 30, tzinfo=HANOI),
        ends_at=dt.datetime(2026, 12, 10, 11, 0, tzinfo=HANOI),
    )
    later = "\n".join([HEADER, "hall b,10/12/2026,09:00,10:00,Ba,,,,,"]).encode()  # by English name
    assert problems_of(event, later) == [("the existing session “Đã có”", "start")]


@pytest.mark.django_db
def test_a_running_session_changes_only_with_force():
    event = summit()
    run(event, TEMPLATE)
    Session.objects.filter(external_id="SC26-002").update(status="live")
    edited = TEMPLATE.decode().replace("Smart mobility for Hanoi", "Smart mobility").encode()

    assert problems_of(event, edited) == [("line 3", "")]
    assert Session.objects.get(external_id="SC26-002").title_en == "Smart mobility for Hanoi"

    plan = run(event, edited, force=True)
    assert [p.row.external_id for p in plan.changed] == ["SC26-002"]
    assert Session.objects.get(external_id="SC26-002").title_en == "Smart mobility"


# ---- pretalx and frab -----------------------------------------------------------------------


@pytest.mark.django_db
def test_frab_xml_of_a_real_congress_round_trip():
    event = summit()
    data = (DATA / "frab-38c3-excerpt.xml").read_bytes()

    plan = run(event, data, "schedule.xml")

    assert len(plan.added) == 8
    assert sorted(plan.new_halls) == ["Saal 1", "Saal GLITCH"]
    opening = Session.objects.get(event=event, title_vi="38C3: Opening Ceremony")
    assert opening.external_id == "270fa44c-821a-577f-8ca3-33e8d4a8c2a7"
    # 10:30 in Hamburg (+01:00) whatever the event's own zone.
    assert opening.starts_at == dt.datetime(2024, 12, 27, 9, 30, tzinfo=dt.UTC)
    assert opening.ends_at - opening.starts_at == dt.timedelta(minutes=30)
    assert opening.title_en == "38C3: Opening Ceremony"  # <language>en</language>
    assert sorted(opening.speakers.values_list("name", flat=True)) == [
        "Aline Blankertz",
        "Gabriela Bogk",
        "Senficon",
    ]
    before = snapshot(event)
    again = run(event, data, "schedule.xml")
    assert (len(again.added), len(again.changed), len(again.unchanged)) == (0, 0, 8)
    assert snapshot(event) == before


@pytest.mark.django_db
def test_frab_xml_bad_talk_reported_by_its_guid():
    event = summit()
    data = (
        (DATA / "frab-38c3-excerpt.xml")
        .read_bytes()
        .replace(b"<duration>00:30</duration>", b"<duration>half an hour</duration>", 1)
    )
    assert problems_of(event, data, "schedule.xml") == [
        ("event 270fa44c-821a-577f-8ca3-33e8d4a8c2a7 (Saal 1)", "duration")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["pretalx-schedule.json", "pretalx-schedule.xml"])
def test_pretalx_exports_round_trip(name):
    """Both of pretalx's own exports of one programme (tests/data/README.md) give the same
    sessions; importing either again changes nothing."""
    event = summit()
    data = (DATA / name).read_bytes()

    plan = run(event, data, name)

    assert len(plan.added) == 6
    assert sorted(plan.new_halls) == ["Hall B", "Hội trường A"]
    rows = {s.title_vi: s for s in Session.objects.filter(event=event)}
    health = rows["Chuyển đổi số trong y tế"]
    assert health.starts_at == dt.datetime(2026, 12, 10, 10, 0, tzinfo=HANOI)
    assert health.ends_at == dt.datetime(2026, 12, 10, 11, 0, tzinfo=HANOI)
    assert (health.hall.name_vi, health.title_en) == ("Hội trường A", "")  # a Vietnamese talk
    assert sorted(health.speakers.values_list("name", flat=True)) == [
        "Alice Martin",
        "Trần Văn Bình",
    ]
    parking = rows["Smart parking & mobility data: lessons from Singapore"]
    assert parking.title_en == parking.title_vi  # an English talk: both titles
    assert parking.external_id  # pretalx's guid
    before = snapshot(event)
    again = run(event, data, name)
    assert (len(again.added), len(again.changed), len(again.unchanged)) == (0, 0, 6)
    assert snapshot(event) == before


@pytest.mark.django_db
def test_pretalx_json_then_xml_of_the_same_programme_match_by_guid():
    event = summit()
    run(event, (DATA / "pretalx-schedule.json").read_bytes(), "schedule.json")
    plan = run(event, (DATA / "pretalx-schedule.xml").read_bytes(), "schedule.xml")
    assert (len(plan.added), len(plan.unchanged)) == (0, 6)


# ---- the command and the screens ------------------------------------------------------------


@pytest.mark.django_db
def test_command_dry_run_then_import_then_errors(tmp_path):
    event = summit()
    path = tmp_path / "programme.csv"
    path.write_bytes(TEMPLATE)
    out = io.StringIO()

    call_command("import_programme", str(path), "--event", "sc26", "--dry-run", stdout=out)
    assert "Dry run, nothing written: 3 to add" in out.getvalue()
    assert not Session.objects.filter(event=event).exists()

    call_command("import_programme", str(path), "--event", "sc26", stdout=out)
    assert Session.objects.filter(event=event).count() == 3

    path.write_bytes(TEMPLATE.replace(b"08:30", b"8h3O"))
    with pytest.raises(CommandError) as failed:
        call_command("import_programme", str(path), "--event", "sc26")
    assert "line 2, start" in str(failed.value) and "nothing was written" in str(failed.value)
    with pytest.raises(CommandError):
        call_command("import_programme", str(path), "--event", "nope")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_a_display_follows_a_session_whose_time_moved(stream_client):
    event = await database_sync_to_async(summit)()
    # The programme of today, so that the display shows its first session.
    today = dt.datetime.now(HANOI).date()
    later = dt.datetime.now(HANOI) + dt.timedelta(hours=1)
    line = f"Hội trường A,{today:%d/%m/%Y},{later:%H:%M},23:59,Phiên chiều,,,,,P1"
    if later.date() != today or later.strftime("%H:%M") >= "23:00":
        line = f"Hội trường A,{today:%d/%m/%Y},23:00,23:59,Phiên chiều,,,,,P1"
    data = f"{HEADER}\n{line}\n".encode()
    await database_sync_to_async(run)(event, data)
    hall = await Hall.objects.aget(event=event)
    display = await stream_client(f"/ws/halls/{hall.pk}/display/")
    assert display.frames[0]["data"]["session"]["title"]["vi"] == "Phiên chiều"

    moved = data.replace(b",23:59,", b",23:58,")
    await database_sync_to_async(run)(event, moved)

    frame = await display.receive_type("session.updated")
    assert frame["data"]["session"]["ends_at"].startswith(f"{today:%Y-%m-%d}T")
    ends = dt.datetime.fromisoformat(frame["data"]["session"]["ends_at"]).astimezone(HANOI)
    assert (ends.hour, ends.minute) == (23, 58)


# ---- the admin ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_upload_previews_then_imports_when_confirmed(client):
    event = summit()
    client.force_login(factories.superuser())
    url = f"/admin/live/event/{event.pk}/import-programme/"
    assert (
        "Import the programme"
        in client.get(f"/admin/live/event/{event.pk}/change/").content.decode()
    )
    assert client.get(url).status_code == 200

    preview = client.post(url, {"file": SimpleUploadedFile("programme.csv", TEMPLATE)})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "3 to add" in page and "Giao thông thông minh cho Hà Nội" in page
    assert not Session.objects.filter(event=event).exists()  # a preview writes nothing

    data = re.search(r'name="data" value="([^"]+)"', page).group(1)
    done = client.post(url, {"filename": "programme.csv", "data": data, "confirm": "yes"})
    assert done.status_code == 302
    assert Session.objects.filter(event=event).count() == 3


@pytest.mark.django_db
def test_admin_upload_with_problems_lists_them_and_writes_nothing(client):
    event = summit()
    client.force_login(factories.superuser())
    bad = TEMPLATE.replace(b"09:15", b"07:00")
    response = client.post(
        f"/admin/live/event/{event.pk}/import-programme/",
        {"file": SimpleUploadedFile("programme.csv", bad)},
    )
    page = response.content.decode()
    assert "nothing was written" in page and "line 2, end" in page
    assert not Session.objects.filter(event=event).exists()
    # A tampered confirmation is no import either.
    tampered = client.post(
        f"/admin/live/event/{event.pk}/import-programme/",
        {"filename": "programme.csv", "data": "%%%", "confirm": "yes"},
    )
    assert tampered.status_code == 200 and not Session.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_admin_template_download_is_a_workbook_with_the_columns(client):
    client.force_login(factories.superuser())
    response = client.get("/admin/live/event/programme-template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    header = [cell.value for cell in book.active[1]]
    assert header == list(SPREADSHEET_COLUMNS)
    assert book.active["A2"].value == "Hội trường A"


@pytest.mark.django_db
def test_admin_import_needs_the_change_permission(client):
    event = summit()
    client.force_login(factories.user(is_staff=True))
    assert client.get(f"/admin/live/event/{event.pk}/import-programme/").status_code == 403


@pytest.mark.django_db
def test_problems_are_told_in_vietnamese_by_default():
    event = summit()
    bad = TEMPLATE.replace(b"09:15", b"07:00")
    with translation.override("vi"), pytest.raises(ProgrammeInvalid) as invalid:
        run(event, bad)
    assert str(invalid.value.problems[0]) == "dòng 2, end: phiên phải kết thúc sau khi bắt đầu"
