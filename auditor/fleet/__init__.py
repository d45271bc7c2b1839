"""Fleets: many tenants audited as tasks on Dask distributed, and the roll-up across them.

``model`` reads FLEET.yaml, ``task`` audits one tenant into its folder (in a worker),
``run`` schedules the tenants, ``rollup`` builds ``fleet.json`` from the folders and
``render`` turns it into ``fleet.html``/``fleet.md``/``fleet.csv``. This package sits above
``auditor.api`` and ``auditor.collect`` (it orchestrates both) and below the CLI.
"""
