"""The residents' request ledger (民情三本账): the lifecycle received → handling → answered →
closed and its refusals, the due date and the overdue flag on the county's calendar, the
three ledgers of the admin, its scope and its masking of households."""

import datetime
import io
import zoneinfo

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from residents.roles import Role
from surveys import ledger
from surveys.ledger import RequestRefused
from surveys.models import ResidentRequest

from .conftest import make_user
from .factories import CatalogueKindFactory, ResidentRequestFactory
from .formdata import form_data

pytestmark = pytest.mark.django_db

Status = ResidentRequest.Status
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MARCH = {day: datetime.date(2026, 3, day) for day in range(1, 32)}
LIST = reverse("admin:surveys_residentrequest_changelist")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def county_day(monkeypatch, day: datetime.date, hour: int = 10):
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def picture(fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, fmt)
    return buffer.getvalue()


def reasons(caught) -> str:
    return " ".join(str(reason) for reason in caught.value.reasons)


@pytest.fixture
def community_user(registers):
    return make_user(Role.COMMUNITY, communities=[registers.a.community], username="cg-staff")


def request_in(register, status=Status.RECEIVED, **fields):
    """A request of ``register``'s household, in ``status``."""
    return ResidentRequestFactory(
        neighbourhood=register.neighbourhood, household=register.household, status=status, **fields
    )


# --- The due date and the overdue flag -------------------------------------------------------


def test_a_request_is_due_seven_days_after_the_county_day_it_was_received(registers, office_user):
    # 20:00 UTC on 1 March is 04:00 on 2 March in Shanghai: received on 2 March.
    received_at = datetime.datetime(2026, 3, 1, 20, 0, tzinfo=datetime.UTC)
    recorded = ledger.record_request(
        channel="hotline",
        neighbourhood=registers.a.neighbourhood,
        text="楼道灯坏了",
        received_at=received_at,
        by=office_user,
    )
    assert recorded.due_on == MARCH[9]
    assert ledger.due_date(MARCH[2]) == MARCH[9]


def test_the_due_days_follow_the_setting(registers, settings, monkeypatch):
    settings.ANJU_REQUEST_DUE_DAYS = 3
    county_day(monkeypatch, MARCH[1], hour=23)
    submitted = ledger.submit_request(
        registers.a.household, text="建议增加垃圾桶", category="suggestion"
    )
    assert submitted.due_on == MARCH[4]
    assert ResidentRequestFactory(neighbourhood=registers.a.neighbourhood).due_on == MARCH[4]


@pytest.mark.parametrize(
    ("today", "overdue"), [(MARCH[7], False), (MARCH[8], False), (MARCH[9], True)]
)
def test_a_request_is_overdue_from_the_day_after_its_due_day(registers, today, overdue):
    late = request_in(registers.a, due_on=MARCH[8])
    handled = request_in(registers.a, Status.HANDLING, due_on=MARCH[8])
    request_in(registers.a, Status.ANSWERED, due_on=MARCH[1])  # answered: never overdue
    request_in(registers.a, Status.CLOSED, due_on=MARCH[1])
    assert late.is_overdue(today) is overdue
    expected = {late.pk, handled.pk} if overdue else set()
    assert set(ResidentRequest.objects.overdue(today).values_list("pk", flat=True)) == expected


