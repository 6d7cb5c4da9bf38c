"""Security settings: the Content Security Policy and its pages without inline scripts, framing,
the login lockout behind a proxy, strong passwords, sessions that expire, production cookies."""

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from config.client_ip import client_ip
from config.sessions import REFRESH_SECONDS, SEEN
from residents.roles import Role
from surveys.links import issue_link

from .conftest import make_user
from .test_settings import PRODUCTION_ENV, run_manage

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long and private passphrase"

#: An inline script (a <script> element without src) or an inline event handler (onclick=…).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=\s*[\"']", re.I)


#: Inline handlers of third-party templates that the policy refuses and static/js/anju.js binds
#: instead: django-import-export's "select all" box on its export form.
REFUSED_AND_REBOUND = re.compile(
    r'<input[^>]*class="select-toggle"[^>]*onchange="onSelectToggleChange\(event\)"[^>]*>'
)


def inline_scripts(response) -> list[str]:
    return INLINE_SCRIPT.findall(REFUSED_AND_REBOUND.sub("", response.content.decode()))


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


# --- Content Security Policy and framing ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/login/", "/admin/login/", "/healthz"])
def test_every_answer_carries_a_policy_without_inline_scripts_and_refuses_framing(client, url):
    response = client.get(url)
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_of_anju_holds_an_inline_script_or_event_handler():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted(ROOT.glob("templates/**/*.html"))
        for match in INLINE_SCRIPT.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_pages_of_the_three_kinds_of_user_render_without_inline_scripts(client, registers):
    """What the policy would refuse is absent from the rendered pages: the admin's own
    templates and django-import-export's included."""
    client.force_login(make_user(Role.OFFICE))
    staff_pages = [
        reverse("admin:index"),
        reverse("admin:residents_household_changelist"),
        reverse("admin:residents_household_change", args=[registers.a.household.pk]),
        reverse("admin:imports_importjob_upload", args=["households"]),
        reverse("admin:residents_household_export"),
        reverse("admin:projects_project_add"),
    ]
    for url in staff_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_scripts(response) == [], url
    client.logout()
    client.force_login(make_user(Role.LEADER))
    response = client.get(reverse("leaders:overview"))
    assert inline_scripts(response) == []
    client.logout()
    response = client.get(
        reverse("surveys:household_home", args=[issue_link(registers.a.household)])
    )
    assert response.status_code == 200
    assert inline_scripts(response) == []


def test_the_page_behaviours_are_a_static_script_bound_to_data_attributes():
    script = (ROOT / "static/js/anju.js").read_text()
    assert "select[data-submit-on-change]" in script
    assert "button[data-print]" in script
    switcher = (ROOT / "templates/includes/language_switcher.html").read_text()
    assert "data-submit-on-change" in switcher


# --- Login lockout (django-axes) -----------------------------------------------------------------


@pytest.fixture
def clerk(db):
    return make_user(Role.OFFICE, username="clerk", password=PASSWORD)


def log_in(client, password, *, login_url="/login/", **headers):
    return client.post(login_url, {"username": "clerk", "password": password}, **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_five_wrong_passwords_pause_the_account_from_that_address(client, clerk, login_url):
    for _ in range(4):
        assert log_in(client, "wrong", login_url=login_url).status_code == 200
    assert log_in(client, "wrong", login_url=login_url).status_code == 429
    response = log_in(client, PASSWORD, login_url=login_url)
    assert response.status_code == 429
    assert "登录已暂停" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="clerk").failures_since_start >= 5


