"""The package's layers (CONTRIBUTING.md), checked on the import graph of course_lib's source.

The rules are written once, in :mod:`course_lib.registry` (one line per module: its layer, and whether
it imports Keras at module level). Layer 0 settings and checks, 1 math and data (NumPy), 2 algorithms
and Keras plumbing, 3 figures. Every module is registered; a module imports course_lib modules of its
own layer or below (function-level imports count too); the graph has no cycles; no module imports the
tooling (tools/); optimizers imports only validation and curvature; only figure modules import matplotlib; only a
module registered ``keras=True`` imports Keras or TensorFlow at module level.
"""

import ast
from pathlib import Path

import pytest

from course_lib import registry

PACKAGE = Path(__file__).resolve().parent.parent / "course_lib"
LAYERS = {name: module.layer for name, module in registry.MODULES.items()}
KERAS = {"keras", "tensorflow"}


def _imports(path):
    """Names of course_lib modules and top-level packages imported anywhere in the file."""
    course, other = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                (course.add(parts[1]) if parts[0] == "course_lib" and len(parts) > 1 else other.add(parts[0]))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "course_lib":
                other.add(parts[0])
            elif len(parts) > 1:
                course.add(parts[1])
            else:  # from course_lib import a, b
                course.update(alias.name for alias in node.names)
    return course, other


def _module_level_imports(path):
    """Top-level packages imported by statements outside any function (module and class bodies)."""
    found = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name.split(".")[0] for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.add(child.module.split(".")[0])
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _modules():
    """Module name -> its source files: ``course_lib/<name>.py``, or every file of a package ``course_lib/<name>/``."""
    modules = {p.stem: [p] for p in PACKAGE.glob("*.py")}
    for init in PACKAGE.glob("*/__init__.py"):
        modules[init.parent.name] = sorted(init.parent.glob("*.py"))
    return modules


FILES = _modules()


def _graph():
    graph, external = {}, {}
    for name, paths in FILES.items():
        course, other = set(), set()
        for path in paths:  # a package: the union of its files' imports (relative ones are its own)
            c, o = _imports(path)
            course, other = course | c, other | o
        graph[name] = {m for m in course if m in FILES and m != name}
        external[name] = other
    return graph, external


GRAPH, EXTERNAL = _graph()
MODULES = sorted(set(GRAPH) - {"__init__"})


def _order():
    """Modules in dependency order (imports first); raises on a cycle."""
    order, state = [], {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise AssertionError(f"import cycle: {' -> '.join(path + [name])}")
        state[name] = "visiting"
        for dependency in sorted(GRAPH[name]):
            visit(dependency, path + [name])
        state[name] = "done"
        order.append(name)

    for name in sorted(GRAPH):
        visit(name, [])
    return order


def test_every_module_is_registered_and_every_registered_module_exists():
    unregistered = sorted(set(MODULES) - set(registry.MODULES))
    assert not unregistered, f"add a line for each to course_lib/registry.py's MODULES: {unregistered}"
    assert sorted(registry.MODULES) == MODULES, "a registered module has no file"
    assert all(module.layer in registry.LAYER_NAMES for module in registry.MODULES.values())


def test_no_import_cycles():
    assert len(_order()) == len(GRAPH)


def test_init_imports_only_the_settings_layer():
    assert {LAYERS[d] for d in GRAPH["__init__"]} == {registry.SETTINGS}  # import course_lib stays cheap


def _registered(name):
    if name not in registry.MODULES:
        pytest.fail(f"{name} is not in course_lib/registry.py's MODULES: add its line (layer, keras)")
    return registry.MODULES[name]


@pytest.mark.parametrize("name", MODULES)
def test_imports_only_from_its_layer_or_below(name):
    _registered(name)
    unregistered = sorted(d for d in GRAPH[name] if d not in LAYERS)
    assert not unregistered, f"{name} imports unregistered modules {unregistered}"
    too_high = {d: LAYERS[d] for d in GRAPH[name] if LAYERS[d] > LAYERS[name]}
    assert not too_high, f"{name} (layer {LAYERS[name]}) imports higher layers {too_high}"


@pytest.mark.parametrize("name", MODULES)
def test_no_module_imports_the_tooling(name):
    assert "tools" not in EXTERNAL[name]


@pytest.mark.parametrize("name", MODULES)
def test_only_figure_modules_import_matplotlib(name):
    _registered(name)
    if not registry.may_import_matplotlib(name):
        assert "matplotlib" not in EXTERNAL[name], (
            f"{name} (layer {LAYERS[name]}) imports matplotlib: move its figure code to a figure module "
            f"({', '.join(registry.figure_modules())})"
        )


@pytest.mark.parametrize("name", MODULES)
def test_keras_at_module_level_only_where_registered(name):
    at_top = set().union(*(_module_level_imports(path) for path in FILES[name])) & KERAS
    assert not at_top or _registered(name).keras, f"{name} imports {at_top} at module level"


def test_optimizers_import_only_validation_and_curvature():
    assert GRAPH["optimizers"] <= {"validation", "curvature"}


def test_the_checker_sees_function_level_imports_cycles_and_matplotlib(tmp_path):
    """The checker itself can fail: a lazy import is found, a cycle is reported, a plot is caught."""
    source = tmp_path / "m.py"
    source.write_text(
        "import numpy\nclass A:\n    import keras\n"
        "def f():\n    from course_lib.models import mlp\n    import tools.bench\n    import matplotlib.pyplot\n"
    )
    assert _imports(source) == ({"models"}, {"numpy", "keras", "tools", "matplotlib"})
    assert _module_level_imports(source) == {"numpy", "keras"}
    assert not registry.may_import_matplotlib("losses") and registry.may_import_matplotlib("plotting")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .core import f\n")
    (package / "core.py").write_text("from course_lib.validation import check_scalar\nimport matplotlib\n")
    assert _imports(package / "__init__.py") == (set(), set())  # relative: the package's own
    assert _imports(package / "core.py") == ({"validation"}, {"matplotlib"})
    assert "optimizers" in FILES and len(FILES["optimizers"]) >= 1
    saved = dict(GRAPH)
    try:
        GRAPH["validation"] = GRAPH["validation"] | {"optimizers"}
        with pytest.raises(AssertionError, match="import cycle"):
            _order()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
