"""The month's close for a province-sized programme, on one worker: the dispatch round (the
month's dispatch sheet of every project under way), then the close (snapshots, inspection
report, ranking, bulletin), as beat runs them (``cycle.jobs.open_month``, ``close_month``).

It reads the databases ``anju_bench_1000`` and ``anju_bench_10000`` (``bench.common``),
deletes the current month's dispatch sheets, and runs the jobs again (``force``): the current
month's dispatch round and last month's close, the same work as on the 1st of a month. Each run is a
fresh process; the queries are counted, and must be the same at both sizes (batched: their
number does not grow with the projects).

The floor is the least a close could write: one row per project, copied by PostgreSQL from
the projects table into a scratch table (``INSERT … SELECT``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju uv run python -m bench.month_close
"""

import argparse
import json

from bench.common import Figure, ensure_database, median, run_child


def child(_runs: int) -> None:
    import time

    import django

    django.setup()
    from django.db import connection

    from cycle import jobs
    from cycle.models import Dispatch
    from cycle.periods import Month
    from projects.models import Project

    queries = {"n": 0}

    def count(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    current = Month.current()
    # The dispatch round opens every sheet afresh, as on the 1st of a month.
    Dispatch.objects.filter(month=current.first).delete()
    result = {"projects": Project.objects.count()}
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        jobs.open_month(current, force=True)
        result["dispatch_s"] = time.perf_counter() - started
        result["dispatch_queries"] = queries["n"]
        queries["n"] = 0
        started = time.perf_counter()
        run = jobs.close_month(current.previous(), force=True)
        result["close_s"] = time.perf_counter() - started
        result["close_queries"] = queries["n"]
    assert run.state == "done", run.error
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE floor_snapshot AS SELECT * FROM projects_project LIMIT 0")
        started = time.perf_counter()
        cursor.execute("INSERT INTO floor_snapshot SELECT * FROM projects_project")
        result["floor_s"] = time.perf_counter() - started
    print(json.dumps(result))


def run(repeat: int = 3, sizes=(1000, 10000)) -> list[Figure]:
    measured = {}
    for size in sizes:
        url = ensure_database(str(size), scale=size)
        measured[size] = [run_child("bench.month_close", url, "1") for _ in range(repeat)]
    figures = []
    for size, results in measured.items():
        totals = [r["dispatch_s"] + r["close_s"] for r in results]
        figures.append(
            Figure(
                f"month close at {size} neighbourhoods ({results[0]['projects']} projects)",
                median(totals),
                "s",
                floor=median([r["floor_s"] for r in results]),
                target="≤ 60 s at 10,000" if size >= 10000 else "",
                met=median(totals) <= 60 if size >= 10000 else None,
                runs=[round(t, 2) for t in totals],
                notes=(
                    f"dispatch {median([r['dispatch_s'] for r in results])} s "
                    f"({results[0]['dispatch_queries']} queries), close "
                    f"{median([r['close_s'] for r in results])} s "
                    f"({results[0]['close_queries']} queries)"
                ),
            )
        )
    if len(measured) > 1:
        counts = {
            size: (results[0]["dispatch_queries"], results[0]["close_queries"])
            for size, results in measured.items()
        }
        smallest, largest = min(counts), max(counts)
        figures.append(
            Figure(
                f"month close queries at {largest} over queries at {smallest}",
                round(sum(counts[largest]) / sum(counts[smallest]), 2),
                "×",
                target="1.0 (batched)",
                met=counts[largest] == counts[smallest],
                notes="; ".join(f"{s}: {d} + {c}" for s, (d, c) in counts.items()),
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    for figure in run(options.repeat, options.sizes):
        print(figure.line())


if __name__ == "__main__":
    main()
