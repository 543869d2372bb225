"""The page layer: the vocabulary, the Type/Port grammar, the table model, form and locale detection, and the readers of the three forms (standard library and beautifulsoup4)."""
