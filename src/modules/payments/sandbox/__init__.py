"""A local Wompi sandbox for development and end-to-end tests (never used in production)."""
