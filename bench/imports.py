"""Importing a 100,000-household workbook, fully checked, against PostgreSQL's COPY of the
same rows (the floor).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju uv run python -m bench.imports

It uses the database ``anju_bench_imports`` (the demo county, ``bench.common``), where it
makes a benchmark community of 100
neighbourhoods of 20 buildings (6 floors, 4 units): room enough for 100,000 households. Each
run then, in a fresh child process (so its peak memory is its own):

1. empties the benchmark neighbourhoods' households and their change history;
2. writes the workbook (.xlsx, the template's 13 columns, ``--rows`` rows);
3. checks it (``imports.engine.check``: the dry run) and imports it (``apply``: checked again
   and written in one transaction with one change-history entry per household), timed;
4. for the floor, copies the same rows into a scratch copy of the household table with
   ``COPY … FROM STDIN`` (no checks, no history), timed.

Its figures: the whole (checked and imported) against the COPY floor, and the peak memory;
the median of ``--repeat`` runs.
"""

import argparse

from bench.common import ROOT, Figure, child_env, ensure_database, median, run_child

NEIGHBOURHOODS, BUILDINGS, FLOORS, UNITS = 100, 20, 6, 4
COMMUNITY = "基准测试社区"


def child(rows_wanted: int) -> None:
    """The measured run, in its own process (Django set up from the environment)."""
    import io
    import json
    import resource
    import time

    import django

    django.setup()
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.db import connection
    from openpyxl import Workbook

    from imports import engine
    from imports.models import ImportJob
    from residents.models import Building, Household, Neighbourhood, Region

    N, B, F, U = (NEIGHBOURHOODS, BUILDINGS, FLOORS, UNITS)
    community_name = COMMUNITY

    county = Region.objects.get(parent=None)
    town, _ = Region.objects.get_or_create(
        parent=county, name="基准测试镇", defaults={"level": "town"}
    )
    community, _ = Region.objects.get_or_create(
        parent=town, name=community_name, defaults={"level": "community"}
    )
    if not Neighbourhood.objects.filter(community=community).exists():
        hoods = Neighbourhood.objects.bulk_create(
            Neighbourhood(
                community=community, name=f"基准小区{n:03d}", address="基准路", year_built=1995
            )
            for n in range(N)
        )
        Building.objects.bulk_create(
            Building(neighbourhood=h, number=str(b + 1), floors=F, units=U)
            for h in hoods
            for b in range(B)
        )
    hoods = Neighbourhood.objects.filter(community=community)
    Household.objects.filter(building__neighbourhood__in=hoods).delete()
    LogEntry.objects.filter(change_message__contains='"imported"').delete()

    # The workbook: households spread over the neighbourhoods, buildings, units and floors.
    def rows():
        made = 0
        per_floor = max(1, -(-rows_wanted // (N * B * U * F)))
        for n in range(N):
            for b in range(B):
                for u in range(1, U + 1):
                    for f in range(1, F + 1):
                        for d in range(1, per_floor + 1):
                            if made == rows_wanted:
                                return
                            made += 1
                            yield [
                                community_name,
                                f"基准小区{n:03d}",
                                str(b + 1),
                                u,
                                f,
                                f"{f}{d:02d}",
                                f"住户{made}",
                                f"139{made:08d}",
                                None,
                                3,
                                1,
                                0,
                                "自住",
                            ]

    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("住户")
    sheet.append(
        [
            "社区",
            "小区",
            "楼栋号",
            "单元",
            "楼层",
            "房号",
            "户主姓名",
            "联系电话",
            "身份证号",
            "人口",
            "60岁以上老人",
            "残疾人",
            "居住情况",
        ]
    )
    for row in rows():  # generated again for the floor: the import's memory is its own
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    made_in = time.perf_counter() - started
    size = len(buffer.getvalue())
    office = get_user_model().objects.get(username="office")
    job = ImportJob(kind="households", file_name="住户.xlsx", uploaded_by=office, state="checking")
    job.file.save("bench.xlsx", ContentFile(buffer.getvalue()), save=False)
    job.save()
    del buffer, workbook

    started = time.perf_counter()
    engine.check(job)
    checked = time.perf_counter() - started
    assert job.state == "checked", (job.state, job.message, job.counts)
    started = time.perf_counter()
    engine.apply(job, office)
    applied = time.perf_counter() - started
    assert job.state == "done", (job.state, job.message)
    assert Household.objects.filter(building__neighbourhood__in=hoods).count() == rows_wanted
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The floor: the same rows COPied into a scratch copy of the table.
    buildings = {
        (nb, num): pk
        for pk, nb, num in Building.objects.filter(neighbourhood__in=hoods).values_list(
            "pk", "neighbourhood__name", "number"
        )
    }
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copy_floor (LIKE residents_household INCLUDING DEFAULTS)")
        cursor.execute("ALTER TABLE copy_floor ALTER COLUMN id DROP NOT NULL")
        started = time.perf_counter()
        columns = (
            "building_id, unit, floor, room, head_name, phone, id_number, people, elderly, "
            "disabled, occupancy"
        )
        with cursor.connection.cursor().copy(f"COPY copy_floor ({columns}) FROM STDIN") as copy:
            for r in rows():
                copy.write_row(
                    (
                        buildings[(r[1], r[2])],
                        r[3],
                        r[4],
                        r[5],
                        r[6],
                        r[7],
                        "",
                        r[9],
                        r[10],
                        r[11],
                        "owner",
                    )
                )
        floor = time.perf_counter() - started
    job.file.delete(save=False)
    job.report.delete(save=False)
    print(
        json.dumps(
            {
                "rows": rows_wanted,
                "file_mb": round(size / 2**20, 1),
                "check_s": round(checked, 2),
                "import_s": round(applied, 2),
                "total_s": round(checked + applied, 2),
                "peak_mb": round(peak),
                "copy_s": round(floor, 2),
                "workbook_s": round(made_in, 1),
            }
        )
    )


def run(rows: int = 100_000, repeat: int = 3) -> list[Figure]:
    url = ensure_database("imports")
    env = child_env(
        url,
        ANJU_IMPORT_MAX_ROWS=str(max(rows, 200_000)),
        DJANGO_MEDIA_ROOT=str(ROOT / "var" / "bench-media"),
    )
    results = [run_child("bench.imports", url, str(rows), env=env) for _ in range(repeat)]
    totals = [r["total_s"] for r in results]
    peaks = [r["peak_mb"] for r in results]
    copy = median([r["copy_s"] for r in results])
    check = median([r["check_s"] for r in results])
    size = results[0]["file_mb"]
    return [
        Figure(
            f"household import of {rows:,} rows from .xlsx",
            median(totals),
            "s",
            floor=copy,
            target="≤ 30 s",
            met=median(totals) <= 30,
            runs=totals,
            notes=f"{size} MB file; of which checking {check} s; floor: COPY of the same rows",
        ),
        Figure(
            f"household import of {rows:,} rows: peak memory",
            median(peaks),
            "MB",
            target="≤ 500 MB",
            met=max(peaks) <= 500,
            runs=peaks,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    for figure in run(options.rows, options.repeat):
        print(figure.line())


if __name__ == "__main__":
    main()
