from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = _("Events and sessions")

    def ready(self) -> None:
        """Everything live contributes to the realtime transport, in one place (the registries
        are listed in docs/architecture.md)."""
        from live import broadcast, consumers, control, messages, samples
        from live.realtime import envelope, hub, snapshots, streams

        envelope.register_stream_types(*messages.STREAM_TYPES)
        snapshots.register_base(streams.SESSION, broadcast.session_base)
        snapshots.register_base(streams.MODERATION, broadcast.moderation_base)
        snapshots.register_base(streams.DISPLAY, broadcast.display_base)
        snapshots.register_base(streams.STAGE, broadcast.stage_base)
        snapshots.register_base(streams.CONTROL, control.control_base)
        hub.register_ticker(broadcast.display_clock)  # displays move on to the next session
        hub.register_ticker(broadcast.presence_clock)  # moderators see who is connected
        hub.register_ticker(samples.connection_sampler)  # the event report's connections
        hub.register_ticker(consumers.stage_key_watch)  # a renewed stage key locks out
        hub.register_ticker(control.control_clock)  # the control room's counts and alarms
