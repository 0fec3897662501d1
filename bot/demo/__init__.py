"""The offline demo: bundled sample feeds through the real pipeline."""
