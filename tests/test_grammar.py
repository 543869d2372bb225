"""Grammar of the Type and Port cells: one test per rule of the vocabulary."""

from __future__ import annotations

import pytest

from pipeline.page.grammar import parse_port, parse_type


@pytest.mark.parametrize(
    "text, protocols",
    [
        ("TCP", [("tcp", "")]),
        ("UDP", [("udp", "")]),
        ("ICMP", [("icmp", "")]),
        ("TCP, UDP", [("tcp", ""), ("udp", "")]),
        ("TCP/UDP", [("tcp", ""), ("udp", "")]),
        ("UDP/TCP", [("udp", ""), ("tcp", "")]),
        ("HTTP", [("tcp", "http")]),
        ("HTTPS", [("tcp", "https")]),
        ("SSH", [("tcp", "ssh")]),
        ("TACACS", [("tcp", "tacacs")]),
        ("TACACS+", [("tcp", "tacacs")]),
        ("SNMP", [("udp", "snmp")]),
        ("Syslog", [("udp", "syslog")]),
        ("RADIUS", [("udp", "radius")]),
    ],
)
def test_types(text, protocols):
    assert list(parse_type(text).protocols) == protocols
    assert parse_type(text).error == ""


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Citrix ADM", "is not a protocol"),
        ("TCP, UDP TCP", "names a protocol twice"),
        ("", "empty"),
    ],
)
def test_types_never_guessed(text, fragment):
    cell = parse_type(text)
    assert cell.protocols == () and fragment in cell.error


@pytest.mark.parametrize(
    "text, ranges, bidirectional",
    [
        ("80, 443", [(80, 80), (443, 443)], False),
        ("4001, 5900, 623", [(4001, 4001), (5900, 5900), (623, 623)], False),
        ("139,445", [(139, 139), (445, 445)], False),
        ("443 7443, 8443", [(443, 443), (7443, 7443), (8443, 8443)], False),
        ("67 / 4011", [(67, 67), (4011, 4011)], False),
        ("6969 and 2071", [(6969, 6969), (2071, 2071)], False),
        ("4001 5900/623", [(4001, 4001), (5900, 5900), (623, 623)], False),
        ("1645/1812", [(1645, 1645), (1812, 1812)], False),
        ("49152–65535", [(49152, 65535)], False),
        ("16500..16509", [(16500, 16509)], False),
        ("6890– 6909", [(6890, 6909)], False),
        ("49152\u201165535", [(49152, 65535)], False),  # a non-breaking hyphen
        ("49152\u221265535", [(49152, 65535)], False),  # a minus sign
        ("４４３", [(443, 443)], False),  # full-width digits
        ("٤٤٣", [(443, 443)], False),  # Arabic-Indic digits
        ("44\u00ad3, 49\u200b152-65535", [(443, 443), (49152, 65535)], False),  # break marks
        ("Dynamically allocated high-port (49152-65535)", [(49152, 65535)], False),
        ("80 (bidirectionnel)", [(80, 80)], True),
        ("80(Bidirectional)", [(80, 80)], True),
    ],
)
def test_ports(text, ranges, bidirectional):
    cell = parse_port(text)
    assert (list(cell.ranges), cell.bidirectional, cell.no_port, cell.error) == (
        ranges,
        bidirectional,
        False,
        "",
    )


@pytest.mark.parametrize(
    "text",
    [
        "S/O",
        "N/A",
        "Aucun port réservé",
        "No reserved port",
        "",
        "Port non réservé sélectionné aléatoirement par service. Faites défiler jusqu’à la fin.",
    ],
)
def test_no_port(text):
    cell = parse_port(text)
    assert cell.no_port and cell.ranges == () and cell.error == ""


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("70000", "above 65535"),
        ("443, 70000", "above 65535"),
        ("200-100", "reversed"),
        ("Port 443 recommandé", "sentence"),
        ("443¹", "a superscript or other number sign"),  # a footnote mark, not port 4431
        ("80², 443", "a superscript or other number sign"),
        ("1494₁", "a superscript or other number sign"),
        ("①", "a superscript or other number sign"),
        ("4\u03364\u03363\u0336 8443", "strikes out '443'"),  # ~~443~~ 8443
        ("\u202e344", "shown in another order"),  # shows as 443: a bidi control reorders it
        ("\u21c4344\u21c4", "shown in another order"),  # the text rendering's mark of bidi markup
        ("1\u09ea94", "digits come from two scripts"),  # a Bengali four among ASCII digits
        ("\u07c04\u07c0", "digits come from two scripts"),  # NKo zeros
    ],
)
def test_ports_never_guessed(text, fragment):
    cell = parse_port(text)
    assert cell.ranges == () and fragment in cell.error
