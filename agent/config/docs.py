"""The reference part of ``docs/configuration.md``, generated from the pydantic models.

Run ``python -m agent.config.docs --write`` after changing an option; a test
fails while the file and the models disagree. Each key's meaning is its
``Field(description=...)``, else the comment on or just above its line in
the model's source, else :data:`agent.config.meanings.MEANINGS`.
"""

from __future__ import annotations

import ast
import enum
import inspect
import io
import sys
import textwrap
import tokenize
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

import annotated_types
import pydantic
from pydantic_core import PydanticUndefined

from agent.config.meanings import MEANINGS

BEGIN = "<!-- BEGIN GENERATED REFERENCE: python -m agent.config.docs --write; do not edit by hand -->"
END = "<!-- END GENERATED REFERENCE -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@cache
def source_comments(cls: type) -> dict[str, str]:
    """Field name -> the comment on its line, else the comment lines just above it."""
    try:
        lines, _ = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    text = textwrap.dedent("".join(lines))
    comments: dict[int, tuple[bool, str]] = {}  # line -> (a line of its own, text)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            own_line = tok.line.strip().startswith("#")
            comments[tok.start[0]] = (own_line, tok.string.lstrip("#").strip())
    out: dict[str, str] = {}
    for node in ast.parse(text).body[0].body:  # type: ignore[attr-defined]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            trailing = comments.get(node.end_lineno or node.lineno)
            if trailing and not trailing[0]:
                out[node.target.id] = trailing[1]
                continue
            above, line = [], node.lineno - 1
            while line in comments and comments[line][0]:
                above.insert(0, comments[line][1])
                line -= 1
            if above:
                out[node.target.id] = " ".join(above)
    return out


def _models_in(annotation: Any) -> list[type[pydantic.BaseModel]]:
    args = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else ()
    return [a for a in (args or (annotation,)) if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]


def type_text(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_text(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return " \\| ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in typing.get_args(annotation))
    if origin in (tuple, list):
        inner = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return f"array of {type_text(inner[0]) if inner else 'values'}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(f'"{m.value}"' for m in annotation)
    names = {type(None): "none", str: "text", int: "integer", float: "number", bool: "true/false",
             Path: "path", pydantic.SecretStr: "secret text"}
    if annotation in names:
        return names[annotation]
    return getattr(annotation, "__name__", str(annotation))


def limits_text(field: pydantic.fields.FieldInfo) -> str:
    signs = {annotated_types.Gt: ("> ", "gt"), annotated_types.Ge: ("≥ ", "ge"),
             annotated_types.Lt: ("< ", "lt"), annotated_types.Le: ("≤ ", "le")}
    parts = []
    for m in field.metadata:
        for kind, (sign, attr) in signs.items():
            if isinstance(m, kind):
                parts.append(f"{sign}{getattr(m, attr)}")
    return ", ".join(parts)


def default_text(field: pydantic.fields.FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, pydantic.BaseModel):
        return "(table)"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, Path)):
        return f'`"{value}"`'
    return f"`{value!r}`"


def describe(cls: type[pydantic.BaseModel], name: str) -> str:
    return (cls.model_fields[name].description or source_comments(cls).get(name)
            or MEANINGS.get(f"{cls.__name__}.{name}", ""))


def table(title: str, cls: type[pydantic.BaseModel], heading: str | None = None) -> list[str]:
    """One section's table, then its sub-tables (``[sync.broker]`` under ``[sync]``)."""
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "").split("\n\n")[0].replace("\n", " ").replace("``", "`")
    out = [heading or f"### `[{title}]`", "", doc, "", "| key | type | default | limits | meaning |", "|---|---|---|---|---|"]
    nested = []
    for name, field in cls.model_fields.items():
        sub = _models_in(field.annotation)
        if sub:
            nested.append((f"{title}.{name}", sub[0]))
        meaning = describe(cls, name) or (f"see `[{title}.{name}]`" if sub else "")
        out.append(f"| `{name}` | {type_text(field.annotation)} | {default_text(field)} | {limits_text(field)} "
                   f"| {meaning.replace('|', '/')} |")
    out.append("")
    for sub_title, sub_cls in nested:
        out += table(sub_title, sub_cls)
    return out


def undocumented() -> tuple[list[str], list[str]]:
    """Keys with no words anywhere, and MEANINGS entries naming no key: the test wants both empty."""
    from agent.base.driver import Registry
    from agent.config import FileConfig

    missing: list[str] = []
    seen: set[str] = set()

    def walk(title: str, cls: type[pydantic.BaseModel]) -> None:
        for name, field in cls.model_fields.items():
            seen.add(f"{cls.__name__}.{name}")
            sub = _models_in(field.annotation)
            if sub:
                walk(f"{title}.{name}", sub[0])
            elif not describe(cls, name):
                missing.append(f"{title}.{name}")

    for name, field in FileConfig.model_fields.items():
        if name != "devices":
            walk(name, _models_in(field.annotation)[0])
    registry = Registry()
    for driver in registry.names():
        walk(f"devices.*({driver})", registry.plugin(driver).options)
    return missing, sorted(set(MEANINGS) - seen)


def reference() -> str:
    from agent.base.driver import Registry
    from agent.config import DEVICE_KEYS, FileConfig

    out = ["## Reference", "", "Every section and key the agent accepts. Numbers must be finite; "
           "unknown keys are refused.", ""]
    for name, field in FileConfig.model_fields.items():
        if name != "devices":
            out += table(name, _models_in(field.annotation)[0])
    out += ["### `[devices.NAME]`", "",
            f"One table per sensor. The agent's own keys are {', '.join(f'`{k}`' for k in DEVICE_KEYS)} "
            "(`enabled = false` keeps the entry without running it); every other key belongs to the driver.", ""]
    registry = Registry()
    for driver in registry.names():
        out += table("devices.NAME", registry.plugin(driver).options,
                     heading=f'#### `[devices.NAME]` with `driver = "{driver}"`')
    return "\n".join(out).rstrip() + "\n"


def render(current: str) -> str:
    """``current`` with its generated part replaced by a fresh one."""
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{reference()}{END}{tail}"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    fresh = render(text)
    if "--write" in argv:
        DOC.write_text(fresh, encoding="utf-8")
        return 0
    sys.stdout.write(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
