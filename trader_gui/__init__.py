"""trader_gui: a desktop order-management terminal for Indian brokers."""

__version__ = "0.1.0"
