"""Stream names. One stream per screen kind and object; each has its own seq and history."""

SESSION = "session"  # the audience view of one session
MODERATION = "moderation"  # the moderators' view of one session
DISPLAY = "display"  # a hall display: whichever session is current in the hall
STAGE = "stage"  # the lectern tablet of a hall: pinned, queued, time left, the moderator's word
CONTROL = "control"  # the organisers' control room: every hall of one event


def session_stream(session_id: int) -> str:
    return f"{SESSION}.{session_id}"


def moderation_stream(session_id: int) -> str:
    return f"{MODERATION}.{session_id}"


def display_stream(hall_id: int) -> str:
    return f"{DISPLAY}.{hall_id}"


def stage_stream(hall_id: int) -> str:
    return f"{STAGE}.{hall_id}"


def control_stream(event_id: int) -> str:
    return f"{CONTROL}.{event_id}"


def parse(stream: str) -> tuple[str, int]:
    kind, _, key = stream.partition(".")
    return kind, int(key)
