"""Acceptance: the completion checklist and the satisfaction gate (not yet modelled)."""
