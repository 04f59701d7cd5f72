"""Identity linkage: synthetic persons of the region and registries written from them."""
