"""The source layer: the live page fetched into raw/ and the raw manifest."""
