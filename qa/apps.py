from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = _("Questions and answers")

    def ready(self) -> None:
        """Everything qa contributes to live and its transport, in one place (the registries
        are listed in docs/architecture.md): live never imports qa."""
        from live import services as live_services
        from live.api_errors import register_error_extra
        from live.realtime import coalesce, envelope, snapshots, streams
        from qa import api, broadcast, control, messages, services

        envelope.register_stream_types(*messages.STREAM_TYPES)
        snapshots.contribute(streams.SESSION, broadcast.public_part)
        snapshots.contribute(streams.DISPLAY, broadcast.public_part)
        snapshots.contribute(streams.STAGE, broadcast.stage_part)
        snapshots.contribute(streams.MODERATION, broadcast.moderation_part)
        snapshots.contribute(streams.SESSION, broadcast.public_polls_part)
        snapshots.contribute(streams.DISPLAY, broadcast.public_polls_part)
        snapshots.contribute(streams.MODERATION, broadcast.moderation_polls_part)
        snapshots.contribute(streams.CONTROL, control.control_part)
        coalesce.register(broadcast.VOTES, broadcast.flush_votes)
        coalesce.register(broadcast.POLLS, broadcast.flush_polls)
        live_services.register_session_change_hook(services.audit_session_change)
        register_error_extra(services.VersionConflict, api.version_conflict_extra)
        register_error_extra(services.PollVersionConflict, api.poll_version_conflict_extra)
        self._forget_word_lists_on_edit()

    @staticmethod
    def _forget_word_lists_on_edit() -> None:
        """An event's screened words edited (admin): its cached list goes (qa/selectors.py)."""
        from django.db.models.signals import post_delete, post_save

        from qa.models import BlockedTerm
        from qa.selectors import forget_screening_matcher

        def forget(sender, instance, **kwargs):
            forget_screening_matcher(event_id=instance.event_id)

        post_save.connect(forget, sender=BlockedTerm, weak=False, dispatch_uid="qa.screening")
        post_delete.connect(forget, sender=BlockedTerm, weak=False, dispatch_uid="qa.screening")
