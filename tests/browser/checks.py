"""Real checkers: axe-core in the browser, the Nu Html Checker (vnu.jar) on the source."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
BLOCKING = {"serious", "critical"}


def tools_missing() -> str | None:
    """Say which checker is missing, or None when both are ready."""
    if not AXE.exists() or not VNU.exists():
        return "run `npm ci --prefix tests/browser` (make test does) for axe-core and vnu-jar"
    if shutil.which("java") is None:
        return "the Nu Html Checker needs Java: apt-get install default-jre-headless"
    return None


def axe_violations(page, rules: list[str] | None = None) -> list[dict]:  # noqa: ANN001
    """Run axe-core (every rule, or only ``rules``) and return serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    violations = page.evaluate(
        """async (options) => (await axe.run(document, options)).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""",
        options,
    )
    return [v for v in violations if v["impact"] in BLOCKING]


def vnu_errors(files: list[Path]) -> dict[str, list[str]]:
    """Validate HTML files with vnu.jar; return the errors per file name."""
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout or "{}")
    errors: dict[str, list[str]] = {}
    for message in report.get("messages", []):
        if message.get("type") == "error" or message.get("subType") == "fatal":
            name = Path(message.get("url", "")).name
            errors.setdefault(name, []).append(
                f"line {message.get('lastLine')}: {message.get('message')}"
            )
    return errors
