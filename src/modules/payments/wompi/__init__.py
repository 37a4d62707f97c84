"""Wompi: signatures, the gateway port and its adapters."""
