"""One throttle function per phone action, for both doors: the socket command
(qa/consumers.py) calls it, and so does the HTTP view, through its throttle class
(qa/permissions.py). Each says which counters its action goes through; live/throttling.py
counts them (one Redis round trip per call) and raises or returns `Throttled` with the
action's code and the seconds to wait. The socket answers that code (docs/protocol.md); HTTP
answers 429 `throttled` with Retry-After (docs/api.md)."""

from __future__ import annotations

from collections.abc import Sequence

from live.throttling import Throttled, count_requests, refusal, throttle
from qa.selectors import is_question_retry

# A hall of 2,000 phones behind one venue NAT address joins in the same minute; a script on
# one address must not mint the whole hourly quota in seconds. So three windows, checked
# together: a burst (default 2,500 per 10 minutes: one hall and its re-joins), the hour
# (3,000) and the day (10,000). A script gets 2,500 at once, then waits ten minutes.
JOIN_SCOPES = ("ip_join_burst", "ip_join", "ip_join_day")


def throttle_join(*, ip: str) -> None:
    """A new identity from `ip`, counted in every join window; Throttled `join.throttled`."""
    throttle([(scope, ip) for scope in JOIN_SCOPES], code="join.throttled")


def throttle_ask(*, participant_id: int, ip: str, client_id: object) -> None:
    """A question, counted per address (`ip_question`) and per phone (`participant_question`);
    Throttled `question.throttled`. A retry of a question already stored (same client_id) is
    not a new question, so the phone's count skips it: a phone on bad Wi-Fi must always get
    its answer back."""
    hits = [("ip_question", ip)]
    if not is_question_retry(participant_id=participant_id, client_id=client_id):
        hits.append(("participant_question", str(participant_id)))
    throttle(hits, code="question.throttled")


def throttle_votes(votes: Sequence[tuple[int, str]]) -> list[Throttled | None]:
    """Votes (participant id, ip), counted per phone (`participant_vote`: every socket of a
    phone and its HTTP votes share it) and per address (`ip_vote`), all in one call: one Redis
    round trip for a socket's whole round of votes. For each vote, in order, None or
    Throttled `vote.throttled`; a refused vote still counts, as an HTTP request does."""
    verdicts = count_requests(
        [
            hit
            for participant_id, ip in votes
            for hit in (("participant_vote", str(participant_id)), ("ip_vote", ip))
        ]
    )
    return [refusal(verdicts[2 * i : 2 * i + 2], code="vote.throttled") for i in range(len(votes))]
