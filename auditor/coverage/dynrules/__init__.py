"""Entra ID dynamic membership rules, parsed and evaluated offline (for users who do not exist yet)."""

from auditor.coverage.dynrules.evaluate import Undecidable, evaluate, explain, properties
from auditor.coverage.dynrules.parser import Node, RuleSyntaxError, parse

__all__ = ["Node", "RuleSyntaxError", "Undecidable", "evaluate", "explain", "parse", "properties"]
