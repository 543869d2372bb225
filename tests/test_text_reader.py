"""The text reader on the real French snapshot: structure, every row, the hard shapes.

Expected values are read from raw/citrix-communication-ports.txt (line numbers given),
not from the reader's output.
"""

from __future__ import annotations

import pytest

from pipeline.page.readers.cells import classify, place
from pipeline.page.readers.text import is_heading, read_text, split_row
from pipeline.page.vocabulary import load

# (section heading, number of rows), counted by hand from the snapshot, in page order.
TABLES = [
    ("Citrix SDX", 10),
    ("Citrix ADC", 27),
    ("Citrix ADM", 20),
    ("Appliance Connector", 4),
    ("Connector Appliance avec Active Directory", 10),
    ("Cloud Connector", 4),
    ("Citrix DaaS", 12),
    ("Protocole Rendezvous et protocole EDT (HDX Enlightened Data Transport Protocol)", 1),
    ("Citrix Gateway", 17),
    ("Citrix Hypervisor", 15),
    ("Serveur de licences Citrix", 7),
    ("Citrix SD-WAN", 23),
    ("Citrix Virtual Apps and Desktops", 20),
    ("Service d’authentification fédérée", 3),
    ("Provisioning Services", 19),
    ("Serveur d’impression universelle", 2),
    ("Remote PC Access", 2),
    ("Enregistrement de session", 3),
    ("StoreFront", 9),
    ("Workspace Environment Management", 9),
]


def rows_by_line(page, line):
    return [r for t in page.tables for r in t.rows if r.line == line]


def only(page, line):
    rows = rows_by_line(page, line)
    assert len(rows) == 1, f"expected one row at line {line}, got {len(rows)}"
    return rows[0].cells, rows[0]


def test_tables_sections_and_row_counts(page):
    assert [(t.section.heading, len(t.rows)) for t in page.tables] == TABLES
    assert sum(len(t.rows) for t in page.tables) == 217


def test_two_note_rows_are_the_cloud_connector_proxy_notes(page):
    notes = [
        (r.line, r.cells["source"], r.cells["destination"])
        for t in page.tables
        for r in t.rows
        if not r.cells.get("type") and not r.cells.get("port")
    ]
    assert notes == [
        (101, "Cloud Connector", "Cloud Connector"),
        (104, "Cloud Connector", "Virtual Delivery Agent"),
    ]
    cells, _ = only(page, 104)
    assert cells["details"].startswith("Le Cloud Connector agit en tant que proxy")
    assert cells["details"].endswith(
        "Delivery Controller vers VDA dans la section Citrix "
        "Virtual Apps and Desktops doivent également être pris en compte."
    )


def test_every_row_is_its_source_line_with_merged_cells_from_above(page, snapshot_lines):
    """For all 217 rows: the cells not inherited are the line's cells, in order; the
    inherited ones are the row above's."""
    for table in page.tables:
        previous = None
        for row in table.rows:
            own = [row.cells[r] for r in table.roles if r not in row.inherited and row.cells[r]]
            if table.shape == "table":
                text = "\n".join(snapshot_lines[row.line - 1 : row.line + 1])
                pos = 0
                for cell in own:
                    found = " ".join(text.split()).find(cell, pos)
                    assert found >= 0, (row.line, cell)
                    pos = found + len(cell)
            for role in row.inherited:
                assert previous is not None and row.cells[role] == previous[role], (row.line, role)
            previous = row.cells


