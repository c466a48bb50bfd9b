"""The package's layers (CONTRIBUTING.md), checked on the import graph of course_lib's source.

Layer 0 settings and checks, 1 math and data (NumPy), 2 algorithms and Keras plumbing, 3 figures. A module
may import course_lib modules of its own layer or below (function-level imports count too), the graph
has no cycles, no module imports the tooling (tools/), and optimizers imports only validation.
A module not listed in LAYERS (a new one) gets the lowest layer its imports allow; it passes as long as
it follows the same rules, and every listed module that imports it sits at that layer or above.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "course_lib"

LAYERS = {
    "config": 0,
    "validation": 0,
    "objectives": 1,
    "schedules": 1,
    "curvature": 1,
    "activations": 1,
    "losses": 1,
    "datasets": 1,
    "rates": 1,
    "approximation": 1,
    "relu_regions": 1,
    "calibration": 1,
    "optimizers": 2,
    "convergence": 2,
    "backprop": 2,
    "models": 2,
    "keras_compat": 2,
    "propagation": 2,
    "layers": 2,
    "plotting": 3,
    "optim_plots": 3,
    "region_plots": 3,
    "quiz": 3,
}


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


def _graph():
    modules = {p.stem: p for p in PACKAGE.glob("*.py")}
    graph, external = {}, {}
    for name, path in modules.items():
        course, other = _imports(path)
        graph[name] = {m for m in course if m in modules and m != name}
        external[name] = other
    return graph, external


GRAPH, EXTERNAL = _graph()


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


def _layers():
    layers = {}
    for name in _order():
        lowest = max((layers[d] for d in GRAPH[name]), default=0)
        layers[name] = LAYERS.get(name, lowest)
    return layers


def test_every_listed_module_exists():
    assert set(LAYERS) <= set(GRAPH)


def test_no_import_cycles():
    assert len(_order()) == len(GRAPH)


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_only_from_its_layer_or_below(name):
    layers = _layers()
    if name == "__init__":
        assert GRAPH[name] == {"config"}  # import course_lib stays cheap
        return
    too_high = {d: layers[d] for d in GRAPH[name] if layers[d] > layers[name]}
    assert not too_high, f"{name} (layer {layers[name]}) imports higher layers {too_high}"


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_no_module_imports_the_tooling(name):
    assert "tools" not in EXTERNAL[name]


def test_optimizers_import_only_validation():
    assert GRAPH["optimizers"] == {"validation"}


def test_the_checker_sees_function_level_imports_and_cycles(tmp_path):
    """The checker itself can fail: a lazy import is found, and a cycle is reported."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from course_lib.models import mlp\n    import tools.bench\n")
    assert _imports(source) == ({"models"}, {"tools"})
    saved = dict(GRAPH)
    try:
        GRAPH["validation"] = GRAPH["validation"] | {"optimizers"}
        with pytest.raises(AssertionError, match="import cycle"):
            _order()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
