"""Photos of a project: every upload is checked, re-encoded and stripped before it is stored.

The files are built here with Pillow (a decompression bomb is a PNG header that claims a huge
picture, a few dozen bytes), so no binary is committed.
"""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from projects import images
from projects.forms import PhotoForm
from projects.images import MAX_PIXELS, MAX_UPLOAD_BYTES, process_upload
from projects.models import Photo
from residents.roles import Role

from .conftest import make_user
from .factories import CommunityFactory, PhotoFactory, ProjectFactory
from .formdata import form_data

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112


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


def picture(size=(64, 48), colour="red", fmt="JPEG", **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA" if fmt != "JPEG" else "RGB", size, colour).save(buffer, fmt, **save_options)
    return buffer.getvalue()


def two_halves(size=(200, 100)) -> Image.Image:
    """Red on the left, blue on the right."""
    image = Image.new("RGB", size, "red")
    image.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    return image


def noisy_jpeg(size=(400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """The start of a PNG that claims ``width`` × ``height`` pixels (1 bit each), with a
    token of data: what a decompression bomb looks like before it is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(data: bytes, name="photo.jpg") -> str:
    with pytest.raises(ValidationError) as caught:
        process_upload(upload(data, name))
    return caught.value.code


def photo_form(project, data: bytes, name="photo.jpg", **fields):
    return PhotoForm(
        {"project": project.pk, "stage": "before", "caption": "", **fields},
        {"image": upload(data, name)},
    )


# --- what is refused ------------------------------------------------------------------------


def test_a_decompression_bomb_is_refused_from_its_header():
    bomb = png_header(20_000, 20_000)  # 400 megapixels in 90 bytes
    assert len(bomb) < 200
    assert refusal(bomb, "bomb.png") == "too_many_pixels"


def test_a_picture_one_row_above_the_pixel_limit_is_refused():
    assert refusal(png_header(8_000, MAX_PIXELS // 8_000 + 1), "big.png") == "too_many_pixels"


def test_a_picture_at_the_pixel_limit_passes_the_pixel_check():
    # Exactly 40 megapixels is allowed: this header gets as far as decoding, where its token
    # of data is found wanting.
    assert refusal(png_header(8_000, MAX_PIXELS // 8_000), "limit.png") == "corrupt"


def test_pillows_bomb_warning_is_a_refusal_even_if_our_own_check_were_off(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 10**12)
    assert refusal(png_header(8_000, 6_000), "big.png") == "too_many_pixels"


def test_a_text_file_named_jpg_is_refused():
    assert refusal(b"Just some text pretending to be a photo.\n" * 20) == "not_an_image"


def test_a_gif_or_bmp_is_refused_whatever_its_name():
    assert refusal(picture(fmt="GIF")) == "not_an_image"
    assert refusal(picture(fmt="BMP"), "photo.png") == "not_an_image"


def test_a_truncated_jpeg_is_refused():
    whole = noisy_jpeg()
    assert refusal(whole[: len(whole) // 2]) == "corrupt"


def test_an_oversized_file_is_refused_before_it_is_read():
    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("an oversized upload must not be read")

    big = Unreadable("big.jpg", b"")
    big.size = MAX_UPLOAD_BYTES + 1
    with pytest.raises(ValidationError) as caught:
        process_upload(big)
    assert caught.value.code == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_header(20_000, 20_000), id="bomb"),
        pytest.param(b"not a photo\n" * 50, id="text"),
        pytest.param(noisy_jpeg()[:3000], id="truncated"),
        pytest.param(b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES, id="oversized"),
    ],
)
def test_a_refused_photo_stores_nothing(storage, data):
    project = ProjectFactory()
    form = photo_form(project, data)
    assert not form.is_valid()
    assert "image" in form.errors
    assert Photo.objects.count() == 0
    assert stored_files(storage) == []


# --- what is stored -------------------------------------------------------------------------


def test_gps_and_every_other_exif_tag_are_removed(storage):
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (33.0, 2.0, 41.5), 3: "E", 4: (108.0, 14.0, 52.0)}
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    two_halves().save(buffer, "JPEG", exif=exif, comment=b"13811110001")
    original = buffer.getvalue()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # GPS before

    form = photo_form(ProjectFactory(), original)
    assert form.is_valid(), form.errors
    photo = form.save()

    stored = photo.image.open("rb").read()
    reopened = Image.open(io.BytesIO(stored))
    assert reopened.format == "JPEG"
    assert len(reopened.getexif()) == 0
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(reopened.info)
    assert b"Exif\0\0" not in stored
    assert b"13811110001" not in stored
    assert b"PhoneMaker" not in stored


def test_an_orientation_tagged_photo_is_stored_upright(storage):
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "turn me a quarter clockwise to view"
    buffer = io.BytesIO()
    two_halves((200, 100)).save(buffer, "JPEG", exif=exif)

    form = photo_form(ProjectFactory(), buffer.getvalue())
    assert form.is_valid(), form.errors
    photo = form.save()

    assert (photo.width, photo.height) == (100, 200)
    upright = Image.open(photo.image.open("rb"))
    assert upright.size == (100, 200)
    red, _green, blue = upright.getpixel((50, 20))
    assert red > 200 and blue < 60  # the left (red) half is now on top
    red, _green, blue = upright.getpixel((50, 180))
    assert blue > 200 and red < 60


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_stored_as_jpeg_with_transparency_on_white(storage, fmt):
    data = picture(colour=(0, 0, 0, 0), fmt=fmt)  # fully transparent black
    form = photo_form(ProjectFactory(), data, name=f"photo.{fmt.lower()}")
    assert form.is_valid(), form.errors
    photo = form.save()
    stored = Image.open(photo.image.open("rb"))
    assert stored.format == "JPEG"
    assert photo.image.name.endswith(".jpg")
    assert min(stored.getpixel((10, 10))) > 240


def test_a_real_photo_named_txt_is_accepted_by_its_content(storage):
    form = photo_form(ProjectFactory(), picture(), name="IMG_0001.txt")
    assert form.is_valid(), form.errors


def test_a_large_photo_is_scaled_down_with_a_small_thumbnail(storage):
    form = photo_form(ProjectFactory(), picture(size=(6_400, 400)))
    assert form.is_valid(), form.errors
    photo = form.save()
    assert (photo.width, photo.height) == (images.MAX_EDGE, 200)
    thumbnail = Image.open(photo.thumbnail.open("rb"))
    assert thumbnail.size == (images.THUMBNAIL_EDGE, 30)


def test_stored_names_say_nothing_of_the_uploaded_name(storage):
    form = photo_form(ProjectFactory(), picture(), name="张甲户-13811110001.jpg")
    assert form.is_valid(), form.errors
    photo = form.save()
    assert "13811110001" not in photo.image.name
    assert "张甲户" not in photo.thumbnail.name
    assert photo.image.name.startswith("photos/")
    assert photo.thumbnail.name.startswith("photos/thumbs/")


# --- through the admin ----------------------------------------------------------------------


def _post_data(html: str, **changes) -> dict:
    """The page's form as posted, without the inline templates and empty multi-selects."""
    data = form_data(html, **changes)
    return {
        key: value
        for key, value in data.items()
        if "__prefix__" not in key and not (key == "merged_neighbourhoods" and not value)
    }


def test_the_project_page_inline_stores_the_reencoded_photo_and_its_uploader(client, storage):
    project = ProjectFactory()
    user = make_user(Role.OFFICE)
    client.force_login(user)
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = _post_data(client.get(url).content.decode())
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (33.0, 2.0, 41.5)}
    buffer = io.BytesIO()
    two_halves().save(buffer, "JPEG", exif=exif)
    data.update(
        {
            "photos-TOTAL_FORMS": "1",
            "photos-0-project": str(project.pk),
            "photos-0-stage": "before",
            "photos-0-caption": "3号楼外墙",
            "photos-0-image": upload(buffer.getvalue(), "IMG_2201.JPG"),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    photo = Photo.objects.get()
    assert (photo.project, photo.stage, photo.caption) == (project, "before", "3号楼外墙")
    assert photo.uploaded_by == user
    assert (photo.width, photo.height) == (200, 100)
    stored = photo.image.open("rb").read()
    assert b"Exif" not in stored
    assert photo.thumbnail and photo.thumbnail.name in stored_files(storage)
    assert len(stored_files(storage)) == 2


def test_a_fake_photo_in_the_project_page_inline_is_refused_and_nothing_stored(client, storage):
    project = ProjectFactory()
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = _post_data(client.get(url).content.decode())
    data.update(
        {
            "photos-TOTAL_FORMS": "1",
            "photos-0-project": str(project.pk),
            "photos-0-stage": "after",
            "photos-0-image": upload(b"<?php echo 'hi'; ?>", "photo.jpg"),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    (photos,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "photos"
    ]
    assert photos.formset.forms[0].errors.as_data()["image"][0].code == "not_an_image"
    assert Photo.objects.count() == 0
    assert stored_files(storage) == []


def test_the_photo_add_page_stores_the_reencoded_photo(client, storage):
    project = ProjectFactory()
    user = make_user(Role.COMMUNITY, communities=[project.neighbourhood.community])
    client.force_login(user)
    response = client.post(
        reverse("admin:projects_photo_add"),
        {
            "project": project.pk,
            "stage": "after",
            "caption": "",
            "taken_on": "2026-05-04",
            "image": upload(picture(fmt="PNG"), "after.png"),
        },
    )
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.uploaded_by == user
    assert photo.image.name.endswith(".jpg")
    assert Image.open(photo.image.open("rb")).format == "JPEG"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (png_header(20_000, 20_000), "too_many_pixels"),
        (b"hello" * 100, "not_an_image"),
        (noisy_jpeg()[:3000], "corrupt"),
    ],
    ids=["bomb", "text", "truncated"],
)
def test_the_photo_add_page_refuses_unsafe_files_and_stores_nothing(client, storage, data, code):
    project = ProjectFactory()
    client.force_login(make_user(Role.OFFICE))
    response = client.post(
        reverse("admin:projects_photo_add"),
        {"project": project.pk, "stage": "before", "image": upload(data)},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.as_data()["image"][0].code == code
    assert Photo.objects.count() == 0
    assert stored_files(storage) == []


def test_changing_a_caption_keeps_the_stored_photo(client, storage):
    photo = PhotoFactory(caption="old")
    image_name, thumbnail_name = photo.image.name, photo.thumbnail.name
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:projects_photo_change", args=[photo.pk])
    response = client.post(url, _post_data(client.get(url).content.decode(), caption="new"))
    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.caption, photo.image.name, photo.thumbnail.name) == (
        "new",
        image_name,
        thumbnail_name,
    )


def test_the_photo_list_shows_thumbnails_and_only_the_users_communities(client, storage):
    mine, other = CommunityFactory(name="城关社区"), CommunityFactory(name="江南社区")
    photo = PhotoFactory(project__neighbourhood__community=mine, caption="我的照片")
    PhotoFactory(project__neighbourhood__community=other, caption="别处的照片")
    client.force_login(make_user(Role.COMMUNITY, communities=[mine]))
    body = client.get(reverse("admin:projects_photo_changelist")).content.decode()
    assert "我的照片" in body and "别处的照片" not in body
    assert f'<img src="{photo.thumbnail.url}"' in body


def test_the_photo_list_filters_by_stage_and_community(client, storage):
    a, b = CommunityFactory(), CommunityFactory()
    PhotoFactory(project__neighbourhood__community=a, stage="before", caption="甲前")
    PhotoFactory(project__neighbourhood__community=a, stage="after", caption="甲后")
    PhotoFactory(project__neighbourhood__community=b, stage="after", caption="乙后")
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:projects_photo_changelist")
    response = client.get(url, {"stage__exact": "after", "community": a.pk})
    assert [str(p) for p in response.context["cl"].result_list] == ["甲后"]


def test_the_photo_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:projects_photo_changelist")
    PhotoFactory()
    # session, user, user and group permissions, the community filter's choices, the count
    # of the page and of the whole list, the page of photos with their projects,
    # neighbourhoods and communities; the savepoint and release of the request's transaction
    with django_assert_num_queries(10):
        client.get(url)
    for _ in range(5):
        PhotoFactory()
    with django_assert_num_queries(10):
        client.get(url)


def test_community_staff_cannot_add_a_photo_to_another_communitys_project(client, storage):
    theirs = ProjectFactory()
    client.force_login(make_user(Role.COMMUNITY, communities=[CommunityFactory()]))
    response = client.post(
        reverse("admin:projects_photo_add"),
        {"project": theirs.pk, "stage": "before", "image": upload(picture())},
    )
    assert response.status_code == 200
    assert "project" in response.context["adminform"].form.errors
    assert Photo.objects.count() == 0
    assert stored_files(storage) == []
