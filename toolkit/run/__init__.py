"""A run folder: the Run object (every artifact), the view the TUI reads, compare, the demo."""
