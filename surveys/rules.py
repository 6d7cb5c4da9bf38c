"""The rules of consultation: who counts as visited, and the approval gate (rule 1)."""
