"""The integration framework: one class per tool, many configurations, a registry."""
from .base import Integration, Render
from .conditions import matches
from .configuration import Configuration
from .manager import ENTRY_POINT_GROUP, IntegrationManager, integrations

__all__ = ["ENTRY_POINT_GROUP", "Configuration", "Integration", "IntegrationManager", "Render",
           "integrations", "matches"]
