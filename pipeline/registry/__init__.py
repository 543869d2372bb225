"""The registry layer: the component registry (ids of machine roles) and the name correspondences of two pages (align, compare)."""
