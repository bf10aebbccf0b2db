"""Content: schema, loader, search index, bundles and the terminal store."""
