"""Masking of personal data: what a user without the permission to see it is shown instead."""

PERSONAL_DATA_PERMISSION = "residents.view_personal_data"


def can_view_personal_data(user) -> bool:
    """Whether ``user`` may see phone and ID numbers in the clear."""
    return bool(user and user.is_active and user.has_perm(PERSONAL_DATA_PERMISSION))


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_phone(value: str) -> str:
    """``13812345678`` becomes ``138****5678``; a landline keeps its area code and last four."""
    if value.startswith("0") and "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{_mask(number, 0, 4)}"
    return _mask(value, 3, 4)


def mask_id_number(value: str) -> str:
    """``610922198501011234`` becomes ``6109**********1234``: no birth date, no full region."""
    return _mask(value, 4, 4)


def phone_for(user, value: str) -> str:
    """The phone number as ``user`` may see it."""
    return value if can_view_personal_data(user) else mask_phone(value)


def id_number_for(user, value: str) -> str:
    """The ID number as ``user`` may see it."""
    return value if can_view_personal_data(user) else mask_id_number(value)
