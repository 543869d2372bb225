"""Windows Defender Firewall: the export plan as a re-runnable PowerShell script.

Input: a ``Plan`` (usually one role's, ``--host``), the build's source, and the Windows
options: the policy store (``PersistentStore``, the host's own rules, or a Group Policy
object ``DOMAIN\\Policy name``), the profiles, the group and the registry for English
names.  Output: a ``Rendered`` script of ``New-NetFirewallRule`` lines.

The script owns one rule group (``citrix-ports``, or ``citrix-ports <host id>`` for a
role): it first removes every rule of that group from the store, then writes the rules
of the data, so a second run leaves the same rules and a flow the data no longer has
loses its rule.  Each rule's ``-Name`` is unique in the store (the group, the ids of the
flow's ends, the protocol and ports), its display name is made of the registry's English
names (``--names en``) or the page's, its description carries the rule ids and the
page's words (``safe_text``), and every string is single-quoted (``ps_quote``).  Only
parameters ``New-NetFirewallRule`` and ``Remove-NetFirewallRule`` document are written.
"""

from __future__ import annotations

import re

from pipeline.core.shown import printable
from pipeline.errors import InputError
from pipeline.export.formats import Options, Rendered, addr, header, safe_text
from pipeline.export.plan import Plan, Rule

LOCAL_STORE = "PersistentStore"  # the host's own rules (what -PolicyStore means by default)
PROFILES = ("Domain", "Private", "Public", "Any")
GROUP = "citrix-ports"
# DOMAIN\Policy name: a domain (or a computer) and a GPO's display name, printable
GPO = re.compile(r"[^\\\x00-\x1f\x7f]+\\[^\\\x00-\x1f\x7f]+")


def ps_quote(text: str) -> str:
    """A PowerShell single-quoted string (PowerShell also takes ‘ ’ ‚ ‛ as quotes).

    >>> ps_quote("it's")
    "'it''s'"
    """
    return "'" + re.sub(r"['\u2018\u2019\u201a\u201b]", "''", " ".join(text.split())) + "'"


def ps_comment(text: str) -> str:
    """A PowerShell line comment: one line of printable text (a line break or a control
    character would end the comment and start code).

    >>> ps_comment("# rules of x\\nStart-Process calc.exe")
    '# rules of x Start-Process calc.exe'
    """
    return printable(text)


def check_gpo(text: str) -> str:
    """A Group Policy object as ``-PolicyStore`` takes it: ``DOMAIN\\Policy name``.

    >>> check_gpo("contoso.com\\\\Citrix servers")
    'contoso.com\\\\Citrix servers'
    """
    text = text.strip()
    if not GPO.fullmatch(text) or text != " ".join(text.split()):
        raise InputError(
            f"--gpo {text!r} is not a Group Policy object as -PolicyStore takes it",
            hint="write DOMAIN\\Policy name (for example 'contoso.com\\Citrix Delivery "
            "Controllers'), one backslash, no control character",
        )
    return text


def group_of(hosts: tuple[str, ...]) -> str:
    """The rule group a script owns: ``citrix-ports`` and the hosts it is for."""
    return " ".join([GROUP, *hosts]) if hosts else GROUP


def english(rule: Rule, options: Options) -> tuple[str, str, str]:
    """The section, source and destination of a rule in the names asked."""
    reg = options.registry if options.names == "en" else None
    if reg is None:
        return rule.sections[0], rule.source, rule.destination
    sid = rule.section_ids[0] if rule.section_ids else ""
    return (
        reg.english(sid, "section") or rule.sections[0],
        reg.english(rule.source_id) or rule.source,
        reg.english(rule.destination_id) or rule.destination,
    )


def display_name(rule: Rule, options: Options) -> str:
    """What the Windows console shows: ``Section: Source to Destination TCP 1494``."""
    section, src, dst = english(rule, options)
    what = "ICMP" if rule.protocol == "icmp" else f"{rule.protocol.upper()} {rule.ports}"
    way = " (return)" if rule.reverse else ""
    way += " (outbound)" if rule.outbound else ""
    return safe_text(f"{section}: {src} to {dst} {what}{way}", 200)


def rule_name(rule: Rule, group: str) -> str:
    """The rule's ``-Name``: unique in the store, the same on every export of the flow."""
    slug = re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")
    return (
        f"{slug}-{rule.flow_name}-{rule.protocol}-{rule.ports or 'all'}"
        f"{'-return' if rule.reverse else ''}{'-out' if rule.outbound else ''}"
    )


def windows_rules(p: Plan):
    """(rule, IP version, families) per statement: a rule's TCP or UDP ports hold for
    both IP versions in one statement; ICMP is a protocol per version (ICMPv4, ICMPv6),
    so a statement each."""
    for rule in p.rules:
        if rule.protocol != "icmp":
            yield rule, 0, rule.families
            continue
        for family in rule.families:
            yield rule, family[0], (family,)


def render_windows(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """A PowerShell script: the group's rules removed from the store, then written anew
    (inbound rules for the destinations; outbound ones for a host selected as a source,
    ``--direction out``)."""
    group = group_of(options.hosts)
    store = options.gpo or LOCAL_STORE
    profiles = ",".join(options.profiles or ("Domain",))
    where = (
        f"the Group Policy object {ps_quote(store)} (every host it applies to)"
        if options.gpo
        else "the host itself (run it there, as an administrator)"
    )
    out = [
        header("#", source),
        ps_comment(
            "# Windows Defender Firewall rules of "
            + (", ".join(options.hosts) if options.hosts else "every host of the map")
            + f", written to {where}, profile {profiles}."
        ),
        ps_comment(
            f"# Re-runnable: each run removes the rules of group {group} from that "
            "store, then writes these. A rule of another group is never touched."
        ),
        "#Requires -Modules NetSecurity",
        "$ErrorActionPreference = 'Stop'",
        f"Remove-NetFirewallRule -Group {ps_quote(group)} -PolicyStore {ps_quote(store)} "
        "-ErrorAction SilentlyContinue",
    ]
    names: dict[str, int] = {}
    count = 0
    for rule, version, families in windows_rules(p):
        src = ",".join(ps_quote(addr(a)) for _, s, _ in families for a in s)
        dst = ",".join(ps_quote(addr(a)) for _, _, d in families for a in d)
        remote, local = (dst, src) if rule.outbound else (src, dst)
        name = rule_name(rule, group) + ("-v6" if version == 6 and rule.protocol == "icmp" else "")
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:  # the same ends, protocol and ports, other addresses
            name = f"{name}-{names[name]}"
        if rule.protocol == "icmp":
            proto = f"-Protocol ICMPv{version}"
        else:
            proto = (
                f"-Protocol {rule.protocol.upper()} "
                f"-{'Remote' if rule.outbound else 'Local'}Port {rule.ports}"
            )
        out.append(
            f"New-NetFirewallRule -Name {ps_quote(name)} -DisplayName "
            f"{ps_quote(display_name(rule, options))} -Group {ps_quote(group)} "
            f"-PolicyStore {ps_quote(store)} -Profile {profiles} "
            f"-Direction {'Outbound' if rule.outbound else 'Inbound'} -Action Allow "
            f"{proto} -RemoteAddress @({remote}) -LocalAddress @({local}) -Description "
            f"{ps_quote(safe_text(rule.comment(), 900))}"
        )
        count += 1
    return Rendered("\n".join(out) + "\n", count)
