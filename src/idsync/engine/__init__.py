"""The engine: state query, diff, guards, apply, links and the orchestration of one run."""
