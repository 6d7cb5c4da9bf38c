"""Public disclosures (五项重点公开) in the admin: which files are accepted, under what name,
and when a document counts as published."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from projects.forms import MAX_DOCUMENT_BYTES, DisclosureForm
from projects.models import Disclosure
from residents.roles import Role

from .conftest import make_user
from .factories import CommunityFactory, DisclosureFactory, ProjectFactory
from .formdata import form_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def storage(settings):
    """An empty in-memory storage for this test alone."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def stored_files(storage, path=""):
    directories, files = storage.listdir(path)
    found = [f"{path}/{name}".lstrip("/") for name in files]
    for directory in directories:
        found += stored_files(storage, f"{path}/{directory}".lstrip("/"))
    return found


def office_file(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def disclosure_form(project, name, data, instance=None, **fields):
    values = {"project": project.pk, "category": "tender", "title": "施工招标文件", **fields}
    files = {"file": SimpleUploadedFile(name, data)} if name else {}
    return DisclosureForm({**values}, files, instance=instance or Disclosure(project=project))


# --- files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("招标文件.pdf", PDF),
        ("户档案.docx", office_file("word/document.xml")),
        ("验收清单.XLSX", office_file("xl/workbook.xml")),
    ],
)
def test_pdf_word_and_excel_documents_are_accepted(storage, name, data):
    form = disclosure_form(ProjectFactory(), name, data)
    assert form.is_valid(), form.errors
    disclosure = form.save()
    assert disclosure.file.name.startswith("disclosures/")
    assert disclosure.file.name.lower().endswith(name[name.rindex(".") :].lower())
    assert disclosure.file.open("rb").read() == data


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("notice.html", b"<script>alert(1)</script>", "extension"),
        ("setup.exe", b"MZ\x90\x00", "extension"),
        ("archive.zip", office_file("word/document.xml"), "extension"),
        ("no-extension", PDF, "extension"),
        ("fake.pdf", b"<html><script>alert(1)</script></html>", "content"),
        ("fake.docx", PDF, "content"),
        ("wrong.xlsx", office_file("word/document.xml"), "content"),
        ("fake.jpg", b"plain text", "not_an_image"),
    ],
)
def test_disallowed_or_mislabelled_files_are_refused_and_nothing_stored(storage, name, data, code):
    form = disclosure_form(ProjectFactory(), name, data)
    assert not form.is_valid()
    assert form.errors.as_data()["file"][0].code == code
    assert Disclosure.objects.count() == 0
    assert stored_files(storage) == []


def test_an_oversized_document_is_refused(storage):
    form = disclosure_form(ProjectFactory(), "big.pdf", PDF + b"\0" * MAX_DOCUMENT_BYTES)
    assert not form.is_valid()
    assert form.errors.as_data()["file"][0].code == "too_large"
    assert stored_files(storage) == []


def test_file_names_are_sanitised_and_made_unguessable(storage):
    project = ProjectFactory()
    names = []
    for _ in range(2):
        form = disclosure_form(project, "../../etc/招标 文件<b>;rm -rf.PDF", PDF)
        assert form.is_valid(), form.errors
        names.append(form.save().file.name)
    for name in names:
        directory, _slash, filename = name.rpartition("/")
        assert directory.startswith("disclosures/")
        assert ".." not in name and "<" not in name and ";" not in name and " " not in name
        assert filename.startswith("招标_文件_b_rm_-rf_")
        assert filename.endswith(".pdf")
        assert len(filename) > len("招标_文件_b_rm_-rf_.pdf") + 12  # a random part
    assert names[0] != names[1]


def test_an_image_document_is_stored_reencoded_without_its_metadata(storage):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (33.0, 2.0, 41.5)}
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(buffer, "JPEG", exif=exif)
    form = disclosure_form(ProjectFactory(), "签字表.jpeg", buffer.getvalue())
    assert form.is_valid(), form.errors
    stored = form.save().file
    assert stored.name.endswith(".jpg")
    assert b"Exif" not in stored.open("rb").read()


