"""The shape of the code, checked by reading the source (ast; nothing is imported or run):

(a) no import loops among the core's modules at module level (coworking_app/, models/,
    jobs/, state/);
(b) no queries outside services: no SQL construct of SQLAlchemy/SQLModel imported or
    built (`select(`, `text(`, `insert(`, `update(`, `delete(`, `func`, ...), no statement
    run (`.exec(`, `.execute(`, `.scalar(`, `.scalars(` given one) and no rows loaded or
    added on a session (`session.get(`, `s.add(`, ...) under state/, pages/,
    coworking_app/api/, jobs/ and in coworking_app/cli.py;
(c) no global SQLAlchemy Session event hooks (`event.listen` / `listens_for` on a Session
    class or session factory); hooks on an engine or a pool are allowed;
(d) service modules, page states and pages import the project's modules at the top, except
    where the import's line or the line above says why in a comment;
(e) page states run use cases one way: every state class derives from state.page.PageState
    (but for the few that hold no page: who is signed in, the inbox badge), and no state
    module but state/page.py and state/auth.py opens a unit of work, a read scope or looks
    up the signed-in person itself.

Each checker is a plain function over a source tree, so the tests at the end of this file
can feed it a tiny tree with a violation and see it reported.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("coworking_app", "models", "jobs", "state", "pages")
CORE = ("coworking_app", "models", "jobs", "state")
ADAPTERS = ("state", "pages", "coworking_app/api", "jobs", "coworking_app/cli.py", "coworking_app/bot")
SERVICES = "coworking_app/services"


# --- reading the tree ---------------------------------------------------------------------------


def _py_files(root: Path, place: str) -> list[Path]:
    path = root / place
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> ast.Module:
    """The syntax tree of a file, read once per run (the checks share the real tree)."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _module_level_statements(body: list[ast.stmt]):
    """Statements at module level: also inside if/try/with/for and class bodies, and
    `if TYPE_CHECKING:` blocks (a loop of types is still a loop between the modules), but
    not function bodies."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.If):
            yield from _module_level_statements(node.body)
            yield from _module_level_statements(node.orelse)
        elif isinstance(node, ast.ClassDef):
            yield from _module_level_statements(node.body)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(node, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], (ast.stmt, ast.ExceptHandler)):
                    for part in inner:
                        yield from _module_level_statements(
                            part.body if isinstance(part, ast.ExceptHandler) else [part])


def _imported_names(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Dotted names an import statement asks for: each module of `import a.b`; for
    `from a import b` the source a, then a.b for each name b (a module or not)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    source = _source(node, module, is_package)
    return [source] + [f"{source}.{alias.name}" for alias in node.names]


def _source(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
                      modules) -> list[str]:
    """The modules an import statement runs: `import a.b` -> a.b; `from a import b` -> a.b
    when a/b.py exists, else a."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    source = _source(node, module, is_package)
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]


# --- (a) import loops -----------------------------------------------------------------------------


def import_graph(root: Path, packages=CORE) -> dict[str, dict[str, int]]:
    """module -> {module it imports at module level: line}. Importing a.b.c also runs the
    packages a and a.b, unless the importer lives inside them (they are then already
    being imported)."""
    files = {}
    for package in packages:
        for path in _py_files(root, package):
            files[_module_name(root, path)] = path
    graph: dict[str, dict[str, int]] = {m: {} for m in files}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        for node in _module_level_statements(_parse(path).body):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _imported_modules(node, module, is_package, files):
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    target = ".".join(parts[:i])
                    if target not in files or target == module:
                        continue
                    if module.startswith(target + ".") and i < len(parts):
                        continue  # an own parent package on the way to a sibling
                    graph[module].setdefault(target, node.lineno)
    return graph


def import_loops(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One shortest loop per group of modules that import each other (a strongly connected
    component), as [a, b, ..., a]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_shortest_loop(graph, set(c), c[0]) for c in sorted(components)]


def _shortest_loop(graph: dict[str, dict[str, int]], members: set[str], start: str) -> list[str]:
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if nxt not in members:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start] + path[::-1][1:] + [start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"no loop through {start}")  # a component always has one


def describe_loop(graph: dict[str, dict[str, int]], loop: list[str]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(loop, loop[1:])) + f" -> {loop[-1]}"


# --- (b) queries outside services -----------------------------------------------------------------

