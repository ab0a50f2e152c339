"""Accessibility checks with axe-core (vendored in vendor/axe.min.js, injected into the page under
test; never served by idsync)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it stands, each with its rule id,
    help text and the first offending elements."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append({"id": violation["id"], "impact": violation["impact"], "help": violation["help"],
                          "targets": targets})  # fmt: skip
    return found
