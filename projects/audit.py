"""The audit trail of a project (全过程跟踪审计): every change to it and to its records.

django-simple-history keeps a version of the project, its milestones, task items, funding
lines, disclosures and photos at every save. ``project_audit_trail`` reads them with one query
per model, diffs each record's consecutive versions in Python and tells, newest first, who
changed what (field: old → new) and why, in the active language. The related rows that values
point at (the neighbourhood, the responsible staff, the kinds of work) are read once each, so
the trail costs the same number of queries however long it is.
"""

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Disclosure, FundingLine, Milestone, Photo, Project, TaskItem
from .workflow import TRANSITIONS_BY_NAME

#: The models whose history makes up a project's trail, in the order they are told apart
#: when two versions carry the same time.
AUDITED_MODELS = (Project, Milestone, TaskItem, FundingLine, Disclosure, Photo)

#: Fields that say nothing to an auditor: ids, the project a record belongs to, the time of
#: the last status change (the entry has its own time), creation stamps, and what is derived
#: from a photo's image (its thumbnail and size).
NOISE_FIELDS = frozenset(
    {"id", "project", "status_changed_at", "created_at", "thumbnail", "width", "height"}
)


class Action(models.TextChoices):
    """What a version did to its record: simple-history's ``history_type``, under the labels
    that simple-history's own catalogues translate."""

    CREATED = "+", _("Created")
    CHANGED = "~", _("Changed")
    DELETED = "-", _("Deleted")


class FieldChange(NamedTuple):
    """One field of one version: its name and its value before and after, as shown."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditEntry:
    """One version of a project or of one of its records."""

    when: datetime.datetime
    user: str  # the display name or username of who made it; empty if nobody is known
    record_type: str  # the model's verbose name
    record: str  # the record as it read at that time
    action: Action
    changes: list[FieldChange] = field(default_factory=list)
    reason: str = ""


#: Records of other apps that belong to a project, as their apps register them from
#: ``AppConfig.ready`` (``register``): each model with the lookup from its history to the
#: project's id. The acceptance's checks and survey rounds, the monthly dispatches…
_REGISTERED: dict[type, str] = {}


def register(model, project_lookup: str) -> None:
    """Show the history of ``model`` (kept by django-simple-history) in the trail of the
    project that ``project_lookup`` leads to from its history, e.g. ``"project_id"`` or
    ``"acceptance_check__project_id"``."""
    _REGISTERED[model] = project_lookup


def audited_models() -> dict[type, str]:
    """Every model of a project's trail, with the lookup to the project's id."""
    own = {model: "id" if model is Project else "project_id" for model in AUDITED_MODELS}
    return {**own, **_REGISTERED}


def project_audit_trail(project: Project) -> list[AuditEntry]:
    """Every change to ``project`` and its records, newest first.

    A created record lists the values it was created with, a deleted one the values it had;
    a changed one the fields that differ from its version before. A version that changed
    nothing shown here (a save of the form without edits) and gave no reason is left out.
    """
    histories = {
        model: list(
            model.history.filter(**{lookup: project.pk})
            .select_related("history_user")
            .order_by("id", "history_date", "history_id")  # each record's versions in turn
        )
        for model, lookup in audited_models().items()
    }
    related = _related_objects(histories, project)
    notes = dict(project.transitions.values_list("to_status", "note"))

    entries = []
    for order, (model, records) in enumerate(histories.items()):
        fields = _shown_fields(model)
        for _pk, versions in itertools.groupby(records, key=lambda r: r.id):
            previous = None
            for record in versions:
                entry = _entry(model, record, previous, fields, related, notes)
                if entry is not None:
                    entries.append(((record.history_date, order, record.history_id), entry))
                previous = record
    entries.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _key, entry in entries]


def _shown_fields(model) -> list:
    """The fields that the model's history keeps and that the trail shows."""
    return [f for f in model.history.model.tracked_fields if f.name not in NOISE_FIELDS]


