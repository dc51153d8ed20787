"""The stream messages `live` publishes (docs/protocol.md); registered with the transport in
LiveConfig.ready()."""

SESSION_UPDATED = "session.updated"
DISPLAY_SESSION_CHANGED = "display.session_changed"
PRESENCE_UPDATED = "presence.updated"
HALL_UPDATED = "hall.updated"

STREAM_TYPES = (SESSION_UPDATED, DISPLAY_SESSION_CHANGED, PRESENCE_UPDATED, HALL_UPDATED)