SQL_BUILDERS = {"select", "text", "insert", "update", "delete", "func", "literal_column", "column", "table"}
SQL_MODULES = ("sqlalchemy", "sqlmodel")
SQL_RUNNERS = {"exec", "execute", "scalar", "scalars"}
# Loading, adding or flushing rows on something named like a session or a connection.
SESSION_CALLS = {"get", "query", "merge", "refresh", "flush", "add", "add_all"}
SESSION_NAME = re.compile(r"^(session|sess|s|db|conn|connection)$|_session$", re.I)


def queries_outside_services(root: Path, places=ADAPTERS) -> list[str]:
    """"path:line what" for every statement built, run or imported in an adapter: SQL
    constructs of SQLAlchemy or SQLModel imported or called (`rx.text(` is a component);
    statements run (`.exec(`, `.execute(`, `.scalar(`, `.scalars(` given one: a Redis
    pipeline's `.execute()` takes none); rows loaded, added or flushed on a session or a
    connection (`session.get(`, `s.add(`, ...)."""
    hits = []
    for place in places:
        for path in _py_files(root, place):
            tree = _parse(path)
            found: list[tuple[int, int, str]] = []
            builders: set[str] = set()  # local names of select/text/...
            modules: set[str] = set()  # local names of the sqlalchemy/sqlmodel modules
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_MODULES:
                    for alias in node.names:
                        if alias.name in SQL_BUILDERS:
                            builders.add(alias.asname or alias.name)
                            found.append((node.lineno, node.col_offset, f"imports {alias.name} from {node.module}"))
                    modules |= {a.asname or a.name for a in node.names if a.name in ("sql", "expression")}
                elif isinstance(node, ast.Import):
                    modules |= {a.asname or a.name.split(".")[0] for a in node.names
                                if a.name.split(".")[0] in SQL_MODULES}
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                what = None
                if isinstance(func, ast.Name) and func.id in builders:
                    what = f"{func.id}("
                elif isinstance(func, ast.Attribute) and func.attr in SQL_BUILDERS \
                        and _root_name(func.value) in modules:
                    what = f"{ast.unparse(func)}("
                elif isinstance(func, ast.Attribute) and func.attr in SQL_RUNNERS and node.args:
                    what = f".{func.attr}("
                elif isinstance(func, ast.Attribute) and func.attr in SESSION_CALLS \
                        and isinstance(func.value, ast.Name) and SESSION_NAME.search(func.value.id):
                    what = f"{func.value.id}.{func.attr}("
                if what:
                    found.append((node.lineno, node.col_offset, what))
            hits += [f"{_rel(root, path)}:{line} {what}" for line, _col, what in sorted(found)]
    return hits


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# --- (c) Session event hooks ----------------------------------------------------------------------

_SESSION_TARGET = re.compile(r"(^|\.)(\w*session\w*|sessionmaker)$", re.I)


def session_hooks(root: Path, packages=PROJECT_PACKAGES) -> list[str]:
    """"path:line target" for every `event.listen(X, ...)` / `@event.listens_for(X, ...)`
    whose X is a Session class or a session factory (engines and pools are allowed)."""
    hits = []
    for package in packages:
        for path in _py_files(root, package):
            for node in ast.walk(_parse(path)):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in ("listen", "listens_for"):
                    continue
                target = ast.unparse(node.args[0])
                if _SESSION_TARGET.search(target):
                    hits.append(f"{_rel(root, path)}:{node.lineno} {name}({target}, ...)")
    return hits


# --- (e) page states ------------------------------------------------------------------------------

# States that hold no page: who is signed in (state/auth.py), the header's inbox badge, and
# the base itself.
PLAIN_STATES = {"AuthState", "InboxBadgeState", "PageState", "LanguageState"}  # LanguageState: no use cases
# Only the base and the sign-in state run use cases or look the person up themselves.
_BYPASSES = {"run_use_case", "UnitOfWork", "read_scope", "access_user_by_session_token", "act_as"}
_RUNNERS = ("state/page.py", "state/auth.py")


def page_state_bypasses(root: Path, place: str = "state") -> list[str]:
    """"path:line what" for a state class deriving from rx.State directly (not in
    PLAIN_STATES) and for a use of one of _BYPASSES outside _RUNNERS."""
    hits = []
    for path in _py_files(root, place):
        rel = _rel(root, path)
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.ClassDef) and node.name not in PLAIN_STATES and any(
                    ast.unparse(base) in ("rx.State", "State") for base in node.bases):
                hits.append(f"{rel}:{node.lineno} class {node.name}(rx.State)")
            if rel in _RUNNERS:
                continue
            name = (node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name)
                    else None)
            if name in _BYPASSES:
                hits.append(f"{rel}:{node.lineno} {name}")
            if isinstance(node, ast.ImportFrom):
                hits += [f"{rel}:{node.lineno} {a.name}" for a in node.names if a.name in _BYPASSES]
    return sorted(set(hits))


