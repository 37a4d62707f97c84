"""shop's public face: the only thing other modules import from shop."""

__all__: list[str] = []
