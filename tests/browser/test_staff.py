"""The county office at a desk, in the admin: logging in with a real password, importing a
household workbook (upload, check, confirmation), approving a project whose consultation is
complete from the list's action bar, being told why one whose consultation is not complete
cannot be approved, exporting the household register; and the login paused after five wrong
passwords.

The admin pages visited here run the admin's own scripts (the action bar's counter, the date
picker, the autocomplete selects) and django-import-export's: the watch of ``conftest.Pages``
fails the test on any refusal of the Content Security Policy or JavaScript error.
"""

import datetime

import pytest
from django.utils import formats, timezone, translation

from imports.models import ExportLog, ImportJob
from projects import services as project_services
from projects.models import Project
from residents.models import Household
from residents.roles import Role

from ..conftest import make_user
from ..factories import PublicNoticeFactory
from ..test_imports import household, xlsx
from ..test_project_lifecycle import project_at
from .conftest import log_in_to_admin, visit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

#: Twelve characters and more, as the password validators ask.
PASSWORD = "Taoyuan-renovation-2031"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def office(db):
    """A county office account with a password of its own."""
    user = make_user(Role.OFFICE, username="county-office")
    user.set_password(PASSWORD)
    user.save()
    return user


def in_chinese(message: str, **values) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message) % values


def messages_of(page, level: str) -> str:
    return " ".join(page.locator(f".messagelist .{level}").all_inner_texts())


def test_the_county_office_imports_households_and_approves_a_consulted_project(
    pages, shoot, registers, office
):
    ready = project_at(Project.Status.CONSULTING, by=office, name="河西小区改造")
    unready = project_at(Project.Status.CONSULTING, by=office, name="东岭小区改造")
    # The latest notice of 东岭小区 was posted two days ago: its period is still running.
    PublicNoticeFactory(project=unready, posted_on=timezone.localdate() - datetime.timedelta(2))
    with translation.override("zh-hans"):
        why_not = [str(r) for r in project_services.refusal_reasons(unready, "approve")]
    assert len(why_not) == 1

    page = pages.open("desktop")

    # A mistyped password is refused with the admin's message; the right one lets in.
    visit(page, "/admin/login/?next=/admin/residents/household/")
    page.locator("#id_username").fill(office.username)
    page.locator("#id_password").fill("Taoyuan-renovation-2030")
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    assert page.locator(".errornote").is_visible()
    shoot(page, "desktop-login-refused")
    log_in_to_admin(page, office.username, PASSWORD, next_path="/admin/residents/household/")
    assert page.url.endswith("/admin/residents/household/")
    shoot(page, "desktop-households")

    # The household register's "Import" button, its upload page, and a workbook of two rows.
    with page.expect_navigation():
        page.locator("a.tool-link[href$='/upload/households/']").click()
    workbook = xlsx([household("201"), household("202", name="赵六", phone="0915-6321234")])
    page.locator("input[type=file]").set_input_files(
        {"name": "住户.xlsx", "mimeType": XLSX, "buffer": workbook}
    )
    shoot(page, "desktop-upload")
    with page.expect_navigation():
        page.locator("form[enctype] input[type=submit]").click()

    # The check: two new rows, nothing written yet.
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.CHECKED
    assert page.locator("#job-state").inner_text() == job.get_state_display()
    assert page.locator("#count-new").inner_text() == "2"
    assert page.locator("#count-invalid").inner_text() == "0"
    assert not Household.objects.filter(room__in=["201", "202"]).exists()
    shoot(page, "desktop-checked")

    # The confirmation imports them.
    with page.expect_navigation():
        page.locator("form[action$='/import/'] input[type=submit]").click()
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.message
    assert page.locator("#job-state").inner_text() == job.get_state_display()
    assert page.locator("#job-message").inner_text() == job.message
    assert page.locator("a[href$='/report/']").is_visible()  # the result report
    added = Household.objects.get(building=registers.a.building, room="202")
    assert (added.head_name, added.phone) == ("赵六", "0915-6321234")
    assert Household.objects.filter(building=registers.a.building, room="201").exists()
    shoot(page, "desktop-imported")

    # The projects' list: approve 河西小区 from the action bar.
    visit(page, "/admin/projects/project/")
    page.locator(f"input[name=_selected_action][value='{ready.pk}']").check()
    counter = page.locator(".action-counter")
    assert "1" in counter.inner_text()  # the admin's script counts the selection
    page.locator("select[name=action]").select_option("approve")
    shoot(page, "desktop-projects")
    with page.expect_navigation():
        page.locator("#changelist-form button[name=index]").click()
    ready.refresh_from_db()
    assert ready.status == Project.Status.APPROVED
    assert "河西小区改造" in messages_of(page, "success")
    assert not messages_of(page, "error")
    shoot(page, "desktop-approved")

    # 东岭小区's page says, before anyone tries, why it cannot be approved yet…
    visit(page, f"/admin/projects/project/{unready.pk}/change/")
    lifecycle = page.locator("#project-lifecycle")
    approve = lifecycle.locator("form[action$='/transition/approve/']")
    assert approve.locator(".errorlist li").all_inner_texts() == why_not
    # …its form's widgets run under the policy: the date picker and the autocomplete select.
    deadline = page.locator("#id_deadline")
    shortcuts = page.locator("#id_deadline ~ .datetimeshortcuts")
    shortcuts.locator("a[id^=calendarlink]").click()
    assert page.locator(".calendarbox:visible").count() == 1
    page.keyboard.press("Escape")
    shortcuts.locator("a").first.click()  # "today"
    date_format = formats.get_format("DATE_INPUT_FORMATS", lang="zh-hans")[0]
    assert deadline.input_value() == timezone.localdate().strftime(date_format)
    page.locator("#id_neighbourhood + .select2 .select2-selection").click()
    page.locator(".select2-search__field[aria-controls='select2-id_neighbourhood-results']").fill(
        unready.neighbourhood.name
    )
    option = page.locator(".select2-results__option", has_text=unready.neighbourhood.name)
    option.first.wait_for()  # the server's answer, shown by the autocomplete's script
    page.keyboard.press("Escape")
    shoot(page, "desktop-not-ready")

    # …and refuses the button with the same reason.
    with page.expect_navigation():
        approve.locator("button[type=submit]").click()
    unready.refresh_from_db()
    assert unready.status == Project.Status.CONSULTING
    refused = messages_of(page, "error")
    assert unready.name in refused and why_not[0] in refused, refused
    assert not messages_of(page, "success")
    shoot(page, "desktop-refused")


