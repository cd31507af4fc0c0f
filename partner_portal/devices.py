"""Name the device behind a user agent string: "Firefox on Windows", "Safari on iPhone".

A dozen substring checks cover what partners use; a user-agent parsing
library (ua-parser and its regex file) would be a dependency to keep current
for a label that only has to help a person recognise their own sessions.
Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
"""

from __future__ import annotations

BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
UNKNOWN = "Unknown device"


def describe(user_agent: str | None) -> str:
    """Return a short, human label for the device that sent ``user_agent``."""
    agent = (user_agent or "").strip()
    if not agent:
        return UNKNOWN
    browser = next((name for marker, name in BROWSERS if marker in agent), None)
    system = next((name for marker, name in SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system or UNKNOWN
    # A tool (curl/8.5, python-requests/2.32): its name, without the version.
    tool = agent.split("/", 1)[0].split()[0][:40]
    return tool if tool.isprintable() else UNKNOWN
