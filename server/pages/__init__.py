"""Page routers: HTML pages, forms and downloads for browsers."""
