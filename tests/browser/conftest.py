"""Browser tests: Playwright driving Debian's headless Chromium against a live server.

Run them with ``make e2e`` (``make test`` leaves this directory out: it must stay fast and
need no browser). What they need and how they behave:

- **The browser** is Debian's ``chromium`` (``apt-get install chromium fonts-wqy-microhei``;
  ``.ci/run`` installs it), at ``/usr/bin/chromium`` or wherever ``ANJU_CHROMIUM`` points.
  Playwright's own browser download does not work on the project's machines: never run
  ``playwright install``. Without the browser the tests are skipped on a developer's machine
  and fail in CI (``CI=true``), where it must be there.
- **The site** is served by pytest-django's ``live_server`` (a thread of this process on
  localhost), so every test is transactional: the data must be committed for the server's
  thread to see it. ``serialized_rollback`` puts back what the migrations installed (roles,
  the catalogue of kinds of work, the ranking criteria) after each test's flush.
- **SQLite:** without ``DATABASE_URL`` the test database is a file (``var/test-browser.sqlite3``,
  removed after the run) rather than Django's in-memory one. The live server answers requests
  in threads, and the page's own requests (an autocomplete's, the favicon) overlap the next
  one; a shared in-memory SQLite database refuses a second transaction at once ("database
  table is locked"), where a file waits for it as the site's SQLite settings ask.
- **Django and Playwright's sync API:** Playwright runs an asyncio event loop in this thread,
  and Django then refuses database access "from an async context" in the test's own code
  (fixtures, factories, ``seed_demo``). ``DJANGO_ALLOW_ASYNC_UNSAFE`` turns that guard off for
  the test process only: the standard workaround for tests, never set for the site itself.
- **The Content Security Policy** (``CONTENT_SECURITY_POLICY`` in config/settings.py) refuses
  inline scripts. Every page a test opens is watched: a refusal Chromium reports on the console
  ("Refused to …", "Content Security Policy") or an uncaught JavaScript error fails the test
  that met it, unless the test named it beforehand with ``pages.allow(…)`` and a reason.
- **Screenshots** go to ``var/artefacts/screenshots/<test name>-<viewport>.png`` (git-ignored;
  CI leaves them there), one per page and viewport a test looks at, and a ``-failed`` one of
  every page still open when a test fails.
"""

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Before Django or Playwright run anything: see the module's docstring.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "artefacts" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("ANJU_CHROMIUM", "/usr/bin/chromium")
#: The flags that work on machines without a network outside (see ../shared/TESTING.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A phone (an iPhone 12–15's CSS pixels) and a common office laptop.
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
#: Seconds Playwright waits for a page or an element before failing the test.
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items):
    """Every test here is a browser test: mark it ``browser`` (``-m "not browser"`` leaves
    them out of any run)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium against a live server (make e2e)"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, for the screenshots of a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that passed fails after all when a page it opened met a refusal of the Content
    Security Policy or a JavaScript error it did not ``allow``."""
    result = yield
    pages = item.funcargs.get("pages")
    if isinstance(pages, Pages):
        problems = pages.unexpected_problems()
        assert not problems, "the pages met problems:\n" + "\n".join(map(str, problems))
    return result


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, a test database in a file: see the module's docstring."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(ROOT / "var" / "test-browser.sqlite3")


