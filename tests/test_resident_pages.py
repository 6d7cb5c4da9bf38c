"""The household's own pages at /h/<token>/: what they show, what they take, what they refuse.

The pages are reached by a household link and need no login. They show the household's
address but nothing personal, the neighbourhood's posted plan, an opinion form, the objection
form while the notice is open, and what the household sent with the staff's answers.
"""

import datetime
import io
import logging
import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from django_ratelimit.core import get_usage
from PIL import Image

from config.logging import MaskHouseholdTokens, mask_tokens
from projects import services as project_services
from projects.models import Project
from surveys import ledger, links, notices, views
from surveys.models import Objection, ResidentRequest

from .factories import CatalogueKindFactory, ProjectFactory, PublicNoticeFactory
from .test_project_lifecycle import project_at

#: A moment at which django-ratelimit's windows are frozen, so a test never straddles two.
FROZEN_RATELIMIT_TIME = 1_800_000_000.0


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The rate limits count in the (local-memory) cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen_ratelimit_clock(monkeypatch):
    import django_ratelimit.core

    monkeypatch.setattr(
        django_ratelimit.core, "time", SimpleNamespace(time=lambda: FROZEN_RATELIMIT_TIME)
    )


def post_plan(neighbourhood, *, posted_days_ago=1, period_days=7, content="加装电梯两部"):
    """A project of ``neighbourhood`` in consultation with its plan posted ``posted_days_ago``
    days ago for ``period_days`` days."""
    project = ProjectFactory(neighbourhood=neighbourhood, name="桃园小区改造")
    project_services.start_consultation(project, by=None)
    return PublicNoticeFactory(
        project=project,
        content=content,
        budget="1234567.80",
        schedule="四月开工，十月完工",
        posted_on=timezone.localdate() - datetime.timedelta(days=posted_days_ago),
        period_days=period_days,
    )


@pytest.fixture
def home(registers):
    """Household A (张甲户 of 桃园小区) with a fresh link; ``url`` is its page."""
    household = registers.a.household
    token = links.issue_link(household)
    return SimpleNamespace(
        household=household,
        token=token,
        url=reverse("surveys:household_home", args=[token]),
        opinion_url=reverse("surveys:household_opinion", args=[token]),
        objection_url=reverse("surveys:household_objection", args=[token]),
    )


@pytest.fixture
def open_notice(registers):
    return post_plan(registers.a.neighbourhood)


@pytest.fixture
def closed_notice(registers):
    return post_plan(registers.a.neighbourhood, posted_days_ago=30)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    return buffer.getvalue()


def without_tokens(html: str) -> str:
    """``html`` without its CSRF tokens and household tokens (the language switcher returns
    to the page's own address), which differ from one response to the next."""
    return mask_tokens(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html))


# --- What the page shows -------------------------------------------------------------------


def test_resident_page_shows_the_address_and_the_posted_plan(client, home, open_notice):
    response = client.get(home.url)

    assert response.status_code == 200
    page = response.content.decode()
    assert home.household.address in page
    assert "加装电梯两部" in page
    assert "四月开工，十月完工" in page
    assert "1234567.80" in page  # Chinese writes no thousands separator
    assert f'action="{home.objection_url}"' in page
    assert f'action="{home.opinion_url}"' in page


def test_resident_page_speaks_chinese_by_default(client, home):
    page = client.get(home.url).content.decode()

    assert '<html lang="zh-hans">' in page


def test_resident_page_shows_no_personal_data(client, registers, home, open_notice):
    household = home.household
    page = client.get(home.url).content.decode()

    for personal in [
        household.head_name,
        household.phone,
        household.id_number,
        registers.a.building_head.name,
        registers.a.building_head.phone,
    ]:
        assert personal not in page


def test_resident_page_without_a_posted_plan_still_takes_opinions(client, home):
    page = client.get(home.url).content.decode()

    assert f'action="{home.opinion_url}"' in page
    assert f'action="{home.objection_url}"' not in page


def test_a_draft_project_s_notice_is_not_shown(client, registers, home):
    PublicNoticeFactory(
        project=ProjectFactory(neighbourhood=registers.a.neighbourhood),
        content="草稿中的方案",
        posted_on=timezone.localdate(),
    )

    assert "草稿中的方案" not in client.get(home.url).content.decode()


