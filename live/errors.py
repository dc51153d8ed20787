"""Domain errors: a fixed code for clients, a human message, never str(exception) of a crash."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain.error"
    status = 400
    default_message = _("The request cannot be carried out.")

    # The request field the error is about, if one is: the API and the sockets then add
    # "fields": {field: [message]}, as a validation error does.
    field: str | None = None

    def __init__(
        self,
        message=None,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
    ):
        self.message = message or self.default_message
        if field:
            self.field = field
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__(str(self.message))


class IllegalTransition(DomainError):
    status = 409
    default_message = _("This change is not allowed from the current state.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("Someone else changed this first.")
