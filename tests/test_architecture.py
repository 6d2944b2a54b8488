"""The layout's rules, read from the source: the import graph has no cycle and no upward edge,
no underscored name crosses modules, paper namespaces do not import each other, and plotting
imports nothing that computes.

Layers, lowest first (a module may import its own layer or lower ones only):
  base     kdntk._src.{checks, callables, jit, prng, pytrees, results, nt_loader, xla_workaround, blas_threads}
  tasks    kdntk.tasks.*
  core     the rest of kdntk._src.*, kdntk.stax
  teachers kdntk.teachers.*
  papers   kdntk.ji_zhu.*, kdntk.phuong_lampert.*, kdntk.nagarajan.*
  top      kdntk (the package namespace)
  plotting kdntk.plotting.*
  demo     kdntk.demo
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
BASE = {"checks", "callables", "jit", "prng", "pytrees", "results", "nt_loader", "xla_workaround", "blas_threads"}
PAPERS = ("kdntk.ji_zhu", "kdntk.phuong_lampert", "kdntk.nagarajan")


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    if module.startswith("kdntk._src."):
        return 0 if module.split(".")[2] in BASE else 2
    for prefix, layer in (("kdntk.tasks", 1), ("kdntk.stax", 2), ("kdntk.teachers", 3),
                          *((p, 4) for p in PAPERS), ("kdntk.plotting", 6), ("kdntk.demo", 7)):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    assert module in ("kdntk", "kdntk._src"), module
    return 5 if module == "kdntk" else 0


def _imports():
    """module -> [(imported module, names, line)] of its module-level and function-level kdntk imports."""
    modules = {_module_name(p): p for p in (ROOT / "kdntk").rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        edges = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kdntk"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    edges.append((target if target in modules else node.module, alias.name, node.lineno))
            elif isinstance(node, ast.Import):
                edges += [(a.name, a.name, node.lineno) for a in node.names if a.name.startswith("kdntk")]
        graph[name] = edges
    return graph


def test_no_upward_import_and_no_paper_imports_another():
    bad = []
    for module, edges in _imports().items():
        for target, _, line in edges:
            if _layer(target) > _layer(module):
                bad.append(f"{module}:{line} imports {target} (a higher layer)")
            same_paper = any(module.startswith(p) and target.startswith(p) for p in PAPERS)
            if _layer(module) == _layer(target) == 4 and not same_paper:
                bad.append(f"{module}:{line} imports another paper's {target}")
    assert not bad, "\n".join(bad)


def test_import_graph_has_no_cycle():
    graph = {m: {t for t, _, _ in edges if t != m} for m, edges in _imports().items()}
    # A package's __init__ re-exports its own modules: those edges point down into the package.
    graph = {m: {t for t in ts if not (t.startswith(m + ".") and m != "kdntk")} for m, ts in graph.items()}
    state, cycle = {}, []

    def visit(m, stack):
        state[m] = "open"
        for t in sorted(graph.get(m, ())):
            if state.get(t) == "open":
                cycle.append(stack[stack.index(t):] + [t] if t in stack else [m, t])
            elif t not in state:
                visit(t, stack + [t])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state and m != "kdntk":
            visit(m, [m])
    assert not cycle, cycle


def test_no_underscored_name_crosses_modules():
    bad = [f"{m}:{line} imports {name} from {target}" for m, edges in _imports().items()
           for target, name, line in edges if name.startswith("_") and not name.startswith("__")]
    assert not bad, bad


def test_plotting_imports_only_plotting():
    bad = [f"{m}:{line} imports {t}" for m, edges in _imports().items() if m.startswith("kdntk.plotting")
           for t, _, line in edges if not t.startswith("kdntk.plotting")]
    assert not bad, bad
