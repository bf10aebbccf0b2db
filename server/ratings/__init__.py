"""Satisfaction ratings (好差评): the five levels, reasons by level, one rating per ticket."""
