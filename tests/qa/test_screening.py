"""Screened before the projector (issue 14): the word list's matching rules, a flagged
question held under post-moderation, muting a participant; on the services and on the real
audience, display and moderation streams."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from live.errors import DomainError
from live.realtime.db import database_sync_to_async
from qa import services, similarity
from qa.models import BlockedTerm, ModerationAction, Question, QuestionKey
from qa.screening import matcher_for
from qa.selectors import screening_matcher
from tests import factories
from tests.realtime import token_header

# ---- matching ---------------------------------------------------------------------------------

# (question, terms found with the default lists)
HITS = [
    ("This is fucking ridiculous", ["fucking"]),
    ("FUCK the traffic", ["fuck"]),
    ("f.u.c.k the traffic", ["fuck"]),  # punctuation between letters
    ("f u c k the traffic", ["fuck"]),  # letters typed one by one
    ("f. u. c. k the traffic", ["fuck"]),
    ("sh-it happens", ["shit"]),  # punctuation inside a word
    ("what a load of bull-shit", ["shit", "bullshit"]),
    ("Son of a b.i.t.c.h!", ["bitch", "son of a bitch"]),  # a phrase, and a word of it
    ("sonofabitch", ["son of a bitch"]),  # a phrase written as one word
    ("Địt mẹ bọn này", ["địt", "địt mẹ"]),
    ("DIT ME bon nay", ["địt", "địt mẹ"]),  # no tone marks, upper case
    ("dit.me", ["địt", "địt mẹ"]),
    ("d i t m e", ["địt mẹ"]),
    ("đ m thằng này", ["đm"]),  # "đ m" style
    ("Đ.M", ["đm"]),
    ("VCL luôn", ["vcl"]),
    ("Cái lồn gì vậy", ["lồn"]),  # strict term typed with its tone marks
    ("đéo hiểu", ["đéo"]),
]

# Scunthorpe and its Vietnamese cousins: no hit.
MISSES = [
    "Scunthorpe United fans ask about the stadium",  # cunt inside a word
    "A class assessment of the bus lines",  # ass inside words
    "Passion for cocktails and Dickens novels",  # cock, dick inside words
    "Analysis of the Essex pilot",
    "Please DM me the slides",  # DM is not đm: "=đm" needs its tone mark
    "Thành phố lớn có bao nhiêu trạm sạc?",  # lớn folds to lon; "=lồn" is strict
    "Các dự án giao thông năm nay",  # các folds to cac; "=cặc" is strict
    "Người dân phải đeo khẩu trang không?",  # đeo folds to deo; "=đéo" is strict
    "Du lịch Đà Nẵng mùa mưa",  # đụ is listed only in phrases
    "Quả óc chó có tốt không?",  # a walnut: not on the list
    "Tôi còn đi họp chiều nay không?",  # còn đi folds to con di; "=con đĩ" is strict
    "Hà Nội có vé điện tử liên thông không?",
    "shiitake and peacock at the food fair",
]


@pytest.mark.parametrize(("text", "found"), HITS)
def test_matching_finds_listed_terms_through_case_tones_and_evasions(text, found):
    assert matcher_for([]).find(text) == found


@pytest.mark.parametrize("text", MISSES)
def test_matching_respects_word_boundaries_and_strict_tone_marks(text):
    assert matcher_for([]).find(text) == []


def test_matching_adds_an_event_term_to_the_defaults():
    matcher = matcher_for(["Trạm thu phí", "=gà", "# a comment", "   "])

    assert matcher.find("tram thu phi ở đâu?") == ["trạm thu phí"]
    assert matcher.find("Con gà và con ga tàu") == ["gà"]  # strict: "ga" (station) is not a hit
    assert matcher.find("shit") == ["shit"]  # the defaults still apply


@pytest.mark.django_db
def test_screening_matcher_reads_only_its_event_terms():
    event, other = factories.event(), factories.event()
    BlockedTerm.objects.create(event=event, term="xe ôm")
    BlockedTerm.objects.create(event=other, term="taxi")

    assert screening_matcher(event_id=event.pk).find("xe om và taxi") == ["xe ôm"]


# ---- held at submit -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_flagged_question_is_held_under_post_moderation_with_its_words():
    session = factories.session(moderation="post")
    participant, _ = factories.participant(session.event)

    flagged, _ = services.question_submit(
        session=session, participant=participant, text="Đ.M sao metro trễ thế, vcl"
    )
    clean, _ = services.question_submit(
        session=session, participant=participant, text="Khi nào metro số 3 chạy?"
    )

    flagged.refresh_from_db()
    assert (flagged.status, flagged.flags) == ("pending", {"words": ["đm", "vcl"]})  # in list order
    assert (clean.status, clean.flags) == ("approved", {})


@pytest.mark.django_db
def test_event_term_holds_a_question_as_soon_as_it_is_added_and_not_once_removed():
    session = factories.session(moderation="post")
    participant, _ = factories.participant(session.event)

    def ask():
        return services.question_submit(
            session=session, participant=participant, text="Mua ve cho den o dau?"
        )[0]

    before = ask()  # the event's list is read and kept
    term = BlockedTerm.objects.create(event=session.event, term="vé chợ đen")
    held = ask()
    term.delete()
    after = ask()

    assert (before.status, before.flags) == ("approved", {})
    assert (held.status, held.flags) == ("pending", {"words": ["vé chợ đen"]})
    assert (after.status, after.flags) == ("approved", {})


@pytest.mark.django_db
def test_submit_costs_the_same_queries_with_one_or_many_questions_in_the_session():
    def queries_of_a_submit(session) -> int:
        participant, _ = factories.participant(session.event)
        with CaptureQueriesContext(connection) as captured:
            services.question_submit(
                session=session, participant=participant, text="Bao giờ có xe buýt điện?"
            )
        return len(captured)

    few = factories.session()
    factories.question(few, text="Metro số 3 khi nào chạy?", signature="3 chay khi metro")
    many = factories.session()
    texts = [f"Bao giờ có xe buýt điện tuyến {i}?" for i in range(300)]
    stored = Question.objects.bulk_create(
        Question(session=many, text=t, signature=similarity.signature(t)) for t in texts
    )
    QuestionKey.objects.bulk_create(
        QuestionKey(question=q, key=k)
        for q in stored
        for k in similarity.index_keys(many.pk, q.signature)
    )

    assert queries_of_a_submit(few) == queries_of_a_submit(many)


# ---- muting -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mute_is_audited_and_muted_questions_stay_held_until_approved_by_hand():
    session = factories.session(moderation="post")
    moderator = factories.moderator(session.event)
    participant, _ = factories.participant(session.event)
    first, _ = services.question_submit(
        session=session, participant=participant, text="Câu hỏi trước khi bị tắt tiếng?"
    )

    services.participant_mute(question_id=first.pk, actor=moderator)
    services.participant_mute(question_id=first.pk, actor=moderator)  # again: nothing new
    muted, _ = services.question_submit(
        session=session, participant=participant, text="Câu hỏi khi bị tắt tiếng?"
    )
    with pytest.raises(DomainError) as refused:
        services.question_approve(question_id=muted.pk, actor=moderator)
    with pytest.raises(DomainError) as bulk_refused:
        services.question_bulk(
            session_id=session.pk, action="approve", ids=[muted.pk], actor=moderator
        )
    services.participant_unmute(question_id=muted.pk, actor=moderator)
    muted.refresh_from_db()
    still_held = muted.status
    services.question_approve(question_id=muted.pk, actor=moderator)

    first.refresh_from_db()
    muted.refresh_from_db()
    assert first.status == "approved"  # what was asked before stays
    assert muted.flags == {"muted": True}
    assert (refused.value.code, refused.value.status) == ("question.author_muted", 409)
    assert bulk_refused.value.code == "question.author_muted"
    assert still_held == "pending"  # unmute releases nothing by itself
    assert muted.status == "approved"
    audit = ModerationAction.objects.filter(action__in=["mute", "unmute"]).order_by("id")
    assert [(a.action, a.question_id, a.actor_id, a.detail) for a in audit] == [
        ("mute", first.pk, moderator.pk, {"participant": participant.pk}),
        ("unmute", muted.pk, moderator.pk, {"participant": participant.pk}),
    ]


@pytest.mark.django_db
def test_mute_of_an_anonymised_question_is_refused():
    session = factories.session()
    question = factories.question(session, participant=None)

    with pytest.raises(DomainError) as refused:
        services.participant_mute(question_id=question.pk, actor=None)

    assert refused.value.code == "question.author_unknown"


@pytest.mark.django_db
def test_mute_endpoint_answers_the_card_and_unmute_reverses_it():
    from rest_framework.test import APIClient

    session = factories.session()
    question = factories.question(session)
    client = APIClient()
    client.force_authenticate(factories.moderator(session.event))

    muted = client.post(f"/api/v1/questions/{question.pk}/mute-author/")
    unmuted = client.post(f"/api/v1/questions/{question.pk}/unmute-author/")

    assert muted.status_code == 200 and muted.json()["author_muted"] is True
    assert muted.json()["last_action"]["action"] == "mute"
    assert unmuted.status_code == 200 and unmuted.json()["author_muted"] is False


# ---- on the real streams ------------------------------------------------------------------------


@database_sync_to_async
def post_moderated_venue():
    session = factories.session(moderation="post")
    moderator = factories.moderator(session.event)
    from rest_framework.authtoken.models import Token

    return session, moderator, Token.objects.create(user=moderator).key


async def phone(stream_client, session):
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    await client.send({"type": "join", "display_name": "Lan", "ref": "j"})
    joined = await client.receive_type("joined")
    return client, joined["data"]


async def ask(client, text: str, ref: str) -> dict:
    await client.send({"type": "ask", "text": text, "ref": ref})
    return (await client.receive_type("asked"))["data"]["question"]


def public_question_ids(client) -> list[int]:
    return [
        f["data"]["id"]
        for f in client.frames
        if f["type"] in ("question.updated", "question.created")
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_flagged_question_never_reaches_audience_or_display_before_approval(stream_client):
    session, moderator, key = await post_moderated_venue()
    moderators = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(key))
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")
    audience = await stream_client(f"/ws/sessions/{session.pk}/")
    asker, _ = await phone(stream_client, session)

    flagged = await ask(asker, "f u c k, khi nào metro chạy?", "a1")
    clean = await ask(asker, "Khi nào metro số 3 chạy?", "a2")
    created = [await moderators.receive_type("question.created") for _ in range(2)]
    await display.receive_type("question.updated")
    await audience.receive_type("question.updated")
    assert await display.nothing_more(0.5) and await audience.nothing_more(0.1)
    on_screens_before = (public_question_ids(display), public_question_ids(audience))
    await database_sync_to_async(services.question_approve)(
        question_id=flagged["id"], actor=moderator
    )
    approved = await display.receive_type("question.updated")

    assert flagged["status"] == "pending" and clean["status"] == "approved"
    assert [(c["data"]["id"], c["data"]["flags"]) for c in created] == [
        (flagged["id"], {"words": ["fuck"]}),
        (clean["id"], {}),
    ]
    assert on_screens_before == ([clean["id"]], [clean["id"]])
    assert "flags" not in approved["data"]  # moderators' view only
    assert approved["data"]["id"] == flagged["id"]  # public once a moderator approves it


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_muted_participant_question_is_never_public(stream_client):
    session, moderator, key = await post_moderated_venue()
    moderators = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(key))
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")
    audience = await stream_client(f"/ws/sessions/{session.pk}/")
    asker, _ = await phone(stream_client, session)
    before = await ask(asker, "Câu hỏi đầu tiên về xe buýt?", "a1")
    await display.receive_type("question.updated")
    await audience.receive_type("question.updated")

    await database_sync_to_async(services.participant_mute)(
        question_id=before["id"], actor=moderator
    )
    muted_card = await moderators.receive_type("question.updated")
    asked = await ask(asker, "Câu hỏi khi bị tắt tiếng về xe buýt?", "a2")
    created = await moderators.receive_type("question.created")
    with pytest.raises(DomainError):
        await database_sync_to_async(services.question_approve)(
            question_id=asked["id"], actor=moderator
        )
    await database_sync_to_async(services.participant_unmute)(
        question_id=asked["id"], actor=moderator
    )
    await moderators.receive_type("question.updated")

    assert muted_card["data"]["id"] == before["id"] and muted_card["data"]["author_muted"] is True
    assert asked["status"] == "pending"
    assert (created["data"]["flags"], created["data"]["author_muted"]) == ({"muted": True}, True)
    assert await display.nothing_more(0.5) and await audience.nothing_more(0.1)
    assert public_question_ids(display) == [before["id"]]
    assert public_question_ids(audience) == [before["id"]]


@pytest.mark.django_db
def test_mute_tells_the_moderators_of_every_session_the_author_asked_in(
    django_capture_on_commit_callbacks, published
):
    from live.realtime import streams

    first_session = factories.session()
    other_session = factories.session(factories.hall(first_session.event))
    moderator = factories.moderator(first_session.event)
    participant, _ = factories.participant(first_session.event)
    earlier = factories.question(first_session, participant=participant)
    services.question_approve(question_id=earlier.pk, actor=moderator)
    acted_on = factories.question(other_session, participant=participant)

    with django_capture_on_commit_callbacks(execute=True):
        services.participant_mute(question_id=acted_on.pk, actor=moderator)

    first = published(streams.moderation_stream(first_session.pk))
    other = published(streams.moderation_stream(other_session.pk))
    public = published(streams.session_stream(first_session.pk))
    assert [(t, d["id"], d["author_muted"], d["last_action"]["action"]) for t, d in first] == [
        ("question.updated", earlier.pk, True, "approve")
    ]
    assert [(t, d["id"], d["author_muted"], d["last_action"]["action"]) for t, d in other] == [
        ("question.updated", acted_on.pk, True, "mute")
    ]
    assert public == []