def test_the_overdue_flag_turns_at_midnight_in_shanghai(registers, monkeypatch):
    late = request_in(registers.a, due_on=MARCH[8])
    # 23:59 on 8 March in Shanghai is 15:59 UTC.
    moment = datetime.datetime(2026, 3, 8, 15, 59, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert not late.is_overdue()
    # 00:01 on 9 March in Shanghai is still 8 March in UTC.
    moment = datetime.datetime(2026, 3, 8, 16, 1, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert late.is_overdue()
    assert list(ResidentRequest.objects.overdue()) == [late]


# --- The lifecycle -----------------------------------------------------------------------------


def test_a_request_goes_received_handling_answered_closed(registers, office_user):
    handler = make_user(Role.COMMUNITY, communities=[registers.a.community])
    resident_request = request_in(registers.a)

    ledger.start_handling(resident_request, by=office_user, assignee=handler)
    assert (resident_request.status, resident_request.assignee) == (Status.HANDLING, handler)

    ledger.answer_request(resident_request, answer=" 已更换楼道灯 ", by=handler)
    resident_request.refresh_from_db()
    assert resident_request.status == Status.ANSWERED
    assert (resident_request.answer, resident_request.answered_by) == ("已更换楼道灯", handler)
    assert resident_request.answered_at is not None

    ledger.close_request(resident_request, by=office_user)
    resident_request.refresh_from_db()
    assert resident_request.status == Status.CLOSED
    history = [(h.status, h.history_user) for h in resident_request.history.order_by("pk")]
    assert history == [
        (Status.RECEIVED, None),
        (Status.HANDLING, office_user),
        (Status.ANSWERED, handler),
        (Status.CLOSED, office_user),
    ]


def test_taking_a_request_into_handling_assigns_the_acting_user_unless_someone_is(
    registers, office_user
):
    nobody = request_in(registers.a)
    ledger.start_handling(nobody, by=office_user)
    assert nobody.assignee == office_user
    colleague = make_user(Role.OFFICE)
    assigned = request_in(registers.a, assignee=colleague)
    ledger.start_handling(assigned, by=office_user)
    assert assigned.assignee == colleague


def _start(r, user):
    return ledger.start_handling(r, by=user)


def _answer(r, user):
    return ledger.answer_request(r, answer="答复", by=user)


def _close(r, user):
    return ledger.close_request(r, by=user)


@pytest.mark.parametrize(
    ("step", "status", "reason"),
    [
        (_start, Status.HANDLING, "only a received request can be taken into handling"),
        (_start, Status.CLOSED, "only a received request can be taken into handling"),
        (_answer, Status.RECEIVED, "take it into handling first"),
        (_answer, Status.ANSWERED, "only a request in handling can be answered"),
        (_close, Status.RECEIVED, "only an answered request can be closed"),
        (_close, Status.HANDLING, "only an answered request can be closed"),
        (_close, Status.CLOSED, "only an answered request can be closed"),
    ],
)
def test_a_step_from_the_wrong_status_is_refused(registers, office_user, step, status, reason):
    resident_request = request_in(registers.a, status)
    with pytest.raises(RequestRefused) as caught:
        step(resident_request, office_user)
    assert reason in reasons(caught)
    assert f"The request is “{Status(status).label}”" in reasons(caught)
    resident_request.refresh_from_db()
    assert resident_request.status == status


def test_an_empty_answer_is_refused(registers, office_user):
    resident_request = request_in(registers.a, Status.HANDLING)
    with pytest.raises(RequestRefused) as caught:
        ledger.answer_request(resident_request, answer="  ", by=office_user)
    assert "The answer is empty" in reasons(caught)
    resident_request.refresh_from_db()
    assert (resident_request.status, resident_request.answered_at) == (Status.HANDLING, None)


# --- Recording and submitting ------------------------------------------------------------------


def test_staff_record_an_anonymous_note_from_the_suggestion_box(registers, office_user):
    kind = CatalogueKindFactory()
    recorded = ledger.record_request(
        channel="box",
        category="complaint",
        neighbourhood=registers.a.neighbourhood,
        text="  垃圾清运不及时  ",
        needs=[kind],
        by=office_user,
    )
    assert (recorded.channel, recorded.household, recorded.text) == ("box", None, "垃圾清运不及时")
    assert list(recorded.needs.all()) == [kind]
    assert recorded.history.get().history_user == office_user


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"channel": "link"}, "sent by the household itself"),
        ({"text": "   "}, "no text"),
        ({"household": "b"}, "does not live in “桃园小区”"),
        ({"due_on": datetime.date(2020, 1, 1)}, "cannot be due before"),
        ({"received_at": timezone.now() + datetime.timedelta(days=2)}, "a day still to come"),
    ],
)
def test_a_request_staff_cannot_record_is_refused(registers, office_user, fields, reason):
    if fields.get("household") == "b":
        fields["household"] = registers.b.household
    data = {"channel": "book", "neighbourhood": registers.a.neighbourhood, "text": "意见"}
    with pytest.raises(RequestRefused) as caught:
        ledger.record_request(**{**data, **fields}, by=office_user)
    assert reason in reasons(caught)
    assert not ResidentRequest.objects.exists()


