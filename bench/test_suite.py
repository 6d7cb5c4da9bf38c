"""``make test``'s wall time, as CI runs it (PostgreSQL and Redis), beside its floor: the
same pytest collecting the suite without running it (interpreter, Django, imports)."""

import os
import subprocess
import time

from bench.common import ROOT, Figure, database_url


def run() -> list[Figure]:
    env = {**os.environ, "DATABASE_URL": database_url("tests")}
    started = time.monotonic()
    subprocess.run(
        ["make", "-s", "test", "PYTEST_ARGS=--create-db -q -p no:randomly --collect-only"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    floor = time.monotonic() - started
    started = time.monotonic()
    finished = subprocess.run(
        ["make", "-s", "test", "PYTEST_ARGS=--create-db -q"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    summary = (finished.stdout.strip().splitlines() or ["?"])[-1]
    return [
        Figure(
            "make test wall time",
            round(wall, 1),
            "s",
            floor=round(floor, 1),
            floor_unit="s (collecting only)",
            target="≤ 600 s, green",
            met=finished.returncode == 0 and wall <= 600,
            runs=[round(wall, 1)],
            notes=summary,
        )
    ]
