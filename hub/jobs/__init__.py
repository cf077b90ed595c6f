"""RQ jobs: small, idempotent, ids in, primitives only (JSON serializer). Jobs never import Flask."""