def test_a_household_submits_a_request_from_its_link(registers, storage):
    kind = CatalogueKindFactory()
    submitted = ledger.submit_request(
        registers.b.household,
        text="希望加装电梯",
        category="suggestion",
        needs=[kind],
        photo=SimpleUploadedFile("IMG_1.png", picture("PNG"), "image/png"),
    )
    assert submitted.channel == "link"
    assert (submitted.neighbourhood, submitted.household) == (
        registers.b.neighbourhood,
        registers.b.household,
    )
    assert submitted.status == Status.RECEIVED
    assert list(submitted.needs.all()) == [kind]
    assert Image.open(submitted.photo.open("rb")).format == "JPEG"
    assert "IMG_1" not in submitted.photo.name


def test_a_fake_photo_is_refused_and_nothing_is_stored(registers, storage):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture", "image/jpeg")
    with pytest.raises(RequestRefused) as caught:
        ledger.submit_request(registers.a.household, text="意见", category="opinion", photo=fake)
    assert "This file is not an image" in reasons(caught)
    assert not ResidentRequest.objects.exists()
    assert storage.listdir("") == ([], [])


def test_a_submitted_request_needs_text_and_a_known_category(registers):
    with pytest.raises(RequestRefused) as caught:
        ledger.submit_request(registers.a.household, text="", category="praise")
    assert "no text" in reasons(caught) and "opinion, a suggestion or a complaint" in reasons(
        caught
    )


# --- The admin: the three ledgers ----------------------------------------------------------------


def _listed(response):
    return {r.pk for r in response.context["cl"].result_list}


def test_the_three_ledgers_list_open_handling_and_closed_requests(client, registers, office_user):
    received = request_in(registers.a)
    handling = request_in(registers.a, Status.HANDLING)
    answered = request_in(registers.a, Status.ANSWERED)
    closed = request_in(registers.a, Status.CLOSED)
    client.force_login(office_user)

    assert _listed(client.get(LIST)) == {received.pk}  # the open ledger by default
    assert _listed(client.get(LIST, {"ledger": "open"})) == {received.pk}
    assert _listed(client.get(LIST, {"ledger": "handling"})) == {handling.pk}
    assert _listed(client.get(LIST, {"ledger": "closed"})) == {answered.pk, closed.pk}
    assert _listed(client.get(LIST, {"ledger": "all"})) == {received.pk}  # no such ledger
    ledgers = client.get(LIST, {"ledger": "closed"}).context["ledgers"]
    assert [(entry["count"], entry["current"]) for entry in ledgers] == [
        (1, False),
        (1, False),
        (2, True),
    ]


def test_overdue_requests_are_flagged_and_filtered(en_client, registers, office_user, monkeypatch):
    county_day(monkeypatch, MARCH[10])
    late = request_in(registers.a, due_on=MARCH[8], text="逾期未办的意见")
    on_time = request_in(registers.a, due_on=MARCH[10], text="按期的意见")
    en_client.force_login(office_user)

    body = en_client.get(LIST).content.decode()
    assert "Overdue by 2 days" in body
    assert body.count("Overdue by") == 1
    assert _listed(en_client.get(LIST, {"overdue": "yes"})) == {late.pk}
    assert _listed(en_client.get(LIST, {"overdue": "no"})) == {on_time.pk}
    assert en_client.get(LIST).context["overdue_count"] == 1


def test_the_ledger_list_runs_a_fixed_number_of_queries(
    client, registers, office_user, django_assert_num_queries
):
    client.force_login(office_user)
    # session, user, the user's and the groups' permissions, the community filter's choices,
    # the counts of the three ledgers and the overdue (one query), the counts of the list and
    # of all rows, the page of requests with their neighbourhoods, households (with building
    # and neighbourhood) and assignees; the savepoint and release of the request's transaction
    with django_assert_num_queries(11):
        client.get(LIST)
    for register in (registers.a, registers.b, registers.c):
        for _ in range(4):
            request_in(register, assignee=office_user)
        ResidentRequestFactory(neighbourhood=register.neighbourhood)  # anonymous
    with django_assert_num_queries(11):
        assert len(_listed(client.get(LIST))) == 15


