#!/usr/bin/env python3
"""The server's modules and which of them each one uses (`crate::x` paths in its files),
then every cycle among them, and every domain file that speaks HTTP (imports `axum` or
`hyper`: only the edge may). Exits 1 on either. Usage: scripts/module-graph.py [SRC_DIR]
(default server/src).

A module is a top-level module of the crate (`api`, `web`, `folders`, ...); a file
`api/photos.rs` belongs to `api`. `super::` inside a module stays inside it."""

import pathlib
import re
import sys

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "server/src")
# The edge: the layers and what wires them. `error.rs` may turn an error into a response.
EDGE = {"api", "web", "app", "net", "main", "state", "lib"}
HTTP_ALLOWED = {"error.rs"}
speaks_http: list[str] = []
uses: dict[str, set[str]] = {}
for path in sorted(src.rglob("*.rs")):
    relative = path.relative_to(src)
    module = relative.parts[0].removesuffix(".rs")
    if module in ("main", "lib"):
        continue
    text = path.read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    if (
        module not in EDGE
        and str(relative) not in HTTP_ALLOWED
        and re.search(r"\b(axum|hyper)(::|\s*\{)", code)
    ):
        speaks_http.append(str(relative))
    # `use crate::{a, b::c}` and `crate::a::…` anywhere in the file.
    found = set(re.findall(r"crate::([a-z_]+)", text))
    for group in re.findall(r"crate::\{([^}]*)\}", text):
        found |= {part.strip().split("::")[0] for part in group.split(",") if part.strip()}
    uses.setdefault(module, set()).update(found - {module, "self"})

for module in sorted(uses):
    print(f"{module:10} -> {', '.join(sorted(uses[module])) or '-'}")

# Cycles: strongly connected components with more than one module (Tarjan).
index: dict[str, int] = {}
low: dict[str, int] = {}
stack: list[str] = []
on_stack: set[str] = set()
cycles: list[list[str]] = []


def visit(v: str) -> None:
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in uses.get(v, ()):
        if w not in uses:
            continue
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            component.append(w)
            if w == v:
                break
        if len(component) > 1:
            cycles.append(sorted(component))


for v in sorted(uses):
    if v not in index:
        visit(v)
print()
for path in speaks_http:
    print(f"HTTP outside the edge: {path} imports axum or hyper")
if cycles:
    for cycle in cycles:
        print("cycle:", " <-> ".join(cycle))
if cycles or speaks_http:
    sys.exit(1)
print("no cycles; HTTP only at the edge")
