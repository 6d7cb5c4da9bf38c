"""Validators for the personal data of the registers: phone numbers and resident ID numbers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def id_number_check_char(first17: str) -> str:
    """The check character of a resident ID number (GB 11643) for its first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_phone(value: str) -> None:
    """A mainland mobile number (11 digits) or a landline with its area code (0915-6321234)."""
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise ValidationError(
            _("Enter a mobile number of 11 digits or a landline with its area code."),
            code="invalid_phone",
        )


def validate_id_number(value: str) -> None:
    """An 18-character resident ID number whose check character is right."""
    value = value.upper()  # a lowercase x is the same check character
    if not _ID_NUMBER.match(value) or id_number_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("Enter a valid 18-character resident ID number."), code="invalid_id_number"
        )


_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100) for its first 17."""
    total = sum(
        _CREDIT_CHARS.index(char) * weight
        for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_CHARS[-total % 31]


def validate_credit_code(value: str) -> None:
    """An 18-character unified social credit code whose check character is right."""
    value = value.upper()
    if not _CREDIT_CODE.match(value) or credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("Enter a valid 18-character unified social credit code."),
            code="invalid_credit_code",
        )
