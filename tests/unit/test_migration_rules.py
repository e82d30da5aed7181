"""Expand, then contract (DESIGN.md "Migrations never break the release still running").

During a rolling release the previous release's web and worker processes run against the migrated
schema until the last of them is replaced, so a migration's `upgrade()` may only add to the schema. This
test reads every migration's `upgrade()` (its source, not a database) and refuses what the previous
release cannot live with: dropping or renaming a table or column, changing a column's type, making a
column NOT NULL without a server default, dropping a server default, or adding a NOT NULL column without
one (the previous release's INSERTs do not name it). SQL written out in `op.execute(...)` is read too.

Such a step is allowed only in a *contract* migration, which says so at its top:

    CONTRACT = {
        "posts.repeat_times": "release 2026.12 (0014) stopped reading and writing it",
        "old_table": "nothing has used it since release 2026.10",
    }

Each destructive operation must name its table ("table") or column ("table.column") there, with the
reason: which earlier release stopped using it. A dropped table or column must also be gone from the
models (`models/`), i.e. from the code of this release. Migrations written before the rule are listed
in GRANDFATHERED, with why they may break it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"

# The one list of migrations that break the rule and may: revision id -> why.
GRANDFATHERED: dict[str, str] = {
    "0005": "drops the server default of channels.status_reason (NOT NULL) right after adding it; written "
            "before rolling releases existed, and every release since sets status_reason itself",
}

# alter_column keywords that the previous release cannot live with.
_ALTER_BREAKING = {"new_column_name": "renames the column", "type_": "changes the column's type"}
_SQL_RULES = [  # (pattern over upgrade()'s SQL text, what it does); group "t" table, "c" column
    (r"drop\s+table\s+(?:if\s+exists\s+)?(?P<t>[\w.\"]+)", "drops the table"),
    (r"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<t>[\w.\"]+)\s+drop\s+(?:column\s+)?"
     r"(?:if\s+exists\s+)?(?P<c>(?!constraint\b)[\w\"]+)", "drops the column"),
    (r"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<t>[\w.\"]+)\s+rename\b", "renames"),
    (r"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<t>[\w.\"]+)\s+alter\s+(?:column\s+)?(?P<c>[\w\"]+)"
     r"\s+(?:set\s+data\s+)?type\b", "changes the column's type"),
    (r"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<t>[\w.\"]+)\s+alter\s+(?:column\s+)?(?P<c>[\w\"]+)"
     r"\s+set\s+not\s+null", "makes the column NOT NULL"),
    (r"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<t>[\w.\"]+)\s+alter\s+(?:column\s+)?(?P<c>[\w\"]+)"
     r"\s+drop\s+default", "drops the column's server default"),
]


@dataclass(frozen=True)
class Breach:
    line: int
    target: str  # "table" or "table.column": what a CONTRACT entry must name
    what: str
    dropped: bool  # the table or column is gone afterwards (so the models must not have it)


def _const(node: ast.AST | None) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    return ...  # not a literal: unknown


def _kw(call: ast.Call, name: str, position: int | None = None) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _column_call(call: ast.Call) -> ast.Call | None:
    """The sa.Column(...) given to add_column."""
    arg = _kw(call, "column", 1)
    return arg if isinstance(arg, ast.Call) else None


def _op_breaches(call: ast.Call, name: str) -> list[Breach]:
    table = str(_const(_kw(call, "table_name", 0)))
    line = call.lineno
    if name == "drop_table":
        return [Breach(line, table, "drops the table", True)]
    if name == "rename_table":
        return [Breach(line, table, "renames the table", True)]
    if name == "drop_column":
        column = str(_const(_kw(call, "column_name", 1)))
        return [Breach(line, f"{table}.{column}", "drops the column", True)]
    if name == "alter_column":
        column = str(_const(_kw(call, "column_name", 1)))
        found = [Breach(line, f"{table}.{column}", what, False)
                 for kw, what in _ALTER_BREAKING.items() if _kw(call, kw) is not None]
        default = _kw(call, "server_default")
        if _const(_kw(call, "nullable")) is False and (default is None or _const(default) is None):
            found.append(Breach(line, f"{table}.{column}", "makes the column NOT NULL without a server default",
                                False))
        if default is not None and _const(default) is None:
            found.append(Breach(line, f"{table}.{column}", "drops the column's server default", False))
        return found
    if name == "add_column":
        column = _column_call(call)
        if column is None:
            return []
        col_name = str(_const(column.args[0])) if column.args else "?"
        not_null = _const(_kw(column, "nullable")) is False or _const(_kw(column, "primary_key")) is True
        has_default = any(kw.arg == "server_default" for kw in column.keywords) or any(
            isinstance(a, ast.Call) and getattr(a.func, "attr", "") in ("Computed", "Identity")
            for a in column.args)
        if not_null and not has_default:
            return [Breach(line, f"{table}.{col_name}", "adds a NOT NULL column without a server default", False)]
    return []


def _sql_breaches(text: str, line: int) -> list[Breach]:
    found = []
    for pattern, what in _SQL_RULES:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            table = m.group("t").replace('"', "").split(".")[-1].lower()
            column = m.groupdict().get("c")
            target = f"{table}.{column.replace(chr(34), '').lower()}" if column else table
            found.append(Breach(line, target, what, what.startswith("drops the") and "default" not in what))
    return found


def check_source(source: str) -> tuple[list[Breach], dict[str, str]]:
    """The destructive steps in a migration's upgrade(), and its CONTRACT declaration."""
    tree = ast.parse(source)
    contract: dict[str, str] = {}
    upgrade: ast.FunctionDef | None = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            upgrade = node
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == "CONTRACT" for t in targets):
            value = ast.literal_eval(node.value)  # type: ignore[arg-type]
            assert isinstance(value, dict), "CONTRACT is a dict: 'table' or 'table.column' -> why"
            contract = {str(k).lower(): str(v) for k, v in value.items()}
    breaches: list[Breach] = []
    if upgrade is None:
        return breaches, contract
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # op.drop_column(...) and, inside `with op.batch_alter_table(t) as batch_op`, batch_op.*(...)
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in ("op", "batch_op"):
                breaches.extend(_op_breaches(node, node.func.attr))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            breaches.extend(_sql_breaches(node.value, node.lineno))
    return breaches, contract


