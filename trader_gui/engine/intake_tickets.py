"""What the intake accepts as a body, and how a ticket it cannot type is still recorded.

Two kinds of bad request, answered differently:
- not the documented shape (not JSON, not an object, an unknown or repeated field, a field
  that is a list or an object, a bad `client_order_id`): 400, nothing recorded; the sender
  has a bug, the trader has nothing to look at;
- the right shape, but not an order that may go (an unknown side, a quantity off the lot):
  recorded FAILED / VALIDATION_FAILED, so the trader sees it in the blockers panel, and
  answered 422 with the same sentence.

A ticket that cannot even be typed still needs a row, and a row needs a valid side, exchange
and so on: the fields that could not be read are stored as placeholders (quantity 0 when the
quantity is unreadable) and the sentence quotes the ticket as it was received.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from trader_gui.domain.enums import Exchange, ExecutionType, OrderType, Product, Side, Source
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.prices import to_decimal
from trader_gui.domain.validation import (
    MAX_STRATEGY_LENGTH,
    TICKET_FIELDS,
    FieldError,
    summarise,
)
from trader_gui.engine.intake_keys import CLIENT_ORDER_ID_RULE, is_valid_client_order_id

CLIENT_ORDER_ID = "client_order_id"
BODY_FIELDS = (*TICKET_FIELDS, CLIENT_ORDER_ID)
MAX_QUOTED = 400
"""How much of a refused ticket is quoted in its sentence."""

E = TypeVar("E", bound=StrEnum)


class BodyError(ValueError):
    """The body is not an intake ticket; the message is the sentence for the sender."""


@dataclass(frozen=True, slots=True)
class IntakeTicket:
    fields: dict[str, object]
    """The ticket fields as sent (numbers with a decimal point come as Decimal)."""
    client_order_id: str | None


def read_ticket(body: bytes) -> IntakeTicket:
    """The body as a ticket, or a `BodyError` saying what is wrong with its shape."""
    if not body.strip():
        raise BodyError("The body is empty: send the ticket as a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("The body is not UTF-8 text.") from None
    try:
        value = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_no_constant,
            object_pairs_hook=_no_repeats,
        )
    except BodyError:
        raise
    except json.JSONDecodeError as error:
        raise BodyError(
            f"The body is not valid JSON (line {error.lineno}, column {error.colno})."
        ) from None
    except (ValueError, RecursionError):  # a number too long, nesting too deep
        raise BodyError("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BodyError("The body must be one JSON object with the ticket's fields.")
    unknown = sorted(name for name in value if name not in BODY_FIELDS)
    if unknown:
        raise BodyError(
            f"Unknown field(s) {', '.join(repr(n[:40]) for n in unknown[:5])}; "
            f"the fields are {', '.join(BODY_FIELDS)}."
        )
    for name, field_value in value.items():
        if isinstance(field_value, dict | list):
            raise BodyError(
                f"Field {name!r} must be text or a number, not a JSON {_kind(field_value)}."
            )
    client_order_id = value.pop(CLIENT_ORDER_ID, None)
    if client_order_id is not None and not is_valid_client_order_id(client_order_id):
        raise BodyError(f"{CLIENT_ORDER_ID_RULE}.")
    return IntakeTicket(value, client_order_id)


def _no_constant(name: str) -> object:
    raise BodyError(f"The body is not valid JSON: {name} is not a number.")


def _no_repeats(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for name, value in pairs:
        if name in result:
            raise BodyError(f"Field {name[:40]!r} is given twice.")
        result[name] = value
    return result


def _kind(value: object) -> str:
    return "object" if isinstance(value, dict) else "list"


def refusal_detail(
    errors: tuple[FieldError, ...] | list[FieldError], fields: Mapping[str, object]
) -> str:
    """The reasons, then the ticket as received, so placeholders in the row mislead nobody."""
    quoted = json.dumps(dict(fields), default=str, sort_keys=True, ensure_ascii=False)
    if len(quoted) > MAX_QUOTED:
        quoted = quoted[: MAX_QUOTED - 3] + "..."
    return f"{summarise(errors)} Received from the intake: {quoted}"


def refusal_command(
    fields: Mapping[str, object], *, command_id: str, client_id: str
) -> OrderCommand:
    """A typed stand-in for a ticket that could not be typed, so that it can be recorded."""
    order_type_text = _text(fields.get("order_type")).upper().replace("_", "-")
    return OrderCommand(
        command_id=command_id,
        client_id=client_id,
        symbol=_text(fields.get("symbol")).upper()[:40] or "?",
        exchange=_member(Exchange, _text(fields.get("exchange")).upper(), Exchange.NSE),
        side=_member(Side, _text(fields.get("side")).upper(), Side.BUY),
        quantity=_whole(fields.get("quantity")),
        order_type=_member(OrderType, order_type_text, OrderType.MARKET),
        product=_member(Product, _text(fields.get("product")).upper(), Product.MIS),
        strategy=_text(fields.get("strategy"))[:MAX_STRATEGY_LENGTH] or "?",
        execution_type=_member(
            ExecutionType, _text(fields.get("execution_type")).upper(), ExecutionType.ENTRY
        ),
        source=Source.EXTERNAL,
        price=_price(fields.get("price")),
        trigger_price=_price(fields.get("trigger_price")),
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _member(kind: type[E], text: str, default: E) -> E:
    try:
        return kind(text)
    except ValueError:
        return default


def _whole(value: object) -> int:
    number = None if isinstance(value, bool) else to_decimal(value)
    if number is None or number != number.to_integral_value() or not 0 < number <= 10**9:
        return 0
    return int(number)


def _price(value: object) -> Decimal | None:
    number = None if isinstance(value, bool) else to_decimal(value)
    if number is None or abs(number) > Decimal(10) ** 9:
        return None
    return number


# ---- answers -------------------------------------------------------------------------------


def order_view(record: OrderRecord) -> dict[str, object]:
    """One order as the intake reports it."""
    return {
        "command_id": record.command_id,
        "status": record.status.value,
        "tag": record.tag.value if record.tag else None,
        "detail": record.detail,
        "broker_order_id": record.broker_order_id,
        "broker_status": record.broker_status,
        "amo": record.amo,
        "filled_qty": record.filled_qty,
        "avg_price": str(record.avg_price) if record.avg_price is not None else None,
    }


def ticket_view(command_id: str, records: list[OrderRecord]) -> dict[str, object]:
    """A ticket: its command_id, its orders (more than one when sliced at the freeze
    quantity), and one status: the orders' own when they agree, MIXED when they do not."""
    orders = [order_view(record) for record in records]
    statuses = {record.status.value for record in records}
    tags = {record.tag.value if record.tag else None for record in records}
    first = records[0]
    return {
        "command_id": command_id,
        "command_ids": [record.command_id for record in records],
        "status": statuses.pop() if len(statuses) == 1 else "MIXED",
        "tag": tags.pop() if len(tags) == 1 else None,
        "detail": first.detail
        if len(records) == 1
        else " ".join(f"{record.command_id}: {record.detail}" for record in records),
        "orders": orders,
    }