def test_objection_form_is_not_shown_after_the_notice_period(client, home, closed_notice):
    page = client.get(home.url).content.decode()

    assert "加装电梯两部" in page
    assert f'action="{home.objection_url}"' not in page


def test_resident_page_runs_a_fixed_number_of_queries(
    client, home, open_notice, django_assert_num_queries
):
    request = ResidentRequest.objects.create(
        channel="link",
        neighbourhood=home.household.building.neighbourhood,
        household=home.household,
        text="路灯坏了",
    )
    request.needs.set([CatalogueKindFactory(), CatalogueKindFactory()])
    Objection.objects.create(
        notice=open_notice, household=home.household, channel="link", text="反对"
    )
    client.get(home.url)  # the first visit of the hour writes ``last_used_at``

    # 1 savepoint and 1 release (ATOMIC_REQUESTS), 1 the link with household, building and
    # neighbourhood, 1 the survey card (the household's place on an open round's roll),
    # 1 the current project, 1 its notices, 1 the needs offered in the form, 1 the household's
    # requests, 1 their needs, 1 its objections with their notices.
    with django_assert_num_queries(10):
        response = client.get(home.url)
    assert response.status_code == 200


# --- Opinions ------------------------------------------------------------------------------


def test_opinion_creates_a_request_of_the_household_by_link(client, home):
    parking, lights = CatalogueKindFactory(), CatalogueKindFactory()

    response = client.post(
        home.opinion_url,
        {"category": "suggestion", "needs": [parking.pk, lights.pk], "text": "希望增加停车位"},
    )

    assert response.status_code == 302
    assert response["Location"] == home.url
    request = ResidentRequest.objects.get()
    assert request.channel == ResidentRequest.Channel.LINK
    assert request.household == home.household
    assert request.neighbourhood == home.household.building.neighbourhood
    assert request.category == "suggestion"
    assert request.text == "希望增加停车位"
    assert set(request.needs.all()) == {parking, lights}
    followed = client.get(home.url).content.decode()
    assert "希望增加停车位" in followed
    assert 'class="success"' in followed


def test_opinion_with_a_photo_stores_it_re_encoded(client, home):
    photo = SimpleUploadedFile("门口.png", png_bytes(), content_type="image/png")

    response = client.post(
        home.opinion_url, {"category": "complaint", "text": "楼道积水", "photo": photo}
    )

    assert response.status_code == 302
    stored = ResidentRequest.objects.get().photo
    assert stored.name.endswith(".jpg")
    assert stored.read(3) == b"\xff\xd8\xff"


