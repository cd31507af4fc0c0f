"""The catalogue of sentences: one name, one sentence."""

from __future__ import annotations

import ast
from pathlib import Path

from partner_portal import messages


def test_no_name_is_defined_twice_in_the_catalogue():
    """A second definition silently wins: partners once saw the staff wording of SESSION_ENDED."""
    tree = ast.parse(Path(messages.__file__).read_text())
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.FunctionDef | ast.AnnAssign):
            name = node.name if isinstance(node, ast.FunctionDef) else node.target
            names.append(name if isinstance(name, str) else getattr(name, "id", ""))
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert duplicates == []


def test_partners_and_staff_see_their_own_session_ended_sentence():
    assert messages.SESSION_ENDED != messages.PARTNER_SESSION_ENDED_BY_ADMIN
    assert messages.SESSION_ENDED == "That session has been signed out."
