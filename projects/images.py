"""Uploaded photos, made safe before anything is stored.

An upload is trusted for nothing: its type is what Pillow finds in its header (not its name
or the browser's word), its size and pixel count are checked before any pixel is decoded, and
what is kept is a fresh JPEG of the decoded pixels, turned upright, without EXIF (GPS
position, camera, time), ICC profile or any other metadata, with a thumbnail.
"""

import io
import secrets
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: The formats accepted, as Pillow names them after reading the header.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
#: The largest upload read at all (a 48-megapixel phone photo is about 12 MB).
MAX_UPLOAD_BYTES = 15 * 2**20
#: The largest picture decoded: 40 megapixels take about 120 MB of memory as RGB.
MAX_PIXELS = 40_000_000
#: The longest side of the stored photo; larger photos are scaled down.
MAX_EDGE = 3200
#: The longest side of the thumbnail shown in lists and on the public pages.
THUMBNAIL_EDGE = 480
JPEG_QUALITY = 85

# Pillow's own guard runs while the header is read (for WebP before the decoder allocates its
# canvas): it warns above MAX_IMAGE_PIXELS, which process_upload turns into a refusal, and
# refuses above twice that. Lowered here to our limit, so no upload decodes more.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class ProcessedImage:
    """The re-encoded photo and its thumbnail, ready to be assigned to image fields."""

    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _refuse_size():
    return ValidationError(
        _("The image is too large: at most %(megabytes)d MB."),
        code="too_large",
        params={"megabytes": MAX_UPLOAD_BYTES // 2**20},
    )


def _refuse_pixels():
    return ValidationError(
        _("The image has too many pixels: at most %(megapixels)d megapixels."),
        code="too_many_pixels",
        params={"megapixels": MAX_PIXELS // 1_000_000},
    )


def _refuse_type():
    return ValidationError(
        _("This file is not an image: upload a JPEG, PNG or WebP image."), code="not_an_image"
    )


def _refuse_corrupt():
    return ValidationError(
        _("The image is damaged or incomplete and cannot be read: upload it again."),
        code="corrupt",
    )


def _to_rgb(image: Image.Image) -> Image.Image:
    """The pixels as RGB, transparent parts laid on white."""
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in {"RGBA", "LA", "PA"}:
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, name: str) -> ContentFile:
    buffer = io.BytesIO()
    # The pixels alone: what the source file said (EXIF, ICC profile, XMP, comments) is in
    # ``info``, which Pillow would partly write back, so it is dropped and nothing is passed.
    image.info = {}
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue(), name=name)


def process_upload(uploaded_file) -> ProcessedImage:
    """Check ``uploaded_file`` and return it re-encoded as JPEG, with a thumbnail.

    Raises ``ValidationError`` (codes ``too_large``, ``not_an_image``, ``too_many_pixels``,
    ``corrupt``) with a message for the uploader; nothing is written anywhere.
    """
    size = getattr(uploaded_file, "size", None)
    if size is None or size > MAX_UPLOAD_BYTES:
        raise _refuse_size()
    uploaded_file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded_file, formats=ACCEPTED_FORMATS) as source:
                width, height = source.size  # from the header: nothing is decoded yet
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise _refuse_pixels()
                try:
                    source.load()
                    upright = ImageOps.exif_transpose(source)
                    pixels = _to_rgb(upright)
                except (OSError, SyntaxError, ValueError, EOFError) as exc:
                    raise _refuse_corrupt() from exc
    except UnidentifiedImageError as exc:
        raise _refuse_type() from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse_pixels() from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # a header Pillow chokes on
        raise _refuse_corrupt() from exc

    pixels.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    thumbnail = pixels.copy()
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    # An unguessable name: it says nothing of the original file, and the address of a photo
    # that is not public cannot be guessed.
    name = secrets.token_urlsafe(12)
    return ProcessedImage(
        image=_jpeg(pixels, f"{name}.jpg"),
        thumbnail=_jpeg(thumbnail, f"{name}.jpg"),
        width=pixels.width,
        height=pixels.height,
    )