def problems(source: str, model_columns: set[str], revision: str = "new") -> list[str]:
    """What the rule refuses in one migration (empty: it may run while the previous release serves)."""
    breaches, contract = check_source(source)
    found = []
    for b in breaches:
        table = b.target.split(".")[0]
        reason = contract.get(b.target) or contract.get(table)
        if not reason or not reason.strip():
            found.append(f"{revision} line {b.line}: {b.what} ({b.target}), which the release still running "
                         f"may use. Expand first (add, write both, backfill); drop it in a later contract "
                         f"migration with CONTRACT = {{{b.target!r}: 'which release stopped using it'}}")
        elif b.dropped and (b.target in model_columns or b.target in {c.split(".")[0] for c in model_columns}
                            and "." not in b.target):
            found.append(f"{revision} line {b.line}: contracts {b.target}, but models/ still has it: "
                         f"stop using it in one release, drop it in the next")
    for name, reason in contract.items():
        if not reason.strip():
            found.append(f"{revision}: CONTRACT[{name!r}] gives no reason")
    return found


def _model_columns() -> set[str]:
    from sqlmodel import SQLModel

    import models  # noqa: F401 - registers every table

    return {f"{t.name}.{c.name}" for t in SQLModel.metadata.tables.values() for c in t.columns}


def _revision(path: Path) -> str:
    m = re.search(r"^revision(?::\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", path.read_text(), re.MULTILINE)
    assert m, f"{path.name}: no revision id"
    return m.group(1)


MIGRATIONS = sorted(VERSIONS.glob("*.py"))


