"""Named reads of a project's records: scoping, and the rollups of outputs and funds."""

from residents.scoping import NeighbourhoodScopedQuerySet


class ProjectRecordQuerySet(NeighbourhoodScopedQuerySet):
    """Records that belong to a project, scoped by the project's neighbourhood."""

    scope_path = "project__neighbourhood"


class TaskItemQuerySet(ProjectRecordQuerySet):
    pass


class FundingLineQuerySet(ProjectRecordQuerySet):
    pass
