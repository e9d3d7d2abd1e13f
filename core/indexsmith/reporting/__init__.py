"""What users read: the comparison table, the HTML factsheet and ``explain``."""
