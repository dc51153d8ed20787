from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = _("Events and sessions")

    def ready(self) -> None:
        # Registers the stream snapshot bases and the hall display clock.
        from live import broadcast  # noqa: F401