def _foreign_keys(model) -> list:
    """The foreign keys that the model's history keeps, the one to the project included."""
    return [f for f in model.history.model.tracked_fields if isinstance(f, models.ForeignKey)]


def _related_objects(histories, project) -> dict[type, dict]:
    """The rows the versions' foreign keys point at, by model and pk: one query per model
    (none for the project, which is at hand)."""
    wanted = defaultdict(set)
    for model, records in histories.items():
        for fk in _foreign_keys(model):
            if fk.related_model is not Project:
                wanted[fk.related_model].update(getattr(r, fk.attname) for r in records)
    related = {
        model: _rows_of(model).in_bulk(pks - {None})
        for model, pks in wanted.items()
        if pks - {None}
    }
    related[Project] = {project.pk: project}
    return related


def _rows_of(model):
    User = get_user_model()
    if model is User:  # staff are shown by username: read nothing else of their accounts
        return User._base_manager.only(User.USERNAME_FIELD)
    return model._base_manager.all()


def _entry(model, record, previous, fields, related, notes) -> AuditEntry | None:
    action = Action(record.history_type)
    if action == Action.CREATED:
        changes = [
            FieldChange(_label(f), "", shown)
            for f in fields
            if (shown := _display(f, getattr(record, f.attname), related))
        ]
    elif action == Action.DELETED:
        changes = [
            FieldChange(_label(f), shown, "")
            for f in fields
            if (shown := _display(f, getattr(record, f.attname), related))
        ]
    elif previous is None:
        changes = []  # the versions before it are not kept: nothing to compare it with
    else:
        # simple-history's ``diff_against`` compares editable fields only; the status of a
        # project (or of a task item) is not editable, and it is the change that matters most.
        changes = [
            FieldChange(
                _label(f),
                _display(f, getattr(previous, f.attname), related),
                _display(f, getattr(record, f.attname), related),
            )
            for f in fields
            if getattr(previous, f.attname) != getattr(record, f.attname)
        ]
    reason = _reason(model, record, previous, notes)
    if action == Action.CHANGED and previous is not None and not changes and not reason:
        return None  # saved without a change shown here
    return AuditEntry(
        when=record.history_date,
        user=_user_name(record.history_user),
        record_type=capfirst(model._meta.verbose_name),
        record=_record_label(model, record, related),
        action=action,
        changes=changes,
        reason=reason,
    )


def _label(f) -> str:
    return capfirst(f.verbose_name)


def _display(f, value, related) -> str:
    """A stored value as people read it: choices by label, related rows by name, amounts
    without trailing zeros, dates in the active language's format."""
    if value is None or value == "":
        return ""
    if isinstance(f, models.ForeignKey):
        obj = related.get(f.related_model, {}).get(value)
        if obj is None:
            return f"#{value}"  # the row is gone (a staff account deleted, say)
        return obj.get_username() if isinstance(obj, get_user_model()) else str(obj)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value)
    return str(value)


def _record_label(model, record, related) -> str:
    """The record as it read at the version's time (its ``__str__``), its related rows taken
    from those already read, so that a task item naming its kind costs no query."""
    instance = record.history_object
    for fk in _foreign_keys(model):
        obj = related.get(fk.related_model, {}).get(getattr(record, fk.attname))
        if obj is not None:
            fk.set_cached_value(instance, obj)
    return str(instance)


def _reason(model, record, previous, notes) -> str:
    """Why the version was made: a step of the lifecycle by its label (with the note given
    for it, on the project's own version), any other reason as stored."""
    stored = record.history_change_reason or ""
    transition = TRANSITIONS_BY_NAME.get(stored)
    if transition is None:
        return stored
    if model is not Project:
        return str(transition.label)
    if previous is None or (previous.status, record.status) != (
        transition.source,
        transition.target,
    ):
        # The step's name stays on the instance that ``run_transition`` returns, so a later
        # save of that instance carries it too: that save did not take the step.
        return stored
    note = notes.get(transition.target, "")
    if note:
        return gettext("%(transition)s: %(note)s") % {"transition": transition.label, "note": note}
    return str(transition.label)


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
