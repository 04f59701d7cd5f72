"""Border screening: one traveller against the watch list, explained."""
