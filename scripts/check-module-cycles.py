#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a cycle.

Usage: check-module-cycles.py SRC_DIR...   (e.g. crates/agent/src)
       check-module-cycles.py --self-test

A module depends on another when its code names it: `use crate::a::b::…`, a path such as
`crate::a::f()` or `super::sibling::X` in the code, or a nested `use` group. A path is
followed through `use` re-exports to the module that holds the item (`crate::Item` re-exported
by lib.rs counts as a dependency on the module that defines `Item`). The modules are the ones
the crate root (lib.rs, else main.rs) declares, followed through `mod x;` (`x.rs` or
`x/mod.rs`) and inline `mod x { … }`; `#[cfg(test)]` items and modules, comments and string
literals are left out. A module and its own ancestors or descendants are not counted as
depending on each other: a parent declares, re-exports and dispatches to its children, and a
child reaching its parent's items through `super::` is part of that one unit.

Every strongly connected group of two or more modules is reported with the imports that tie
it, and the script exits with 1. Python 3 standard library only.
"""

from __future__ import annotations

import os
import re
import sys
from collections import deque

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


# ---------------------------------------------------------------------------------------------
# Source text: comments and literals blanked out, positions and line numbers kept.


def blank_source(src: str) -> str:
    """`src` with comments and string/char literal contents replaced by spaces (newlines kept)."""
    out = list(src)
    n = len(src)
    i = 0

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    def is_ident_char(c: str) -> bool:
        return c.isalnum() or c == "_"

    while i < n:
        c = src[i]
        if c == "/" and src.startswith("//", i):
            end = src.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif c == "/" and src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in "rb" and (i == 0 or not is_ident_char(src[i - 1])):
            m = re.match(r'(?:br|r)(#*)"', src[i:])
            if m:
                closing = '"' + m.group(1)
                end = src.find(closing, i + m.end())
                end = n if end < 0 else end + len(closing)
                blank(i, end)
                i = end
            else:
                i += 1  # an identifier, or `b"…"`/`b'…'` whose literal the next step handles
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{..}') or a lifetime ('a, 'static).
            if i + 1 < n and src[i + 1] == "\\":
                j = src.find("'", i + 2)
                j = n if j < 0 else j
                blank(i, j + 1)
                i = j + 1
            elif i + 2 < n and src[i + 2] == "'":
                blank(i, i + 3)
                i += 3
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


def matching(code: str, open_at: int) -> int:
    """Index of the bracket closing the one at `open_at` (len(code) if unclosed)."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack = [pairs[code[open_at]]]
    j = open_at + 1
    while j < len(code) and stack:
        c = code[j]
        if c in pairs:
            stack.append(pairs[c])
        elif stack and c == stack[-1]:
            stack.pop()
        j += 1
    return j - 1


ATTRIBUTE = re.compile(r"#\s*!?\s*\[")
CFG = re.compile(r"#\s*\[\s*cfg\s*\(")
SEMICOLON_ITEMS = re.compile(
    r"(?:pub\s*(?:\([^)]*\))?\s*)?(?:use|const|static|type|let|extern\s+crate)\b"
)


def item_end(code: str, start: int) -> int:
    """End (exclusive) of the item or statement starting at `start`."""
    semicolon_only = SEMICOLON_ITEMS.match(code, start) is not None
    j = start
    while j < len(code):
        c = code[j]
        if c == ";":
            return j + 1
        if c in "([":
            j = matching(code, j) + 1
            continue
        if c == "{":
            close = matching(code, j)
            if not semicolon_only:
                return close + 1
            j = close + 1
            continue
        j += 1
    return len(code)


def is_test_cfg(attribute: str) -> bool:
    """Whether `#[cfg(…)]` keeps its item to test builds only."""
    predicate = attribute[attribute.index("(") :]
    words = re.findall(IDENT, predicate)
    return "test" in words and "not" not in words and "any" not in words


