"""A Graph-compatible local server and generated tenant for the collector's tests and benchmark."""

from tests.graphserver.server import Fault, GraphServer
from tests.graphserver.tenant import TENANT_ID, make_tenant

__all__ = ["TENANT_ID", "Fault", "GraphServer", "make_tenant"]
