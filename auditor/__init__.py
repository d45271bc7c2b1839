"""auditor: a policy-as-code auditor for Microsoft 365 / Entra ID tenants.

The package is laid out as the pipeline it implements:
collect -> snapshot -> policy -> engine -> results -> report, with the CLI on top.
"""

__version__ = "0.3.0"