@pytest.mark.parametrize(
    "line, expected",
    [
        # line 9: "TCP | 22 | Accès SSH/SCP | ||" under SVM Citrix SDX
        (9, ("Poste de travail administrateur", "SVM Citrix SDX", "TCP", "22", "Accès SSH/SCP")),
        # line 13: ICMP row with no port
        (
            13,
            (
                "SVM Citrix SDX",
                "Instance Citrix ADC",
                "ICMP",
                "",
                "Utilisation du protocole ICMP pour vérifier la disponibilité des instances",
            ),
        ),
        # line 16: last row of the table, no padding
        (
            16,
            (
                "Citrix ADC NSIP",
                "SVM Citrix SDX",
                "ICMP",
                "",
                "Utilisation du protocole ICMP pour vérifier la disponibilité des instances",
            ),
        ),
        # line 21: new destination under a merged source
        (
            21,
            (
                "Citrix ADC NSIP",
                "Appliance Citrix ADC (pour haute disponibilité)",
                "UDP",
                "3003",
                "Échange de paquets bonjour pour communiquer l’état UP/DOWN (pulsations)",
            ),
        ),
        # line 41/42: application protocols in the Type column
        (
            41,
            (
                "Citrix ADC NSIP",
                "Citrix ADM",
                "SNMP",
                "161, 162",
                "Pour envoyer des événements/interruptions SNMP",
            ),
        ),
        (
            42,
            (
                "Citrix ADC NSIP",
                "Citrix ADM",
                "Syslog",
                "514",
                "Pour recevoir des messages syslog dans Citrix ADM",
            ),
        ),
        # line 111: port and details only: source, destination and type merged
        (
            111,
            (
                "Application Citrix Workspace",
                "Virtual Delivery Agent",
                "TCP, UDP",
                "2598",
                "Accès aux applications et aux bureaux virtuels par ICA/HDX avec fiabilité de "
                "session pour une connexion directe à la charge de travail qui contourne le "
                "service Citrix Gateway pour le trafic interne.",
            ),
        ),
        # line 105: destination after a note row inherits the source of the rows above
        (
            105,
            (
                "Cloud Connector",
                "Serveur de fichiers",
                "TCP",
                "139,445",
                "Accès au VDI agissant en tant que points de montage CSV du serveur de fichiers",
            ),
        ),
        # line 161: the odd type paired with two ports, kept as written
        (
            161,
            (
                "Citrix Hypervisor",
                "Contrôleur de domaine de service DNS",
                "TCP, UDP TCP",
                "53, 389",
                "Authentification utilisateur DNS lors de l’utilisation de l’intégration Active "
                "Directory (LDAP)",
            ),
        ),
        # line 167: a destination named like a protocol
        (
            167,
            (
                "Citrix Hypervisor",
                "Syslog",
                "TCP",
                "514",
                "Envoie des données à un emplacement central pour le classement",
            ),
        ),
        (169, ("Citrix Hypervisor", "Mise en cluster", "UDP", "5404, 5405", "")),
        # line 193/194: service names as destination, application protocol as type
        (
            193,
            (
                "SD-WAN Standard et Enterprise Edition",
                "RADIUS",
                "TCP",
                "1812",
                "Port par défaut pour le protocole d’authentification. Pour la communication "
                "entre SD-WAN SE/EE et le serveur d’authentification externe RADIUS.",
            ),
        ),
        (
            194,
            (
                "SD-WAN Standard et Enterprise Edition",
                "TACACS+",
                "TACACS",
                "49",
                "Port par défaut pour le protocole d’authentification. Pour la communication "
                "entre SD-WAN SE/EE et le serveur d’authentification externe TACACS.",
            ),
        ),
        (
            200,
            (
                "SD-WAN WANOP Edition",
                "SD-WAN WANOP Edition",
                "TCP",
                "S/O",
                "SD-WAN WO Edition optimise de manière transparente le trafic TCP entre deux "
                "sites. La destination source et le port d’origine restent inchangés dans tous "
                "les segments du réseau.",
            ),
        ),
        (
            209,
            (
                "Citrix Orchestrator sur site",
                "9.9.9.9",
                "UDP/TCP",
                "53",
                "Résolution DNS des domaines de services cloud pertinents",
            ),
        ),
        (
            212,
            (
                "Citrix Orchestrator sur site",
                "SD-WAN Standard et Enterprise Edition",
                "SSH",
                "22",
                "Communication entre Orchestrator sur site et les périphériques SD-WAN SE/EE",
            ),
        ),
        (
            220,
            (
                "Delivery Controller",
                "Virtual Delivery Agent",
                "TCP",
                "80 (bidirectionnel)",
                "Delivery Controller initie la connexion lors de la découverte d’applications "
                "locales ou pour la collecte d’informations sur les processus locaux, les données "
                "de performance, etc.",
            ),
        ),
        (
            230,
            (
                "Application Citrix Workspace",
                "Virtual Delivery Agent",
                "UDP",
                "16500..16509",
                "Ports pour UDP ICA/HDX audio",
            ),
        ),
        (
            262,
            (
                "Machine cible",
                "Serveur Provisioning Server",
                "UDP",
                "6969, 2071",
                "Seulement BDM : Boot en deux étapes (BDM). Utilisé dans le démarrage à partir de "
                "scénarios ISO ou USB uniquement.",
            ),
        ),
        (
            322,
            (
                "Service d’infrastructure",
                "Serveur de licences Citrix",
                "TCP",
                "7279",
                "Port utilisé par le composant Citrix dédié (démon) dans le serveur de licences "
                "Citrix pour valider les licences.",
            ),
        ),
    ],
)
def test_hard_rows(page, line, expected):
    cells, row = only(page, line)
    got = (cells["source"], cells["destination"], cells["type"], cells["port"], cells["details"])
    assert got == expected
    assert not row.problems


