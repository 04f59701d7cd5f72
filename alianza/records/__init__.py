"""Records and the rules that travel with them."""
