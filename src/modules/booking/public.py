"""booking's public face: the only thing other modules import from booking."""

__all__: list[str] = []
