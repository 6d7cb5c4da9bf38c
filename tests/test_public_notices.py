"""The public pages /notices/: what is published, to anyone, on a phone, and nothing else."""

import pytest
from django.urls import reverse

from projects.models import Project

from .factories import (
    DisclosureFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    PhotoFactory,
    ProjectFactory,
    PublicNoticeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("projects:notice_index")


def detail(project):
    return reverse("projects:notice_detail", args=[project.pk])


def test_the_pages_need_no_login_and_are_made_for_phones(client):
    project = DisclosureFactory(is_public=True).project
    for url in [INDEX, detail(project)]:
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
        assert '<html lang="zh-hans">' in body  # Chinese by default


def test_the_index_lists_projects_with_a_public_disclosure_by_neighbourhood(client):
    taoyuan = NeighbourhoodFactory(name="桃园小区", community__name="城关社区")
    jiangnan = NeighbourhoodFactory(name="江南小区", community__name="江南社区")
    for name, year in [("桃园一期", 2025), ("桃园二期", 2026)]:
        DisclosureFactory(
            project__neighbourhood=taoyuan,
            project__name=name,
            project__batch_year=year,
            is_public=True,
        )
    DisclosureFactory(project__neighbourhood=jiangnan, project__name="江南改造", is_public=True)
    DisclosureFactory(project__name="未公开项目", is_public=False)
    ProjectFactory(name="无文件项目")

    body = client.get(INDEX).content.decode()

    assert "未公开项目" not in body and "无文件项目" not in body
    for name in ["桃园小区", "城关社区", "江南小区", "江南社区"]:
        assert body.count(name) == 1  # one heading per neighbourhood, with its community
    order = [
        body.index(text) for text in ["桃园小区", "桃园二期", "桃园一期", "江南小区", "江南改造"]
    ]
    assert order == sorted(order)  # by community, then the newest batch first


def test_a_project_page_shows_its_public_disclosures_by_category(client):
    public = DisclosureFactory(category="tender", title="施工招标公告", is_public=True)
    project = public.project
    acceptance = DisclosureFactory(
        project=project, category="acceptance", title="竣工验收清单", is_public=True
    )

    body = client.get(detail(project)).content.decode()

    assert project.name in body and project.neighbourhood.name in body
    assert project.neighbourhood.community.name in body
    assert "2026" in body
    assert f'<a href="{public.file.url}">施工招标公告</a>' in body
    assert f'<a href="{acceptance.file.url}">竣工验收清单</a>' in body
    assert body.index("施工招标公告") < body.index("竣工验收清单")  # in the order of the five


def test_a_private_disclosure_is_never_shown(client):
    project = DisclosureFactory(is_public=True).project
    private = DisclosureFactory(project=project, title="内部草稿", is_public=False)
    for url in [INDEX, detail(project)]:
        body = client.get(url).content.decode()
        assert "内部草稿" not in body
        assert private.file.name not in body


def test_a_project_without_public_disclosures_has_no_page(client):
    private = DisclosureFactory(is_public=False).project
    bare = ProjectFactory()
    assert client.get(detail(private)).status_code == 404
    assert client.get(detail(bare)).status_code == 404
    assert client.get(reverse("projects:notice_detail", args=[999_999])).status_code == 404


def test_withdrawing_the_last_public_document_takes_the_page_down(client):
    disclosure = DisclosureFactory(is_public=True)
    disclosure.is_public = False
    disclosure.save(update_fields=["is_public"])
    assert client.get(detail(disclosure.project)).status_code == 404


def test_before_and_after_photos_are_shown_as_thumbnails_linking_to_the_photo(client):
    project = DisclosureFactory(is_public=True).project
    before = PhotoFactory(project=project, stage="before", caption="改造前的外墙", is_public=True)
    after = PhotoFactory(project=project, stage="after", caption="改造后的外墙", is_public=True)
    unchecked = PhotoFactory(project=project, stage="after", caption="未审核的照片")

    body = client.get(detail(project)).content.decode()

    for photo in [before, after]:
        assert f'<a href="{photo.image.url}"><img src="{photo.thumbnail.url}"' in body
        assert photo.caption in body
    assert body.index("改造前的外墙") < body.index("改造后的外墙")
    assert unchecked.caption not in body  # not yet checked by staff: not public


def test_photos_of_a_project_without_public_disclosures_are_not_shown(client):
    hidden = PhotoFactory(caption="未公开项目的照片")
    DisclosureFactory(project=hidden.project, is_public=False)
    shown = DisclosureFactory(is_public=True).project
    pages = [client.get(INDEX), client.get(detail(shown)), client.get(detail(hidden.project))]
    for response in pages:
        body = response.content.decode()
        assert "未公开项目的照片" not in body
        assert hidden.image.url not in body and hidden.thumbnail.url not in body


def test_the_pages_show_no_personal_data(client, registers):
    neighbourhood = registers.a.neighbourhood
    HouseholdFactory(
        building=registers.a.building, head_name="钱多多", phone="13999990001", room="202"
    )
    responsible = UserFactory(
        username="liuzr", first_name="子然", last_name="刘", email="liu@example.cn"
    )
    project = ProjectFactory(neighbourhood=neighbourhood, responsible=responsible)
    DisclosureFactory(project=project, category="household_records", is_public=True)
    PhotoFactory(project=project, stage="before", is_public=True)

    pages = [client.get(INDEX).content.decode(), client.get(detail(project)).content.decode()]

    assert neighbourhood.name in pages[0] and neighbourhood.name in pages[1]
    personal = [
        "钱多多",
        "13999990001",
        "张甲户",
        registers.a.household.phone,
        registers.a.household.id_number,
        "赵楼长",
        registers.a.building_head.phone,
        "钱委员",
        "13711110111",
        "liuzr",
        "子然",
        "刘子然",
        "liu@example.cn",
    ]
    for body in pages:
        for value in personal:
            assert value not in body, value


def test_the_index_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    DisclosureFactory(is_public=True)
    # the projects with their neighbourhoods, communities and counts of public documents
    # (one query), their notices (one query, for the mark of an open notice); the savepoint
    # and release of the request's transaction
    with django_assert_num_queries(4):
        client.get(INDEX)
    for _ in range(5):
        project = DisclosureFactory(is_public=True).project
        DisclosureFactory(project=project, is_public=True)
        DisclosureFactory(project=project, is_public=False)
    for project in Project.objects.all():
        PublicNoticeFactory.create_batch(2, project=project)
    with django_assert_num_queries(4):
        assert len(client.get(INDEX).context["projects"]) == 6


def test_a_project_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    project = DisclosureFactory(is_public=True).project
    # the project with its neighbourhood and community, its notices (for the current one),
    # its public documents, its before and after photos; the savepoint and release of the
    # request's transaction
    with django_assert_num_queries(6):
        client.get(detail(project))
    for category in ["household_records", "procedures", "tender", "engineering", "acceptance"]:
        DisclosureFactory(project=project, category=category, is_public=True)
        DisclosureFactory(project=project, category=category, is_public=False)
    for stage in ["before", "during", "after"]:
        PhotoFactory.create_batch(3, project=project, stage=stage, is_public=True)
    PublicNoticeFactory.create_batch(3, project=project)
    with django_assert_num_queries(6):
        response = client.get(detail(project))
    assert len(response.context["project"].public_disclosures) == 6
    assert len(response.context["project"].public_photos) == 6