def strip_test_items(code: str) -> tuple[str, list[str]]:
    """`code` with `#[cfg(test)]` items blanked; also the names of `mod x;` files they drop."""
    out = list(code)
    dropped: list[str] = []
    for m in CFG.finditer(code):
        attr_end = matching(code, code.index("[", m.start()))
        if not is_test_cfg(code[m.start() : attr_end + 1]):
            continue
        j = attr_end + 1
        while True:  # further attributes of the same item
            k = len(code[j:]) - len(code[j:].lstrip())
            a = ATTRIBUTE.match(code, j + k)
            if not a:
                j += k
                break
            j = matching(code, a.end() - 1) + 1
        end = item_end(code, j)
        declared = re.match(r"(?:pub\s*(?:\([^)]*\))?\s*)?mod\s+(" + IDENT + r")\s*;", code[j:end])
        if declared:
            dropped.append(declared.group(1))
        for k in range(m.start(), end):
            if out[k] != "\n":
                out[k] = " "
    return "".join(out), dropped


# ---------------------------------------------------------------------------------------------
# Modules.


class Module:
    """One module: its path from the crate root, where its code is, its own code."""

    def __init__(self, path: tuple[str, ...], file: str, src: str, code: str, start: int, end: int):
        self.path = path
        self.file = file
        self.src = src  # the whole file, for line numbers
        self.code = code  # the whole file, blanked
        self.start, self.end = start, end  # this module's body in the file
        self.children: list[tuple[str, ...]] = []
        self.inline_spans: list[tuple[int, int]] = []  # bodies of inline child modules
        self.bindings: dict[str, tuple[str, ...]] = {}  # local name → absolute path (crate-relative)
        self.mod_rs = os.path.basename(file) in ("mod.rs", "lib.rs", "main.rs")
        self.parent_dir: str | None = None  # for an inline module: its parent's child directory

    def own_ranges(self):
        """The spans of this module's code that are not inside an inline child module."""
        at = self.start
        for a, b in sorted(self.inline_spans):
            yield at, a
            at = b
        yield at, self.end

    def line_of(self, offset: int) -> int:
        return self.src.count("\n", 0, offset) + 1


def name(path: tuple[str, ...]) -> str:
    return "::".join(path) if path else "crate"


MOD_DECL = re.compile(r"(?<![A-Za-z0-9_])mod\s+(r#)?(" + IDENT + r")\s*([;{])")
PATH_ATTR = re.compile(r'#\s*\[\s*path\s*=\s*"([^"]*)"\s*\]')


class Crate:
    def __init__(self, src_dir: str):
        self.src_dir = src_dir
        self.modules: dict[tuple[str, ...], Module] = {}
        self.errors: list[str] = []
        root = None
        for candidate in ("lib.rs", "main.rs"):
            if os.path.isfile(os.path.join(src_dir, candidate)):
                root = os.path.join(src_dir, candidate)
                break
        if root is None:
            raise SystemExit(f"{src_dir}: no lib.rs or main.rs")
        self.load_file((), root)

    def load_file(self, path: tuple[str, ...], file: str) -> None:
        with open(file, encoding="utf-8") as f:
            src = f.read()
        code, dropped = strip_test_items(blank_source(src))
        module = Module(path, file, src, code, 0, len(code))
        self.add(module, dropped)

    def add(self, module: Module, dropped_files: list[str]) -> None:
        self.modules[module.path] = module
        code = module.code
        for m in MOD_DECL.finditer(code, module.start, module.end):
            if any(a <= m.start() < b for a, b in module.inline_spans):
                continue  # inside an inline child, which finds it itself
            between = code[module.start : m.start()]
            if between.count("{") != between.count("}"):
                continue  # inside a function or block: not a child of this module
            child_name = m.group(2)
            child = module.path + (child_name,)
            module.children.append(child)
            if m.group(3) == "{":
                open_at = m.end() - 1
                close = matching(code, open_at)
                module.inline_spans.append((open_at, close + 1))
                inline = Module(child, module.file, module.src, code, open_at + 1, close)
                inline.mod_rs = False
                inline.parent_dir = self.child_dir(module)
                self.add(inline, [])
            else:
                if child_name in dropped_files:
                    continue
                # The attributes of this declaration: back to the end of the previous item.
                item_start = max(code.rfind(c, module.start, m.start()) for c in ";{}") + 1
                explicit = PATH_ATTR.search(module.src[item_start : m.start()])
                base = self.child_dir(module)
                if explicit:
                    file = os.path.join(os.path.dirname(module.file), explicit.group(1))
                else:
                    file = os.path.join(base, child_name + ".rs")
                    if not os.path.isfile(file):
                        file = os.path.join(base, child_name, "mod.rs")
                if not os.path.isfile(file):
                    self.errors.append(
                        f"{module.file}:{module.line_of(m.start())}: no file for module {name(child)}"
                    )
                    continue
                self.load_file(child, file)

    def child_dir(self, module: Module) -> str:
        """Where the files of `module`'s `mod x;` children are."""
        if module.parent_dir is not None:
            return os.path.join(module.parent_dir, module.path[-1])
        if module.mod_rs:
            return os.path.dirname(module.file)
        return module.file[: -len(".rs")]


