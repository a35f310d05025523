"""Data files shipped with trader_gui (installed as the package `trader_gui.resources`)."""
