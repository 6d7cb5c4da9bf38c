"""The admin of the acceptance: the checklist template and the completion checks, the
satisfaction survey rounds with the answers entered on the residents' behalf, the answers
themselves (the auditor's alone) and the decisions."""

from . import checks, records, rounds  # noqa: F401  (each registers its model admins)