# --- (d) imports inside service functions ---------------------------------------------------------

_PRAGMA = re.compile(r"\b(noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?|type:\s*ignore(\[[\w,-]+\])?"
                     r"|pragma:\s*no\s*cover|isort:\s*skip)")


def _explaining_comments(source: str) -> set[int]:
    """Lines holding a comment with words in it (a bare `# noqa: X` says nothing)."""
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            words = _PRAGMA.sub("", token.string.lstrip("#"))
            if re.search(r"[^\W\d_]{3,}", words):
                lines.add(token.start[0])
    return lines


def late_project_imports(root: Path, place: str = SERVICES, packages=PROJECT_PACKAGES) -> list[str]:
    """"path:line module" for every import of a project module inside a function body
    without a comment on its lines or the line above."""
    hits = []
    for path in _py_files(root, place):
        explained = _explaining_comments(path.read_text(encoding="utf-8"))
        module = _module_name(root, path)
        tree = _parse(path)
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                names = _imported_names(node, module, path.name == "__init__.py")
                if not any(n.split(".")[0] in packages for n in names):
                    continue
                if explained & set(range(node.lineno - 1, (node.end_lineno or node.lineno) + 1)):
                    continue
                hits.append(f"{_rel(root, path)}:{node.lineno} {names[0]}")
    return sorted(set(hits), key=lambda h: (h.split(":")[0], int(h.split(":")[1].split()[0])))


# --- the checks on this project -------------------------------------------------------------------


def _found(what: str, count: int, at_least: int) -> None:
    """The checks read the real tree: an empty or moved tree must not pass them quietly."""
    if count < at_least:
        raise LookupError(f"only {count} {what} found: has the tree moved?")


def test_no_import_loops_in_the_core():
    graph = import_graph(ROOT)
    _found("core modules", len(graph), 100)
    loops = import_loops(graph)
    assert not loops, "import loops at module level:\n" + "\n".join(describe_loop(graph, loop) for loop in loops)


def test_no_queries_outside_services():
    _found("adapter modules", len([p for place in ADAPTERS for p in _py_files(ROOT, place)]), 50)
    hits = queries_outside_services(ROOT)
    assert not hits, "queries outside coworking_app/services (move them into a service):\n" + "\n".join(hits)


def test_no_global_session_event_hooks():
    hits = session_hooks(ROOT)
    assert not hits, ("global Session event hooks (effects belong to the unit of work, "
                      "added explicitly by the service):\n" + "\n".join(hits))


def test_service_modules_import_the_project_at_the_top():
    _found("service modules", len(_py_files(ROOT, SERVICES)), 20)
    hits = late_project_imports(ROOT)
    assert not hits, ("project imports inside service functions; move them to the top, or say "
                      "why in a comment on the line or the one above:\n" + "\n".join(hits))


def test_page_states_and_pages_import_the_project_at_the_top():
    hits = late_project_imports(ROOT, "state") + late_project_imports(ROOT, "pages")
    assert not hits, ("project imports inside functions of state/ or pages/; move them to the top, "
                      "or say why in a comment:\n" + "\n".join(hits))


def test_page_states_run_use_cases_through_page_state():
    _found("state modules", len(_py_files(ROOT, "state")), 15)
    hits = page_state_bypasses(ROOT)
    assert not hits, ("page states that bypass state.page.PageState (derive from it and run use "
                      "cases with _act/_visit/_run/_read):\n" + "\n".join(hits))


def model_or_sql_imports(root: Path, place: str) -> list[str]:
    """"path:line module" for every import of the tables (`models`) or of SQLAlchemy, and of
    anything from SQLModel but its Session type, under `place`."""
    hits = []
    for path in _py_files(root, place):
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
                if names[0] == "sqlmodel" and all(a.name == "Session" for a in node.names):
                    continue
            else:
                continue
            hits += [f"{_rel(root, path)}:{node.lineno} {name}" for name in names
                     if name.split(".")[0] in ("models", "sqlalchemy", "sqlmodel")]
    return hits


