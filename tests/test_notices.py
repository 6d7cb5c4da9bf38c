"""The public notice (一公示) and the objections to it: the period on the county's calendar,
objections by link and on paper, answers, the notice's status; the admin's scope and masking;
what the public page shows and what it never shows.

Unless a test says otherwise a notice is posted on 1 March 2026 for 7 days, so residents may
object from 1 March through 7 March and the notice may pass on 8 March.
"""

import datetime
import io
import zoneinfo

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from projects import workflow
from residents.roles import Role
from surveys import notices
from surveys.models import Objection, PublicNotice
from surveys.notices import NoticeStatus, ObjectionRefused

from .conftest import make_user
from .factories import (
    DisclosureFactory,
    ObjectionFactory,
    ProjectFactory,
    PublicNoticeFactory,
)
from .formdata import form_data

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
MARCH = {day: datetime.date(2026, 3, day) for day in range(1, 32)}
FEB_28 = datetime.date(2026, 2, 28)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def clock_at(monkeypatch, moment: datetime.datetime):
    """Set the clock of the code under test (``timezone.now``) to ``moment``."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def county_day(monkeypatch, day: datetime.date, hour: int = 10):
    clock_at(monkeypatch, datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI))


@pytest.fixture
def notice(registers):
    """A notice of a project of neighbourhood A (桃园小区)."""
    return PublicNoticeFactory(project__neighbourhood=registers.a.neighbourhood)


@pytest.fixture
def community_user(registers):
    return make_user(Role.COMMUNITY, communities=[registers.a.community], username="cg-staff")


def reasons(caught) -> str:
    return " ".join(str(reason) for reason in caught.value.reasons)


# --- The notice period ----------------------------------------------------------------------


def test_a_notice_posted_on_1_march_for_7_days_is_open_through_7_march(notice):
    assert notice.last_day == MARCH[7]
    assert notices.notice_status(notice, FEB_28) == NoticeStatus.UPCOMING
    assert notices.notice_status(notice, MARCH[1]) == NoticeStatus.OPEN
    assert notices.notice_status(notice, MARCH[7]) == NoticeStatus.OPEN
    assert notices.notice_status(notice, MARCH[8]) == NoticeStatus.PASSED


def test_the_period_ends_at_midnight_in_shanghai_not_utc(notice, registers, monkeypatch):
    household = registers.a.household
    # 23:30 on 7 March in Shanghai is 15:30 UTC: still the last day.
    clock_at(monkeypatch, datetime.datetime(2026, 3, 7, 15, 30, tzinfo=UTC))
    assert notices.notice_status(notice) == NoticeStatus.OPEN
    notices.submit_objection(notice, household=household, text="晚上提交的异议")

    # 00:30 on 8 March in Shanghai is still 7 March in UTC: the period is over.
    clock_at(monkeypatch, datetime.datetime(2026, 3, 7, 16, 30, tzinfo=UTC))
    assert notices.notice_status(notice) == NoticeStatus.AWAITING_ANSWERS
    with pytest.raises(ObjectionRefused) as caught:
        notices.submit_objection(notice, household=household, text="过了午夜的异议")
    assert "ended on 2026-03-07" in reasons(caught)
    assert list(Objection.objects.values_list("text", "submitted_on")) == [
        ("晚上提交的异议", MARCH[7])
    ]


def test_the_notice_period_defaults_to_the_setting(settings, registers):
    settings.ANJU_NOTICE_DAYS = 10
    notice = PublicNotice.objects.create(
        project=ProjectFactory(neighbourhood=registers.a.neighbourhood),
        content="内容",
        budget="1000.00",
        schedule="四月",
        posted_on=MARCH[1],
    )
    assert notice.period_days == 10
    assert notice.last_day == MARCH[10]


# --- Objections from the household link -----------------------------------------------------


@pytest.mark.parametrize("day", [MARCH[1], MARCH[7]])
def test_a_household_may_object_by_link_while_the_notice_is_open(notice, registers, day):
    objection = notices.submit_objection(
        notice, household=registers.a.household, text=" 反对拆除车棚 ", today=day
    )
    assert (objection.channel, objection.submitted_on, objection.text) == (
        Objection.Channel.LINK,
        day,
        "反对拆除车棚",
    )
    assert objection.household == registers.a.household


@pytest.mark.parametrize(
    ("day", "reason"),
    [(FEB_28, "not posted yet"), (MARCH[8], "ended on 2026-03-07")],
)
def test_an_objection_by_link_outside_the_period_is_refused(notice, registers, day, reason):
    with pytest.raises(ObjectionRefused) as caught:
        notices.submit_objection(notice, household=registers.a.household, text="异议", today=day)
    assert reason in reasons(caught)
    assert not Objection.objects.exists()


def test_an_objection_by_link_needs_text_and_a_household_of_the_project(notice, registers):
    with pytest.raises(ObjectionRefused) as caught:
        notices.submit_objection(notice, household=registers.a.household, text="  ", today=MARCH[2])
    assert "no text" in reasons(caught)
    with pytest.raises(ObjectionRefused) as caught:
        notices.submit_objection(
            notice, household=registers.b.household, text="异议", today=MARCH[2]
        )
    assert "does not live" in reasons(caught)
    assert not Objection.objects.exists()


def test_a_household_of_a_merged_compound_may_object(notice, registers):
    notice.project.merged_neighbourhoods.add(registers.b.neighbourhood)
    objection = notices.submit_objection(
        notice, household=registers.b.household, text="并院后的异议", today=MARCH[3]
    )
    assert objection.pk


# --- Objections on paper --------------------------------------------------------------------


@pytest.mark.parametrize("day", [MARCH[1], MARCH[4], MARCH[7]])
def test_a_paper_objection_handed_in_within_the_period_is_recorded(
    notice, registers, office_user, day
):
    objection = notices.record_paper_objection(
        notice, household=registers.a.household, text="纸质异议", submitted_on=day, by=office_user
    )
    assert (objection.channel, objection.submitted_on) == (Objection.Channel.PAPER, day)
    assert objection.recorded_by == office_user
    assert objection.history.get().history_user == office_user


@pytest.mark.parametrize("day", [FEB_28, MARCH[8]])
def test_a_paper_objection_handed_in_outside_the_period_is_refused(notice, office_user, day):
    with pytest.raises(ObjectionRefused) as caught:
        notices.record_paper_objection(notice, text="纸质异议", submitted_on=day, by=office_user)
    assert "outside the notice period (2026-03-01 to 2026-03-07)" in reasons(caught)
    assert not Objection.objects.exists()


def test_a_paper_objection_may_name_no_household(notice, office_user):
    objection = notices.record_paper_objection(
        notice, text="匿名纸条", submitted_on=MARCH[2], by=office_user
    )
    assert objection.household is None


# --- Answers and the notice's status ---------------------------------------------------------


def test_answering_an_objection_records_the_answer_who_and_when(notice, office_user):
    objection = ObjectionFactory(notice=notice)
    answered = notices.answer_objection(
        objection, answer=" 车棚保留，另址新建停车位 ", by=office_user
    )
    objection.refresh_from_db()
    assert objection.answer == "车棚保留，另址新建停车位"
    assert objection.answered_by == office_user
    assert timezone.now() - objection.answered_at < datetime.timedelta(minutes=1)
    assert answered.answered_at == objection.answered_at


@pytest.mark.parametrize("answer", ["", "   "])
def test_an_empty_answer_is_refused(notice, office_user, answer):
    objection = ObjectionFactory(notice=notice)
    with pytest.raises(ObjectionRefused) as caught:
        notices.answer_objection(objection, answer=answer, by=office_user)
    assert "The answer is empty" in reasons(caught)
    objection.refresh_from_db()
    assert objection.answered_at is None


def test_a_notice_awaits_answers_after_its_period_until_every_objection_is_answered(
    notice, office_user
):
    first, second = ObjectionFactory.create_batch(2, notice=notice)
    assert notices.notice_status(notice, MARCH[7]) == NoticeStatus.OPEN
    assert notices.notice_status(notice, MARCH[8]) == NoticeStatus.AWAITING_ANSWERS
    notices.answer_objection(first, answer="已答复", by=office_user)
    assert notices.notice_status(notice, MARCH[8]) == NoticeStatus.AWAITING_ANSWERS
    notices.answer_objection(second, answer="已答复", by=office_user)
    assert notices.notice_status(notice, MARCH[8]) == NoticeStatus.PASSED


def test_the_counts_of_objections_come_with_the_notices_in_one_query(
    notice, office_user, django_assert_num_queries
):
    objection, _ = ObjectionFactory.create_batch(2, notice=notice)
    notices.answer_objection(objection, answer="已答复", by=office_user)
    quiet = PublicNoticeFactory()
    with django_assert_num_queries(1):
        counted = {
            n.pk: (n.objection_count, n.unanswered_count, notices.notice_status(n, MARCH[8]))
            for n in notices.with_objection_counts(PublicNotice.objects.all())
        }
    assert counted == {
        notice.pk: (2, 1, NoticeStatus.AWAITING_ANSWERS),
        quiet.pk: (0, 0, NoticeStatus.PASSED),
    }


def test_the_current_notice_is_the_latest_posted_one(registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    assert workflow.current_notice(project) is None
    PublicNoticeFactory(project=project, posted_on=datetime.date(2026, 1, 5))
    latest = PublicNoticeFactory(project=project, posted_on=datetime.date(2026, 2, 1))
    PublicNoticeFactory(project=project, posted_on=timezone.localdate() + datetime.timedelta(3))
    assert workflow.current_notice(project) == latest  # the one dated later is not posted yet


# --- The admin: the notices ------------------------------------------------------------------


def picture(fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def _notice_add_data(client, project, **changes):
    data = form_data(client.get(reverse("admin:surveys_publicnotice_add")).content.decode())
    data.update(
        {
            "project": str(project.pk),
            "content": "更换雨污管网；加装路灯",
            "budget": "860000.00",
            "schedule": "2026年4月开工，9月完工",
            "posted_on": "2026-03-01",
            "period_days": "7",
        }
    )
    data.update(changes)
    return data


def test_staff_post_a_notice_with_the_photo_of_the_posted_sheet_reencoded(
    en_client, registers, community_user, storage
):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    en_client.force_login(community_user)
    data = _notice_add_data(en_client, project)
    data["site_photo"] = SimpleUploadedFile("IMG_0301.PNG", picture("PNG"), "image/png")

    response = en_client.post(reverse("admin:surveys_publicnotice_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    notice = PublicNotice.objects.get()
    assert (notice.project, notice.posted_on, notice.last_day) == (project, MARCH[1], MARCH[7])
    assert notice.site_photo.name.endswith(".jpg") and "IMG_0301" not in notice.site_photo.name
    assert Image.open(notice.site_photo.open("rb")).format == "JPEG"


def test_a_fake_photo_of_the_posted_sheet_is_refused_and_nothing_stored(
    en_client, registers, community_user, storage
):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    en_client.force_login(community_user)
    data = _notice_add_data(en_client, project)
    data["site_photo"] = SimpleUploadedFile("sheet.jpg", b"<?php system($_GET['c']); ?>")

    response = en_client.post(reverse("admin:surveys_publicnotice_add"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors.as_data()["site_photo"][0].code == "not_an_image"
    assert "This file is not an image" in response.content.decode()
    assert not PublicNotice.objects.exists()
    assert storage.listdir("") == ([], [])


def test_a_notice_period_shorter_than_the_countys_is_refused(
    en_client, registers, community_user, settings
):
    settings.ANJU_NOTICE_DAYS = 7
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    en_client.force_login(community_user)
    data = _notice_add_data(en_client, project, period_days="5")

    response = en_client.post(reverse("admin:surveys_publicnotice_add"), data)

    assert response.status_code == 200
    assert "at least 7 days" in response.content.decode()
    assert not PublicNotice.objects.exists()


def test_the_notice_list_shows_status_last_day_and_counts_in_a_fixed_number_of_queries(
    en_client, registers, office_user, monkeypatch, django_assert_num_queries
):
    county_day(monkeypatch, MARCH[9])
    en_client.force_login(office_user)
    url = reverse("admin:surveys_publicnotice_changelist")
    # session, user, the user's and the groups' permissions, the community filter's choices,
    # the counts of the list and of all rows, the page of notices with their projects,
    # neighbourhoods, communities and counts of objections (one query); the savepoint and
    # release of the request's transaction
    with django_assert_num_queries(10):
        en_client.get(url)
    awaiting = PublicNoticeFactory(project__neighbourhood=registers.a.neighbourhood)
    ObjectionFactory.create_batch(3, notice=awaiting)
    ObjectionFactory(notice=awaiting, answer="已答复", answered_at=timezone.now())
    open_notice = PublicNoticeFactory(
        project__neighbourhood=registers.b.neighbourhood, posted_on=MARCH[5]
    )
    PublicNoticeFactory.create_batch(3)

    with django_assert_num_queries(10):
        response = en_client.get(url)

    rows = {
        n.pk: (n.objection_count, n.unanswered_count) for n in response.context["cl"].result_list
    }
    assert rows[awaiting.pk] == (4, 3) and rows[open_notice.pk] == (0, 0)
    body = response.content.decode()
    assert "Awaiting answers" in body and "Open for objections" in body and "Passed" in body
    assert "March 11, 2026" in body  # the last day of the notice posted on 5 March


def _objections_formset(response):
    (formset,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "objections"
    ]
    return formset.formset


def test_staff_answer_objections_on_the_notices_page(en_client, notice, registers, community_user):
    objection = ObjectionFactory(notice=notice, household=registers.a.household)
    en_client.force_login(community_user)
    url = reverse("admin:surveys_publicnotice_change", args=[notice.pk])
    page = en_client.get(url).content.decode()
    assert "停车位离窗户太近" in page and "张甲户" in page  # community staff see the name

    response = en_client.post(url, form_data(page, **{"objections-0-answer": "已调整停车位"}))

    assert response.status_code == 302
    objection.refresh_from_db()
    assert (objection.answer, objection.answered_by) == ("已调整停车位", community_user)
    assert objection.text == "停车位离窗户太近"  # the text is not a field of the page


def test_an_answer_cannot_be_emptied_on_the_notices_page(en_client, notice, community_user):
    objection = ObjectionFactory(notice=notice, answer="已答复", answered_at=timezone.now())
    en_client.force_login(community_user)
    url = reverse("admin:surveys_publicnotice_change", args=[notice.pk])
    data = form_data(en_client.get(url).content.decode(), **{"objections-0-answer": ""})

    response = en_client.post(url, data)

    assert response.status_code == 200
    assert "The answer is empty" in str(_objections_formset(response).errors)
    objection.refresh_from_db()
    assert objection.answer == "已答复"


def test_a_paper_objection_is_recorded_through_the_add_form(
    en_client, notice, registers, community_user
):
    en_client.force_login(community_user)
    url = reverse("admin:surveys_objection_add")
    data = {
        "notice": notice.pk,
        "household": registers.a.household.pk,
        "submitted_on": "2026-03-07",
        "text": "纸质异议：反对砍树",
    }
    assert en_client.get(url, {"notice": notice.pk}).status_code == 200

    response = en_client.post(url, data)

    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.channel, objection.recorded_by) == (Objection.Channel.PAPER, community_user)


def test_a_paper_objection_outside_the_period_is_refused_by_the_add_form(
    en_client, notice, community_user
):
    en_client.force_login(community_user)
    response = en_client.post(
        reverse("admin:surveys_objection_add"),
        {"notice": notice.pk, "submitted_on": "2026-03-08", "text": "迟交的异议"},
    )
    assert response.status_code == 200
    assert "outside the notice period (2026-03-01 to 2026-03-07)" in response.content.decode()
    assert not Objection.objects.exists()


# --- The admin: scope and masking -----------------------------------------------------------


def test_community_staff_see_only_their_communitys_notices_and_objections(
    client, registers, community_user
):
    ours = PublicNoticeFactory(project__neighbourhood=registers.a.neighbourhood)
    theirs = PublicNoticeFactory(project__neighbourhood=registers.b.neighbourhood)
    our_objection = ObjectionFactory(notice=ours, text="本社区的异议")
    their_objection = ObjectionFactory(notice=theirs, text="别的社区的异议")
    client.force_login(community_user)

    notices_page = client.get(reverse("admin:surveys_publicnotice_changelist"))
    objections_page = client.get(reverse("admin:surveys_objection_changelist"))

    assert {n.pk for n in notices_page.context["cl"].result_list} == {ours.pk}
    assert {o.pk for o in objections_page.context["cl"].result_list} == {our_objection.pk}
    assert "别的社区的异议" not in objections_page.content.decode()
    for url in [
        reverse("admin:surveys_publicnotice_change", args=[theirs.pk]),
        reverse("admin:surveys_objection_change", args=[their_objection.pk]),
        reverse("admin:surveys_objection_history", args=[their_objection.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("admin:index"), url
    # Nor can they file a paper objection against another community's notice.
    response = client.post(
        reverse("admin:surveys_objection_add"),
        {"notice": theirs.pk, "submitted_on": "2026-03-02", "text": "越权"},
    )
    assert response.status_code == 200
    assert Objection.objects.count() == 2


def test_an_inspector_sees_the_household_of_an_objection_masked(client, notice, registers):
    ObjectionFactory(notice=notice, household=registers.a.household)
    client.force_login(make_user(Role.INSPECTOR))
    pages = [
        client.get(reverse("admin:surveys_objection_changelist")),
        client.get(reverse("admin:surveys_publicnotice_change", args=[notice.pk])),
        client.get(reverse("admin:surveys_objection_change", args=[Objection.objects.get().pk])),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        assert "张**" in body and "张甲户" not in body
    response = client.get(reverse("admin:surveys_objection_changelist"), {"q": "张甲户"})
    assert response.context["cl"].result_list.count() == 0  # no search by a masked name


# --- The public page --------------------------------------------------------------------------


def test_the_public_page_shows_the_current_notice_and_no_objection_or_name(
    client, registers, monkeypatch
):
    county_day(monkeypatch, MARCH[6])
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood, name="桃园小区改造")
    notice = PublicNoticeFactory(
        project=project,
        content="更换雨污管网\n加装路灯",
        budget="860000.00",
        schedule="四月开工，九月完工",
        site_photo=SimpleUploadedFile("sheet.jpg", picture()),
    )
    ObjectionFactory(notice=notice, household=registers.a.household, text="反对砍树的异议")
    ObjectionFactory(
        notice=notice, text="停车位太少", answer="答复：增加车位", answered_at=timezone.now()
    )

    detail = client.get(reverse("projects:notice_detail", args=[project.pk]))
    index = client.get(reverse("projects:notice_index"))

    assert detail.status_code == 200  # public with its notice alone, no disclosure needed
    body = detail.content.decode()
    for shown in [
        "更换雨污管网<br>加装路灯",
        "860000.00",  # Chinese groups no digits
        "四月开工，九月完工",
        "2026-03-01",
        "2026-03-07",
        f'src="{notice.site_photo.url}"',
    ]:
        assert shown in body, shown
    assert 'class="badge open"' in body
    for page in [body, index.content.decode()]:
        for hidden in ["反对砍树的异议", "停车位太少", "答复：增加车位", "张甲户", "张**"]:
            assert hidden not in page, hidden
    assert "桃园小区改造" in index.content.decode()
    assert [p.notice_is_open for p in index.context["projects"]] == [True]


def test_after_its_period_the_notice_stays_on_the_public_page_marked_closed(
    client, registers, monkeypatch
):
    county_day(monkeypatch, MARCH[8])
    notice = PublicNoticeFactory(project__neighbourhood=registers.a.neighbourhood)

    body = client.get(reverse("projects:notice_detail", args=[notice.project.pk])).content
    index = client.get(reverse("projects:notice_index"))

    assert "公示期已于 2026-03-07 结束" in body.decode() and "生态停车位" in body.decode()
    assert [p.notice_is_open for p in index.context["projects"]] == [False]
    assert "badge open" not in index.content.decode()


def test_a_notice_dated_later_does_not_make_a_project_public(client, registers, monkeypatch):
    county_day(monkeypatch, FEB_28)
    notice = PublicNoticeFactory(project__neighbourhood=registers.a.neighbourhood)
    assert (
        client.get(reverse("projects:notice_detail", args=[notice.project.pk])).status_code == 404
    )
    DisclosureFactory(project=notice.project, is_public=True)
    body = client.get(reverse("projects:notice_detail", args=[notice.project.pk])).content
    assert notice.content not in body.decode()


def test_the_index_flags_only_projects_with_an_open_notice(client, registers, monkeypatch):
    county_day(monkeypatch, MARCH[3])
    open_project = PublicNoticeFactory(project__neighbourhood=registers.a.neighbourhood).project
    over = PublicNoticeFactory(
        project__neighbourhood=registers.b.neighbourhood, posted_on=datetime.date(2026, 2, 1)
    ).project
    plain = DisclosureFactory(project__neighbourhood=registers.c.neighbourhood, is_public=True)

    response = client.get(reverse("projects:notice_index"))

    flags = {p.pk: p.notice_is_open for p in response.context["projects"]}
    assert flags == {open_project.pk: True, over.pk: False, plain.project.pk: False}
    assert response.content.decode().count('class="badge open"') == 1


def test_a_paper_objection_cannot_be_dated_in_the_future():
    import datetime

    from django.utils import timezone

    from projects.services import Refused
    from surveys.notices import record_paper_objection

    from .factories import PublicNoticeFactory

    notice = PublicNoticeFactory(posted_on=timezone.localdate(), period_days=7)
    with pytest.raises(Refused):
        record_paper_objection(
            notice,
            text="反对在楼下加装充电桩",
            submitted_on=timezone.localdate() + datetime.timedelta(days=2),
            by=None,
        )
    assert not notice.objections.exists()
