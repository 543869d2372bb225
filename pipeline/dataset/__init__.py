"""The dataset layer: the Table Schemas and the published tables read back and queried (standard library only: what query, export, diff and the API read)."""
