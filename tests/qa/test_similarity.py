"""Duplicates found (issue 14): the similarity rule measured on a labelled set of pairs, and
`similar_to` from a submit to the moderators' list and stream."""

import csv
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from live.realtime.db import database_sync_to_async
from qa import services, similarity
from tests import factories
from tests.realtime import token_header

PAIRS = Path(__file__).resolve().parent.parent / "data" / "similar_pairs.csv"


def labelled_pairs() -> list[dict]:
    with PAIRS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_labelled_set_has_duplicates_and_near_misses_in_both_languages():
    pairs = labelled_pairs()
    kinds = {(p["duplicate"], p["kind"].split()[0]) for p in pairs}

    assert len(pairs) >= 100
    assert {("1", "vi"), ("0", "vi"), ("1", "en"), ("0", "en")} <= kinds
    assert sum("toneless" in p["kind"] for p in pairs) >= 10


def test_similarity_precision_and_recall_on_the_labelled_set(capsys):
    pairs = labelled_pairs()
    said = [(similarity.alike(p["a"], p["b"]), p["duplicate"] == "1") for p in pairs]
    true_pos = sum(1 for alike, dup in said if alike and dup)
    false_pos = sum(1 for alike, dup in said if alike and not dup)
    false_neg = sum(1 for alike, dup in said if dup and not alike)

    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    with capsys.disabled():
        print(
            f"\nsimilarity on {len(pairs)} pairs: precision {precision:.3f}, recall {recall:.3f} "
            f"({true_pos} found, {false_pos} false, {false_neg} missed)"
        )
    assert precision >= 0.9


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Khi nào metro số 3 chạy?", "metro so 3 khi nao chay", True),  # tones, order
        ("Khi nào metro số 3 chạy?", "Khi nào metro số 2 chạy?", False),  # numbers
        ("Có bao nhiêu trạm sạc ở Đà Nẵng?", "Có bao nhiêu trạm sạc ở Huế?", False),  # names
        ("Is the app free?", "Is the app free??", True),
        ("", "Is the app free?", False),
    ],
)
def test_alike_on_hand_picked_cases(a, b, alike):
    assert similarity.alike(a, b) is alike


@pytest.mark.django_db
def test_submit_stores_similar_to_most_alike_first_within_the_session_and_open_only():
    session = factories.session()
    participant, _ = factories.participant(session.event)

    def ask(text, where=session):
        return services.question_submit(session=where, participant=participant, text=text)[0]

    exact = ask("Khi nào metro số 3 đi vào hoạt động?")
    looser = ask("Xin hỏi metro số 3 khi nào đi vào hoạt động chính thức?")
    other_line = ask("Khi nào metro số 2 đi vào hoạt động?")
    rejected = ask("Metro số 3 khi nào đi vào hoạt động?")
    services.question_reject(question_id=rejected.pk, actor=None)
    elsewhere = ask("Khi nào metro số 3 đi vào hoạt động?", factories.session(session.hall))

    new = ask("khi nao metro so 3 di vao hoat dong")

    assert exact.similar_to == [] and looser.similar_to == [exact.pk]
    assert other_line.similar_to == [] and elsewhere.similar_to == []
    assert new.similar_to == [exact.pk, looser.pk]


@pytest.mark.django_db
def test_moderator_list_carries_similar_to():
    session = factories.session()
    participant, _ = factories.participant(session.event)
    client = APIClient()
    client.force_authenticate(factories.moderator(session.event))
    first, _ = services.question_submit(
        session=session, participant=participant, text="When will metro line 3 open?"
    )
    second, _ = services.question_submit(
        session=session, participant=participant, text="Metro line 3: when will it open?"
    )

    listed = client.get(f"/api/v1/sessions/{session.pk}/questions/").json()

    assert [(q["id"], q["similar_to"]) for q in listed] == [(first.pk, []), (second.pk, [first.pk])]


@database_sync_to_async
def venue_with_question():
    session = factories.session()
    participant, _ = factories.participant(session.event)
    first, _ = services.question_submit(
        session=session, participant=participant, text="Bao giờ xe buýt điện chạy tuyến sân bay?"
    )
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=factories.moderator(session.event)).key
    return session, participant, first, key


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
async def test_moderation_stream_carries_similar_to_when_a_question_arrives(stream_client):
    session, participant, first, key = await venue_with_question()
    moderators = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(key))

    await database_sync_to_async(services.question_submit)(
        session=session, participant=participant, text="xe buyt dien tuyen san bay bao gio chay?"
    )
    created = await moderators.receive_type("question.created")

    assert created["data"]["similar_to"] == [first.pk]


def test_every_alike_pair_of_the_labelled_set_shares_an_index_key():
    """Prefix filtering loses nothing: the indexed lookup finds every pair the rule accepts."""
    pairs = [p for p in labelled_pairs() if similarity.alike(p["a"], p["b"])]
    keys = [
        [set(similarity.index_keys(7, similarity.signature(p[side]))) for side in "ab"]
        for p in pairs
    ]

    assert len(pairs) == 58
    assert [p["a"] for p, (a, b) in zip(pairs, keys, strict=True) if not a & b] == []
