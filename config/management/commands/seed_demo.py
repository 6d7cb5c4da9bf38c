"""Load the Shiquan demo county (idempotent); ``--scale N`` also adds synthetic neighbourhoods.

The data and the logic live in each app's ``demo.py`` (registers, projects, consultation,
acceptance, the monthly cycle); this command calls them in order, since only it may know every
app, and prints.
"""

import logging
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from acceptance import demo as acceptance_demo
from cycle import demo as cycle_demo
from governance import demo as governance_demo
from projects import demo as project_demo
from residents import demo
from surveys import demo as consultation_demo
from surveys import links


class Command(BaseCommand):
    help = (
        "Load the Shiquan demo county: regions, neighbourhoods, registers, committees, visit "
        "teams and one demo account per role. Creates only what is missing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help=(
                "Also make sure N synthetic neighbourhoods of realistic size exist "
                "(4–30 buildings of 20–60 households each), for load and benchmark work."
            ),
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site is served, for the household links printed to try.",
        )

    def handle(self, *args, scale, verbosity, base_url, **options):
        if scale < 0:
            raise CommandError("--scale takes a number of neighbourhoods, 0 or more.")
        result = demo.load_demo(demo_mode=settings.ANJU_DEMO)
        projects = project_demo.load_projects(
            consult=consultation_demo.consult, accept_ready=acceptance_demo.accept_ready
        )
        acceptance_demo.date_decisions()
        office = get_user_model().objects.filter(username="office").first()
        consultation_demo.load_requests(by=office)
        with _quiet("cycle.jobs", unless=verbosity >= 2):  # summed up in one line below
            cycle = cycle_demo.load_cycle()
        governance_demo.load_governance()
        if scale:
            final = demo.ensure_synthetic(
                scale, progress=self._print_progress if verbosity >= 1 else None
            )
            if final.total == 0 and verbosity >= 1:
                self.stdout.write(f"Synthetic neighbourhoods: all {scale} already exist.")
            made = project_demo.ensure_synthetic_projects(demo.synthetic_neighbourhoods())
            if verbosity >= 1 and made:
                self.stdout.write(f"Synthetic projects created: {made:,}")
        if verbosity >= 1:
            self._print_summary(result)
            self.stdout.write(
                f"Demo projects: {projects.created} created, {projects.existing} already there"
            )
            self._print_acceptance()
            self._print_cycle(cycle, base_url)
            self._print_governance()
            self._print_household_links(base_url)

    def _print_progress(self, progress: demo.SyntheticProgress):
        self.stdout.write(
            f"Synthetic neighbourhoods created: {progress.done:,}/{progress.total:,}, "
            f"with {progress.households:,} households; {progress.rows:,} rows in "
            f"{progress.seconds:.1f} s ({progress.rows_per_second:,.0f} rows/s)"
        )

    def _print_summary(self, result: demo.DemoResult):
        created = sum(result.created.values())
        self.stdout.write(
            f"Demo county {demo.COUNTY_NAME}: {created:,} rows created"
            if created
            else f"Demo county {demo.COUNTY_NAME}: already loaded, nothing created"
        )
        counts = demo.county_counts()
        width = max(map(len, counts))
        for label, count in counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        self.stdout.write("")
        rows = [("username", "role", "password")]
        rows += [(a.username, str(a.role.label), a.password) for a in result.accounts]
        widths = [max(_width(row[i]) for row in rows) for i in range(2)]
        self.stdout.write(self.style.MIGRATE_HEADING("Demo accounts"))
        for username, role, password in rows:
            self.stdout.write(f"  {_pad(username, widths[0])}  {_pad(role, widths[1])}  {password}")
        if not settings.ANJU_DEMO:
            self.stdout.write(
                "ANJU_DEMO is off, so no account was given the demo password. For a local "
                "demonstration run with DJANGO_DEBUG=True ANJU_DEMO=True (make run does)."
            )

    def _print_acceptance(self):
        """The projects whose acceptance waits, and why the gate is closed, to try in the
        admin: enter paper answers, close the round, open another, accept."""
        waiting = acceptance_demo.projects_to_try(project_demo.ACCEPTANCE_OUTCOMES)
        if waiting:
            self.stdout.write(
                "Acceptance to try: " + "; ".join(_acceptance_state(p) for p in waiting)
            )

    def _print_governance(self):
        """The property firms' scores and grades this year."""
        from governance.models import Assessment

        year = timezone.localdate().year
        kept = Assessment.objects.filter(year=year).select_related("company")
        if kept:
            self.stdout.write(
                f"Property firms {year}: "
                + "; ".join(f"{a.company.name} {a.score} {a.grade}" for a in kept)
            )

    def _print_cycle(self, cycle: cycle_demo.CycleResult, base_url):
        """Where to read last month's bulletin and ranking."""
        if not cycle.bulletin_ready:
            return
        site = base_url.rstrip("/")
        key = cycle.last_month.key
        self.stdout.write(
            f"Monthly cycle: {key} closed; its bulletin (ranking, inspections) at "
            f"{site}/cycle/bulletins/{key}/, the ranking in the admin at "
            f"{site}/admin/cycle/ranking/?month={key}"
        )

    def _print_household_links(self, base_url):
        """Fresh links of a few households where a notice is open, to try the residents'
        pages; only hashes are stored, so they are issued anew at every run."""
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING("Household links to try (issued anew at each run)")
        )
        for household in consultation_demo.households_to_try():
            token = links.issue_link(household)
            self.stdout.write(f"  {household.address}  {base_url.rstrip('/')}/h/{token}/")
        if household := governance_demo.household_to_try():
            token = links.issue_link(household)
            self.stdout.write(
                f"  {household.address} (evaluates its property firm)  "
                f"{base_url.rstrip('/')}/h/{token}/property/"
            )


def _acceptance_state(to_try: acceptance_demo.ToTry) -> str:
    panel = to_try.panel
    if panel is None:
        return f"{to_try.name} {to_try.status}"
    numbers = panel.numbers
    if numbers is None:
        return f"{to_try.name} has no survey round open"
    if not numbers.turnout_met:
        state = (
            f"turnout short by {numbers.answers_needed} "
            f"({numbers.answered} of {numbers.households} households answered, "
            f"{numbers.turnout_percent})"
        )
    elif not numbers.satisfaction_met:
        state = (
            f"satisfaction {numbers.satisfaction_percent} "
            f"({numbers.satisfied} of {numbers.answered} answers satisfied, 90% needed)"
        )
    elif not panel.passed:
        state = "the completion check has not passed"
    else:
        state = "passes the gate: it can be accepted"
    return f"{to_try.name} {state}"


@contextmanager
def _quiet(name: str, *, unless: bool = False):
    """Hold back the INFO lines of the logger ``name`` (warnings and errors still show)."""
    logger = logging.getLogger(name)
    level = logger.level
    if not unless:
        logger.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        logger.setLevel(level)


def _width(text: str) -> int:
    """Columns that ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if ord(ch) >= 0x1100 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
