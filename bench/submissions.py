"""Residents' answers under load: a running gunicorn on loopback, answers sent by wrk.

It reads the database ``anju_bench_submissions`` (the demo county, ``bench.common``) and:

1. issues a link for every household on the roll of an open satisfaction survey, and writes
   "token round" lines for wrk (``var/bench/answers.txt``);
2. starts gunicorn (``--workers``, one per core by default: more only share the same CPU
   and lengthen the queue; production settings with the floor view and no rate
   limits: ``bench.settings``) on 127.0.0.1 and waits for ``/healthz``;
3. runs wrk (``--connections`` connections, ``--seconds`` seconds, ``bench/answers.lua``):
   each request answers the survey through the next household's link, as a phone would
   post the form (CSRF cookie and token, HTTPS forwarded by the proxy); then the same load on
   the floor, a minimal Django view doing one INSERT; ``--repeat`` times each;
4. checks that every household that was sent answers has exactly one answer, and that 200
   simultaneous answers for one household (threads released together) leave exactly one.

Targets: ≥ 400 answers a second, p95 ≤ 200 ms, no error.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju uv run python -m bench.submissions
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from bench.common import ROOT, Figure, child_env, ensure_database, median, run_child

PORT = 8098
TOKENS = ROOT / "var" / "bench" / "answers.txt"
CSRF = "benchcsrftokenbenchcsrftoken0123"


def child(mode: int) -> None:
    """1: issue the links and prepare the floor's table; 2: count the answers."""
    import django

    django.setup()
    from django.db import connection

    from acceptance.models import Respondent, SatisfactionAnswer
    from surveys import links

    if mode == 1:
        respondents = Respondent.objects.filter(survey_round__closed_at__isnull=True)
        respondents = respondents.select_related("household")
        TOKENS.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{links.issue_link(r.household)} {r.survey_round_id}\n" for r in respondents]
        TOKENS.write_text("".join(lines))
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_floor (at timestamptz NOT NULL)")
            cursor.execute("TRUNCATE bench_floor")
        print(json.dumps({"links": len(lines)}))
    else:
        answered = Respondent.objects.filter(
            survey_round__closed_at__isnull=True, answered_at__isnull=False
        )
        answers = SatisfactionAnswer.objects.filter(survey_round__closed_at__isnull=True)
        per_household = answers.values("respondent__household").distinct().count()
        print(
            json.dumps(
                {
                    "answered": answered.count(),
                    "answers": answers.count(),
                    "households": per_household,
                }
            )
        )


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped: exit {server.returncode} (var/bench/gunicorn.log)")
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    sys.exit("gunicorn did not answer /healthz within 60 s")


def _wrk(kind: str, connections: int, seconds: int) -> dict:
    output = subprocess.run(
        [
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "5s",
            "--script",
            str(ROOT / "bench" / "answers.lua"),
            f"http://127.0.0.1:{PORT}",
            "--",
            str(TOKENS),
            kind,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def _simultaneous(token: str, round_id: str, count: int = 200) -> list:
    """``count`` answers for one household, released together; their HTTP statuses."""
    barrier = threading.Barrier(count)
    statuses = []
    body = (
        f"csrfmiddlewaretoken={CSRF}&survey_round={round_id}&overall=satisfied"
        "&content=satisfied&process=satisfied&long_term=satisfied&comment="
    ).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def post():
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/h/{token}/satisfaction/",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={CSRF}",
                "X-Forwarded-Proto": "https",
                "Origin": f"https://127.0.0.1:{PORT}",
            },
        )
        barrier.wait(timeout=30)
        try:
            with opener.open(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
        except OSError as error:
            statuses.append(repr(error))

    threads = [threading.Thread(target=post) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def run(repeat: int = 3, workers: int = 0, connections: int = 16, seconds: int = 10) -> list:
    workers = workers or max(2, os.cpu_count() or 1)  # one per core: the CPU is the limit
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")
    url = ensure_database("submissions")
    links = run_child("bench.submissions", url, "1")["links"]
    env = child_env(url, DJANGO_SETTINGS_MODULE="bench.settings")
    log = open(ROOT / "var" / "bench" / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stderr=log,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{PORT}/healthz", server)
        _wrk("answers", connections, 2)  # warm the workers
        answers, floors = [], []
        for _ in range(repeat):
            answers.append(_wrk("answers", connections, seconds))
            floors.append(_wrk("floor", connections, seconds))
        first_token, first_round = TOKENS.read_text().split("\n", 1)[0].split()
        statuses = _simultaneous(first_token, first_round)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    counted = run_child("bench.submissions", url, "2")
    rate = median([a["rate"] for a in answers])
    floor_rate = median([f["rate"] for f in floors])
    p95 = median([a["p95_us"] / 1000 for a in answers])
    errors = sum(a["errors"] for a in answers)
    one_each = counted["answers"] == counted["households"] == counted["answered"]
    only_redirects = all(status == 302 for status in statuses)
    return [
        Figure(
            f"survey answers through household links ({workers} gunicorn workers, "
            f"{connections} connections, {links} links)",
            round(rate, 1),
            "answers/s",
            floor=round(floor_rate, 1),
            floor_unit="inserts/s (one-INSERT view)",
            target="≥ 400/s",
            met=rate >= 400,
            runs=[round(a["rate"], 1) for a in answers],
        ),
        Figure(
            "survey answer latency p95",
            round(p95, 1),
            "ms",
            floor=round(median([f["p95_us"] / 1000 for f in floors]), 1),
            target="≤ 200 ms",
            met=p95 <= 200,
            runs=[round(a["p95_us"] / 1000, 1) for a in answers],
            notes=f"p50 {median([a['p50_us'] / 1000 for a in answers])} ms",
        ),
        Figure(
            "survey answers failed",
            errors,
            "errors",
            target="0, one answer per household",
            met=errors == 0 and one_each,
            notes=(
                f"{counted['households']} households answered, {counted['answers']} answers stored"
            ),
        ),
        Figure(
            "200 simultaneous answers of one household",
            sum(1 for s in statuses if s == 302),
            "accepted",
            target="all answered, one answer kept",
            met=only_redirects and one_each,
            notes="statuses " + ", ".join(sorted({str(s) for s in statuses})),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="default: one per core")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    for figure in run(options.repeat, options.workers, options.connections, options.seconds):
        print(figure.line())


if __name__ == "__main__":
    main()
