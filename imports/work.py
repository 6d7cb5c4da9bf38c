"""The projects' kind of import: task items (改造内容), by project, kind of work and
description."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from projects.models import CatalogueKind, Project, TaskItem

from . import bulk
from .kinds import Column, Kind, Row, decimal, register, text
from .registers import BATCH


def _derive_status(item: TaskItem) -> tuple[str]:
    item.status = item.status_from_quantities()
    return ("status",)


@register
class TaskItems(Kind):
    code = "task_items"
    label = gettext_lazy("Task items")
    key_description = gettext_lazy("their project, kind of work and description")
    model = TaskItem
    sheet = "改造内容"
    columns = (
        Column("project", "项目名称", gettext_lazy("project"), text(200), required=True,
               example="老物局小区老旧小区改造项目"),
        Column("kind", "改造内容", gettext_lazy("kind of work"), text(100), required=True,
               example="生态停车位"),
        Column("description", "说明", gettext_lazy("description"), text(200), default="",
               example="东侧空地"),
        Column("planned_quantity", "计划数量", gettext_lazy("planned quantity"), decimal(2),
               default=Decimal("0.00"), example=20),
        Column("completed_quantity", "已完成数量", gettext_lazy("completed quantity"),
               decimal(2), default=Decimal("0.00"), example=0),
        Column("budget", "预算（元）", gettext_lazy("budget (yuan)"), decimal(2),
               default=Decimal("0.00"), example=160000),
        Column("responsible", "负责人", gettext_lazy("responsible person"), text(50),
               default="", personal=True),
    )  # fmt: skip
    FIELDS = ("planned_quantity", "completed_quantity", "budget", "responsible")

    def prepare(self, rows: list[Row]) -> None:
        names = {str(row.cells["project"]) for row in rows if row.cells.get("project")}
        self.projects: dict[str, list[int]] = {}
        for pk, name in (
            Project.objects.visible_to(self.user).filter(name__in=names).values_list("pk", "name")
        ):
            self.projects.setdefault(name, []).append(pk)
        self.kinds = {}
        for pk, code, name in CatalogueKind.objects.values_list("pk", "code", "name_zh"):
            self.kinds[code] = self.kinds[name] = pk
        ids = [pk for pks in self.projects.values() for pk in pks]
        self.existing = {
            (one["project_id"], one["kind_id"], one["description"]): one
            for one in TaskItem.objects.filter(project__in=ids).values(
                "pk", "project_id", "kind_id", "description", *self.FIELDS
            )
        }
        self.seen: dict[tuple, int] = {}

    def check(self, row: Row) -> None:
        values = self.parse(row)
        project = kind = None
        if "project" in values:
            found = self.projects.get(values["project"], [])
            if not found:
                row.fail(
                    self.column("project"),
                    _("No project “%(name)s” that you may import into.")
                    % {"name": values["project"]},
                )
            elif len(found) > 1:
                row.fail(
                    self.column("project"),
                    _("Several projects are called “%(name)s”.") % {"name": values["project"]},
                )
            else:
                project = found[0]
        if "kind" in values:
            kind = self.kinds.get(values["kind"])
            if kind is None:
                row.fail(
                    self.column("kind"),
                    _("“%(name)s” is not a kind of work of the catalogue.")
                    % {"name": values["kind"]},
                )
        current = None
        if project is not None and kind is not None:
            row.key = (project, kind, values.get("description") or "")
            first = self.seen.setdefault(row.key, row.number)
            if first != row.number:
                row.fail(
                    self.column("description"),
                    _("The same project, kind of work and description as row %(row)s.")
                    % {"row": first},
                )
            current = self.existing.get(row.key)
            row.existing = current["pk"] if current else None
            row.repr = f"{values['project']} {values['kind']} {row.key[2]}".strip()
        row.values = {name: values.get(name) for name in self.FIELDS}
        self.compare(row, current)

    @staticmethod
    def _item(row: Row, **identity) -> TaskItem:
        item = TaskItem(**identity, **row.values)
        item.status = item.status_from_quantities()
        return item

    def write(self, new: list[Row], updated: list[Row], *, file_name: str = "") -> None:
        reason = _("Imported from %(file)s") % {"file": file_name}
        created = bulk_create_with_history(
            [
                self._item(row, project_id=row.key[0], kind_id=row.key[1], description=row.key[2])
                for row in new
            ],
            TaskItem,
            batch_size=BATCH,
            default_user=self.user,
            default_change_reason=reason,
        )
        for row, item in zip(new, created, strict=True):
            row.existing = item.pk
        changed = sorted({name for row in updated for name in row.changed})
        if changed:
            bulk.update_with_history(
                TaskItem,
                updated,
                changed,
                user=self.user,
                reason=reason,
                derive=_derive_status,
            )
