"""Tickwire: an asyncio client for a Tickwire gateway, with typed models generated from its AsyncAPI contract."""
from .client import TickwireClient, TickwireError
from .models import CLOSE_CODES, CONTRACT_VERSION, ERROR_CODES

__all__ = ["TickwireClient", "TickwireError", "CLOSE_CODES", "CONTRACT_VERSION", "ERROR_CODES"]
