"""Masking of personal data: what a user without the permission to see it is shown instead."""

import re

PERSONAL_DATA_PERMISSION = "residents.view_personal_data"


def can_view_personal_data(user) -> bool:
    """Whether ``user`` may see residents' names, phone and ID numbers in the clear."""
    return bool(user and user.is_active and user.has_perm(PERSONAL_DATA_PERMISSION))


#: A value with fewer than this many characters left to hide is hidden whole: "12345678"
#: shown as "123*5678" would give the number away.
MIN_HIDDEN = 3

_AREA_CODE = re.compile(r"0\d{2,3}")


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    if not value:
        return ""
    if len(value) < keep_start + keep_end + MIN_HIDDEN:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_phone(value: str) -> str:
    """``13812345678`` becomes ``138****5678``; a landline keeps its area code and last four."""
    area, dash, number = value.partition("-")
    if dash and _AREA_CODE.fullmatch(area):
        return f"{area}-{_mask(number, 0, 4)}"
    return _mask(value, 3, 4)


def mask_id_number(value: str) -> str:
    """``610922198501011234`` becomes ``6109**********1234``: no birth date, no full region."""
    return _mask(value, 4, 4)


def mask_name(value: str) -> str:
    """``王秀英`` becomes ``王**``: the surname stays, so a clerk can still address a letter."""
    value = value.strip()
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*" * len(value)


def name_for(user, value: str) -> str:
    """The person's name as ``user`` may see it."""
    return value if can_view_personal_data(user) else mask_name(value)


def phone_for(user, value: str) -> str:
    """The phone number as ``user`` may see it."""
    return value if can_view_personal_data(user) else mask_phone(value)


def id_number_for(user, value: str) -> str:
    """The ID number as ``user`` may see it."""
    return value if can_view_personal_data(user) else mask_id_number(value)
