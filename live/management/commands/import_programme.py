"""manage.py import_programme --event <slug> FILE [--dry-run] [--force]

Adds and updates an event's sessions from a spreadsheet (.csv, .xlsx), a pretalx
schedule.json or a frab schedule.xml (docs/programme.md). Says what it added, changed and left
alone; with any problem it lists them all and writes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from live.models import Event
from live.programme import Plan, ProgrammeInvalid, import_programme


class Command(BaseCommand):
    help = "Import an event's programme from .csv, .xlsx, pretalx schedule.json or schedule.xml."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The programme file.")
        parser.add_argument("--event", required=True, help="The event's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change; write nothing."
        )
        parser.add_argument(
            "--force", action="store_true", help="Also change sessions that are running now."
        )

    def handle(self, *args, file, event, dry_run, force, **options):
        target = Event.objects.filter(slug=event).first()
        if target is None:
            raise CommandError(f"No event with the slug {event!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            plan = import_programme(
                target, path.read_bytes(), path.name, actor=None, dry_run=dry_run, force=force
            )
        except ProgrammeInvalid as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {path.name}; nothing was written:\n{lines}"
            ) from None
        self.report(plan, dry_run=dry_run)

    def report(self, plan: Plan, *, dry_run: bool) -> None:
        self.stdout.write(("Dry run, nothing written: " if dry_run else "") + plan.summary())
        for planned in plan.added:
            row = planned.row
            self.stdout.write(
                f"  + {row.where}: {row.title_vi} ({row.hall}, {row.starts_at:%Y-%m-%d %H:%M})"
            )
        for planned in plan.changed:
            fields = ", ".join(planned.changes)
            self.stdout.write(f"  ~ {planned.row.where}: {planned.row.title_vi} ({fields})")
        for name in plan.new_halls:
            self.stdout.write(f"  new hall: {name}")
        for name in plan.new_speakers:
            self.stdout.write(f"  new speaker: {name}")
