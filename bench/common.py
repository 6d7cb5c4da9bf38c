"""What the benchmark scenarios share: their databases, their child processes, and the way a
figure is reported.

**Databases.** Each scenario reads a PostgreSQL database beside ``DATABASE_URL`` named
``anju_bench_<name>``, built with ``migrate`` and ``seed_demo [--scale N]``. A database is
kept between runs while it is unchanged: its comment holds a fingerprint of what built it
(the migrations, the demo data and the seeding command); when that changes, or the database
is missing, it is built anew.

**Figures.** A figure is a median over several runs beside a floor measured in the same run
on the same machine (the least work the same result could cost): the ratio of the two is what
compares across machines. ``Figure.line()`` prints ``name: median value unit, floor value,
ratio``, with the target when there is one.
"""

import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

#: What builds a benchmark database: when one of these changes, the databases are rebuilt.
BUILT_FROM = ("*/migrations/*.py", "*/demo.py", "config/management/commands/seed_demo.py")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    floor: float | None = None
    floor_unit: str | None = None
    target: str = ""
    met: bool | None = None
    runs: list[float] = field(default_factory=list)
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor in (None, 0):
            return None
        return self.value / self.floor

    def line(self) -> str:
        text = f"{self.name}: median {self.value:g} {self.unit}"
        if self.floor is not None:
            text += f", floor {self.floor:g} {self.floor_unit or self.unit}"
            if self.ratio is not None:
                text += f", ratio {self.ratio:.1f}"
        if self.target:
            verdict = "" if self.met is None else (" met" if self.met else " MISSED")
            text += f" (target {self.target}{verdict})"
        if self.notes:
            text += f" [{self.notes}]"
        return text

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": None if self.ratio is None else round(self.ratio, 2)}


def median(values) -> float:
    return round(statistics.median(values), 3)


def percentile(values, share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share) - 1)]


def base_url() -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…); make bench does.")
    return base


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(base_url())._replace(path=f"/anju_bench_{name}"))


def fingerprint() -> str:
    digest = hashlib.sha256()
    for pattern in BUILT_FROM:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def child_env(url: str, **extra) -> dict:
    """The environment of a child process bound to database ``url``, with production
    settings (no debug, no demo passwords)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "False",
        "ANJU_DEMO": "False",
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        **extra,
    }


def _admin_connection():
    import psycopg

    return psycopg.connect(
        urlunsplit(urlsplit(base_url())._replace(path="/postgres")), autocommit=True
    )


def ensure_database(name: str, scale: int = 0) -> str:
    """The URL of ``anju_bench_<name>``, migrated and seeded (``--scale``), built anew unless
    its comment says it was built from the files as they are now."""
    url = database_url(name)
    database = f"anju_bench_{name}"
    wanted = f"anju-bench {fingerprint()} scale {scale}"
    with _admin_connection() as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [database],
        ).fetchone()
        if row is not None and row[0] == wanted:
            return url
        if row is not None:
            connection.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    started = time.monotonic()
    env = child_env(url)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    scaled = ["--scale", str(scale)] if scale else []
    subprocess.run([*manage, "seed_demo", "-v", "0", *scaled], env=env, check=True, cwd=ROOT)
    with _admin_connection() as connection:
        connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{wanted}'")
    print(f"  {database} built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return url


def run_child(module: str, url: str, *args: str, env: dict | None = None) -> dict:
    """Run ``python -m module --child …`` bound to ``url``; its last line of output is JSON."""
    output = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        env=env or child_env(url),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def collectstatic() -> None:
    """Production settings serve the static files' hashed names: collect them as a
    deployment does."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env={**os.environ, "DJANGO_DEBUG": "False", "ANJU_DEMO": "False"},
        check=True,
        cwd=ROOT,
    )
