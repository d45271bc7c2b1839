"""Compile a validated policy document: every CEL expression, with names checked.

Runs after the schema check. Collects all problems of the file (not just the
first) with file, line and column, so an author fixes them in one pass.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from auditor import cel, coverage
from auditor.errors import InputError
from auditor.policy.frameworks import RETIRED_FRAMEWORKS
from auditor.policy.graphfields import FieldChecker, GraphType, collection_types
from auditor.policy.model import Expr, Policy, Template
from auditor.policy.yamlpos import YamlDocument
from auditor.snapshot.collections import COLLECTIONS
from auditor.suggest import did_you_mean

#: the frameworks the built-in library maps (auditor/data/frameworks/); a key close to one of
#: these is taken for a typo. A retired key (cis-m365-v5) is left to the author, like any other.
KNOWN_FRAMEWORKS = ("cis-m365-v6", "cis-m365-v7", "cisa-scuba", "nist-800-53")
#: names every expression can read besides collections and variables
BUILTIN_NAMES = ("params", "tenant", "now")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)


@functools.lru_cache(maxsize=1)
def function_table() -> cel.FunctionTable:
    """The CEL functions policies may call: the standard library and the domain libraries'
    (the conditional access model), frozen so that every program can share it."""
    table = cel.standard_functions()
    coverage.register(table)
    return table.freeze()


class PolicyCompiler:
    """Turns one policy document into a :class:`Policy`, recording errors as it goes."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.value
        self.errors: list[InputError] = []
        self.requires: tuple[str, ...] = tuple(self.data.get("requires", ()))
        self.params: dict[str, Any] = dict(self.data.get("params") or {})
        #: Graph types of the names in scope (collections, then variables and the ``as`` name)
        self.graph_env: dict[str, GraphType | None] = dict(collection_types(set(self.requires)))
        #: the Graph type of the value of the expression compiled last (None: unknown)
        self.last_type: GraphType | None = None

    # -- helpers -----------------------------------------------------------------

    def _error(
        self, message: str, path: tuple[str | int, ...], line: int | None = None, column: int | None = None
    ) -> None:
        pos = self.doc.position(path)
        self.errors.append(
            InputError(
                message,
                source=self.doc.source,
                line=line if line is not None else (pos.line if pos else None),
                column=column,
            )
        )

    def _locate(
        self, path: tuple[str | int, ...], line: int, column: int, offset: int = 0
    ) -> tuple[int, int]:
        """File line/column of position (line, column) inside the expression at ``path``."""
        pos = self.doc.position(path)
        if pos is None:
            return line, column
        start_line, start_col = pos.text_start()
        if pos.block:
            text_line = self.doc.line_text(start_line)
            indent = len(text_line) - len(text_line.lstrip(" ")) if text_line is not None else start_col - 1
            return start_line + line - 1, indent + column
        if line == 1:
            return start_line, start_col + offset + column - 1
        return start_line + line - 1, column

    def expr(
        self,
        path: tuple[str | int, ...],
        source: str,
        names: set[str],
        *,
        offset: int = 0,
        label: str | None = None,
    ) -> Expr | None:
        """Compile one expression; on error record it (with file position) and return None."""
        label = label or ".".join(str(p) for p in path)
        known = names | (set(COLLECTIONS) - set(self.requires))
        try:
            program = cel.compile(source, known, functions=function_table())
        except cel.CelError as exc:
            line, column = self._locate(path, exc.line, exc.column, offset)
            self._error(f"{label}: {exc.message}", path, line, column)
            return None
        line, column = self._locate(path, 1, 1, offset)
        undeclared = sorted((program.references() & set(COLLECTIONS)) - set(self.requires) - names)
        for name in undeclared:
            self._error(
                f"{label}: reads collection {name!r}, which is not listed in requires", path, line, column
            )
        for param in sorted(program.selections("params") - set(self.params)):
            self._error(f"{label}: params.{param} is not declared in params", path, line, column)
        if undeclared or not program.selections("params") <= set(self.params):
            return None
        self._check_fields(path, label, program, offset)
        return Expr(label, source, program, self.doc.source, line, column)

    def _check_fields(
        self, path: tuple[str | int, ...], label: str, program: cel.Program, offset: int
    ) -> bool:
        """Graph field names against the published metadata; records problems, False if any."""
        checker = FieldChecker()
        self.last_type = checker.check(program.tree, self.graph_env)
        for problem in checker.problems:
            line, column = self._locate(path, problem.line, problem.column, offset)
            self._error(f"{label}: {problem.message}", path, line, column)
        return not checker.problems

    def template(self, path: tuple[str, ...], text: str, names: set[str]) -> Template | None:
        parts: list[str | Expr] = []
        last = 0
        ok = True
        for match in _TEMPLATE.finditer(text):
            parts.append(text[last : match.start()])
            inner = match.group(1)
            expr = self.expr(
                path,
                inner.strip(),
                names,
                offset=match.start(1) + len(inner) - len(inner.lstrip()),
                label=f"{path[0]} {{{{ {inner.strip()} }}}}",
            )
            ok = ok and expr is not None
            if expr is not None:
                parts.append(expr)
            last = match.end()
        parts.append(text[last:])
        return Template(tuple(p for p in parts if p != "")) if ok else None

    # -- the policy ----------------------------------------------------------------

    def check_names(self) -> None:
        for name in self.requires:
            if name not in COLLECTIONS:
                self._error(
                    f"requires: unknown collection {name!r}{did_you_mean(name, COLLECTIONS)} "
                    f"(known: {', '.join(sorted(COLLECTIONS))})",
                    ("requires", self.requires.index(name)),
                )
        reserved = set(BUILTIN_NAMES) | set(COLLECTIONS)
        for name in self.data.get("variables") or {}:
            if name in reserved:
                self._error(
                    f"variables: {name!r} would hide a built-in name or collection", ("variables", name)
                )
        as_name = self.data.get("as")
        if as_name and (as_name in reserved or as_name in (self.data.get("variables") or {})):
            self._error(f"as: {as_name!r} would hide another name", ("as",))
        for key in self.data.get("frameworks") or {}:
            hint = did_you_mean(key, KNOWN_FRAMEWORKS)
            # other frameworks are the author's own choice
            if key not in KNOWN_FRAMEWORKS and key not in RETIRED_FRAMEWORKS and hint:
                self._error(f"frameworks: unknown framework {key!r}{hint}", ("frameworks", key))
        if "manual" not in self.data and "assert" not in self.data:
            self._error("a policy needs 'assert' (or 'manual' for a manual control)", ())
        if "manual" in self.data:
            for key in ("assert", "forEach", "variables", "applies", "subject"):
                if key in self.data:
                    self._error(f"{key}: a manual policy has instructions instead of expressions", (key,))
        for key in ("as", "subject", "passRatio"):
            if key in self.data and "forEach" not in self.data:
                self._error(f"{key}: only per-subject policies (with forEach) take {key!r}", (key,))

    def compile(self, *, path: str, rel_path: str, sha256: str) -> Policy | None:
        self.check_names()
        data = self.data
        base = set(self.requires) | set(BUILTIN_NAMES)
        applies = self.expr(("applies",), data["applies"], base) if "applies" in data else None
        variables: list[tuple[str, Expr]] = []
        for name, source in (data.get("variables") or {}).items():
            compiled = self.expr(("variables", name), source, base | {n for n, _ in variables})
            if compiled is not None:
                variables.append((name, compiled))
                self.graph_env[name] = self.last_type
        scope = base | {n for n, _ in variables}
        for_each = self.expr(("forEach",), data["forEach"], scope) if "forEach" in data else None
        as_name = data.get("as", "item")
        if for_each is not None:
            self.graph_env[as_name] = self.last_type.element() if self.last_type is not None else None
        subject_scope = scope | {as_name} if "forEach" in data else scope
        assert_ = self.expr(("assert",), data["assert"], subject_scope) if "assert" in data else None
        subject = self.expr(("subject",), data["subject"], subject_scope) if "subject" in data else None
        message = self.template(("message",), data["message"], subject_scope) if "message" in data else None
        if self.errors:
            return None
        exprs = [applies, *(e for _, e in variables), for_each, assert_, subject]
        exprs += [p for p in (message.parts if message else ()) if isinstance(p, Expr)]
        reads = sorted({c for e in exprs if e is not None for c in e.program.reads()})
        return Policy(
            id=data["id"],
            title=data["title"],
            severity=data["severity"],
            description=data["description"],
            rationale=data["rationale"],
            remediation=data["remediation"],
            path=path,
            rel_path=rel_path,
            sha256=sha256,
            references=tuple(data.get("references") or ()),
            frameworks={k: tuple(v) for k, v in sorted((data.get("frameworks") or {}).items())},
            tags=tuple(data.get("tags") or ()),
            requires=self.requires,
            reads=tuple(c for c in reads if c not in self.requires),
            params=self.params,
            applies=applies,
            variables=tuple(variables),
            assert_=assert_,
            message=message,
            for_each=for_each,
            as_name=as_name,
            subject=subject,
            pass_ratio=float(data.get("passRatio", 1.0)),
            manual=data.get("manual"),
            fix=" ".join(str(data.get("fix") or "").split()),
        )
