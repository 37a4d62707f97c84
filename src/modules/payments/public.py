"""payments's public face: the only thing other modules import from payments."""

__all__: list[str] = []
