from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = _("Questions and answers")

    def ready(self) -> None:
        # qa contributes the questions to live's stream snapshots, the vote tally flusher
        # and the session audit hook.
        from qa import broadcast, services  # noqa: F401