def test_port_cell_holding_a_sentence(page):
    cells, _ = only(page, 292)
    assert cells["source"] == "Serveur StoreFront"
    assert cells["destination"] == "Serveur StoreFront"
    assert cells["type"] == "TCP"
    assert cells["port"].startswith("Port non réservé sélectionné aléatoirement par service.")
    assert cells["details"].startswith("Utilisé pour les services peer-to-peer")


def test_rows_broken_after_a_url_cell_are_joined(page):
    table = page.tables[5]
    got = [
        (
            r.line,
            r.cells["source"],
            r.cells["destination"],
            r.cells["type"],
            r.cells["port"],
            r.cells["details"],
        )
        for r in table.rows
    ]
    assert got == [
        (
            88,
            "Cloud Connector",
            "http://*.digicert.com",
            "HTTP",
            "80",
            "Vérifications périodiques de la liste de révocation de certificats",
        ),
        (90, "Cloud Connector", "https://*.digicert.com", "HTTPS", "443", ""),
        (
            92,
            "Cloud Connector",
            "https://dl.cacerts.digicert.com/DigiCertAssuredIDRootCA.crt",
            "HTTPS",
            "443",
            "",
        ),
        (
            94,
            "Cloud Connector",
            "https://dl.cacerts.digicert.com/DigiCertSHA2AssuredIDCodeSigningCA.crt",
            "HTTPS",
            "443",
            "",
        ),
    ]


def test_service_tables_are_mapped_onto_the_same_columns(page):
    t4, t5 = page.tables[3], page.tables[4]
    assert t4.header == [
        "Service",
        "Port",
        "Protocoles de domaine pris en charge",
        "Détails de la configuration",
    ]
    assert t4.roles == ["destination", "port", "type", "details"]
    assert t5.roles == ["destination", "port", "type"]
    first = t4.rows[0].cells
    assert (first["destination"], first["port"], first["type"], first["details"]) == (
        "DNS",
        "53",
        "TCP/UDP",
        "Ce port doit être ouvert pour la configuration locale",
    )
    last = t5.rows[-1].cells
    assert (last["destination"], last["port"], last["type"]) == (
        "Ports RPC dynamiques",
        "49152–65535",
        "TCP",
    )


