"""Projects: the task catalogue, renovation projects and the monthly cycle (not yet modelled)."""
