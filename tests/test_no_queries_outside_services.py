"""Adapters hold no queries: the Reflex states and pages, the REST routes, the RQ jobs and
the CLI call services, which alone build and run SQL (docs/architecture.md). This reads
their source: no SQL construct from sqlalchemy/sqlmodel (select, text, insert, update,
delete, func) and no statement run or row loaded on a session or connection (exec,
execute, scalar, scalars, get, query)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ["state", "pages", "coworking_app/api", "jobs", "coworking_app/cli.py"]
SQL_NAMES = {"select", "text", "insert", "update", "delete", "func", "literal_column", "column", "table"}
SESSION_CALLS = {"exec", "execute", "scalar", "scalars", "get", "query", "merge", "refresh", "flush",
                 "add", "add_all"}
SESSION_NAME = re.compile(r"^(session|sess|s|db|conn|connection)$|_session$", re.I)


def _files() -> list[Path]:
    out = []
    for place in ADAPTERS:
        path = ROOT / place
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return out


def _queries(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sql_names: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("sqlalchemy", "sqlmodel"):
            for alias in node.names:
                if alias.name in SQL_NAMES:
                    sql_names.add(alias.asname or alias.name)
                    found.append(f"{node.lineno}: imports {alias.name} from {node.module}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in sql_names:
            found.append(f"{node.lineno}: {f.id}(...)")
        elif isinstance(f, ast.Attribute) and f.attr in SESSION_CALLS and isinstance(f.value, ast.Name) \
                and SESSION_NAME.search(f.value.id):
            found.append(f"{node.lineno}: {f.value.id}.{f.attr}(...)")
        elif isinstance(f, ast.Attribute) and f.attr in ("execute", "exec", "scalars", "scalar") \
                and isinstance(f.value, ast.Call) and isinstance(f.value.func, ast.Attribute) \
                and f.value.func.attr == "connection":
            found.append(f"{node.lineno}: ....connection().{f.attr}(...)")
    return found


def test_the_scan_sees_a_query(tmp_path):
    sample = tmp_path / "adapter_sample.py"
    sample.write_text("from sqlalchemy import select\n"
                      "def load(session):\n    return session.get(Thing, 1), session.execute(select(Thing))\n",
                      encoding="utf-8")
    assert len(_queries(sample)) == 4


def test_no_queries_outside_services():
    problems = [f"{path.relative_to(ROOT)}:{hit}" for path in _files() for hit in _queries(path)]
    assert not problems, "queries belong in coworking_app/services:\n" + "\n".join(problems)