def test_refused_photo_keeps_what_was_typed_and_says_why(client, home):
    kind = CatalogueKindFactory()
    not_a_photo = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")

    response = client.post(
        home.opinion_url,
        {"category": "complaint", "needs": [kind.pk], "text": "楼道积水严重", "photo": not_a_photo},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "楼道积水严重</textarea>" in page
    assert re.search(rf'value="{kind.pk}"[^>]*checked', page)
    assert 'value="complaint"' in page and re.search(r'value="complaint"[^>]*checked', page)
    assert "JPEG、PNG" in page  # the reason, from projects.images (in Chinese)
    assert not ResidentRequest.objects.exists()


def test_failed_opinion_keeps_the_ticked_needs(client, home):
    kind = CatalogueKindFactory()

    response = client.post(
        home.opinion_url, {"category": "opinion", "needs": [kind.pk], "text": ""}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(rf'value="{kind.pk}"[^>]*checked', page)
    assert 'class="form-errors"' in page
    assert not ResidentRequest.objects.exists()


def test_too_long_opinion_is_refused_and_kept(client, home):
    text = "长" * 2001

    response = client.post(home.opinion_url, {"category": "opinion", "text": text})

    assert response.status_code == 200
    assert f"{text}</textarea>" in response.content.decode()
    assert not ResidentRequest.objects.exists()


def test_get_on_a_form_address_goes_back_to_the_page(client, home):
    response = client.get(home.opinion_url)

    assert response.status_code == 302
    assert response["Location"] == home.url


# --- Objections ----------------------------------------------------------------------------


def test_objection_while_the_notice_is_open_creates_an_objection(client, home, open_notice):
    response = client.post(
        home.objection_url, {"notice": open_notice.pk, "text": "电梯位置挡住采光"}
    )

    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.notice == open_notice
    assert objection.household == home.household
    assert objection.channel == Objection.Channel.LINK
    assert objection.text == "电梯位置挡住采光"
    assert "电梯位置挡住采光" in client.get(home.url).content.decode()


def test_objection_is_refused_once_the_notice_period_is_over(client, home, closed_notice):
    response = client.post(
        home.objection_url, {"notice": closed_notice.pk, "text": "我反对这个方案"}
    )

    assert response.status_code == 200
    assert not Objection.objects.exists()
    page = response.content.decode()
    assert f'action="{home.objection_url}"' not in page
    assert 'class="error"' in page  # why, as a message
    assert "我反对这个方案</textarea>" in page  # the text, moved to the opinion form


def test_objection_to_a_notice_that_was_replaced_is_refused(client, registers, home, open_notice):
    newer = PublicNoticeFactory(project=open_notice.project, posted_on=timezone.localdate())

    response = client.post(home.objection_url, {"notice": open_notice.pk, "text": "反对旧方案"})

    assert response.status_code == 200
    assert not Objection.objects.exists()
    page = response.content.decode()
    assert "反对旧方案</textarea>" in page  # kept, to be sent against the plan now posted
    assert f'name="notice" value="{newer.pk}"' in page
    assert 'class="error"' in page


def test_empty_objection_is_refused_and_the_form_stays(client, home, open_notice):
    response = client.post(home.objection_url, {"notice": open_notice.pk, "text": "  "})

    assert response.status_code == 200
    assert not Objection.objects.exists()
    assert f'action="{home.objection_url}"' in response.content.decode()


# --- The opinion form once the plan is decided ---------------------------------------------


def asks_for_needs(page: str) -> bool:
    return 'name="needs"' in page


@pytest.fixture
def approved(registers, office_user):
    """桃园小区's project, approved: past consultation."""
    return project_at(
        Project.Status.APPROVED, by=office_user, neighbourhood=registers.a.neighbourhood
    )


def test_the_opinion_form_asks_for_needs_while_the_plan_is_being_made(client, home):
    assert asks_for_needs(client.get(home.url).content.decode())  # no project yet

    post_plan(home.household.building.neighbourhood)  # residents being consulted
    assert asks_for_needs(client.get(home.url).content.decode())


@pytest.mark.parametrize(
    "status",
    [Project.Status.APPROVED, Project.Status.UNDER_CONSTRUCTION, Project.Status.ACCEPTED],
)
def test_past_consultation_the_opinion_form_takes_words_without_needs(
    client, registers, home, office_user, status
):
    project_at(status, by=office_user, neighbourhood=registers.a.neighbourhood)

    page = client.get(home.url).content.decode()

    assert not asks_for_needs(page)
    assert f'action="{home.opinion_url}"' in page  # still the household's way to write (民情)
    assert 'name="category"' in page and 'name="text"' in page and 'name="photo"' in page


def test_an_opinion_sent_past_consultation_is_recorded_without_needs(client, home, approved):
    """A page read during the consultation may still post needs: the words are taken, the
    ticks no longer count."""
    kind = CatalogueKindFactory()

    response = client.post(
        home.opinion_url, {"category": "complaint", "needs": [kind.pk], "text": "施工太吵"}
    )

    assert response.status_code == 302
    request = ResidentRequest.objects.get()
    assert request.text == "施工太吵"
    assert not request.needs.exists()


def test_a_refused_opinion_past_consultation_keeps_the_text_without_needs(client, home, approved):
    response = client.post(home.opinion_url, {"category": "complaint", "text": "长" * 2001})

    assert response.status_code == 200
    page = response.content.decode()
    assert f"{'长' * 2001}</textarea>" in page
    assert not asks_for_needs(page)


def test_resident_page_past_consultation_runs_a_fixed_number_of_queries(
    client, home, approved, django_assert_num_queries
):
    client.get(home.url)

    # 1 savepoint and 1 release (ATOMIC_REQUESTS), 1 the link with household, building and
    # neighbourhood, 1 the survey card (none), 1 the current project, 1 its notices, 1 the
    # unanswered objections to its notice (its period is over), 1 the household's requests,
    # 1 its objections; no needs offered in the form.
    with django_assert_num_queries(9):
        response = client.get(home.url)
    assert response.status_code == 200


# --- Answers -------------------------------------------------------------------------------


def test_staff_answers_are_shown_to_the_household(client, home, open_notice, office_user):
    objection = notices.submit_objection(open_notice, household=home.household, text="太吵")
    request = ledger.submit_request(home.household, text="路灯不亮", category="complaint")
    page = client.get(home.url).content.decode()
    assert "夜间不施工" not in page and "已更换路灯" not in page

    notices.answer_objection(objection, answer="夜间不施工", by=office_user)
    ledger.start_handling(request, by=office_user)
    ledger.answer_request(request, answer="已更换路灯", by=office_user)
    page = client.get(home.url).content.decode()

    assert "夜间不施工" in page
    assert "已更换路灯" in page


def test_the_page_shows_only_the_household_s_own_submissions(client, registers, home):
    ledger.submit_request(registers.a.household, text="我家的意见", category="opinion")
    neighbour = registers.a.building.households.create(
        unit=1, floor=2, room="202", head_name="邻居"
    )
    ledger.submit_request(neighbour, text="邻居家的意见", category="opinion")

    page = client.get(home.url).content.decode()

    assert "我家的意见" in page
    assert "邻居家的意见" not in page


# --- Links that do not work ------------------------------------------------------------------


def test_unknown_and_revoked_tokens_get_the_same_friendly_404(client, home):
    links.revoke(home.household)
    unknown = client.get(reverse("surveys:household_home", args=[links.new_token()]))
    revoked = client.get(home.url)

    assert unknown.status_code == revoked.status_code == 404
    assert without_tokens(unknown.content.decode()) == without_tokens(revoked.content.decode())
    assert 'class="household"' in unknown.content.decode()


def test_a_revoked_token_cannot_post(client, home, open_notice):
    links.revoke(home.household)

    response = client.post(home.objection_url, {"notice": open_notice.pk, "text": "反对"})

    assert response.status_code == 404
    assert not Objection.objects.exists()


@pytest.mark.parametrize("token", ["x", "a" * 200, "not-a-token-%20"])
def test_malformed_tokens_get_the_friendly_404(db, client, token):
    response = client.get(f"/h/{token}/")

    assert response.status_code == 404


def test_other_addresses_under_a_token_get_the_friendly_404(client, home):
    response = client.get(home.url + "something/else/")

    assert response.status_code == 404
    assert response["Referrer-Policy"] == "same-origin"


def test_the_token_is_not_logged_when_a_link_fails(client, home, caplog):
    links.revoke(home.household)

    with caplog.at_level(logging.INFO):
        client.get(home.url)
        client.get(home.url + "more/")

    assert home.token not in caplog.text
    assert "Not Found: /h/…/" in caplog.text


def test_mask_household_tokens_filter_masks_paths_in_log_records(home):
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET {home.url} HTTP/1.1", "200", "5"),
        None,
    )

    MaskHouseholdTokens().filter(record)

    assert home.token not in record.getMessage()
    assert record.getMessage() == '"GET /h/…/ HTTP/1.1" 200 5'


# --- Headers, CSRF, rate limits ------------------------------------------------------------


def test_pages_are_not_cached_and_send_no_referrer(client, home):
    for response in [client.get(home.url), client.get("/h/nothing-here/")]:
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]