def test_the_bot_imports_services_never_models_or_sql():
    """The bot is a second front end over the services: it copies no rule and runs no query."""
    _found("bot modules", len(_py_files(ROOT, "coworking_app/bot")), 8)
    hits = model_or_sql_imports(ROOT, "coworking_app/bot")
    assert not hits, "the bot imports the tables or SQL; call a service instead:\n" + "\n".join(hits)


def test_model_and_sql_imports_are_reported(tmp_path):
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "a.py").write_text("from sqlmodel import Session\nfrom models import User\n"
                                           "import sqlalchemy as sa\nfrom sqlmodel import select\n")
    assert model_or_sql_imports(tmp_path, "bot") == ["bot/a.py:2 models", "bot/a.py:3 sqlalchemy",
                                                     "bot/a.py:4 sqlmodel"]


def test_engine_hooks_in_db_are_not_session_hooks():
    """coworking_app/db.py's pool hooks stay allowed: the checker tells the two apart."""
    assert not [hit for hit in session_hooks(ROOT, ("coworking_app/db.py",))]


# --- each checker reports a violation -------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_a_loop_through_three_modules_is_reported_with_its_path(tmp_path):
    root = _tree(tmp_path, {
        "coworking_app/__init__.py": "",
        "coworking_app/db.py": "import os\nfrom coworking_app.services import audit\n",
        "coworking_app/services/__init__.py": "",
        "coworking_app/services/audit.py": "from coworking_app.services.accounts import x\n",
        "coworking_app/services/accounts.py": "x = 1\nfrom coworking_app import db\n",
        "models/__init__.py": "from models.user import User\n",
        "models/user.py": "from models.common import Base\nclass User(Base): ...\n",
        "models/common.py": "Base = object\n",
    })
    graph = import_graph(root)
    loops = import_loops(graph)
    assert loops == [["coworking_app.db", "coworking_app.services.audit",
                      "coworking_app.services.accounts", "coworking_app.db"]]
    assert describe_loop(graph, loops[0]) == (
        "coworking_app.db (line 2) -> coworking_app.services.audit (line 1) -> "
        "coworking_app.services.accounts (line 2) -> coworking_app.db")


def test_a_package_init_importing_a_module_that_imports_the_package_is_a_loop(tmp_path):
    """jobs/__init__ -> db -> services.tasks -> jobs.booking: importing jobs.booking runs
    jobs/__init__ first."""
    root = _tree(tmp_path, {
        "jobs/__init__.py": "from coworking_app.db import engine\n",
        "jobs/booking.py": "def expire(): ...\n",
        "coworking_app/__init__.py": "",
        "coworking_app/db.py": "from coworking_app import tasks\nengine = 1\n",
        "coworking_app/tasks.py": "from jobs.booking import expire\n",
    })
    assert import_loops(import_graph(root)) == [
        ["coworking_app.db", "coworking_app.tasks", "jobs", "coworking_app.db"]]


def test_imports_in_functions_make_no_loop_and_type_checking_imports_do(tmp_path):
    root = _tree(tmp_path, {
        "coworking_app/__init__.py": "",
        "coworking_app/a.py": "import coworking_app.b\n",
        "coworking_app/b.py": "def late():\n    from coworking_app.a import x\n",
        "coworking_app/c.py": "from coworking_app.d import D\n",
        "coworking_app/d.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                               "    from coworking_app.c import C\n"),
        "state/__init__.py": "",
        "state/x.py": "from . import y\n",
        "state/y.py": "try:\n    from .x import z\nexcept ImportError:\n    pass\n",
    })
    graph = import_graph(root)
    assert graph["coworking_app.a"] == {"coworking_app.b": 1}
    assert graph["coworking_app.b"] == {}
    # Relative imports inside try blocks count too: state.x <-> state.y.
    assert import_loops(graph) == [["coworking_app.c", "coworking_app.d", "coworking_app.c"],
                                   ["state.x", "state.y", "state.x"]]