# ---------------------------------------------------------------------------------------------
# Paths and `use` trees.

USE = re.compile(r"(?<![A-Za-z0-9_$])use\s+")
PATH = re.compile(
    r"(?<![A-Za-z0-9_$:])(crate|super|self)((?:\s*::\s*(?:" + IDENT + r"))+)"
)


def parse_use_tree(text: str) -> list[tuple[list[str], str | None]]:
    """The paths a `use` tree (without `use` and `;`) imports, with the name each binds
    (`None` for a glob). `self` inside a group names the group's own path."""
    tokens = re.findall(r"::|[{},*]|" + IDENT, text)
    pos = 0
    out: list[tuple[list[str], str | None]] = []

    def tree(prefix: list[str]) -> None:
        nonlocal pos
        segs = list(prefix)
        while pos < len(tokens):
            t = tokens[pos]
            if t == "{":
                pos += 1
                while pos < len(tokens) and tokens[pos] != "}":
                    if tokens[pos] == ",":
                        pos += 1
                        continue
                    tree(segs)
                pos += 1  # the closing brace
                return
            if t == "*":
                pos += 1
                out.append((segs, None))
                return
            if t == "::":
                pos += 1
                continue
            if t in (",", "}"):
                break
            if t == "as":
                pos += 1
                alias = tokens[pos] if pos < len(tokens) else "_"
                pos += 1
                if segs:
                    out.append((segs, alias))
                return
            if t == "self" and prefix and segs == prefix:
                pos += 1  # `{self, …}`: the group's own path, bound below
                continue
            segs.append(t)
            pos += 1
        if segs:
            out.append((segs, segs[-1]))

    tree([])
    return out