# --- The browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium (``ANJU_CHROMIUM``, default ``/usr/bin/chromium``): skipped when
    missing, failed when missing in CI."""
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (
        f"needs Chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei, "
        "or set ANJU_CHROMIUM)"
    )
    if IN_CI:
        pytest.fail(f"CI {reason}, and it is not there.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass(frozen=True)
class PageProblem:
    """A refusal of the Content Security Policy, or a JavaScript error, on one page."""

    url: str
    kind: str  # "csp" or "error"
    text: str

    def __str__(self):
        return f"{self.kind} at {self.url}: {self.text}"


def is_policy_refusal(text: str) -> bool:
    return "Content Security Policy" in text or text.startswith("Refused to")


class Pages:
    """Opens pages of the live server at a named viewport, each in its own browser context
    (its own cookies, so a login holds for that page only), and closes them after the test.

    Every page is watched for refusals of the Content Security Policy and uncaught JavaScript
    errors (``problems``); the test fails on any it did not ``allow`` (see
    ``pytest_runtest_call``)."""

    def __init__(self, browser, base_url: str, test_name: str):
        self.browser = browser
        self.base_url = base_url
        self.test_name = test_name
        self.opened = []  # (viewport name, context, page)
        self.problems: list[PageProblem] = []
        self.allowed: list[tuple[str, str]] = []  # (part of the path, part of the text)

    def allow(self, *, path: str, text: str, reason: str):
        """Let a problem whose page's path contains ``path`` and whose text contains ``text``
        pass; ``reason`` says why it is harmless (and documents it where it is allowed)."""
        assert reason.strip(), "say why the problem is harmless"
        self.allowed.append((path, text))

    def _watch(self, page):
        def console(message):
            if message.type == "error" and is_policy_refusal(message.text):
                self.problems.append(PageProblem(page.url, "csp", message.text))

        def page_error(error):
            self.problems.append(PageProblem(page.url, "error", str(error)))

        page.on("console", console)
        page.on("pageerror", page_error)

    def unexpected_problems(self) -> list[PageProblem]:
        """The problems met so far that no ``allow`` covers (after the browser's pending
        events are read, so that a refusal on the last page is not missed)."""
        for _viewport, _context, page in self.opened:
            if not page.is_closed():
                with contextlib.suppress(Exception):
                    page.evaluate("0")  # a round trip: the console events before it arrive
        return [
            problem
            for problem in self.problems
            if not any(
                path in urlsplit(problem.url).path and text in problem.text
                for path, text in self.allowed
            )
        ]

    def open(self, viewport: str):
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **VIEWPORTS[viewport],
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        self._watch(page)
        self.opened.append((viewport, context, page))
        return page

    def close(self, *, failed: bool):
        for viewport, context, page in self.opened:
            if failed and not page.is_closed():
                # The page may be what broke; the test's own error says more.
                with contextlib.suppress(Exception):
                    screenshot(page, f"{self.test_name}-{viewport}-failed")
            context.close()
        self.opened = []


@pytest.fixture
def pages(request, browser, live_server):
    """``pages.open("phone")`` / ``pages.open("desktop")``: a fresh page of the live server
    at that width (``page.goto("/login/")`` is relative to the server)."""
    opened = Pages(browser, live_server.url, _file_name(request.node.name))
    yield opened
    report = getattr(request.node, "report_call", None)
    opened.close(failed=bool(report and report.failed))


# --- What tests do with pages ----------------------------------------------------------------


def _file_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as ``var/artefacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{_file_name(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shoot(request):
    """``shoot(page, "phone")`` saves ``<test name>-phone.png``."""

    def shoot(page, viewport: str) -> Path:
        return screenshot(page, f"{request.node.name}-{viewport}")

    return shoot


def visit(page, path: str):
    """Open ``path`` of the live server and fail unless it answers with a success."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.ok, f"{path} answered {response.status}"
    return response


def log_in(page, username: str, password: str, *, next_path: str = "/"):
    """Log in through the portal's login page (``/login/``), then go to ``next_path``."""
    visit(page, f"/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("form[action='/login/'] button[type=submit]").click()
    assert "/login/" not in page.url, f"{username} could not log in"


def log_in_to_admin(page, username: str, password: str, *, next_path: str = "/admin/"):
    """Log in through the admin's login page (``/admin/login/``), for staff accounts."""
    visit(page, f"/admin/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    assert "/login/" not in page.url, f"{username} could not log in to the admin"


def horizontal_overflow(page) -> dict | None:
    """``None`` when the page is no wider than the window (a table scrolling inside its own
    ``.table-wrap`` is fine); otherwise the widths and the elements that stick out."""
    return page.evaluate(
        """() => {
          const root = document.documentElement;
          const width = window.innerWidth;
          if (root.scrollWidth <= width + 1) return null;
          const clipped = (el) => {
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              const s = getComputedStyle(p);
              if (s.overflowX !== 'visible') return true;
            }
            return false;
          };
          const culprits = [];
          for (const el of document.body.querySelectorAll('*')) {
            const box = el.getBoundingClientRect();
            if (box.right > width + 1 && !clipped(el)) {
              const id = el.id ? '#' + el.id : '';
              const cls = el.classList.length ? '.' + [...el.classList].join('.') : '';
              const right = Math.round(box.right);
              culprits.push(el.tagName.toLowerCase() + id + cls + ' right=' + right);
              if (culprits.length >= 10) break;
            }
          }
          return {scrollWidth: root.scrollWidth, innerWidth: width, culprits};
        }"""
    )


def assert_fits_the_width(page):
    overflow = horizontal_overflow(page)
    assert overflow is None, f"{page.url} scrolls sideways: {overflow}"
