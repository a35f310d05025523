"""Read a broker's credentials from the one credential store (the OS keyring).

`trader-gui login` and the window's login dialog write them; the adapters only read. A
missing entry is said with the command that fixes it, never with a secret.
"""

from __future__ import annotations

from trader_gui.brokers.shoonya import ShoonyaCredentials
from trader_gui.credentials import CredentialStore, Secret, default_store


class CredentialsUnavailableError(RuntimeError):
    """No usable credentials for the account; the message says what to do."""


def _load(broker: str, client_id: str, store: CredentialStore | None) -> dict[str, Secret]:
    store = store or default_store()
    fields = store.load(broker, client_id)
    if fields is None:
        status = store.backend_status()
        where = "" if status.secure else f" ({status.sentence})"
        raise CredentialsUnavailableError(
            f"No {broker} credentials for {client_id}{where}: run "
            f"`trader-gui login {broker} --client {client_id}` or log in from the window."
        )
    return fields


def shoonya_credentials(client_id: str, store: CredentialStore | None = None) -> ShoonyaCredentials:
    fields = _load("shoonya", client_id, store)

    def value(name: str, default: str = "") -> str:
        secret = fields.get(name)
        return secret.reveal() if secret else default

    return ShoonyaCredentials(
        user=value("user", client_id),
        password=value("password"),
        totp_secret=value("totp_secret"),
        vendor_code=value("vendor_code"),
        api_secret=value("api_secret"),
        imei=value("imei", "trader_gui"),
        access_token=value("access_token"),
    )


def kite_credentials(client_id: str, store: CredentialStore | None = None) -> dict[str, str]:
    """api_key, api_secret and, when today's is stored, access_token."""
    fields = _load("kite", client_id, store)
    return {name: secret.reveal() for name, secret in fields.items()}