def test_select_all_of_the_household_export_works_without_its_inline_handler(
    pages, shoot, registers, office
):
    page = pages.open("desktop")
    # django-import-export's export page ticks every field with an inline onchange handler:
    # the policy refuses it (that one message), and static/js/anju.js binds the handler instead.
    pages.allow(
        path="/admin/residents/household/export/",
        text="inline event handler",
        reason="django-import-export's own template; the handler is bound by anju.js",
    )
    log_in_to_admin(page, office.username, PASSWORD, next_path="/admin/residents/household/")
    with page.expect_navigation():
        page.locator("a.export_link").click()

    fields = page.locator(".selectable-field-export-row input[type=checkbox]:visible")
    select_all = page.locator("input.select-toggle")
    count = fields.count()
    assert count >= 5
    assert select_all.is_checked()
    assert all(fields.nth(n).is_checked() for n in range(count))

    select_all.uncheck()
    assert not any(fields.nth(n).is_checked() for n in range(count))
    shoot(page, "desktop-none")
    select_all.check()
    assert all(fields.nth(n).is_checked() for n in range(count))
    shoot(page, "desktop-all")

    # The export itself: an .xlsx of the register, logged.
    xlsx_format = page.locator("#id_format option", has_text="xlsx").get_attribute("value")
    page.locator("#id_format").select_option(xlsx_format)
    with page.expect_download() as download:
        page.locator("form input[type=submit]").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    log = ExportLog.objects.get()
    assert (log.user, log.model, log.rows) == (office, "residents.household", 3)


def test_five_wrong_passwords_pause_the_login_even_with_the_right_one(pages, shoot, office):
    page = pages.open("desktop")
    visit(page, "/admin/login/")
    for attempt in range(5):
        page.locator("#id_username").fill(office.username)
        page.locator("#id_password").fill(f"Taoyuan-wrong-{attempt:04}")
        with page.expect_navigation() as navigation:
            page.locator("#login-form [type=submit]").click()
        if attempt < 4:
            assert navigation.value.status == 200
            assert page.locator(".errornote").is_visible()

    # The fifth failure paused the account from this address: the right password is refused.
    paused = in_chinese("Login paused")
    assert navigation.value.status == 429
    assert page.locator("h1").inner_text() == paused
    visit(page, "/admin/login/")
    page.locator("#id_username").fill(office.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation() as navigation:
        page.locator("#login-form [type=submit]").click()
    assert navigation.value.status == 429
    assert page.locator("h1").inner_text() == paused
    shoot(page, "desktop")
    visit(page, "/admin/")
    assert "/admin/login/" in page.url  # not logged in
