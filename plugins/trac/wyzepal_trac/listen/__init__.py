"""Both ways: ``trac-admin ENV wyzepal listen`` hears chat and acts in Trac (see ``bridge``)."""
from .bridge import TicketBridge
from .references import references

__all__ = ["TicketBridge", "references"]
