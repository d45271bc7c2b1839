"""Results stage: the results document every report is rendered from (docs/formats.md).

``auditor.results.build`` turns engine results into the document; it is not imported
here, so that reports can use this package without pulling in the engine.
"""

from auditor.results.document import (
    GATE_EXIT_CODES,
    canonical_json,
    compute_integrity,
    dumps,
    gate_exit_code,
    iter_canonical,
    load_results,
    parse_results_json,
    read_results_text,
    results_schema,
    seal,
    validate_results,
    write_sealed,
)
from auditor.vocab import SEVERITIES, STATUSES, severity_rank

__all__ = [
    "GATE_EXIT_CODES",
    "SEVERITIES",
    "STATUSES",
    "canonical_json",
    "compute_integrity",
    "dumps",
    "gate_exit_code",
    "iter_canonical",
    "load_results",
    "parse_results_json",
    "read_results_text",
    "results_schema",
    "seal",
    "severity_rank",
    "validate_results",
    "write_sealed",
]