def test_flattened_adm_table(page):
    table = page.tables[2]
    assert table.shape == "flattened" and table.line == 50
    assert table.section.heading == "Citrix ADM"
    rows = [
        (r.cells["source"], r.cells["destination"], r.cells["type"], r.cells["port"])
        for r in table.rows
    ]
    # Read off line 50: "| | |" marks the empty (merged) Source and Destination cells.
    assert rows[:10] == [
        ("Citrix ADM", "Instance Citrix ADC NSIP ou Citrix SD-WAN", "TCP", "80, 443"),
        ("Citrix ADM", "Instance Citrix ADC NSIP ou Citrix SD-WAN", "TCP", "22"),
        ("Citrix ADM", "Instance Citrix ADC NSIP ou Citrix SD-WAN", "ICMP", "Aucun port réservé"),
        ("Citrix ADM", "Citrix ADM", "TCP", "22"),
        ("Citrix ADM", "Citrix ADM", "TCP", "5454"),
        ("Citrix ADM", "Utilisateurs", "TCP", "25"),
        ("Citrix ADM", "Serveur d’authentification externe LDAP", "TCP", "389, 636"),
        ("Citrix ADM", "Serveur NTP", "UDP", "123"),
        ("Citrix ADM", "Serveur d’authentification externe RADIUS", "RADIUS", "1812"),
        ("Citrix ADM", "Serveur d’authentification externe TACACS", "TACACS", "49"),
    ]
    assert rows[10:18] == [
        ("Instance Citrix ADC/CPX", "Serveur/agent de licences Citrix ADM", "TCP", "27000"),
        ("Instance Citrix ADC/CPX", "Serveur/agent de licences Citrix ADM", "TCP", "7279"),
        ("Instance Citrix ADC/CPX", "Citrix ADM", "UDP", "5005"),
        ("Instance Citrix ADC/CPX", "Citrix ADC SNIP", "TCP", "161"),
        ("Citrix ADC NSIP", "Citrix ADM", "UDP", "162"),
        ("Citrix ADC NSIP", "Citrix ADM", "UDP", "4739"),
        ("Citrix ADC NSIP", "Citrix ADM", "UDP", "514"),
        ("Citrix ADC SNIP", "Citrix ADM", "TCP", "5563"),
    ]
    # The damaged last rows: a protocol cell holding "Citrix ADM", then a row that lost a cell.
    assert rows[18] == ("Citrix ADC SNIP", "Citrix ADM", "Citrix ADM", "5557, 5558")
    assert table.rows[18].cells["details"].startswith("Pour les communications de type Logstream")
    assert table.rows[19].cells["destination"] == "Citrix ADM"
    assert table.rows[19].cells["port"] == "443 7443, 8443"
    assert any("damaged" in p for p in table.rows[19].problems)
    assert table.rows[0].cells["details"] == "Pour la communication NITRO"


def test_prose_is_kept_with_its_section_not_taken_for_headings(page):
    by_heading = {s.heading: s for s in page.sections}
    assert [n.text for n in by_heading["Citrix ADC"].notes][0] == "Remarque :"
    assert by_heading["Citrix ADC"].notes[1].text.startswith("selon la configuration Citrix ADC")
    adm = [n.line for n in by_heading["Citrix ADM"].notes]
    assert adm == [51, 52, 53]
    appliance = [n.text for n in by_heading["Appliance Connector"].notes]
    assert "Remarque : vous devez inclure" in appliance and "https://" in appliance
    assert (
        "Remote PC Access utilise les mêmes ports Virtual Delivery Agent que les bureaux "
        "virtuels ordinaires" in [n.text for n in by_heading["Remote PC Access"].notes]
    )
    headings = [s.heading for s in page.sections]
    assert (
        headings[0]
        == "Document technique : Ports de communication utilisés par Citrix Technologies"
    )
    assert "Citrix Cloud" in headings and "Citrix Endpoint Management" in headings
    assert headings[-1] == "Fichier CSV"


def test_no_line_of_the_snapshot_is_lost(page, snapshot_lines):
    used = {s.line for s in page.sections if s.heading}
    used |= {n.line for s in page.sections for n in s.notes}
    for t in page.tables:
        used |= {t.line, t.line + 1} if t.shape == "table" else {t.line}
        for r in t.rows:
            used |= set(range(r.line, r.line + r.raw.count("\n") + 1))
    missing = [i + 1 for i, line in enumerate(snapshot_lines) if line.strip() and i + 1 not in used]
    assert missing == []


