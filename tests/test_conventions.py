"""Conventions the code keeps by itself: checked here so that nobody has to remember them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "partner_portal"


def test_no_sentence_is_defined_twice_in_the_catalogue():
    tree = ast.parse((PACKAGE / "messages.py").read_text())
    names = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    names += [
        node.target.id
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    ]
    names += [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    twice = sorted({name for name in names if names.count(name) > 1})
    assert twice == [], f"defined more than once in messages.py: {twice}"


def test_the_migrations_are_one_line_with_one_head():
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, script.get_heads()
    assert len(script.get_bases()) == 1, script.get_bases()
    for revision in script.walk_revisions():
        assert not revision.is_merge_point, f"{revision.revision} merges branches"
        assert not revision.is_branch_point, f"{revision.revision} starts a branch"


def test_every_test_file_security_md_names_exists():
    text = (ROOT / "SECURITY.md").read_text()
    named = set(re.findall(r"(?:tests/[\w/]+/)?test_\w+\.py", text))
    assert named, "SECURITY.md names no test file"
    existing = {path.name for path in (ROOT / "tests").rglob("test_*.py")}
    paths = {str(path.relative_to(ROOT)) for path in (ROOT / "tests").rglob("test_*.py")}
    missing = sorted(
        name for name in named if (name not in paths if "/" in name else name not in existing)
    )
    assert missing == [], f"SECURITY.md names test files that do not exist: {missing}"
