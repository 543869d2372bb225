"""Utilities every layer uses, standard library only: text keys, bounded reads, atomic writes, text made safe to show, Markdown escaping."""
