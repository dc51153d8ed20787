"""A Django process the harness talks to over stdin/stdout (one JSON object per line): it
creates the benchmark's data through the ORM, reads the database for the checks, and can
approve a question through `qa.services` when the HTTP API is not there.

Run by the harness as `python -m bench.ctl` with the stack's environment; stdout carries
only the protocol (Django's logging goes to stderr)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time


def _setup():
    import django

    django.setup()


def cmd_setup(args: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.urls import Resolver404, resolve
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from bench.frames import QUESTION_TEXT
    from live.enums import EventRole
    from live.models import Event, EventMembership, Hall, Session
    from qa.models import Participant, Question

    name = args["name"]
    event = Event.objects.create(
        slug=f"bench-{name}",
        name_vi=f"Hội nghị đo tải {name}",
        name_en=f"Benchmark summit {name}",
        starts_on=dt.date.today(),
        ends_on=dt.date.today() + dt.timedelta(days=1),
    )
    hall = Hall.objects.create(
        event=event, name_vi="Hội trường A", name_en="Hall A", slug=f"hall-{name}"
    )
    now = timezone.now()
    session = Session.objects.create(
        event=event,
        hall=hall,
        title_vi="Phiên toàn thể: Thành phố thông minh",
        title_en="Plenary: the smart city",
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=3),
        status="qa",
        qa_open=True,
        moderation=args.get("moderation", "pre"),
    )
    user = get_user_model().objects.create_user(username=f"mod-{name}", password="bench-Secret-123")
    EventMembership.objects.create(event=event, user=user, role=EventRole.MODERATOR)
    token = Token.objects.create(user=user)
    _, token_hash = Participant.new_token()
    author = Participant.objects.create(
        event=event, token_hash=token_hash, display_name="Nguyễn Thị Lan"
    )

    def make(status: str, count: int) -> list[int]:
        rows = [
            Question(
                session=session,
                participant=author,
                text=QUESTION_TEXT,
                author_name=author.display_name,
                status=status,
            )
            for _ in range(count)
        ]
        return [q.pk for q in Question.objects.bulk_create(rows)]

    pending = make("pending", args.get("pending", 0))
    approved = make("approved", args.get("approved", 0))
    _prefill(session, author, args.get("prefill", 0))
    api = {}
    for key, path in {
        "approve": "/api/v1/questions/1/approve/",
        "join": f"/api/v1/events/{event.slug}/join/",
        "vote": "/api/v1/questions/1/vote/",
        "questions": f"/api/v1/sessions/{session.pk}/questions/",
    }.items():
        try:
            resolve(path)
            api[key] = True
        except Resolver404:
            api[key] = False
    return {
        "event_id": event.pk,
        "slug": event.slug,
        "hall_id": hall.pk,
        "session_id": session.pk,
        "token": token.key,
        "pending": pending,
        "approved": approved,
        "api": api,
    }


# A session that already holds questions (`--storm-prefill`): varied texts, so that a
# duplicate check meets realistic candidates rather than one text a thousand times.
_TOPICS = (
    "xe buýt điện",
    "metro số {n}",
    "đèn giao thông thông minh",
    "camera an ninh",
    "dữ liệu mở",
    "ví điện tử",
    "bãi đỗ xe",
    "the flood warning system",
    "5G coverage in district {n}",
    "the open data portal",
    "the e-government app",
    "air quality sensors",
)
_FORMS = (
    "Khi nào {t} được triển khai ở quận {n}?",
    "Ngân sách cho {t} năm {y} là bao nhiêu?",
    "Người dân góp ý về {t} ở phường {n} bằng cách nào?",
    "When will {t} reach ward {n}?",
    "Who pays for {t} after {y}?",
    "How many people used {t} in {y}?",
)


def _prefill(session, author, count: int) -> None:
    """`count` approved and pending questions, stored the way a submit stores them (with the
    duplicate signature, where the code under test keeps one)."""
    if not count:
        return
    from qa.models import Question

    try:  # the code under test may predate duplicate detection
        from qa.models import QuestionKey
        from qa.similarity import index_keys, signature
    except ImportError:
        signature = None
    rows = []
    for i in range(count):
        topic = _TOPICS[i % len(_TOPICS)].format(n=i % 23 + 1)
        text = _FORMS[(i // len(_TOPICS)) % len(_FORMS)].format(
            t=topic, n=i % 19 + 1, y=2020 + i % 9
        )
        question = Question(
            session=session,
            participant=author,
            text=text,
            author_name=author.display_name,
            status="approved" if i % 3 else "pending",
        )
        if signature is not None:
            question.signature = signature(text)
        rows.append(question)
    Question.objects.bulk_create(rows, batch_size=500)
    if signature is not None:
        QuestionKey.objects.bulk_create(
            (
                QuestionKey(question=q, key=key)
                for q in rows
                for key in index_keys(session.pk, q.signature)
            ),
            batch_size=1000,
        )


_moderators: dict[int, object] = {}


def cmd_approve(args: dict) -> dict:
    """The trigger when the HTTP API is missing: the service call the API view would make."""
    from django.contrib.auth import get_user_model

    from qa.services import question_approve

    user_id = args["user"]
    if user_id not in _moderators:
        _moderators[user_id] = get_user_model().objects.get(username=user_id)
    started = time.time()
    question = question_approve(question_id=args["question_id"], actor=_moderators[user_id])
    return {"t0": started, "t1": time.time(), "status": question.status}


def cmd_counts(args: dict) -> dict:
    from django.db.models import Count

    from qa.models import Question, Vote

    session_id = args["session_id"]
    ids = args.get("question_ids", [])
    stored = Question.objects.filter(session_id=session_id).count()
    by_client = (
        Question.objects.filter(session_id=session_id, client_id__isnull=False)
        .values("participant_id", "client_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    vote_count = dict(Question.objects.filter(pk__in=ids).values_list("id", "vote_count"))
    vote_rows = dict(
        Vote.objects.filter(question_id__in=ids)
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    )
    return {
        "stored": stored,
        "with_client_id": Question.objects.filter(
            session_id=session_id, client_id__isnull=False
        ).count(),
        "duplicated_client_ids": by_client,
        "vote_count": {str(k): v for k, v in vote_count.items()},
        "vote_rows": {str(k): vote_rows.get(k, 0) for k in ids},
    }


def cmd_truth(args: dict) -> dict:
    """What the database says a screen of the session must end up showing (bench.faults
    compares every client with it): the session's status, Q&A flag and version, and every
    question's id, status, version, votes and pinned flag."""
    from live.models import Session
    from qa.enums import PUBLIC_STATUSES
    from qa.models import Question

    session = Session.objects.get(pk=args["session_id"])
    questions = Question.objects.filter(session=session).values_list(
        "id", "status", "version", "vote_count", "pinned"
    )
    return {
        "session": {
            "status": session.status,
            "qa_open": session.qa_open,
            "version": session.version,
        },
        "questions": [
            {"id": i, "status": st, "version": v, "votes": n, "pinned": p}
            for i, st, v, n, p in questions
        ],
        "public": [i for i, st, *_ in questions if st in PUBLIC_STATUSES],
    }


