"""Contract tooling: OpenAPI export, Postman collection, TypeScript types, fuzzing."""
