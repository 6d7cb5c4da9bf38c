"""``make bench``: every benchmark scenario, one line per figure and a JSON file of the same.

    uv run python -m bench [--only imports overview submissions month_close tests] \\
        [--quick] [--json var/bench/results.json]

``--quick`` runs each scenario fewer times and smaller (for trying the harness, not for
figures to quote). The scenarios and how to read them are in the README ("Benchmarks").
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

from bench.common import ROOT

SCENARIOS = ("imports", "overview", "submissions", "month_close", "tests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "results.json"))
    options = parser.parse_args()
    quick = options.quick

    from bench import imports, month_close, overview, submissions, test_suite

    runs = {
        "imports": lambda: imports.run(10_000 if quick else 100_000, 1 if quick else 3),
        "overview": lambda: overview.run(
            (22, 1000) if quick else (22, 1000, 10000), 5 if quick else 20
        ),
        "submissions": lambda: submissions.run(1 if quick else 3, seconds=3 if quick else 10),
        "month_close": lambda: month_close.run(
            1 if quick else 3, (1000,) if quick else (1000, 10000)
        ),
        "tests": test_suite.run,
    }
    figures = []
    started = time.monotonic()
    for name in SCENARIOS:
        if name not in options.only:
            continue
        print(f"== {name}", flush=True)
        for figure in runs[name]():
            print(figure.line(), flush=True)
            figures.append(figure.as_dict() | {"scenario": name})
    path = Path(options.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        json.dump(
            {
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                },
                "seconds": round(time.monotonic() - started),
                "figures": figures,
            },
            out,
            indent=2,
            ensure_ascii=False,
        )
    print(f"Figures written to {path}")


if __name__ == "__main__":
    main()