class Graph:
    def __init__(self, crate: Crate):
        self.crate = crate
        self.edges: dict[tuple[str, ...], dict[tuple[str, ...], str]] = {
            p: {} for p in crate.modules
        }
        self.uses: dict[tuple[str, ...], list[tuple[list[str], str | None, int]]] = {}
        for module in crate.modules.values():
            self.collect_uses(module)
        for module in crate.modules.values():
            self.collect_edges(module)

    def absolute(self, module: Module, segs: list[str]) -> list[str] | None:
        """`segs` as a path from the crate root, or `None` for another crate's path."""
        if not segs:
            return None
        head = segs[0]
        if head == "crate":
            return segs[1:]
        if head in ("self", "super"):
            base = list(module.path)
            rest = segs
            if rest[0] == "self":
                rest = rest[1:]
            while rest and rest[0] == "super":
                if not base:
                    return None
                base.pop()
                rest = rest[1:]
            return base + rest
        if module.path + (head,) in self.crate.modules:
            return list(module.path) + segs
        if head in module.bindings:
            return list(module.bindings[head]) + segs[1:]
        return None  # an extern crate, a prelude or std path

    def collect_uses(self, module: Module) -> None:
        found = []
        for a, b in module.own_ranges():
            for m in USE.finditer(module.code, a, b):
                end = module.code.find(";", m.end(), b)
                if end < 0:
                    continue
                for segs, bound in parse_use_tree(module.code[m.end() : end]):
                    found.append((segs, bound, m.start()))
        self.uses[module.path] = found
        # Bindings first (children and `crate::`/`super::` imports), so that paths through a
        # local name resolve on a second pass.
        for _ in range(2):
            for segs, bound, _at in found:
                if bound is None or bound == "_":
                    continue
                path = self.absolute(module, segs)
                if path is not None:
                    module.bindings[bound] = tuple(path)

    def resolve(self, path: list[str], seen: int = 0) -> tuple[str, ...]:
        """The module holding what `path` (from the crate root) names, through re-exports."""
        cur: tuple[str, ...] = ()
        for i, seg in enumerate(path):
            if cur + (seg,) in self.crate.modules:
                cur = cur + (seg,)
                continue
            binding = self.crate.modules[cur].bindings.get(seg)
            if binding is not None and seen < 16 and list(binding) != list(cur) + [seg]:
                return self.resolve(list(binding) + path[i + 1 :], seen + 1)
            return cur
        return cur

    def add_edge(self, module: Module, target: tuple[str, ...], offset: int) -> None:
        src = module.path
        if target == src or target not in self.crate.modules:
            return
        related = target[: len(src)] == src or src[: len(target)] == target
        if related:
            return
        if target not in self.edges[src]:
            line = module.line_of(offset)
            text = module.src.splitlines()[line - 1].strip() if module.src else ""
            rel = os.path.relpath(module.file)
            self.edges[src][target] = f"{rel}:{line}: {text}"

    def collect_edges(self, module: Module) -> None:
        for segs, _bound, at in self.uses[module.path]:
            path = self.absolute(module, segs)
            if path is not None:
                self.add_edge(module, self.resolve(path), at)
        for a, b in module.own_ranges():
            for m in PATH.finditer(module.code, a, b):
                segs = [m.group(1)] + re.findall(IDENT, m.group(2))
                path = self.absolute(module, segs)
                if path is not None:
                    self.add_edge(module, self.resolve(path), m.start())

    def cycles(self) -> list[list[tuple[str, ...]]]:
        """Strongly connected groups of two or more modules (Tarjan, iterative)."""
        index: dict = {}
        low: dict = {}
        on_stack: set = set()
        stack: list = []
        groups = []
        counter = 0
        for root in sorted(self.edges):
            if root in index:
                continue
            work = [(root, iter(sorted(self.edges[root])))]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            while work:
                v, children = work[-1]
                advanced = False
                for w in children:
                    if w not in index:
                        index[w] = low[w] = counter
                        counter += 1
                        stack.append(w)
                        on_stack.add(w)
                        work.append((w, iter(sorted(self.edges[w]))))
                        advanced = True
                        break
                    if w in on_stack:
                        low[v] = min(low[v], index[w])
                if advanced:
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
                if low[v] == index[v]:
                    group = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        group.append(w)
                        if w == v:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
        return sorted(groups)

    def shortest_loop(self, group: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """One shortest cycle through the group's first module."""
        members = set(group)
        start = group[0]
        previous = {start: None}
        queue = deque([start])
        while queue:
            v = queue.popleft()
            for w in sorted(self.edges[v]):
                if w == start:
                    loop = [v]
                    while previous[loop[-1]] is not None:
                        loop.append(previous[loop[-1]])
                    return list(reversed(loop)) + [start]
                if w in members and w not in previous:
                    previous[w] = v
                    queue.append(w)
        return group


def check(src_dir: str, out=sys.stdout) -> int:
    crate = Crate(src_dir)
    graph = Graph(crate)
    for error in crate.errors:
        print(f"warning: {error}", file=out)
    groups = graph.cycles()
    imports = sum(len(e) for e in graph.edges.values())
    if not groups:
        print(
            f"{src_dir}: {len(crate.modules)} modules, {imports} imports between them, no cycle",
            file=out,
        )
        return 0
    print(f"{src_dir}: modules import each other in a cycle ({len(groups)} group(s)):", file=out)
    for group in groups:
        print(f"\n  {len(group)} modules: {', '.join(name(m) for m in group)}", file=out)
        loop = graph.shortest_loop(group)
        print(f"  for example: {' -> '.join(name(m) for m in loop)}", file=out)
        print("  imports inside the cycle:", file=out)
        members = set(group)
        for m in group:
            for target, where in sorted(graph.edges[m].items()):
                if target in members:
                    print(f"    {name(m)} -> {name(target)}   ({where})", file=out)
    print(
        "\nBreak the cycle by direction: move what both sides need into a module below them "
        "(or pass it as an argument), so that lower modules never import higher ones.",
        file=out,
    )
    return 1


# ---------------------------------------------------------------------------------------------
# Self-test: small crates with known answers.


def self_test() -> int:
    import io
    import tempfile

    cases = [
        ("no cycle", {"lib.rs": "mod a; mod b;", "a.rs": "use crate::b::X;", "b.rs": "pub struct X;"}, []),
        (
            "nested use groups",
            {
                "lib.rs": "mod a;\nmod b;\nmod c;",
                "a.rs": "use crate::{c, b::{self, X as Y}};",
                "b.rs": "fn f() { crate::a::g(); }",
                "c.rs": "",
            },
            [["a", "b"]],
        ),
        (
            "super to a sibling, and in code",
            {
                "lib.rs": "mod x;",
                "x/mod.rs": "mod p;\nmod q;",
                "x/p.rs": "use super::q::Q;",
                "x/q.rs": "fn f() { let _ = super::p::P; }",
            },
            [["x::p", "x::q"]],
        ),
        (
            "super:: to the parent is not a cycle",
            {
                "lib.rs": "mod x;",
                "x/mod.rs": "mod c;\npub struct P;\nfn f() { c::g() }",
                "x/c.rs": "use super::P;\npub fn g() {}",
            },
            [],
        ),
        (
            "test modules, comments and strings do not count",
            {
                "lib.rs": "mod a;\nmod b;\n#[cfg(test)]\nmod tests;",
                "tests.rs": "use crate::a::A; use crate::b::B;",
                "a.rs": "use crate::b::B;\npub struct A;",
                "b.rs": (
                    "pub struct B;\n// crate::a::A\n/* crate::a::A /* nested */ crate::a */\n"
                    "const S: &str = \"crate::a::A\";\nconst R: &str = r#\"crate::a \"# ;\n"
                    "fn f<'a>(c: &'a char) -> char { '\"' }\n"
                    "#[cfg(test)]\nmod tests {\n    use crate::a::A;\n}\n"
                    "#[cfg(test)]\nuse crate::a::A as _;\n"
                    "macro_rules! m { () => { $crate::a::A } }\n"
                ),
            },
            [],
        ),
        (
            "a re-export at the root leads to the defining module",
            {
                "lib.rs": "mod a;\nmod b;\npub use a::Thing;",
                "a.rs": "use crate::b::B;\npub struct Thing;",
                "b.rs": "pub struct B;\nfn f() -> crate::Thing { todo!() }",
            },
            [["a", "b"]],
        ),
        (
            "inline module and super::super",
            {
                "lib.rs": "mod a;\nmod b;",
                "a.rs": "pub mod inner {\n    use super::super::b::B;\n    pub struct I;\n}",
                "b.rs": "pub struct B;\nuse crate::a::inner::I;",
            },
            [["a::inner", "b"]],
        ),
        (
            "a three-module loop",
            {
                "lib.rs": "pub mod a;\npub(crate) mod b;\nmod c;",
                "a.rs": "use crate::b;",
                "b.rs": "use crate::c::C;",
                "c.rs": "pub struct C;\nfn f() { crate::a::g() }",
            },
            [["a", "b", "c"]],
        ),
    ]
    failed = 0
    for title, files, expected in cases:
        with tempfile.TemporaryDirectory() as tmp:
            for rel, text in files.items():
                path = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            graph = Graph(Crate(tmp))
            found = [[name(m) for m in group] for group in graph.cycles()]
            status = check(tmp, io.StringIO())
        if found != expected or status != (1 if expected else 0):
            failed += 1
            print(f"self-test failed, {title}: expected {expected}, found {found} (exit {status})")
    if not failed:
        print(f"check-module-cycles.py: {len(cases)} self-test cases pass")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv == ["--self-test"]:
        return self_test()
    if not argv or any(a.startswith("-") for a in argv):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    status = 0
    for src_dir in argv:
        status |= check(src_dir)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
