from . import (
    bulletins,  # noqa: F401
    dispatch,  # noqa: F401
    inspections,  # noqa: F401
    ranking,  # noqa: F401
)
