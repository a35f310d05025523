"""The window: PySide6 widgets and Qt models over the engine.

Widgets read engine state and send the trader's intent only through `bridge.EngineBridge`;
nothing here imports the persistence or broker layers.
"""
