"""The law library: laws, articles, 以案释法 cases, their loading, import and search."""
