"""Broker adapters: one protocol, translated to each broker's wire. No business rules here."""