# -- unit tests of single rules, on hand-written mini rows ------------------------------

ROLES = ["source", "destination", "type", "port", "details"]


@pytest.mark.parametrize(
    "cells, roles",
    [
        (["TCP", "22", "Accès SSH"], ("type", "port", "details")),
        (
            ["Serveur NTP", "UDP", "123", "Synchronisation de l’heure"],
            ("destination", "type", "port", "details"),
        ),
        (["443", "Accès"], ("port", "details")),
        (["ICMP", "Vérifier la disponibilité des instances de la plateforme"], ("type", "details")),
        (
            ["A", "B", "Une phrase qui renvoie vers les ports d’une autre section du document."],
            ("source", "destination", "details"),
        ),
        (["RADIUS", "UDP", "1812", "x"], ("destination", "type", "port", "details")),
    ],
)
def test_placement_by_content(cells, roles):
    assert place(cells, ROLES, True, load())[0].roles == roles


def test_first_row_of_a_table_cannot_inherit():
    page = read_text(
        "T\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        "TCP | 22 | SSH |\n",
        "mini.txt",
        "fr-fr",
    )
    row = page.tables[0].rows[0]
    # Nothing above to merge with: the cells cannot all fit, and the row says which.
    assert row.problems == [
        "'22' does not look like a destination",
        "the row names 'SSH' but has no Port (a page says 'no port' in "
        "words): a row broken in two?",
    ]


def test_too_many_cells_are_kept_and_flagged():
    page = read_text(
        "T\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        "A | B | TCP | 22 | SSH | extra | more |\n",
        "mini.txt",
        "fr-fr",
    )
    row = page.tables[0].rows[0]
    assert row.cells["details"] == "SSH | extra | more"
    assert any("more cells than the table's 5 columns" in p for p in row.problems)


def test_split_row_and_padding():
    assert split_row("TCP | 22 | Accès SSH/SCP | ||") == (["TCP", "22", "Accès SSH/SCP"], 2)
    assert split_row("ICMP | x |") == (["ICMP", "x"], 0)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("TCP, UDP", "protocol"),
        ("TACACS+", "protocol"),
        ("80, 443", "port"),
        ("16500..16509", "port"),
        ("S/O", "port"),
        ("https://*.digicert.com", "url"),
        ("Serveur NTP", "name"),
        ("Pour la communication NITRO entre les deux appareils.", "prose"),
    ],
)
def test_classify(text, kind):
    assert classify(text, load()) == kind


@pytest.mark.parametrize(
    "line, heading",
    [
        ("Citrix SDX", True),
        ("Connector Appliance avec Active Directory", True),
        ("Remarque :", False),
        ("Remarque : vous devez inclure", False),
        ("au début de l’adresse IP.", False),
        ("https://", False),
        (r"C:\Program Files\Citrix\Receiver StoreFront\x.config", False),
        ("Par exemple -", False),
    ],
)
def test_is_heading(line, heading):
    assert is_heading(line, load()) is heading


def test_a_line_over_the_cache_limit_is_split_alike_and_not_kept():
    """Split lines are kept for the next step of the reading, up to ``cached_line_chars``
    characters (the input limits): a longer line, such as a hostile page's, is split the
    same way each time and never kept."""
    from pipeline.page.readers import text

    long = "TCP | 22 | " + "x" * text.CACHED_LINE_CHARS + " | ||"
    text._split_row.cache_clear()
    assert split_row(long) == (["TCP", "22", "x" * text.CACHED_LINE_CHARS], 2)
    assert split_row("TCP | 22 | Accès SSH/SCP | ||") == (["TCP", "22", "Accès SSH/SCP"], 2)
    assert text._split_row.cache_info().currsize == 1  # the short line only
