"""Freeze-quantity slicing: a ticket above the exchange's freeze quantity goes as children.

Each child is a whole number of lots no larger than the freeze quantity, has its own
command_id and carries the ticket's id, and goes through the six steps on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from trader_gui.domain.ids import new_command_id
from trader_gui.domain.instruments import Instrument
from trader_gui.domain.order import OrderCommand


@dataclass(frozen=True, slots=True)
class SlicePlan:
    children: tuple[OrderCommand, ...]
    refusal: str | None = None

    @property
    def is_sliced(self) -> bool:
        return len(self.children) > 1


def largest_slice(instrument: Instrument) -> int | None:
    """The largest order the exchange takes at once: whole lots, not above the freeze."""
    if instrument.freeze_qty is None:
        return None
    lots = instrument.freeze_qty // instrument.lot_size
    return max(lots, 1) * instrument.lot_size


def plan_slices(
    command: OrderCommand, instrument: Instrument | None, max_slices: int | None = None
) -> SlicePlan:
    """The children of a ticket; one child (the ticket itself) when no slicing is needed."""
    biggest = largest_slice(instrument) if instrument is not None else None
    if biggest is None or command.quantity <= biggest:
        return SlicePlan((command,))
    full, rest = divmod(command.quantity, biggest)
    sizes = [biggest] * full + ([rest] if rest else [])
    if max_slices is not None and len(sizes) > max_slices:
        return SlicePlan(
            (command,),
            refusal=(
                f"Quantity {command.quantity} needs {len(sizes)} slices of at most {biggest} "
                f"(the freeze quantity of {command.symbol}); the broker takes at most "
                f"{max_slices} slices per ticket. Reduce the quantity to "
                f"{biggest * max_slices} or less."
            ),
        )
    ticket_id = command.command_id
    children = tuple(
        replace(command, command_id=new_command_id(), quantity=size, ticket_id=ticket_id)
        for size in sizes
    )
    return SlicePlan(children)
