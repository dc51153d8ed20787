"""Forget the attendees' names of an event (qa.services.event_anonymise).

manage.py anonymise_event <slug>   one event, now
manage.py anonymise_event --due    every event whose last day is ANONYMISE_AFTER_DAYS
                                   days past (daily, from cron or the compose stack)
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from live.models import Event
from qa import services


class Command(BaseCommand):
    help = "Blank the attendees' names of an event (texts, votes and counts stay)."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="The event's slug.")
        parser.add_argument(
            "--due",
            action="store_true",
            help="Every event that ended ANONYMISE_AFTER_DAYS days ago and still has names.",
        )

    def handle(self, *args, slug=None, due=False, **options):
        if bool(slug) == due:
            raise CommandError("Give an event's slug or --due (not both).")
        if due:
            days = settings.ANONYMISE_AFTER_DAYS
            if days is None:
                self.stdout.write("ANONYMISE_AFTER_DAYS is not set: nothing is due.")
                return
            events = list(services.events_due_for_anonymising(after_days=days))
            if not events:
                self.stdout.write(f"No event ended more than {days} days ago with names left.")
        else:
            event = Event.objects.filter(slug=slug).first()
            if event is None:
                raise CommandError(f"No event with the slug {slug!r}.")
            events = [event]
        for event in events:
            done = services.event_anonymise(event_id=event.pk, actor=None)
            self.stdout.write(
                f"{event.slug}: names removed from {done.questions} questions and "
                f"{done.participants} participants."
            )
