"""Baseline stage: policy selection, params, waivers and the gate (format: docs/formats.md)."""

from auditor.baseline.load import (
    STANDARD_PARAMS,
    bind,
    builtin_baselines,
    load_baseline,
    load_baseline_file,
    load_waivers_file,
    param_problem,
    selection_warnings,
)
from auditor.baseline.model import NO_BASELINE, Baseline, Waiver

__all__ = [
    "NO_BASELINE",
    "STANDARD_PARAMS",
    "Baseline",
    "Waiver",
    "bind",
    "builtin_baselines",
    "load_baseline",
    "load_baseline_file",
    "load_waivers_file",
    "param_problem",
    "selection_warnings",
]
