"""Rendering for people: plans, progress and history on a rich Console."""
