"""The catalog's rows, one module per API kind; :mod:`auditor.collect.catalog` concatenates them."""
