"""Data in and out: reading customer tables, atomic files, output checks, the sample generator."""