def test_the_open_ledger_takes_requests_into_handling_by_an_action(
    en_client, registers, community_user
):
    first, second = request_in(registers.a), request_in(registers.a)
    en_client.force_login(community_user)
    actions = en_client.get(LIST).context["action_form"].fields["action"].choices
    assert [name for name, _label in actions if name] == ["start_handling"]

    response = en_client.post(
        LIST + "?ledger=open",
        {"action": "start_handling", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "2 requests moved on." in response.content.decode()
    assert set(ResidentRequest.objects.values_list("status", "assignee")) == {
        (Status.HANDLING, community_user.pk)
    }


def test_the_closed_ledger_closes_answered_requests_and_explains_a_refusal(
    en_client, registers, community_user
):
    answered = request_in(registers.a, Status.ANSWERED)
    closed = request_in(registers.a, Status.CLOSED)
    en_client.force_login(community_user)

    response = en_client.post(
        LIST + "?ledger=closed",
        {"action": "close", "_selected_action": [answered.pk, closed.pk]},
        follow=True,
    )

    body = response.content.decode()
    assert "1 request moved on." in body
    assert "only an answered request can be closed" in body
    answered.refresh_from_db()
    assert answered.status == Status.CLOSED


def test_staff_answer_a_request_in_handling_on_its_page(en_client, registers, community_user):
    resident_request = request_in(registers.a, Status.HANDLING)
    en_client.force_login(community_user)
    url = reverse("admin:surveys_residentrequest_change", args=[resident_request.pk])

    response = en_client.post(
        url, form_data(en_client.get(url).content.decode(), answer="已联系物业修复")
    )

    assert response.status_code == 302
    resident_request.refresh_from_db()
    assert resident_request.status == Status.ANSWERED
    assert resident_request.answered_by == community_user


def test_a_received_request_is_not_answered_before_it_is_taken_into_handling(
    en_client, registers, community_user
):
    resident_request = request_in(registers.a)
    en_client.force_login(community_user)
    url = reverse("admin:surveys_residentrequest_change", args=[resident_request.pk])
    page = en_client.get(url)
    assert "answer" not in page.context["adminform"].form.fields

    en_client.post(url, form_data(page.content.decode(), answer="抢先答复"))
    resident_request.refresh_from_db()
    assert (resident_request.status, resident_request.answer) == (Status.RECEIVED, "")

    step = reverse("admin:surveys_residentrequest_step", args=[resident_request.pk, "close"])
    response = en_client.post(step, follow=True)
    assert "only an answered request can be closed" in response.content.decode()
    step = reverse(
        "admin:surveys_residentrequest_step", args=[resident_request.pk, "start-handling"]
    )
    assert en_client.get(step).status_code == 405
    en_client.post(step)
    resident_request.refresh_from_db()
    assert resident_request.status == Status.HANDLING


def test_staff_record_a_hotline_call_with_a_photo_through_the_add_form(
    en_client, registers, community_user, storage
):
    en_client.force_login(community_user)
    url = reverse("admin:surveys_residentrequest_add")
    page = en_client.get(url)
    channels = [value for value, _label in page.context["adminform"].form.fields["channel"].choices]
    assert channels == ["", "box", "hotline", "book"]  # never "link"

    response = en_client.post(
        url,
        {
            "channel": "hotline",
            "category": "complaint",
            "neighbourhood": registers.a.neighbourhood.pk,
            "household": registers.a.household.pk,
            "text": "施工噪音扰民",
            "photo": SimpleUploadedFile("call.jpg", picture(), "image/jpeg"),
            "received_at_0": "2026-03-02",
            "received_at_1": "21:30:00",
            "due_on": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    recorded = ResidentRequest.objects.get()
    assert (recorded.channel, recorded.household) == ("hotline", registers.a.household)
    assert recorded.received_at == datetime.datetime(2026, 3, 2, 21, 30, tzinfo=SHANGHAI)
    assert recorded.due_on == MARCH[9]  # seven days after the day of the call
    assert recorded.history.get().history_user == community_user
    assert recorded.photo.name.endswith(".jpg") and "call" not in recorded.photo.name


def test_a_fake_photo_in_the_add_form_is_refused_and_nothing_stored(
    en_client, registers, community_user, storage
):
    en_client.force_login(community_user)
    response = en_client.post(
        reverse("admin:surveys_residentrequest_add"),
        {
            "channel": "book",
            "category": "opinion",
            "neighbourhood": registers.a.neighbourhood.pk,
            "text": "意见",
            "photo": SimpleUploadedFile("p.jpg", b"GIF89a not really", "image/jpeg"),
        },
    )
    assert response.status_code == 200
    assert "This file is not an image" in response.content.decode()
    assert not ResidentRequest.objects.exists()
    assert storage.listdir("") == ([], [])


# --- The admin: scope and masking ---------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.HANDLING, Status.ANSWERED])
def test_community_staff_see_only_their_communitys_requests(
    client, registers, community_user, status
):
    ours = request_in(registers.a, status, text="本社区的诉求")
    theirs = request_in(registers.b, status, text="江南社区的诉求")
    client.force_login(community_user)
    ledger_name = {"received": "open", "handling": "handling", "answered": "closed"}[status]

    response = client.get(LIST, {"ledger": ledger_name})

    assert _listed(response) == {ours.pk}
    assert "江南社区的诉求" not in response.content.decode()
    assert [entry["count"] for entry in response.context["ledgers"]] == [
        int(status == s) for s in ("received", "handling", "answered")
    ]
    for view in ("change", "history"):
        url = reverse(f"admin:surveys_residentrequest_{view}", args=[theirs.pk])
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("admin:index")
    step = reverse("admin:surveys_residentrequest_step", args=[theirs.pk, "start-handling"])
    client.post(step)
    theirs.refresh_from_db()
    assert theirs.status == status


def test_community_staff_cannot_record_a_request_for_another_community(
    client, registers, community_user
):
    client.force_login(community_user)
    response = client.post(
        reverse("admin:surveys_residentrequest_add"),
        {
            "channel": "book",
            "category": "opinion",
            "neighbourhood": registers.b.neighbourhood.pk,
            "text": "越权录入",
        },
    )
    assert response.status_code == 200
    assert not ResidentRequest.objects.exists()


def test_households_are_masked_for_an_inspector_and_clear_for_community_staff(
    client, registers, community_user
):
    resident_request = request_in(registers.a)
    change = reverse("admin:surveys_residentrequest_change", args=[resident_request.pk])
    client.force_login(make_user(Role.INSPECTOR))
    for url in [LIST, change]:
        body = client.get(url).content.decode()
        assert "张**" in body and "张甲户" not in body, url
    assert _listed(client.get(LIST, {"q": "张甲户"})) == set()  # no search by a masked name
    assert client.get(LIST, {"household__head_name": "张甲户"}).status_code == 400

    client.force_login(community_user)
    for url in [LIST, change]:
        assert "张甲户" in client.get(url).content.decode(), url
    assert _listed(client.get(LIST, {"q": "张甲户"})) == {resident_request.pk}


def test_an_anonymous_request_shows_no_household(en_client, registers, office_user):
    ResidentRequestFactory(neighbourhood=registers.a.neighbourhood, household=None)
    en_client.force_login(office_user)
    assert "Not named" in en_client.get(LIST).content.decode()


def test_no_one_deletes_a_request(client, registers, office_user):
    resident_request = request_in(registers.a)
    client.force_login(office_user)
    url = reverse("admin:surveys_residentrequest_delete", args=[resident_request.pk])
    assert client.get(url).status_code == 403
    for ledger_name in ("open", "handling", "closed"):
        action_form = client.get(LIST, {"ledger": ledger_name}).context["action_form"]
        if action_form is not None:  # the ledger in handling has no bulk action
            actions = [name for name, _label in action_form.fields["action"].choices]
            assert "delete_selected" not in actions