def cmd_participants(args: dict) -> dict:
    """`count` phones of the event, with their tokens (the HTTP vote burst needs identities,
    not the cost of minting them)."""
    from qa.models import Participant

    tokens, rows = [], []
    for _ in range(args["count"]):
        token, token_hash = Participant.new_token()
        tokens.append(token)
        rows.append(Participant(event_id=args["event_id"], token_hash=token_hash))
    Participant.objects.bulk_create(rows, batch_size=500)
    return {"tokens": tokens}


def cmd_poll_open(args: dict) -> dict:
    """A poll of `options` options in the session, opened, on the hall screen and with its
    results shown (so the phones and the display get every tally): the poll storm's."""
    from live.models import Session
    from qa import services

    session = Session.objects.get(pk=args["session_id"])
    poll = services.poll_create(
        session=session,
        actor=None,
        question_vi="Dịch vụ công nào Hà Nội nên số hoá trước?",
        question_en="Which public service should Hanoi digitise first?",
        options=[
            services.PollOptionText(f"Phương án {i}", f"Option {i}")
            for i in range(1, args.get("options", 4) + 1)
        ],
    )
    for move in (services.poll_open, services.poll_show, services.poll_show_results):
        move(poll_id=poll.pk, actor=None)
    return {
        "poll_id": poll.pk,
        "option_ids": list(poll.options.order_by("position").values_list("pk", flat=True)),
    }


def cmd_poll_counts(args: dict) -> dict:
    """The poll's truth, from the rows: ballots, voters per participant (1 each, by the
    constraint), choices per option."""
    from django.db.models import Count

    from qa.models import Ballot, BallotChoice, PollOption

    poll_id = args["poll_id"]
    ballots = Ballot.objects.filter(poll_id=poll_id)
    most = ballots.values("participant_id").annotate(n=Count("id")).order_by("-n").first()
    chosen = dict(
        BallotChoice.objects.filter(poll_id=poll_id)
        .values("option_id")
        .annotate(n=Count("id"))
        .values_list("option_id", "n")
    )
    options = PollOption.objects.filter(poll_id=poll_id).values_list("pk", flat=True)
    return {
        "ballots": ballots.count(),
        "most_ballots_of_one_phone": most["n"] if most else 0,
        "choices": sum(chosen.values()),
        "votes": {str(pk): chosen.get(pk, 0) for pk in options},
    }


class Ctl:
    """The harness's end of the conversation."""

    def __init__(self, stack, timeout: float = 120.0):
        import subprocess

        from bench.stack import PY, ROOT

        self.log = (stack.log_dir / "ctl.log").open("w")
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.ctl"],
            cwd=ROOT,
            env=stack.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            bufsize=1,
        )
        self.timeout = timeout
        self._read()

    def _read(self) -> dict:
        import select

        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(
                f"bench.ctl did not answer (exit code {self.proc.poll()}); see ctl.log"
            )
        return json.loads(line)

    def call(self, cmd: str, **args) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd, "args": args}) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        if not reply.get("ok", False):
            raise RuntimeError(f"bench.ctl {cmd}: {reply.get('error')}")
        return reply["result"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
        self.log.close()


COMMANDS = {
    "setup": cmd_setup,
    "approve": cmd_approve,
    "counts": cmd_counts,
    "truth": cmd_truth,
    "participants": cmd_participants,
    "poll_open": cmd_poll_open,
    "poll_counts": cmd_poll_counts,
}


def main() -> None:
    # The protocol gets its own copy of stdout; everything else printed goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr
    _setup()
    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = {"ok": True, "result": COMMANDS[request["cmd"]](request.get("args", {}))}
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