def test_queries_in_adapters_are_reported_and_components_are_not(tmp_path):
    root = _tree(tmp_path, {
        "state/owner.py": (
            "import reflex as rx\nimport sqlalchemy as sa\n"
            "from sqlmodel import select\n"
            "from sqlalchemy import text as sql_text\n"
            "def load(session):\n"
            "    rows = session.exec(select(Space)).all()\n"
            "    n = sa.select(1)\n"
            "    session.execute(sql_text('SELECT 1'))\n"
            "    return rx.text('Привет'), rx.select(['a'])\n"),
        "jobs/cron.py": "def run(redis):\n    pipe = redis.pipeline()\n    pipe.execute()\n",
        "coworking_app/cli.py": "def main(conn):\n    conn.scalar(query)\n",
        "coworking_app/services/spaces.py": "from sqlmodel import select\nq = select(1)\n",
        "pages/home.py": "import reflex as rx\ndef page():\n    return rx.text('x')\n",
    })
    assert queries_outside_services(root) == [
        "state/owner.py:3 imports select from sqlmodel",
        "state/owner.py:4 imports text from sqlalchemy",
        "state/owner.py:6 .exec(",
        "state/owner.py:6 select(",
        "state/owner.py:7 sa.select(",
        "state/owner.py:8 .execute(",
        "state/owner.py:8 sql_text(",
        "coworking_app/cli.py:2 .scalar(",
    ]


def test_rows_loaded_or_added_on_a_session_in_an_adapter_are_queries(tmp_path):
    root = _tree(tmp_path, {
        "coworking_app/api/spaces.py": (
            "from sqlalchemy import func\n"
            "def route(session, db_session, state):\n"
            "    thing = session.get(Thing, 1)\n"
            "    db_session.add(thing)\n"
            "    state.get('x')\n"  # not a session: a dict, a Reflex state...
            "    return session.connection().execute(stmt)\n"),
    })
    assert queries_outside_services(root) == [
        "coworking_app/api/spaces.py:1 imports func from sqlalchemy",
        "coworking_app/api/spaces.py:3 session.get(",
        "coworking_app/api/spaces.py:4 db_session.add(",
        "coworking_app/api/spaces.py:6 .execute(",
    ]


def test_session_hooks_are_reported_and_engine_hooks_are_not(tmp_path):
    root = _tree(tmp_path, {
        "coworking_app/services/tasks.py": (
            "from sqlalchemy import event\nfrom sqlalchemy.orm import Session as OrmSession\n"
            "from sqlmodel import Session\n"
            "event.listen(Session, 'after_commit', print)\n"
            "@event.listens_for(OrmSession, 'after_flush')\ndef f(*a): ...\n"),
        "coworking_app/db.py": (
            "from sqlalchemy import event\n"
            "def make(engine):\n"
            "    @event.listens_for(engine, 'checkout')\n    def ping(*a): ...\n"
            "    event.listen(engine.pool, 'connect', print)\n"),
    })
    assert session_hooks(root) == [
        "coworking_app/services/tasks.py:4 listen(Session, ...)",
        "coworking_app/services/tasks.py:5 listens_for(OrmSession, ...)",
    ]


def test_late_project_imports_need_a_comment_saying_why(tmp_path):
    root = _tree(tmp_path, {
        "coworking_app/services/__init__.py": "",
        "coworking_app/services/booking/__init__.py": "",
        "coworking_app/services/booking/changes.py": (
            "import json\n"
            "from models import Booking\n"
            "def a():\n"
            "    from coworking_app.services.payments import refund\n"
            "def b():\n"
            "    # payments imports this module at its top: importing it here breaks the loop\n"
            "    from coworking_app.services.payments import refund\n"
            "def c():\n"
            "    from . import states  # noqa: PLC0415\n"
            "def d():\n"
            "    import jobs.booking  # the worker module pulls in RQ, only needed here\n"
            "def e():\n"
            "    import decimal\n"
            "    from ..payments import (\n"
            "        refund,\n"
            "    )\n"),
    })
    assert late_project_imports(root) == [
        "coworking_app/services/booking/changes.py:4 coworking_app.services.payments",
        "coworking_app/services/booking/changes.py:9 coworking_app.services.booking",
        "coworking_app/services/booking/changes.py:14 coworking_app.services.payments",
    ]


def test_a_page_state_on_rx_state_or_opening_its_own_unit_of_work_is_reported(tmp_path):
    root = _tree(tmp_path, {
        "state/__init__.py": "",
        "state/page.py": "import reflex as rx\nfrom coworking_app.uow import run_use_case\n"
                         "class PageState(rx.State):\n    pass\n",
        "state/good.py": "from state.page import PageState\nclass GoodState(PageState):\n    pass\n",
        "state/bad.py": "import reflex as rx\nfrom coworking_app.db import read_scope\n"
                        "class BadState(rx.State):\n"
                        "    def load(self):\n        with read_scope() as s:\n            pass\n",
    })
    assert page_state_bypasses(root) == ["state/bad.py:2 read_scope", "state/bad.py:3 class BadState(rx.State)",
                                         "state/bad.py:5 read_scope"]
