"""Reading landmark lists and datasets."""
