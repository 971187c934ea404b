"""One widget per tab (Segments, Model, Customer, Rules, Compare) and shared pieces."""
