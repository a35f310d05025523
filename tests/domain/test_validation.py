"""Ticket rules: each refusal carries a sentence a trader understands and the field to mark."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trader_gui.domain.enums import (
    Exchange,
    ExecutionType,
    InstrumentKind,
    OrderType,
    Product,
    Side,
    Source,
)
from trader_gui.domain.instruments import Instrument, InstrumentCatalog
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.validation import (
    TICKET_FIELDS,
    FieldError,
    parse_ticket,
    validate_command,
)

# ---- helpers ---------------------------------------------------------------------------------


def command(**overrides: Any) -> OrderCommand:
    """A valid MARKET BUY of 1 SBIN on NSE, MIS, strategy s1, ENTRY, unless told otherwise."""
    fields: dict[str, Any] = {
        "command_id": "CMD1",
        "client_id": "PAPER",
        "symbol": "SBIN",
        "exchange": Exchange.NSE,
        "side": Side.BUY,
        "quantity": 1,
        "order_type": OrderType.MARKET,
        "product": Product.MIS,
        "strategy": "s1",
        "execution_type": ExecutionType.ENTRY,
    }
    fields.update(overrides)
    for name in ("price", "trigger_price"):
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))
    return OrderCommand(**fields)


def ticket(**overrides: object) -> dict[str, object]:
    """Loose fields of a valid ticket, as a form or a CSV row gives them."""
    raw: dict[str, object] = {
        "symbol": "SBIN",
        "exchange": "NSE",
        "side": "BUY",
        "quantity": "1",
        "order_type": "MARKET",
        "price": "",
        "trigger_price": "",
        "product": "MIS",
        "strategy": "s1",
        "execution_type": "ENTRY",
    }
    raw.update(overrides)
    return raw


def errors_on(errors: list[FieldError] | tuple[FieldError, ...], field: str) -> list[str]:
    return [error.message for error in errors if error.field == field]


@pytest.fixture(scope="module")
def sbin(catalog: InstrumentCatalog) -> Instrument:
    instrument = catalog.get(Exchange.NSE, "SBIN")
    assert instrument is not None
    return instrument


@pytest.fixture(scope="module")
def nifty_option(catalog: InstrumentCatalog) -> Instrument:
    """A NIFTY option from the bundled list (lot size 65)."""
    for instrument in catalog:
        if (
            instrument.underlying == "NIFTY"
            and instrument.kind is InstrumentKind.CE
            and instrument.exchange is Exchange.NFO
        ):
            return instrument
    raise AssertionError("no NIFTY option in the bundled instruments")


def nifty(option: Instrument, **overrides: Any) -> OrderCommand:
    fields: dict[str, Any] = {
        "symbol": option.symbol,
        "exchange": Exchange.NFO,
        "product": Product.NRML,
        "quantity": 65,
    }
    fields.update(overrides)
    return command(**fields)


def above(price: Decimal, ticks: int, tick: Decimal) -> Decimal:
    return price + tick * ticks


# ---- validate_command: a ticket that may go -------------------------------------------------


def test_a_valid_market_order_has_no_errors(catalog: InstrumentCatalog) -> None:
    assert validate_command(command(), catalog) == []


def test_a_valid_limit_order_on_the_tick_has_no_errors(
    catalog: InstrumentCatalog, sbin: Instrument
) -> None:
    price = sbin.reference_price - sbin.tick_size * 3

    errors = validate_command(command(order_type=OrderType.LIMIT, price=price), catalog)

    assert errors == []


# ---- quantity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -3])
def test_quantity_must_be_positive(catalog: InstrumentCatalog, quantity: int) -> None:
    errors = validate_command(command(quantity=quantity), catalog)

    assert errors_on(errors, "quantity") == ["Quantity must be more than zero."]


def test_nifty_option_lot_size_is_65(nifty_option: Instrument) -> None:
    assert nifty_option.lot_size == 65


def test_quantity_not_a_whole_number_of_lots_is_refused_naming_the_lot_size(
    catalog: InstrumentCatalog, nifty_option: Instrument
) -> None:
    errors = validate_command(nifty(nifty_option, quantity=70), catalog)

    [message] = errors_on(errors, "quantity")
    assert "70" in message
    assert "lot size" in message
    assert "65" in message
    assert [e.field for e in errors] == ["quantity"]


@pytest.mark.parametrize("quantity", [65, 130, 650])
def test_whole_lots_are_accepted(
    catalog: InstrumentCatalog, nifty_option: Instrument, quantity: int
) -> None:
    assert validate_command(nifty(nifty_option, quantity=quantity), catalog) == []


# ---- price --------------------------------------------------------------------------------


@pytest.mark.parametrize("order_type", [OrderType.LIMIT, OrderType.SL])
def test_limit_and_sl_need_a_price(catalog: InstrumentCatalog, order_type: OrderType) -> None:
    trigger = "900" if order_type is OrderType.SL else None

    errors = validate_command(command(order_type=order_type, trigger_price=trigger), catalog)

    assert errors_on(errors, "price") == [f"A {order_type} order needs a price."]


@pytest.mark.parametrize("price", ["0", "-5"])
def test_price_must_be_positive(catalog: InstrumentCatalog, price: str) -> None:
    errors = validate_command(command(order_type=OrderType.LIMIT, price=price), catalog)

    assert errors_on(errors, "price") == ["Price must be more than zero."]


def test_price_off_the_tick_is_refused_naming_the_tick(
    catalog: InstrumentCatalog, sbin: Instrument
) -> None:
    off_tick = sbin.reference_price + sbin.tick_size / 5

    errors = validate_command(command(order_type=OrderType.LIMIT, price=off_tick), catalog)

    [message] = errors_on(errors, "price")
    assert str(off_tick) in message
    assert str(sbin.tick_size) in message
    assert "tick" in message


@pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.SL_M])
def test_market_and_sl_m_carry_no_price(catalog: InstrumentCatalog, order_type: OrderType) -> None:
    trigger = "900" if order_type is OrderType.SL_M else None

    errors = validate_command(
        command(order_type=order_type, price="965", trigger_price=trigger), catalog
    )

    assert errors_on(errors, "price") == [
        f"A {order_type} order carries no price; clear the field."
    ]


# ---- trigger ------------------------------------------------------------------------------


@pytest.mark.parametrize("order_type", [OrderType.SL, OrderType.SL_M])
def test_sl_and_sl_m_need_a_trigger(catalog: InstrumentCatalog, order_type: OrderType) -> None:
    price = "965" if order_type is OrderType.SL else None

    errors = validate_command(command(order_type=order_type, price=price), catalog)

    assert errors_on(errors, "trigger_price") == [f"A {order_type} order needs a trigger price."]
    assert errors_on(errors, "price") == []


@pytest.mark.parametrize("order_type", [OrderType.SL, OrderType.SL_M])
def test_trigger_off_the_tick_is_refused_naming_the_tick(
    catalog: InstrumentCatalog, sbin: Instrument, order_type: OrderType
) -> None:
    price = sbin.reference_price if order_type is OrderType.SL else None
    trigger = sbin.reference_price - sbin.tick_size - sbin.tick_size / 5

    errors = validate_command(
        command(order_type=order_type, price=price, trigger_price=trigger), catalog
    )

    [message] = errors_on(errors, "trigger_price")
    assert str(trigger) in message
    assert str(sbin.tick_size) in message


@pytest.mark.parametrize("trigger", ["0", "-1"])
def test_trigger_must_be_positive(catalog: InstrumentCatalog, trigger: str) -> None:
    errors = validate_command(command(order_type=OrderType.SL_M, trigger_price=trigger), catalog)

    assert errors_on(errors, "trigger_price") == ["Trigger price must be more than zero."]


@pytest.mark.parametrize(
    ("side", "price_ticks", "trigger_ticks", "allowed"),
    [
        (Side.BUY, 0, -2, True),  # trigger below the price
        (Side.BUY, 0, 0, True),  # trigger at the price
        (Side.BUY, 0, 1, False),  # trigger above the price
        (Side.SELL, 0, 2, True),  # trigger above the price
        (Side.SELL, 0, 0, True),
        (Side.SELL, 0, -1, False),  # trigger below the price
    ],
)
def test_sl_trigger_must_be_on_the_right_side_of_the_price(
    catalog: InstrumentCatalog,
    sbin: Instrument,
    side: Side,
    price_ticks: int,
    trigger_ticks: int,
    allowed: bool,
) -> None:
    price = above(sbin.reference_price, price_ticks, sbin.tick_size)
    trigger = above(sbin.reference_price, trigger_ticks, sbin.tick_size)

    errors = validate_command(
        command(side=side, order_type=OrderType.SL, price=price, trigger_price=trigger), catalog
    )

    if allowed:
        assert errors == []
    else:
        [message] = errors_on(errors, "trigger_price")
        assert f"For a {side} stop-loss" in message
        assert str(trigger) in message
        assert str(price) in message
        expected = "at or below" if side is Side.BUY else "at or above"
        assert expected in message


@pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.LIMIT])
def test_market_and_limit_carry_no_trigger(
    catalog: InstrumentCatalog, order_type: OrderType
) -> None:
    price = "965" if order_type is OrderType.LIMIT else None

    errors = validate_command(
        command(order_type=order_type, price=price, trigger_price="960"), catalog
    )

    assert errors_on(errors, "trigger_price") == [
        f"A {order_type} order carries no trigger; clear the field."
    ]


# ---- instrument, exchange, product, strategy ---------------------------------------------


def test_unknown_symbol_is_refused_on_the_symbol_field(catalog: InstrumentCatalog) -> None:
    errors = validate_command(command(symbol="NOSUCHSTOCK"), catalog)

    assert errors_on(errors, "symbol") == ["Unknown symbol NOSUCHSTOCK on NSE."]


def test_symbol_on_the_wrong_exchange_names_where_it_is_listed(
    catalog: InstrumentCatalog,
) -> None:
    errors = validate_command(command(exchange=Exchange.BSE), catalog)

    assert errors_on(errors, "exchange") == ["SBIN is not listed on BSE: try NSE."]
    assert errors_on(errors, "symbol") == []


def test_option_on_the_cash_exchange_points_to_nfo(
    catalog: InstrumentCatalog, nifty_option: Instrument
) -> None:
    errors = validate_command(
        nifty(nifty_option, exchange=Exchange.NSE, product=Product.MIS), catalog
    )

    [message] = errors_on(errors, "exchange")
    assert "try NFO" in message


def test_cnc_is_not_allowed_on_nfo(catalog: InstrumentCatalog, nifty_option: Instrument) -> None:
    errors = validate_command(nifty(nifty_option, product=Product.CNC), catalog)

    assert errors_on(errors, "product") == ["Product CNC is not allowed on NFO: use MIS or NRML."]


def test_nrml_is_not_allowed_on_nse(catalog: InstrumentCatalog) -> None:
    errors = validate_command(command(product=Product.NRML), catalog)

    assert errors_on(errors, "product") == ["Product NRML is not allowed on NSE: use CNC or MIS."]


@pytest.mark.parametrize("strategy", ["", "   ", "\t"])
def test_strategy_is_required(catalog: InstrumentCatalog, strategy: str) -> None:
    errors = validate_command(command(strategy=strategy), catalog)

    assert errors_on(errors, "strategy") == ["Strategy name is required."]


def test_every_problem_is_reported_at_once(catalog: InstrumentCatalog) -> None:
    bad = command(
        exchange=Exchange.NFO,
        symbol="SBIN",
        product=Product.CNC,
        order_type=OrderType.LIMIT,
        strategy=" ",
    )

    errors = validate_command(bad, catalog)

    assert {e.field for e in errors} == {"exchange", "product", "price", "strategy"}


# ---- parse_ticket -------------------------------------------------------------------------


def test_a_valid_ticket_parses_to_a_typed_command() -> None:
    result = parse_ticket(
        ticket(order_type="LIMIT", price="965.05", quantity=" 10 "),
        client_id=" PAPER ",
        source=Source.BASKET,
        command_id="ABC123",
        ticket_id="T1",
    )

    assert result.ok
    assert result.errors == ()
    assert result.command == OrderCommand(
        command_id="ABC123",
        client_id="PAPER",
        symbol="SBIN",
        exchange=Exchange.NSE,
        side=Side.BUY,
        quantity=10,
        order_type=OrderType.LIMIT,
        product=Product.MIS,
        strategy="s1",
        execution_type=ExecutionType.ENTRY,
        source=Source.BASKET,
        price=Decimal("965.05"),
        trigger_price=None,
        ticket_id="T1",
    )


def test_a_ticket_without_command_id_gets_a_fresh_valid_one() -> None:
    first = parse_ticket(ticket(), client_id="PAPER").command
    second = parse_ticket(ticket(), client_id="PAPER").command

    assert first is not None
    assert second is not None
    assert first.command_id != second.command_id
    assert len(first.command_id) == 20


@pytest.mark.parametrize(
    ("field", "word", "allowed"),
    [
        ("exchange", "NSX", "NSE, BSE, NFO, BFO, MCX"),
        ("side", "HOLD", "BUY, SELL"),
        ("order_type", "STOP", "MARKET, LIMIT, SL, SL-M"),
        ("product", "INTRADAY", "MIS, CNC, NRML"),
        ("execution_type", "OPEN", "ENTRY, EXIT"),
    ],
)
def test_a_wrong_word_lists_the_allowed_words(field: str, word: str, allowed: str) -> None:
    result = parse_ticket(ticket(**{field: word}), client_id="PAPER")

    assert result.command is None
    [message] = errors_on(result.errors, field)
    assert f"must be one of {allowed}" in message
    assert repr(word) in message


@pytest.mark.parametrize(
    "field", ["symbol", "exchange", "side", "order_type", "product", "execution_type"]
)
@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_missing_word_is_required(field: str, blank: object) -> None:
    result = parse_ticket(ticket(**{field: blank}), client_id="PAPER")

    assert result.command is None
    [message] = errors_on(result.errors, field)
    assert message.endswith("is required.")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("abc", "Quantity must be a whole number, not 'abc'."),
        ("1.5", "Quantity must be a whole number, not '1.5'."),
        (1.5, "Quantity must be a whole number, not 1.5."),
        (0, "Quantity must be more than zero."),
        ("0", "Quantity must be more than zero."),
        (-3, "Quantity must be more than zero."),
        ("-3", "Quantity must be more than zero."),
        (True, "Quantity must be a whole number, not True."),
        (False, "Quantity must be a whole number, not False."),
        (None, "Quantity is required."),
        ("", "Quantity is required."),
        ("  ", "Quantity is required."),
        ([1], "Quantity must be a whole number, not [1]."),
        ("nan", "Quantity must be a whole number, not 'nan'."),
        ("inf", "Quantity must be a whole number, not 'inf'."),
    ],
)
def test_quantity_that_is_not_a_positive_whole_number_is_refused(
    quantity: object, message: str
) -> None:
    result = parse_ticket(ticket(quantity=quantity), client_id="PAPER")

    assert result.command is None
    assert errors_on(result.errors, "quantity") == [message]


def test_an_absurd_quantity_is_refused() -> None:
    result = parse_ticket(ticket(quantity="10000000000"), client_id="PAPER")

    assert result.command is None
    assert errors_on(result.errors, "quantity") == [
        "Quantity 10000000000 is not a real order size."
    ]


@pytest.mark.parametrize(("quantity", "expected"), [(2.0, 2), ("1,000", 1000), ("65", 65)])
def test_whole_quantities_in_other_spellings_are_accepted(quantity: object, expected: int) -> None:
    result = parse_ticket(ticket(quantity=quantity), client_id="PAPER")

    assert result.command is not None
    assert result.command.quantity == expected


@pytest.mark.parametrize("field", ["price", "trigger_price"])
@pytest.mark.parametrize("value", ["abc", "NaN", "inf", "-Infinity", "1.2.3", [965], {"p": 1}])
def test_a_price_that_is_not_a_finite_number_is_refused(field: str, value: object) -> None:
    label = "Price" if field == "price" else "Trigger price"

    result = parse_ticket(ticket(order_type="SL", **{field: value}), client_id="PAPER")

    assert result.command is None
    assert errors_on(result.errors, field) == [f"{label} must be a number, not {value!r}."]


def test_an_absurd_price_is_refused() -> None:
    result = parse_ticket(ticket(order_type="LIMIT", price="1e12"), client_id="PAPER")

    assert result.command is None
    [message] = errors_on(result.errors, "price")
    assert "is not a real price" in message


@pytest.mark.parametrize("spelling", ["SL-M", "SL_M", "sl-m", "sl_m", " Sl-M "])
def test_sl_m_spellings_are_accepted(spelling: str) -> None:
    result = parse_ticket(ticket(order_type=spelling, trigger_price="960"), client_id="PAPER")

    assert result.command is not None
    assert result.command.order_type is OrderType.SL_M


def test_lower_case_words_are_accepted() -> None:
    raw = ticket(
        symbol="sbin",
        exchange="nse",
        side="sell",
        order_type="limit",
        price="965",
        product="cnc",
        execution_type="exit",
    )

    result = parse_ticket(raw, client_id="PAPER")

    assert result.command is not None
    command_ = result.command
    assert (command_.symbol, command_.exchange, command_.side) == ("SBIN", Exchange.NSE, Side.SELL)
    assert (command_.order_type, command_.product) == (OrderType.LIMIT, Product.CNC)
    assert command_.execution_type is ExecutionType.EXIT


@pytest.mark.parametrize("strategy", ["", "   ", None, 42])
def test_parse_requires_a_strategy(strategy: object) -> None:
    result = parse_ticket(ticket(strategy=strategy), client_id="PAPER")

    assert result.command is None
    assert errors_on(result.errors, "strategy") == ["Strategy name is required."]


def test_strategy_name_is_at_most_40_characters() -> None:
    accepted = parse_ticket(ticket(strategy="s" * 40), client_id="PAPER")
    refused = parse_ticket(ticket(strategy="s" * 41), client_id="PAPER")

    assert accepted.command is not None
    assert refused.command is None
    assert errors_on(refused.errors, "strategy") == ["Strategy name is longer than 40 characters."]


@pytest.mark.parametrize("client_id", ["", "   "])
def test_an_account_is_required(client_id: str) -> None:
    result = parse_ticket(ticket(), client_id=client_id)

    assert result.command is None
    assert errors_on(result.errors, "client_id") == ["Account (client id) is required."]


@pytest.mark.parametrize("command_id", ["", "ABC-123", "A" * 21, "ABC\n", "ABC 1"])
def test_a_bad_command_id_is_refused(command_id: str) -> None:
    result = parse_ticket(ticket(), client_id="PAPER", command_id=command_id)

    assert result.command is None
    assert len(errors_on(result.errors, "command_id")) == 1


@pytest.mark.parametrize("raw", [None, [], ["symbol", "SBIN"], "SBIN,NSE,BUY", 42])
def test_a_ticket_that_is_not_a_set_of_fields_is_refused(raw: object) -> None:
    result = parse_ticket(raw, client_id="PAPER")  # type: ignore[arg-type]

    assert result.command is None
    assert result.errors == (FieldError("ticket", "A ticket must be a set of fields."),)


def test_every_field_problem_is_reported_at_once() -> None:
    raw = ticket(exchange="X", side="Y", quantity="abc", price="p", strategy="")

    result = parse_ticket(raw, client_id="PAPER")

    assert {e.field for e in result.errors} == {"exchange", "side", "quantity", "price", "strategy"}


# ---- property: loose input never crashes either stage ------------------------------------

_VALID_WORDS: dict[str, list[object]] = {
    "symbol": ["SBIN", "INFY", "sbin", "NIFTY", "NOSUCH"],
    "exchange": [e.value for e in Exchange],
    "side": ["BUY", "SELL", "buy"],
    "quantity": [1, "65", 70, "130", 0],
    "order_type": ["MARKET", "LIMIT", "SL", "SL-M", "sl_m"],
    "price": ["", "965", "965.05", "965.03", 0, "-1"],
    "trigger_price": ["", "960", "966.00", "0.01"],
    "product": [p.value for p in Product],
    "strategy": ["s1", "  "],
    "execution_type": ["ENTRY", "EXIT"],
}

_any_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.text(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


@st.composite
def _loose_tickets(draw: st.DrawFn) -> object:
    """Plausible words with a few fields broken or missing; now and then anything at all."""
    shape = draw(st.integers(0, 19))
    if shape == 0:
        return draw(_any_value)
    if shape == 1:
        return draw(st.dictionaries(st.sampled_from(TICKET_FIELDS), _any_value))
    raw: dict[object, object] = {
        name: draw(st.sampled_from(_VALID_WORDS[name])) for name in TICKET_FIELDS
    }
    for name in draw(st.lists(st.sampled_from(TICKET_FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            del raw[name]
        else:
            raw[name] = draw(_any_value)
    extra = draw(
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), _any_value, max_size=2)
    )
    raw.update(extra)
    return raw


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(raw=_loose_tickets())
def test_loose_tickets_never_crash_and_always_explain(
    catalog: InstrumentCatalog, raw: object
) -> None:
    result = parse_ticket(raw, client_id="PAPER")  # type: ignore[arg-type]

    if result.command is None:
        assert result.errors
        assert all(
            isinstance(e, FieldError) and e.field and e.message.strip() for e in result.errors
        )
        return
    assert result.errors == ()
    errors = validate_command(result.command, catalog)
    assert all(isinstance(e, FieldError) and e.field and e.message.strip() for e in errors)


def test_the_property_reaches_both_outcomes(catalog: InstrumentCatalog) -> None:
    """Guard for the property above: its generator really produces valid and invalid tickets."""
    valid = parse_ticket(ticket(order_type="sl_m", trigger_price="960"), client_id="PAPER").command
    assert valid is not None
    assert validate_command(valid, catalog) == []
    invalid = parse_ticket(ticket(symbol="NOSUCH"), client_id="PAPER").command
    assert invalid is not None
    assert errors_on(validate_command(invalid, catalog), "symbol")