@pytest.mark.parametrize("path", MIGRATIONS, ids=[p.stem for p in MIGRATIONS])
def test_every_migration_expands_or_declares_its_contract(path: Path) -> None:
    revision = _revision(path)
    found = problems(path.read_text(), _model_columns(), revision)
    if revision in GRANDFATHERED:
        assert found, f"{revision} keeps the rule now: take it out of GRANDFATHERED"
        return
    assert not found, "\n".join(found)


def test_grandfathered_revisions_exist_and_say_why() -> None:
    revisions = {_revision(p) for p in MIGRATIONS}
    for revision, why in GRANDFATHERED.items():
        assert revision in revisions and len(why) > 20, revision


# --- the checker itself refuses what it should (each rule can fail) ---
_HEAD = "from alembic import op\nimport sqlalchemy as sa\n"


@pytest.mark.parametrize("body, what", [
    ("op.drop_column('posts', 'repeat_times')", "drops the column"),
    ("op.drop_table('ideas')", "drops the table"),
    ("op.rename_table('ideas', 'notes')", "renames the table"),
    ("op.alter_column('posts', 'body', new_column_name='text')", "renames the column"),
    ("op.alter_column('posts', 'body', type_=sa.Text())", "changes the column's type"),
    ("op.alter_column('posts', 'body', nullable=False)", "NOT NULL without a server default"),
    ("op.alter_column('channels', 'status_reason', server_default=None)", "drops the column's server default"),
    ("op.add_column('posts', sa.Column('kind', sa.String(), nullable=False))", "adds a NOT NULL column"),
    ("with op.batch_alter_table('posts') as batch_op:\n        batch_op.drop_column('body')", "drops the column"),
    ("op.execute('ALTER TABLE posts DROP COLUMN repeat_times')", "drops the column"),
    ("op.execute(sa.text('alter table posts alter column body type text'))", "changes the column's type"),
    ("op.execute('ALTER TABLE posts RENAME COLUMN body TO text')", "renames"),
    ("op.execute('DROP TABLE IF EXISTS ideas')", "drops the table"),
])
def test_the_rule_refuses_destructive_steps(body: str, what: str) -> None:
    source = f"{_HEAD}\ndef upgrade():\n    {body}\n"
    found = problems(source, set())
    assert found and what in found[0], found


@pytest.mark.parametrize("body", [
    "op.add_column('posts', sa.Column('kind', sa.String(), nullable=True))",
    "op.add_column('posts', sa.Column('kind', sa.String(), nullable=False, server_default='a'))",
    "op.alter_column('posts', 'kind', nullable=False, server_default='a')",
    "op.create_index('ix_x', 'posts', ['kind'])",
    "op.drop_index('ix_x', table_name='posts')",
    "op.execute('ALTER TABLE posts DROP CONSTRAINT ck_x')",
    "op.execute('CREATE TABLE notes (id int)')",
])
def test_the_rule_lets_expand_steps_through(body: str) -> None:
    assert problems(f"{_HEAD}\ndef upgrade():\n    {body}\n", set()) == []


def test_a_declared_contract_may_drop_what_the_models_no_longer_have() -> None:
    source = (f"{_HEAD}CONTRACT = {{'posts.repeat_times': 'release 2026.12 stopped using it'}}\n"
              "def upgrade():\n    op.drop_column('posts', 'repeat_times')\n")
    assert problems(source, {"posts.body"}) == []
    # ...but not while this release's models still map it,
    assert "models/ still has it" in problems(source, {"posts.repeat_times"})[0]
    # nor a column it does not name.
    other = source.replace("op.drop_column('posts', 'repeat_times')", "op.drop_column('posts', 'body')")
    assert "drops the column (posts.body)" in problems(other, set())[0]
    # Downgrades are the rollback and may drop what their upgrade added.
    assert problems(f"{_HEAD}def upgrade():\n    pass\ndef downgrade():\n    op.drop_table('x')\n", set()) == []
