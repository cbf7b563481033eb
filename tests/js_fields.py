"""Which fields of its data a widget.js reads, found in its source, checked against DATA.

A static reading of the JavaScript, kept simple on purpose: widget.js files are written
so that it is reliable (see the widget contract):
  - the data is named `data` (`const data = w.data;`);
  - other names for parts of it are plain `const name = <chain>;` aliases, destructuring
    `const { a, b } = <chain>;`, callback parameters of array methods
    (`<chain>.map((item, i) => ...)`) and `for (const item of <chain>)`;
  - a chain is a name followed by `.field` and `[index]` parts.
Every chain that starts at `data` or an alias is walked through DATA: a field that DATA
does not declare is reported. Array methods (`.length`, `.map`, ...) and number or string
methods end the walk, since what follows is computed, not read.
"""
from __future__ import annotations

import re
from typing import Any

IDENT = r"[A-Za-z_$][\w$]*"
CHAIN = rf"(?<![\w$.])({IDENT})((?:\??\.{IDENT}|\[[^\[\]]*\])*)"
ARRAY_CALLBACK = ("map", "forEach", "filter", "find", "findIndex", "findLast", "findLastIndex", "some", "every",
                  "flatMap")
NOT_DATA = object()  # what a walk returns once it leaves the data (a method, a computed value)


def strip_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    return re.sub(r"(^|\s)//[^\n]*", r"\1", source)


def parts_of(tail: str) -> list[str]:
    """'.a[0].b' -> ['a', '[]', 'b']"""
    return ["[]" if p.startswith("[") else p.lstrip("?.") for p in re.findall(rf"\??\.{IDENT}|\[[^\[\]]*\]", tail)]


def element_spec(spec: Any) -> Any:
    if isinstance(spec, list):
        return spec[0]
    if isinstance(spec, str) and spec.rstrip("?").endswith("[]"):
        return spec.rstrip("?")[:-2]
    return NOT_DATA


def walk(spec: Any, parts: list[str], path: str) -> tuple[Any, str | None]:
    """Follow parts through DATA. Returns (spec reached, problem or None)."""
    for part in parts:
        if spec is NOT_DATA:
            return NOT_DATA, None
        if part == "[]":
            spec = element_spec(spec) if not isinstance(spec, dict) else NOT_DATA  # dict[key]: not checkable
            path += "[]"
        elif isinstance(spec, dict):
            if part not in spec:
                return NOT_DATA, f"{path}.{part}"
            spec, path = spec[part], f"{path}.{part}"
        else:
            return NOT_DATA, None  # .length, .map, .toFixed ...: computed from here on
    return spec, None


def undeclared_reads(source: str, data_spec: dict) -> list[str]:
    """Each read of a field DATA does not declare, as 'line N: data.path'."""
    text = strip_comments(source)
    aliases: dict[str, Any] = {"data": data_spec}
    paths: dict[str, str] = {"data": "data"}

    def resolve(root: str, tail: str) -> tuple[Any, str | None, str]:
        spec, problem = walk(aliases[root], parts_of(tail), paths[root])
        return spec, problem, paths[root] + "".join("[]" if p == "[]" else f".{p}" for p in parts_of(tail))

    def bind(name: str, spec: Any, path: str) -> bool:
        if spec is NOT_DATA or name in aliases:
            return False
        aliases[name], paths[name] = spec, path
        return True

    changed = True
    while changed:  # aliases of aliases: repeat until nothing new is bound
        changed = False
        for m in re.finditer(rf"\b(?:const|let|var)\s+({IDENT})\s*=\s*{CHAIN}\s*[;,\n)]", text):
            if m[2] in aliases:
                spec, _, path = resolve(m[2], m[3])
                changed |= bind(m[1], spec, path)
        for m in re.finditer(rf"\b(?:const|let|var)\s*\{{([^{{}}]*)\}}\s*=\s*{CHAIN}", text):
            if m[2] in aliases:
                spec, _, path = resolve(m[2], m[3])
                for field in m[1].split(","):
                    key, _, local = field.partition(":")
                    key, local = key.split("=")[0].strip(), (local or key).split("=")[0].strip()
                    if key and isinstance(spec, dict) and key in spec:
                        changed |= bind(local, spec[key], f"{path}.{key}")
        for m in re.finditer(rf"{CHAIN}\.({'|'.join(ARRAY_CALLBACK)})\(\s*\(?\s*({IDENT})", text):
            if m[1] in aliases:
                spec, _, path = resolve(m[1], m[2])
                changed |= bind(m[4], element_spec(spec), path + "[]")
        for m in re.finditer(rf"{CHAIN}\.reduce\(\s*\(\s*{IDENT}\s*,\s*({IDENT})", text):
            if m[1] in aliases:
                spec, _, path = resolve(m[1], m[2])
                changed |= bind(m[3], element_spec(spec), path + "[]")
        for m in re.finditer(rf"\bfor\s*\(\s*(?:const|let)\s+({IDENT})\s+of\s+{CHAIN}", text):
            if m[2] in aliases:
                spec, _, path = resolve(m[2], m[3])
                changed |= bind(m[1], element_spec(spec), path + "[]")

    problems = []
    for m in re.finditer(CHAIN, text):
        if m[1] in aliases:
            _, problem, _ = resolve(m[1], m[2])
            if problem:
                problems.append(f"line {text.count(chr(10), 0, m.start()) + 1}: {problem}")
    for m in re.finditer(rf"\b(?:const|let|var)\s*\{{([^{{}}]*)\}}\s*=\s*{CHAIN}", text):
        if m[2] in aliases:
            spec, _, path = resolve(m[2], m[3])
            if isinstance(spec, dict):
                for field in m[1].split(","):
                    key = field.partition(":")[0].split("=")[0].strip().lstrip(".")
                    if key and key not in spec:
                        problems.append(f"line {text.count(chr(10), 0, m.start()) + 1}: {path}.{key}")
    return problems


def uses_data(source: str) -> bool:
    return re.search(r"\bconst\s+data\s*=\s*\w+\.data\b", strip_comments(source)) is not None