def test_forms_are_csrf_protected(home, open_notice):
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(home.objection_url, {"notice": open_notice.pk, "text": "反对"})

    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_121st_request_within_a_minute_from_one_address_is_refused_with_a_friendly_429(
    client, home, frozen_ratelimit_clock
):
    # Any page counts: the form's address (it only redirects) is the quickest to ask.
    for _ in range(120):
        assert client.get(home.opinion_url).status_code == 302

    response = client.get(home.url)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert 'class="household"' in response.content.decode()


def test_guessing_tokens_counts_against_the_address_s_limit(db, client, frozen_ratelimit_clock):
    for _ in range(120):
        assert client.get(f"/h/{links.new_token()}/").status_code == 404

    assert client.get(f"/h/{links.new_token()}/").status_code == 429


def test_page_limits_count_per_client_ip(client, home, frozen_ratelimit_clock):
    for _ in range(121):
        client.get(home.opinion_url, REMOTE_ADDR="10.0.0.1")

    assert client.get(home.url, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(home.url, REMOTE_ADDR="10.0.0.2").status_code == 200


def other_households(registers, count):
    """``count`` more households of 桃园小区's building, each with its link's opinion URL."""
    urls = []
    for n in range(count):
        household = registers.a.building.households.create(
            unit=2, floor=n + 1, room=f"2{n:02d}", head_name=f"住户{n}"
        )
        urls.append(reverse("surveys:household_opinion", args=[links.issue_link(household)]))
    return urls


def test_six_households_on_one_address_can_each_send_opinions(
    client, registers, home, frozen_ratelimit_clock
):
    """A community centre's Wi-Fi or a carrier's shared address: one IP, many households,
    each with its own five submissions a minute."""
    urls = [home.opinion_url, *other_households(registers, 5)]

    for url in urls:
        for n in range(5):
            response = client.post(url, {"category": "opinion", "text": f"意见{n}"})
            assert response.status_code == 302

    assert ResidentRequest.objects.count() == 30
    assert ResidentRequest.objects.values("household").distinct().count() == 6


def test_a_household_s_sixth_submission_within_a_minute_is_refused(
    client, registers, home, frozen_ratelimit_clock, caplog
):
    for n in range(5):
        response = client.post(
            home.opinion_url, {"category": "opinion", "text": f"意见{n}"}, REMOTE_ADDR=f"10.0.0.{n}"
        )
        assert response.status_code == 302

    with caplog.at_level(logging.INFO):
        response = client.post(
            home.opinion_url, {"category": "opinion", "text": "第六条"}, REMOTE_ADDR="10.0.0.9"
        )

    assert response.status_code == 429  # from another address too: the limit is the link's
    assert 'class="household"' in response.content.decode()
    assert ResidentRequest.objects.count() == 5
    assert home.token not in caplog.text
    assert "Too Many Requests: /h/…/opinion/" in caplog.text
    [neighbour_url] = other_households(registers, 1)
    assert client.post(neighbour_url, {"category": "opinion", "text": "邻居"}).status_code == 302


def test_submissions_are_counted_per_link_by_the_hash_of_its_token(
    client, home, frozen_ratelimit_clock
):
    client.post(home.opinion_url, {"category": "opinion", "text": "一条意见"})
    request = RequestFactory().post(home.objection_url)
    request.resolver_match = resolve(home.objection_url)

    key = views.link_key("surveys.household.posts", request)
    usage = get_usage(
        request,
        group="surveys.household.posts",
        key=views.link_key,
        rate=views.POST_RATE,
        method="POST",
        increment=False,
    )

    assert key == links.hash_token(home.token)
    assert home.token not in key
    assert usage["count"] == 1  # the opinion, counted for the link whichever form it used


def test_61st_submission_within_a_minute_from_one_address_is_refused(
    client, registers, home, frozen_ratelimit_clock
):
    """Twelve households send their five each from one address; the next is over the
    address's ceiling, and so is a guessed link's."""
    urls = other_households(registers, 12)
    for url in urls:
        for _ in range(5):
            # An empty opinion: refused by the form, but counted all the same.
            assert client.post(url, {"category": "opinion", "text": ""}).status_code == 200

    response = client.post(home.opinion_url, {"category": "opinion", "text": "第61条"})
    guessed = client.post(
        reverse("surveys:household_opinion", args=[links.new_token()]),
        {"category": "opinion", "text": "猜"},
    )

    assert response.status_code == guessed.status_code == 429
    assert not ResidentRequest.objects.exists()
    other = client.post(
        home.opinion_url, {"category": "opinion", "text": "换个地址"}, REMOTE_ADDR="10.0.0.2"
    )
    assert other.status_code == 302


def test_a_browser_post_with_its_origin_passes_the_csrf_check(home, open_notice):
    """Browsers send the page's Origin with a form post under ``same-origin`` (under
    ``no-referrer`` they send ``Origin: null``, which Django refuses as forged)."""
    from django.test import Client

    from surveys.models import ResidentRequest

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(home.url)
    assert page["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = browser.post(
        home.opinion_url,
        {"csrfmiddlewaretoken": token, "category": "opinion", "text": "楼道灯不亮"},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 302
    assert ResidentRequest.objects.filter(household=home.household, text="楼道灯不亮").exists()
