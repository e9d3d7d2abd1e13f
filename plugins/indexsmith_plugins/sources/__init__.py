"""Built-in market sources, one plugin module per vendor layout: ``basic`` (the documented
directory format and the demo market), ``panel`` (wide dates x tickers tables), ``yahoo``
(per-ticker downloads) and ``crsp`` (CRSP daily stock files with Compustat quarterlies)."""
