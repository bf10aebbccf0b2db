"""Fill-in documents: templates as content, checking what a visitor filled in, the PDF."""
