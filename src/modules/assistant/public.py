"""assistant's public face: the only thing other modules import from assistant."""

__all__: list[str] = []
