"""The catalog, terms and the institution as the list screens read them."""
