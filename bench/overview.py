"""The leader overview's server time at several sizes of county.

For each size N (22: the demo county alone; then the demo county plus N synthetic
neighbourhoods, each with its project) it reads the database ``anju_bench_<N>``
(``bench.common.ensure_database``) and asks, through Django's test client as the demo leader,
for the live overview (``/leaders/``) and last month's frozen one: a few requests to warm
up, then ``--runs`` timed ones.

- "live" is the current month as leaders read it: its figures at most
  ``ANJU_LIVE_FIGURES_SECONDS`` old, from the cache;
- "live summed" sums them for each request (what the refresh task and the first reader pay);
- "frozen" is last month, read from its snapshot.

The floor is the raw SQL of the snapshot read: last month's ``CountySnapshot`` row fetched
by a bare cursor, the least a page of it could cost. The targets: the same number of queries
at every size, and the 10,000 time within 3× the 22 time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju uv run python -m bench.overview \\
        --sizes 22 1000 10000
"""

import argparse
import json
import statistics
import sys

from bench.common import (
    Figure,
    collectstatic,
    ensure_database,
    median,
    percentile,
    run_child,
)

CASES = (("live", 300), ("live summed", 0), ("frozen", 300))


def child(runs: int) -> None:
    import time

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from cycle.periods import Month
    from projects.models import Project

    client = Client()
    client.force_login(get_user_model().objects.get(username="leader"))
    last = Month.current().previous()
    paths = {"live": "/leaders/", "live summed": "/leaders/", "frozen": f"/leaders/{last.key}/"}
    result = {"projects": Project.objects.count()}
    for name, max_age in CASES:
        with override_settings(ANJU_LIVE_FIGURES_SECONDS=max_age):
            for _ in range(3):
                assert client.get(paths[name], secure=True).status_code == 200
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(paths[name], secure=True)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as queries:
                client.get(paths[name], secure=True)
        result[name] = {"times_ms": times, "queries": len(queries)}
    floor = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(
                "SELECT id, month, figures FROM cycle_countysnapshot WHERE month = %s",
                [last.first],
            )
            assert cursor.fetchone() is not None, "last month is frozen by seed_demo"
            floor.append((time.perf_counter() - started) * 1000)
    result["floor_ms"] = statistics.median(floor)
    print(json.dumps(result))


def run(sizes=(22, 1000, 10000), runs: int = 20) -> list[Figure]:
    collectstatic()
    figures, by_size = [], {}
    for size in sizes:
        url = ensure_database(str(size), scale=0 if size <= 22 else size)
        measured = run_child("bench.overview", url, str(runs))
        by_size[size] = measured
        floor = round(measured["floor_ms"], 2)
        for name, _max_age in CASES:
            one = measured[name]
            times = one["times_ms"]
            figures.append(
                Figure(
                    f"overview {name} at {size} neighbourhoods ({measured['projects']} projects)",
                    median(times),
                    "ms",
                    floor=floor,
                    runs=[round(t, 1) for t in times],
                    notes=f"p95 {percentile(times, 0.95):.1f} ms, {one['queries']} queries",
                )
            )
    if len(by_size) > 1:
        smallest, largest = min(by_size), max(by_size)
        for name in ("live", "frozen"):
            counts = {size: by_size[size][name]["queries"] for size in by_size}
            small = statistics.median(by_size[smallest][name]["times_ms"])
            large = statistics.median(by_size[largest][name]["times_ms"])
            figures.append(
                Figure(
                    f"overview {name}: time at {largest} over time at {smallest}",
                    round(large / small, 2),
                    "×",
                    target="≤ 3× and the same queries at every size",
                    met=large <= 3 * small and len(set(counts.values())) == 1,
                    notes="queries " + ", ".join(f"{s}: {n}" for s, n in counts.items()),
                )
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[22, 1000, 10000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    for figure in run(options.sizes, options.runs):
        print(figure.line())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
