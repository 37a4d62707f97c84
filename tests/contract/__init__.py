"""Contract tooling tests: drift detection, Postman generation, schema fuzzing."""
