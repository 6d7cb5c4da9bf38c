"""Forms for a project's photos and public disclosures, checking every uploaded file.

A photo is stored only as ``images.process_upload`` re-encodes it. A disclosure document must
have an extension of the list, fit the size limit and look like what its extension says; it is
stored under a sanitised name with a random part, so the address of a document that is not
public cannot be guessed. Photos among the documents are re-encoded like photos.
"""

import re
import secrets
import zipfile
from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .images import process_upload
from .models import Disclosure, Photo

#: The largest document accepted.
MAX_DOCUMENT_BYTES = 20 * 2**20
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
#: What an Office file of each kind must contain.
OFFICE_PARTS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}
DOCUMENT_EXTENSIONS = {".pdf", *OFFICE_PARTS, *IMAGE_EXTENSIONS}
#: The longest part of the original name kept in the stored name.
MAX_STEM = 40


def safe_stem(filename: str) -> str:
    """The name of an uploaded file without its extension, reduced to letters (Chinese
    included), digits, ``-`` and ``_``."""
    stem = re.sub(r"[^\w-]+", "_", Path(filename).stem).strip("_-")
    return stem[:MAX_STEM] or "document"


def _random_name(filename: str, extension: str) -> str:
    return f"{safe_stem(filename)}_{secrets.token_urlsafe(12)}{extension}"


def _has_pdf_header(upload) -> bool:
    upload.seek(0)
    return upload.read(1024).lstrip().startswith(b"%PDF-")


def _is_office_file(upload, extension: str) -> bool:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())  # the directory only: nothing is unpacked
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return {"[Content_Types].xml", OFFICE_PARTS[extension]} <= names


def check_document(upload: UploadedFile):
    """``upload`` as it is to be stored, or ``ValidationError`` with a message."""
    extension = Path(upload.name or "").suffix.lower()
    if extension not in DOCUMENT_EXTENSIONS:
        raise ValidationError(
            _(
                "This kind of file cannot be published: upload a PDF, Word (.docx) or Excel "
                "(.xlsx) document, or a JPEG, PNG or WebP image."
            ),
            code="extension",
        )
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The file is too large: at most %(megabytes)d MB."),
            code="too_large",
            params={"megabytes": MAX_DOCUMENT_BYTES // 2**20},
        )
    if extension in IMAGE_EXTENSIONS:
        processed = process_upload(upload)
        processed.image.name = _random_name(upload.name, ".jpg")
        return processed.image
    if (extension == ".pdf" and not _has_pdf_header(upload)) or (
        extension in OFFICE_PARTS and not _is_office_file(upload, extension)
    ):
        raise ValidationError(
            _("The file's content does not match its name (%(extension)s): it may be damaged."),
            code="content",
            params={"extension": extension},
        )
    upload.seek(0)
    upload.name = _random_name(upload.name, extension)
    return upload


class DisclosureForm(forms.ModelForm):
    """A public-disclosure document; the first time it is made public is recorded."""

    class Meta:
        model = Disclosure
        fields = ["project", "category", "title", "file", "is_public"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            # The stored name is made by check_document: the uploaded one may be long.
            self.fields["file"].max_length = None
            self.fields["file"].widget.attrs["accept"] = ",".join(sorted(DOCUMENT_EXTENSIONS))

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            return check_document(file)
        return file

    def _post_clean(self):
        refused_upload = self.has_error("file")
        super()._post_clean()
        if refused_upload:
            # The refused upload already says what is wrong with the file; "a public
            # disclosure needs its document" would only repeat it.
            kept = [e for e in self.errors["file"].as_data() if e.code != "document_required"]
            self.errors["file"] = self.error_class(kept, renderer=self.renderer)

    def save(self, commit=True):
        self.instance.record_publication()
        return super().save(commit)


class PhotoForm(forms.ModelForm):
    """A photo of a project: what is stored is the upload re-encoded, with a thumbnail.

    ``uploaded_by`` is set by the caller (the admin) to the user who sends the form.
    """

    uploaded_by = None

    class Meta:
        model = Photo
        fields = ["project", "stage", "caption", "image", "taken_on", "is_public"]
        # A plain file field: the image is opened once, by process_upload, with its limits.
        field_classes = {"image": forms.FileField}

    def __init__(self, *args, uploaded_by=None, **kwargs):
        super().__init__(*args, **kwargs)
        if uploaded_by is not None:
            self.uploaded_by = uploaded_by
        self.processed = None
        if "image" in self.fields:
            self.fields["image"].max_length = None  # the stored name is made by process_upload
            self.fields["image"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if isinstance(image, UploadedFile):
            self.processed = process_upload(image)
            return self.processed.image
        return image

    def save(self, commit=True):
        if self.processed is not None:
            self.instance.thumbnail = self.processed.thumbnail
            self.instance.width = self.processed.width
            self.instance.height = self.processed.height
            self.instance.uploaded_by = self.uploaded_by
        return super().save(commit)
