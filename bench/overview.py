"""The leader overview's server time at several sizes of county (``make bench-overview``).

For each size N (22: the demo county alone; then the demo county plus N synthetic
neighbourhoods, each with its project) it uses the PostgreSQL database ``anju_bench_<N>``
beside ``DATABASE_URL``, built once with ``migrate`` and ``seed_demo --scale N`` and kept
between runs, then asks for the live overview (``/leaders/``) and last month's frozen one
through Django's test client as the demo leader: a few requests to warm up, then ``--runs``
timed ones. "live" is the current month as leaders read it (its figures at most
``ANJU_LIVE_FIGURES_SECONDS`` old, from the cache); "live summed for each request" sums them
for every request (what the refresh task and the first reader pay); "frozen" is last month.
It prints, per size, the median and 95th percentile of the server time and the number of
queries; the same in JSON with ``--json FILE``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju uv run python -m bench.overview \\
        --sizes 22 1000 10000
"""

import argparse
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit


def database_url(base: str, size: int) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/anju_bench_{size}"))


def ensure_database(url: str, size: int) -> None:
    """Create, migrate and seed the database of ``size`` unless it is there already."""
    env = {**os.environ, "DATABASE_URL": url, "ANJU_DEMO": "False", "DJANGO_DEBUG": "False"}
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    scale = [] if size <= 22 else ["--scale", str(size)]
    subprocess.run([*manage, "seed_demo", "-v", "0", *scale], env=env, check=True)
    print(f"  database {name} ready in {time.monotonic() - started:.0f} s", file=sys.stderr)


def measure(url: str, runs: int) -> dict:
    """Time the overview pages in a child process bound to ``url`` (Django's settings are
    read once per process)."""
    code = f"""
import json, statistics, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from cycle.periods import Month
from projects.models import Project
client = Client()
client.force_login(get_user_model().objects.get(username="leader"))
last = Month.current().previous()
result = {{"projects": Project.objects.count()}}
from django.test import override_settings
cases = (
    ("live", "/leaders/", 300),
    ("live summed for each request", "/leaders/", 0),
    ("frozen", f"/leaders/{{last.key}}/", 300),
)
for name, path, max_age in cases:
  with override_settings(ANJU_LIVE_FIGURES_SECONDS=max_age):
      for _ in range(3):
          assert client.get(path, secure=True).status_code == 200
      times = []
      for _ in range({runs}):
          started = time.perf_counter()
          response = client.get(path, secure=True)
          times.append((time.perf_counter() - started) * 1000)
          assert response.status_code == 200
      with CaptureQueriesContext(connection) as queries:
          client.get(path, secure=True)
      times.sort()
      result[name] = {{
          "median_ms": round(statistics.median(times), 1),
          "p95_ms": round(times[max(0, round(len(times) * 0.95) - 1)], 1),
          "queries": len(queries),
      }}
print(json.dumps(result))
"""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "False",
        "ANJU_DEMO": "False",
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    }
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[22, 1000, 10000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", metavar="FILE")
    options = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…).")
    # Production settings serve the static files' hashed names: collect them as a deployment does.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env={**os.environ, "DJANGO_DEBUG": "False", "ANJU_DEMO": "False"},
        check=True,
    )
    results = {}
    for size in options.sizes:
        url = database_url(base, size)
        ensure_database(url, size)
        results[size] = figures = measure(url, options.runs)
        for name in ("live", "live summed for each request", "frozen"):
            one = figures[name]
            print(
                f"overview {name} at {size} neighbourhoods ({figures['projects']} projects): "
                f"median {one['median_ms']} ms, p95 {one['p95_ms']} ms, {one['queries']} queries"
            )
    if options.json:
        with open(options.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
