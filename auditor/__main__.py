"""Allow ``python -m auditor``."""

from auditor.cli import run

# guarded: Dask's worker processes (``auditor fleet``) are spawned, and re-import the main module
if __name__ == "__main__":
    run()
