"""The messages of Q&A (docs/protocol.md): what qa publishes on the streams (registered with
the transport in QaConfig.ready()), and the phone's commands over its socket with their
answers (qa/consumers.py)."""

# Server -> client, on the streams
QUESTION_CREATED = "question.created"
QUESTION_UPDATED = "question.updated"
QUESTION_REMOVED = "question.removed"
VOTES_UPDATED = "votes.updated"

POLL_CREATED = "poll.created"  # moderation stream only (a new draft)
POLL_UPDATED = "poll.updated"
POLL_REMOVED = "poll.removed"  # a draft deleted; for the phones, a poll closed and off screen
POLL_RESULTS = "poll.results"  # coalesced tallies, like votes.updated

STREAM_TYPES = (
    QUESTION_CREATED,
    QUESTION_UPDATED,
    QUESTION_REMOVED,
    VOTES_UPDATED,
    POLL_CREATED,
    POLL_UPDATED,
    POLL_REMOVED,
    POLL_RESULTS,
)

# The phone's commands on the session stream, and the answer each gets (same `ref`)
IDENTIFY = "identify"  # the phone's participant token, before votes
IDENTIFIED = "identified"
JOIN = "join"  # a new participant, identified on this socket
JOINED = "joined"
ASK = "ask"
ASKED = "asked"  # the question as stored
VOTE = "vote"
UNVOTE = "unvote"
VOTE_DONE = "vote.done"  # the answer to vote / unvote, once committed
BALLOT = "ballot"  # a phone's choice in a poll: {"poll": id, "options": [ids]}
BALLOT_DONE = "ballot.done"  # the answer to ballot, once committed
