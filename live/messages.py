"""The stream messages `live` publishes (docs/protocol.md); registered with the transport in
LiveConfig.ready()."""

SESSION_UPDATED = "session.updated"
DISPLAY_SESSION_CHANGED = "display.session_changed"
PRESENCE_UPDATED = "presence.updated"
HALL_UPDATED = "hall.updated"
STAGE_MESSAGE = "stage.message"  # the moderator's word to the speaker (live/services.py)
CONTROL_HALLS = "control.halls"  # the control room's moving state (live/control.py)

STREAM_TYPES = (
    SESSION_UPDATED,
    DISPLAY_SESSION_CHANGED,
    PRESENCE_UPDATED,
    HALL_UPDATED,
    STAGE_MESSAGE,
    CONTROL_HALLS,
)
