"""schemathesis hooks for Cofee (schemathesis.toml loads this module)."""

import schemathesis

# tus `PATCH` bodies are raw bytes (`application/offset+octet-stream`), sent like any
# `application/octet-stream` body.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
