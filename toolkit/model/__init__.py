"""The purchase model: features, leakage audit, training, metrics, the scorecard, scoring."""