def test_a_public_disclosure_needs_its_document():
    form = disclosure_form(ProjectFactory(), None, b"", is_public="on")
    assert not form.is_valid()
    assert "file" in form.errors


# --- publication ----------------------------------------------------------------------------


def test_a_private_disclosure_has_no_publication_date(storage):
    form = disclosure_form(ProjectFactory(), "a.pdf", PDF)
    disclosure = form.save()
    assert disclosure.is_public is False
    assert disclosure.published_at is None


def test_published_at_is_set_when_first_made_public_and_then_kept(storage):
    disclosure = DisclosureFactory(is_public=False)
    assert disclosure.published_at is None

    def resave(is_public):
        fields = {
            "project": disclosure.project_id,
            "category": disclosure.category,
            "title": disclosure.title,
        }
        if is_public:
            fields["is_public"] = "on"
        form = DisclosureForm(fields, {}, instance=Disclosure.objects.get(pk=disclosure.pk))
        assert form.is_valid(), form.errors
        return form.save()

    first = resave(is_public=True).published_at
    assert first is not None
    assert timezone.now() - first < timedelta(minutes=1)
    assert resave(is_public=True).published_at == first  # saved again: unchanged
    assert resave(is_public=False).published_at == first  # withdrawn: the date stays
    assert resave(is_public=True).published_at == first  # published again: still the first


def test_the_project_page_inline_publishes_a_document(client, storage):
    project = ProjectFactory()
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = {
        key: value
        for key, value in form_data(client.get(url).content.decode()).items()
        if "__prefix__" not in key and not (key == "merged_neighbourhoods" and not value)
    }
    data.update(
        {
            "disclosures-TOTAL_FORMS": "1",
            "disclosures-0-project": str(project.pk),
            "disclosures-0-category": "procedures",
            "disclosures-0-title": "立项批复",
            "disclosures-0-file": SimpleUploadedFile("立项批复.pdf", PDF),
            "disclosures-0-is_public": "on",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    disclosure = Disclosure.objects.get()
    assert disclosure.is_public and disclosure.published_at is not None
    assert stored_files(storage) == [disclosure.file.name]


def test_community_staff_publish_a_document_of_their_project_from_its_own_page(client, storage):
    project = ProjectFactory()
    client.force_login(make_user(Role.COMMUNITY, communities=[project.neighbourhood.community]))
    response = client.post(
        reverse("admin:projects_disclosure_add"),
        {
            "project": project.pk,
            "category": "engineering",
            "title": "施工日志",
            "file": SimpleUploadedFile("施工日志.pdf", PDF),
            "is_public": "on",
        },
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.project == project
    assert disclosure.published_at is not None


def test_community_staff_cannot_post_a_document_to_another_communitys_project(client, storage):
    theirs = ProjectFactory()
    client.force_login(make_user(Role.COMMUNITY, communities=[CommunityFactory()]))
    response = client.post(
        reverse("admin:projects_disclosure_add"),
        {
            "project": theirs.pk,
            "category": "engineering",
            "title": "施工日志",
            "file": SimpleUploadedFile("施工日志.pdf", PDF),
        },
    )
    assert response.status_code == 200
    assert "project" in response.context["adminform"].form.errors
    assert Disclosure.objects.count() == 0
    assert stored_files(storage) == []


def test_the_disclosure_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:projects_disclosure_changelist")
    DisclosureFactory()
    # session, user, user and group permissions, the community filter's choices, the count
    # of the page and of the whole list, the page of documents with their projects,
    # neighbourhoods and communities; the savepoint and release of the request's transaction
    with django_assert_num_queries(10):
        client.get(url)
    for _ in range(5):
        DisclosureFactory(is_public=True)
    with django_assert_num_queries(10):
        client.get(url)