@pytest.mark.django_db
def test_a_pause_ends_after_the_cool_off_time(client, clerk):
    for _ in range(5):
        log_in(client, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert log_in(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_success_before_the_limit_starts_the_count_again(client, clerk):
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_behind_a_proxy_the_pause_holds_the_visitor_not_everyone_behind_the_proxy(
    client, clerk, settings
):
    """Every request comes from the proxy's address; the visitor's is the last entry of
    X-Forwarded-For (the one the proxy saw), whatever the visitor put before it."""
    settings.ANJU_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for number in range(5):  # the attacker varies the part of the header it controls
        log_in(client, "wrong", HTTP_X_FORWARDED_FOR=f"1.2.3.{number}, 203.0.113.7", **proxy)
    locked = log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert locked.status_code == 429
    colleague = log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert colleague.status_code == 302


@pytest.mark.parametrize(
    ("header", "meta", "address"),
    [
        ("", {"REMOTE_ADDR": "192.0.2.9", "HTTP_X_REAL_IP": "203.0.113.7"}, "192.0.2.9"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"},
         "203.0.113.7"),
        ("HTTP_X_FORWARDED_FOR", {"REMOTE_ADDR": "10.0.0.1",
         "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7"}, "203.0.113.7"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "not an address"},
         "10.0.0.1"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "2001:db8::1"},
         "2001:db8::1"),
    ],
)  # fmt: skip
def test_the_visitors_address(settings, header, meta, address):
    settings.ANJU_CLIENT_IP_HEADER = header
    request = RequestFactory().get("/")
    request.META.update(meta)
    assert client_ip(request) == address


# --- Passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["short-pass1", "password1234", "123456789012", "clerk-clerk-clerk"]
)
@pytest.mark.django_db
def test_weak_passwords_are_refused(password):
    user = make_user(Role.OFFICE, username="clerk-clerk")
    with pytest.raises(ValidationError):
        validate_password(password, user)


@pytest.mark.django_db
def test_a_long_private_passphrase_is_accepted():
    validate_password(PASSWORD, make_user(Role.OFFICE))


# --- Sessions ---------------------------------------------------------------------------------


def stored_session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


@pytest.mark.django_db
def test_a_session_cookie_lasts_until_the_browser_closes_and_is_http_only(client, clerk):
    response = log_in(client, PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_an_idle_session_ends_and_a_working_one_is_kept_alive(client, clerk, settings):
    log_in(client, PASSWORD)
    expiry = stored_session(client).expire_date
    assert abs(expiry - (timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))) < (
        timedelta(minutes=1)
    )
    # Working within the minute: the session is not written again.
    client.get("/")
    assert stored_session(client).expire_date == expiry
    # Working a little later: the expiry moves on.
    session = client.session
    session[SEEN] = int(time.time()) - REFRESH_SECONDS
    session.save()
    Session.objects.filter(pk=session.session_key).update(expire_date=expiry - timedelta(hours=1))
    client.get("/")
    assert stored_session(client).expire_date > expiry - timedelta(minutes=1)
    # Idle past the expiry: logged out.
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- Production ------------------------------------------------------------------------------


def test_production_settings_are_https_only_with_secure_cookies_and_no_debug():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({name: "
        "getattr(s, name) for name in ['DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE',"
        " 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        " 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'X_FRAME_OPTIONS',"
        " 'SECURE_PROXY_SSL_HEADER']}))"
    )
    result = run_manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


@pytest.mark.django_db
def test_https_answers_carry_hsts_and_plain_http_is_sent_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain.url.startswith("https://")
    secure = client.get("/login/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_the_daily_run_forgets_staff_logins_older_than_their_keeping_time(settings):
    from axes.models import AccessLog

    from cycle.tasks import daily

    settings.ANJU_LOGIN_RECORDS_DAYS = 180
    now = timezone.now()
    for days in (181, 179, 1):
        log = AccessLog.objects.create(username="clerk", ip_address="192.0.2.9", user_agent="x")
        # attempt_time is set on creation: moved back afterwards.
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=now - timedelta(days=days))
    assert daily()["logins_forgotten"] == 1
    ages = [(now - time).days for time in AccessLog.objects.values_list("attempt_time", flat=True)]
    assert sorted(ages) == [1, 179]


@pytest.mark.django_db
def test_the_county_office_reads_the_login_records_in_chinese(client):
    client.force_login(make_user(Role.OFFICE))
    page = client.get(reverse("admin:index")).content.decode()
    assert "登录记录" in page and "登录失败记录" in page and "登录日志" in page
    AccessAttempt.objects.create(username="clerk", ip_address="192.0.2.9", failures_since_start=5)
    page = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "尝试时间" in page and "网络地址" in page and "已暂停登录" in page
    assert re.search(r'class="column-status">\s*<div class="text"><span>状态</span>', page)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_pages_name_anjus_own_icon(client, url):
    from django.contrib.staticfiles import finders

    assert 'rel="icon" href="/static/favicon.svg"' in client.get(url).content.decode()
    assert finders.find("favicon.svg")
