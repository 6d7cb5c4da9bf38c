"""``make test``'s wall time, as CI runs it (PostgreSQL and Redis), beside its floor: the
same pytest collecting the suite without running it (interpreter, Django, imports)."""

import os
import subprocess
import time

from bench.common import ROOT, Figure, database_url


def _make_test(pytest_args: str, **options) -> tuple[float, subprocess.CompletedProcess]:
    """``make test`` with ``pytest_args`` on the benchmark's database: seconds taken, result."""
    env = {**os.environ, "DATABASE_URL": database_url("tests")}
    started = time.monotonic()
    result = subprocess.run(
        ["make", "-s", "test", f"PYTEST_ARGS=--create-db -q {pytest_args}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        **options,
    )
    return time.monotonic() - started, result


def run() -> list[Figure]:
    floor, _collected = _make_test("-p no:randomly --collect-only", check=True)
    wall, finished = _make_test("")
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
