"""The payload every system under test broadcasts: the size and shape of a real
`question.updated` frame (about 300 bytes), so the baseline and the textbook consumer carry
the same bytes as the product."""

from __future__ import annotations

import json

# About 140 characters of Vietnamese: a realistic question, and ~300 bytes once framed.
QUESTION_TEXT = (
    "Thành phố sẽ triển khai hệ thống đèn giao thông thông minh ở những quận nào trước, "
    "và người dân được tham gia góp ý ra sao?"
)


def question_frame(*, seq: int, epoch: str, question_id: int) -> str:
    data = {
        "id": question_id,
        "session_id": 1,
        "text": QUESTION_TEXT,
        "author_name": "Nguyễn Thị Lan",
        "anonymous": False,
        "status": "approved",
        "pinned": False,
        "votes": 0,
        "version": 2,
        "created_at": "2026-11-26T18:00:00.000000+00:00",
        "answered_at": None,
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f'{{"seq":{seq},"epoch":"{epoch}","type":"question.updated","data":{body}}}'


def snapshot_frame(*, seq: int, epoch: str) -> str:
    return json.dumps(
        {"seq": seq, "epoch": epoch, "type": "snapshot", "data": {"questions": []}},
        separators=(",", ":"),
    )
