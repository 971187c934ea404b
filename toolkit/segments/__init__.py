"""Segmentation: the clustering space, k-means and stability, rule distillation, profiles."""
