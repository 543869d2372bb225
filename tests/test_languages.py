"""Pages in other languages: the beginnings of the Japanese and German pages in their
three forms, the locale recognised, never assumed; ditto marks; scripts written without
spaces; pages in languages the vocabulary lacks (Dutch, Traditional Chinese, Korean) read
by content.

Expected rows are read from tests/data/ja-jp/citrix-communication-ports.excerpt.md (a
copy of shared/sources/ja-jp: the page's own cell texts, merged cells as in the English
source of the same era) and tests/data/de-de/citrix-communication-ports.excerpt.md (the
title, introduction and first table of the German page, Citrix ADC era, as a stored text
copy of docs.citrix.com/de-de/tech-zone/build/tech-papers/citrix-communication-ports.html
shows them: the page's own cell texts, merged cells where that copy leaves cells out).
"""

from __future__ import annotations

import json

import pytest
from cli_args import build_args

from conftest import ENGLISH as EN
from conftest import ROOT
from make_forms import HEADER, html_to_text, markdown_to_html, translated
from pipeline.cli import main
from pipeline.page.detect import detect_locale, url_locale
from pipeline.page.readers.text import is_heading
from pipeline.page.vocabulary import load
from pipeline.stages.build import build

JA = ROOT / "tests" / "data" / "ja-jp" / "citrix-communication-ports.excerpt.md"
SDX, ADC = "Citrix SDX", "Citrix ADC"
ADMIN, SVM, NSIP = "管理ワークステーション", "Citrix SDX SVM", "Citrix ADC NSIP"
HA = "Citrix ADCアプライアンス(高可用性用)"

# (section, source, destination, protocol, service, port_start, port_end), read from the
# excerpt row by row
EXPECTED = sorted(
    [
        (SDX, ADMIN, "Citrix SDX ライトアウト管理", "tcp", "", 80, 80),
        (SDX, ADMIN, "Citrix SDX ライトアウト管理", "tcp", "", 443, 443),
        (SDX, ADMIN, SVM, "tcp", "", 80, 80),
        (SDX, ADMIN, SVM, "tcp", "", 443, 443),
        (SDX, ADMIN, SVM, "tcp", "", 22, 22),
        (SDX, ADMIN, "Citrix SDX Hypervisor", "tcp", "", 22, 22),
        (SDX, SVM, "Citrix ADC インスタンス", "tcp", "", 80, 80),
        (SDX, SVM, "Citrix ADC インスタンス", "tcp", "", 443, 443),
        (SDX, SVM, "Citrix ADC インスタンス", "tcp", "", 22, 22),
        (SDX, SVM, "Citrix ADC インスタンス", "icmp", "", None, None),
        (SDX, SVM, "NTPサーバ", "udp", "", 123, 123),
        (SDX, NSIP, SVM, "udp", "snmp", 161, 161),
        (SDX, NSIP, SVM, "udp", "snmp", 162, 162),
        (SDX, NSIP, SVM, "icmp", "", None, None),
        (ADC, NSIP, "クラスタセットアップ中のCitrix ADCアプライアンス", "udp", "", 7000, 7000),
        (ADC, NSIP, HA, "udp", "", 3003, 3003),
        (ADC, NSIP, HA, "tcp", "", 3008, 3008),
        (ADC, NSIP, HA, "tcp", "", 3009, 3009),
    ],
    key=str,
)


FORMS = {"markdown": "md", "html": "html", "text": "txt"}  # form -> file suffix


def page_in(form: str, md: str, base, lang: str = "", merged: tuple[str, ...] = ()):
    """The Markdown page ``md`` written under ``base`` in ``form``, its HTML and text made
    the way the real ones are (tests/make_forms.py); its path."""
    text = md
    if form != "markdown":
        text = markdown_to_html(md, lang=lang, merged=merged)
        text = text if form == "html" else html_to_text(text)
    path = base / f"page.{FORMS[form]}"
    path.write_text(text, "utf-8")
    return path


def three_forms(excerpt, lang: str, base) -> dict:
    """An excerpt built in its three forms: {form: (out dir, manifest)}."""
    md = excerpt.read_text("utf-8")
    return {
        form: (
            base / form,
            build(
                excerpt if form == "markdown" else page_in(form, md, base, lang), base / form
            ).manifest,
        )
        for form in FORMS
    }


def built_in_forms(md: str, base, forms: tuple[str, ...] = tuple(FORMS)) -> dict:
    """The Markdown page ``md`` built in each of ``forms`` (``page_in``): {form: out dir}."""
    outs = {}
    for form in forms:
        outs[form] = base / form
        build(page_in(form, md, base), outs[form])
    return outs


FLOW = ("section", "source", "destination", "protocol", "port_start", "port_end")


def read_flows(path) -> tuple[list[tuple], list[dict]]:
    """What the readers and the ports stage make of the page ``path``, without the rest of
    the build (ids, peers, validation, publishing): its flows (``FLOW``, sorted) and its
    rejects.  The tests of a reader's decision use it; whole builds stay where the outcome
    is the published data."""
    from pipeline.dataset.schema import frame_records
    from pipeline.stages.build import read_snapshot
    from pipeline.stages.errata import load_errata
    from pipeline.stages.ports import ports_frame
    from pipeline.stages.rules import rules_frame

    snap = read_snapshot(path, None, True)
    result = ports_frame(rules_frame(snap.page), load_errata(), snap.locale)
    rows = frame_records(result.ports)
    return sorted((tuple(r[c] for c in FLOW) for r in rows), key=str), frame_records(result.rejects)


def read_in_forms(md: str, base) -> dict[str, tuple[list[tuple], list[dict]]]:
    """The Markdown page ``md`` read in its three forms (``page_in``, ``read_flows``)."""
    out = {}
    for form in FORMS:
        (base / form).mkdir(exist_ok=True)
        out[form] = read_flows(page_in(form, md, base / form))
    return out


@pytest.fixture(scope="module")
def plain_flows(tmp_path_factory) -> list[tuple]:
    """The flows of the English page as the readers read it (``read_flows``)."""
    base = tmp_path_factory.mktemp("plain")
    return read_flows(page_in("markdown", EN.read_text("utf-8").replace("\r\n", "\n"), base))[0]


def flows(out, columns: tuple[str, ...] = FLOW, keep=lambda row: True) -> list[tuple]:
    """The ``columns`` of the rows of a build's ports (those ``keep`` keeps), sorted."""
    rows = json.loads((out / "ports.json").read_text("utf-8"))
    return sorted((tuple(r[c] for c in columns) for r in rows if keep(r)), key=str)


# -- German: the beginning of the German page --------------------------------------------

DE = ROOT / "tests" / "data" / "de-de" / "citrix-communication-ports.excerpt.md"
NSIP_DE, SNIP_DE, HA_DE = (
    "Citrix ADC NSIP",
    "Citrix ADC SNIP",
    "Citrix ADC Appliance (für hohe Verfügbarkeit)",
)
LOM_DE, IMI_DE = "ADC Lights-Out Management", "Integrierte Management-Schnittstelle"

# read from the excerpt row by row: "TCP, UDP" is two flows, "161, 162" two ports, SNMP
# and Syslog the application protocols of the vocabulary
EXPECTED_DE = sorted(
    [
        (ADC, NSIP_DE, "Citrix ADC Appliances bei der Clustereinrichtung", "udp", "", 7000, 7000),
        (ADC, NSIP_DE, HA_DE, "udp", "", 3003, 3003),
        (ADC, NSIP_DE, HA_DE, "tcp", "", 3008, 3008),
        (ADC, NSIP_DE, HA_DE, "tcp", "", 3009, 3009),
        (ADC, NSIP_DE, HA_DE, "tcp", "", 3010, 3010),
        (ADC, NSIP_DE, HA_DE, "tcp", "", 3011, 3011),
        (ADC, NSIP_DE, HA_DE, "udp", "", 162, 162),
        (ADC, NSIP_DE, HA_DE, "tcp", "", 22, 22),
        (ADC, NSIP_DE, "DNS-Server", "tcp", "", 53, 53),
        (ADC, NSIP_DE, "DNS-Server", "udp", "", 53, 53),
        (ADC, NSIP_DE, "Signatur-URL der Anwendungsfirewall", "tcp", "", 443, 443),
        (ADC, NSIP_DE, "URL der Bot-Management-Signatur", "tcp", "", 443, 443),
        (ADC, NSIP_DE, LOM_DE, "tcp", "", 4001, 4001),
        (ADC, NSIP_DE, LOM_DE, "tcp", "", 5900, 5900),
        (ADC, NSIP_DE, LOM_DE, "tcp", "", 623, 623),
        (ADC, NSIP_DE, IMI_DE, "tcp", "", 389, 389),
        (ADC, NSIP_DE, IMI_DE, "udp", "", 389, 389),
        (ADC, NSIP_DE, "Thales HSM", "tcp", "", 9004, 9004),
        (ADC, SNIP_DE, "Citrix ADM", "udp", "", 4739, 4739),
        (ADC, SNIP_DE, "Citrix ADM", "udp", "snmp", 161, 161),
        (ADC, SNIP_DE, "Citrix ADM", "udp", "snmp", 162, 162),
        (ADC, SNIP_DE, "Citrix ADM", "udp", "syslog", 514, 514),
        (ADC, SNIP_DE, "Citrix ADM", "tcp", "", 5557, 5557),
        (ADC, SNIP_DE, "Citrix ADM", "tcp", "", 5558, 5558),
    ],
    key=str,
)


# locale: (excerpt, lang attribute of its HTML, expected flows, tables, rules)
EXCERPTS = {"ja-jp": (JA, "ja", EXPECTED, 2, 14), "de-de": (DE, "de", EXPECTED_DE, 1, 18)}


@pytest.fixture(scope="module", params=sorted(EXCERPTS))
def excerpt(request, tmp_path_factory):
    """An excerpt of a page in another language built in its three forms:
    (locale, {form: (out dir, manifest)})."""
    path, lang = EXCERPTS[request.param][:2]
    return request.param, three_forms(path, lang, tmp_path_factory.mktemp(lang))


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
@pytest.mark.parametrize("form", ["markdown", "html", "text"])
def test_every_flow_of_an_excerpt_exactly_in_every_form(excerpt, form):
    locale, built_forms = excerpt
    _, _, expected, tables, rules = EXCERPTS[locale]
    out, manifest = built_forms[form]
    assert manifest["source"]["form"] == form
    assert manifest["source"]["locale"] == locale
    assert flows(out, FLOW[:4] + ("service",) + FLOW[4:]) == expected
    assert json.loads((out / "rejects.json").read_text("utf-8")) == []
    assert manifest["counts"]["tables"] == tables and manifest["counts"]["rules"] == rules
    assert manifest["counts"]["unknown_names"] == {"components": 0, "sections": 0}
    assert not any(
        "not in the vocabulary" in w for w in [said["message"] for said in manifest["warnings"]]
    )


def test_the_three_forms_give_the_same_rules(excerpt):
    cols = (
        "section",
        "source",
        "destination",
        "type_raw",
        "port_raw",
        "details",
        "kind",
        "source_inherited",
        "destination_inherited",
        "type_inherited",
        "problems",
    )
    rules = {
        f: [tuple(r[c] for c in cols) for r in json.loads((out / "rules.json").read_text("utf-8"))]
        for f, (out, _) in excerpt[1].items()
    }
    assert rules["html"] == rules["markdown"] == rules["text"]


def test_the_german_page_and_the_english_source_name_the_same_components(english, tmp_path):
    """One identity across languages: the German rows are the English source's flows,
    component for component, except where the German page (a later version) moved the
    Citrix ADM flows from the NSIP (en:32-35) to the SNIP."""
    from pipeline.dataset.published import read
    from pipeline.registry.compare_pages import compare

    de = tmp_path / "de"
    build(DE, de)
    result = compare(read(english, "ports").rows, read(de, "ports").rows, "en", "de")
    assert not result.disagree and not result.reversed
    # the eight destinations of the NSIP rows (de:11-24), each the English row's
    assert result.shared == 8
    (only_de,) = result.only_right
    assert (only_de.source, only_de.destination) == (SNIP_DE, "Citrix ADM")
    assert only_de.key == ("netscaler", "netscaler-snip", "netscaler-console")
    moved = [f for f in result.only_left if f.key[1:] == ("netscaler-nsip", "netscaler-console")]
    assert [f.lines for f in moved] == [{32, 33, 34, 35}]


@pytest.mark.parametrize(
    "text, url, locale",
    [
        ('<!DOCTYPE html><html lang="ja-JP"><body>x</body></html>', None, "ja-jp"),
        ('<html lang="de"><body>Quelle | Ziel</body></html>', None, "de-de"),
        ("Source | Destination | Type | Port | Détails |", None, "fr-fr"),
        ("接続元 | 接続先 | 種類 | ポート | 詳細 |", None, "ja-jp"),
        ("Bron | Doel | Soort | Poort | Details |", None, "en-us"),  # "Details" is English too
        ("Bron | Doel | Soort | Poort | Omschrijving |", None, "und"),
        # Polish writes Typ and Port as German does, Traditional Chinese 種類 and 詳細 as
        # Japanese does: words two languages write tell neither
        ("Źródło | Miejsce docelowe | Typ | Port | Szczegóły |", None, "und"),
        # N/A, which pages in many languages leave untranslated, tells no locale
        (
            "Origine | Destinazione | Protocollo | Porta | Dettagli |\nA | B | ICMP | N/A | x |",
            None,
            "und",
        ),
        ("來源 | 目的地 | 種類 | 連接埠 | 詳細 |", None, "und"),
        ("no marker", "https://docs.citrix.com/ko-kr/tech-zone/x.html", "ko-kr"),
        # Simplified Chinese (Citrix's zh-cn header words), and a header in Traditional Chinese
        # that shares 目的地 with it: not taken for Simplified Chinese
        ("来源 | 目的地 | 类型 | 端口 | 描述 |", None, "zh-cn"),
        ("來源 | 目的地 | 類型 | 連接埠 | 描述 |", None, "und"),
        ("no marker", "https://docs.citrix.com/zh-tw/tech-zone/x.html", "zh-tw"),
        # Korean: 유형 and 설명, the words of Citrix's Korean tables
        ("원본 | 대상 | 유형 | 포트 | 설명 |", None, "ko-kr"),
    ],
)
def test_the_locale_is_recognised_never_assumed(text, url, locale):
    assert detect_locale(text, url=url) == locale


@pytest.mark.parametrize(
    "url, locale",
    [
        ("https://docs.citrix.com/ja-jp/tech-zone/build/p.html", "ja-jp"),
        # country then language, as docs.citrix.com addresses its newer pages
        ("https://docs.citrix.com/jp/ja/citrix-daas/sdk-api.html", "ja-jp"),
        ("https://docs.citrix.com/br/pt/citrix-daas/sdk-api.html", "pt-br"),
        ("https://docs.citrix.com/es/es/citrix-virtual-apps-desktops/2311/x.html", "es-es"),
        ("https://docs.citrix.com/tech-zone/build/tech-papers/p.html", None),
        ("https://docs.citrix.com/x/en/tech-zone/p.html", None),  # 'x' is no country
    ],
)
def test_the_locale_a_url_names(url, locale):
    assert url_locale(url) == locale


def test_any_language_tag_sets_the_locale_and_nothing_else_does(tmp_path, capsys):
    """--locale ko-kr: a locale the vocabulary has no words of is a locale still; a value
    that is no language tag is refused before anything is read."""
    page = tmp_path / "p.md"
    page.write_text(translated(EN.read_text("utf-8"), UNKNOWN["ko"]), "utf-8")
    assert main(build_args(str(page), str(tmp_path / "b"), "--locale", "ko-KR")) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text("utf-8"))
    assert manifest["source"]["locale"] == "ko-kr"
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(build_args(str(page), str(tmp_path / "c"), "--locale", "korean please"))
    assert exit_.value.code == 2
    assert "not a language tag" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    "line, heading",
    [
        ("Citrix SDX", True),
        ("管理ワークステーション", True),
        ("展開と要件によっては、すべてのポートを開く必要はありません。", False),
        ("詳細については、次を参照してください：", False),
        # a note marker alone on its line, as Citrix's German, Spanish and Italian pages write
        # it (vocabulary.toml, [prose]): prose, never a section of its own
        ("Hinweis", False),
        ("Nota", False),
        ("Remarque", False),
        ("중요", False),
    ],
)
def test_headings_in_scripts_without_capitals(line, heading):
    assert is_heading(line, load()) is heading


DITTO_MARKS = ["〃", "-", "—", '"', "idem", "Ditto"]


@pytest.mark.slow  # whole pages built in every form
def test_ditto_marks_read_as_merged_in_every_form(tmp_path):
    # at the end of a page as long as a real one (trafilatura renders a very short page
    # otherwise: no pipes, or twice); a section of its own for each mark
    page = EN.read_text("utf-8")
    md = page.replace("\r\n", "\n") + "".join(
        f"\n## Ditto test {n}\n\n"
        "| Source | Destination | Type | Port | Details |\n|---|---|---|---|---|\n"
        "| Admin host | Server B | TCP | 80 | web access |\n"
        f"| {mark} | Server C | TCP | 81 | other access |\n"
        for n, mark in enumerate(DITTO_MARKS)
    )
    for form in FORMS:
        build(page_in(form, md, tmp_path, lang="en"), tmp_path / form)
        for n, mark in enumerate(DITTO_MARKS):
            assert flows(
                tmp_path / form,
                ("source", "destination", "port_start"),
                keep=lambda r, n=n: r["section"] == f"Ditto test {n}",
            ) == [("Admin host", "Server B", 80), ("Admin host", "Server C", 81)], (form, mark)


def test_a_name_of_punctuation_alone_never_reaches_ports(tmp_path):
    md = (
        "## S\n\n| Source | Destination | Type | Port | Details |\n|---|---|---|---|---|\n"
        "| A | ??? | TCP | 80 | web |\n| A | B | TCP | 81 | ok |\n"
    )
    (tmp_path / "p.md").write_text(md, "utf-8")
    build(tmp_path / "p.md", tmp_path / "out")
    rows = json.loads((tmp_path / "out" / "ports.json").read_text("utf-8"))
    assert [r["destination"] for r in rows] == ["B"]
    rejects = json.loads((tmp_path / "out" / "rejects.json").read_text("utf-8"))
    assert rejects[0]["reason"] == "the destination '???' is only punctuation, not a name"
    assert rejects[0]["source_line"] == 5


# -- languages the vocabulary has (almost) no word of -------------------------------------

# The English source's header, no-port and both-ways words translated by this test (not
# the site's words, which no vocabulary holds for these languages): a Latin script, a
# script written without spaces, Cyrillic, Spanish and Hangul.  Only 目的地 (Citrix's
# Simplified Chinese writes it too), Destino and Tipo, and the Korean 유형 and 설명
# (attested in Citrix's pages, see vocabulary.toml) are header words the vocabulary
# knows: headers partly known.
UNKNOWN = {
    "nl": {
        "Source": "Bron",
        "Destination": "Doel",
        "Type": "Soort",
        "Port": "Poort",
        "Details": "Omschrijving",
        "N/A": "n.v.t.",
        "No reserved port": "Geen vaste poort",
        "Bidirectional": "Bidirectioneel",
    },
    "zh-tw": {
        "Source": "來源",
        "Destination": "目的地",
        "Type": "類型",
        "Port": "連接埠",
        "Details": "詳細資料",
        "N/A": "不適用",
        "No reserved port": "無保留連接埠",
        "Bidirectional": "雙向",
    },
    "ru": {
        "Source": "Источник",
        "Destination": "Назначение",
        "Type": "Тип",
        "Port": "Порт",
        "Details": "Подробности",
        "N/A": "Н/Д",
        "No reserved port": "Нет выделенного порта",
        "Bidirectional": "двунаправленный",
    },
    # Polish: its Typ and Port are German header words too, never a German page
    "pl": {
        "Source": "Źródło",
        "Destination": "Miejsce docelowe",
        "Type": "Typ",
        "Port": "Port",
        "Details": "Szczegóły",
        "N/A": "N/D",
        "No reserved port": "Brak zarezerwowanego portu",
        "Bidirectional": "dwukierunkowy",
    },
    # Spanish: Tipo is attested (Citrix's es-es tables), Destino is Portuguese too
    "es": {
        "Source": "Origen",
        "Destination": "Destino",
        "Type": "Tipo",
        "Port": "Puerto",
        "Details": "Detalles",
        "N/A": "N/D",
        "No reserved port": "Sin puerto reservado",
        "Bidirectional": "bidireccional",
    },
    "ko": {
        "Source": "원본",
        "Destination": "대상",
        "Type": "유형",
        "Port": "포트",
        "Details": "설명",
        "N/A": "해당 없음",
        "No reserved port": "예약된 포트 없음",
        "Bidirectional": "양방향",
    },
}
# the locale the page's words tell: none, but for Korean, whose 유형 and 설명 are markers
LOCALE_OF = {"ko": "ko-kr"}


@pytest.fixture(scope="module")
def english(english_built):
    return english_built


@pytest.fixture(scope="module", params=sorted(UNKNOWN))
def unknown(request, tmp_path_factory):
    """The English source in a language the vocabulary lacks, built in its three forms:
    (language, {form: (out dir, manifest)})."""
    words = UNKNOWN[request.param]
    base = tmp_path_factory.mktemp(request.param)
    md = translated(EN.read_text("utf-8"), words)
    assert f"| {words['Source']} " in md and f"({words['Bidirectional']})" in md
    merged = (words["Source"], words["Destination"])
    return request.param, {
        f: (base / f, build(page_in(f, md, base, merged=merged), base / f).manifest) for f in FORMS
    }


@pytest.mark.slow  # whole pages built in every form
@pytest.mark.parametrize("form", ["markdown", "html", "text"])
def test_a_page_in_an_unknown_language_is_read_by_content(english, unknown, form):
    language, out = unknown
    words = UNKNOWN[language]
    folder, manifest = out[form]
    assert manifest["source"]["locale"] == LOCALE_OF.get(language, "und")
    vocab = load()
    not_known = [words[h] for h in HEADER if vocab.role_of_header(words[h]) is None]
    assert len(not_known) >= 3
    said = [
        w
        for w in [said["message"] for said in manifest["warnings"]]
        if "are not in the vocabulary" in w
    ]
    assert len(said) == 1 and ", 16 tables (lines " in said[0], said  # one warning for all
    assert all(f"'{w}'" in said[0] for w in not_known), [
        said["message"] for said in manifest["warnings"]
    ]
    assert manifest["counts"]["tables"] == 16
    rejects = json.loads((folder / "rejects.json").read_text("utf-8"))
    # The two rows whose Port cell says "80 (Bidirectional)" in the language: a word no
    # vocabulary gives the meaning of, so they are rejected, located, never guessed; every
    # other flow is exactly the English page's.
    assert sorted(r["port_raw"] for r in rejects) == [f"80 ({words['Bidirectional']})"] * 2
    assert all(
        f"'({words['Bidirectional']})', words the vocabulary does not know" in r["reason"]
        for r in rejects
    )
    assert len(flows(english, keep=lambda r: r["bidirectional"])) == 2
    assert flows(folder) == flows(english, keep=lambda r: not r["bidirectional"])
    assert all(r["reason"] and r["source_line"] for r in rejects)


def test_a_merged_cell_counts_once_when_columns_are_told_by_content(tmp_path):
    """HTML: a long Source merged over four rows is one cell of prose among two names, as
    in the Markdown source, not four; the Source column is still told by its names."""
    long = "Target Device (outbound communication on ports 6901, 6902 and 6905 from 6.0)"
    html = (
        "<html><body><h2>S</h2><table><tr><th>Bron</th><th>Doel</th><th>Soort</th>"
        "<th>Poort</th><th>Omschrijving</th></tr>"
        "<tr><td>Server A</td><td>B</td><td>TCP</td><td>80</td><td>web</td></tr>"
        f"<tr><td rowspan='4'>{long}</td><td>C</td><td>UDP</td><td>67</td><td>x</td></tr>"
        + "".join(
            f"<tr><td>D{i}</td><td>UDP</td><td>{69 + i}</td><td>y</td></tr>" for i in range(3)
        )
        + "<tr><td>Admin</td><td>E</td><td>TCP</td><td>443</td><td>z</td></tr>"
        "</table></body></html>"
    )
    (tmp_path / "p.html").write_text(html, "utf-8")
    build(tmp_path / "p.html", tmp_path / "out")
    rows = json.loads((tmp_path / "out" / "ports.json").read_text("utf-8"))
    assert [(r["source"], r["destination"], r["port_start"]) for r in rows] == [
        ("Server A", "B", 80),
        (long, "C", 67),
        (long, "D0", 69),
        (long, "D1", 70),
        (long, "D2", 71),
        ("Admin", "E", 443),
    ]


def test_two_port_like_columns_are_refused_not_guessed(tmp_path):
    md = (
        "## S\n\n| Bron | Doel | Poort A | Poort B | Omschrijving |\n|---|---|---|---|---|\n"
        "| A | B | 80 | 443 | x |\n| C | D | 53 | 389 | y |\n"
    )
    (tmp_path / "p.md").write_text(md, "utf-8")
    with pytest.raises(Exception) as err:
        build(tmp_path / "p.md", tmp_path / "out")
    assert "p.md:3" in str(err.value) and "cannot be told apart" in str(err.value)


# -- a header partly known: its known words keep their roles, the unknown one by content --

# German with "Protokoll" where the page writes "Typ": a word no Citrix page attests
PARTLY_KNOWN = {
    "Source": "Quelle",
    "Destination": "Ziel",
    "Type": "Protokoll",
    "Port": "Port",
    "Details": "Details",
}


@pytest.mark.parametrize("form", ["markdown", "html", "text"])
def test_a_header_partly_known_is_read_by_its_words_and_the_rest_by_content(
    english, tmp_path, form
):
    """Quelle, Ziel, Port and Details are vocabulary; 'Protokoll' is not, so its column is
    recognised by what it holds, with a warning naming it; every flow is the English
    page's, in every form."""
    md = translated(EN.read_text("utf-8"), PARTLY_KNOWN)
    assert "| Quelle " in md and "| Protokoll " in md
    manifest = build(page_in(form, md, tmp_path), tmp_path / "de").manifest
    assert manifest["source"]["locale"] == "de-de"
    assert any(
        "'Protokoll'" in w and "not in the vocabulary" in w and "Protokoll = type" in w
        for w in [said["message"] for said in manifest["warnings"]]
    ), [said["message"] for said in manifest["warnings"]]
    assert not any(
        "'Quelle'" in w or "'Port'" in w for w in [said["message"] for said in manifest["warnings"]]
    )
    assert flows(tmp_path / "de") == flows(english)


# Header words attested in Citrix's other translated port tables (see vocabulary.toml):
# the English source with them as its header is read by its words alone, every form.
ATTESTED_HEADERS = {
    "ja-jp": {
        "Source": "送信元",
        "Destination": "送信先",
        "Type": "プロトコル",
        "Port": "ポート",
        "Details": "説明",
    },
    "pt-br": {
        "Source": "Origem",
        "Destination": "Destino",
        "Type": "Protocolo",
        "Port": "Porta",
        "Details": "Descrição",
    },
    # タイプ and Tipo: Citrix's Japanese and Brazilian Portuguese for the key "type"
    "ja-jp-タイプ": {
        "Source": "送信元",
        "Destination": "送信先",
        "Type": "タイプ",
        "Port": "ポート",
        "Details": "説明",
    },
    "pt-br-tipo": {
        "Source": "Origem",
        "Destination": "Destino",
        "Type": "Tipo",
        "Port": "Porta",
        "Details": "Descrição",
    },
}


@pytest.mark.slow  # whole pages built in every form
@pytest.mark.parametrize("form", ["markdown", "html", "text"])
@pytest.mark.parametrize("locale", sorted(ATTESTED_HEADERS))
def test_attested_header_words_are_read_without_guessing(english, tmp_path, locale, form):
    words = ATTESTED_HEADERS[locale]
    md = translated(EN.read_text("utf-8"), words)
    assert f"| {words['Type']} " in md
    page = page_in(form, md, tmp_path, merged=(words["Source"], words["Destination"]))
    manifest = build(page, tmp_path / "out").manifest
    assert manifest["source"]["locale"] == locale[:5]
    assert not any(
        "not in the vocabulary" in w for w in [said["message"] for said in manifest["warnings"]]
    ), [said["message"] for said in manifest["warnings"]]
    assert flows(tmp_path / "out") == flows(english)


@pytest.mark.slow  # the whole English page built in two forms
def test_a_caption_row_above_each_table_s_header_changes_no_flow(english_built, tmp_path):
    """A site that puts a caption row (``<th colspan>``) above each table's header: the
    HTML, and its text rendering by trafilatura (the caption becomes a one-cell line over
    the separator, the header the line under it), read every flow the page has, and the
    caption as prose."""
    md = EN.read_text("utf-8").replace("\r\n", "\n")
    html = markdown_to_html(md).replace(
        "<thead>\n", '<thead>\n<tr>\n<th colspan="5">Ports of this product</th>\n</tr>\n'
    )
    assert html.count("Ports of this product") == 16
    pages = {"html": html, "text": html_to_text(html)}
    for name, text in pages.items():
        (tmp_path / f"page.{FORMS[name]}").write_text(text, "utf-8")
        out = tmp_path / name
        build(tmp_path / f"page.{FORMS[name]}", out)
        assert flows(out) == flows(english_built), name
        sections = json.loads((out / "sections.json").read_text("utf-8"))["sections"]
        assert any(n["text"] == "Ports of this product" for s in sections for n in s["notes"])


@pytest.mark.slow  # the whole English page built in three forms
def test_a_footnote_mark_after_a_port_is_never_one_of_its_digits(plain_flows, tmp_path):
    """``1494<sup>1</sup>`` (a footnote mark) in the Markdown source, the HTML the site
    serves and its text rendering (``fetch --form text``): in every form the row is
    rejected, saying why, and no port 14941 is published; the other flows are the page's."""
    md = EN.read_text("utf-8").replace("\r\n", "\n")
    assert md.count("| 1494 ") >= 1
    marked = md.replace("| 1494 ", "| 1494<sup>1</sup> ", 1)
    for name, (got, rejects) in read_in_forms(marked, tmp_path).items():
        assert not any(14941 in (f[4], f[5]) for f in got), name
        assert set(got) < set(plain_flows), name  # only the marked row's flows are missing
        assert [r["port_raw"] for r in rejects] == ["1494¹"], (name, rejects)
        assert "a superscript or other number sign" in rejects[0]["reason"], name


@pytest.mark.slow  # the whole English page built in three forms
def test_a_struck_out_port_is_never_opened(plain_flows, tmp_path):
    """``1494, <del>1495</del>`` (a port the page strikes out) in the Markdown source, the
    HTML the site serves and its text rendering (``fetch --form text``, where trafilatura
    would drop the struck element and the rest of its cell): in every form the row is
    rejected, naming what it strikes, and port 1495 is never published."""
    md = EN.read_text("utf-8").replace("\r\n", "\n")
    marked = md.replace("| 1494 ", "| 1494, <del>1495</del> ", 1)
    assert marked != md
    for name, (got, rejects) in read_in_forms(marked, tmp_path).items():
        assert not any(1495 in (f[4], f[5]) for f in got), name
        assert set(got) < set(plain_flows), name
        assert len(rejects) == 1 and "strikes out '1495'" in rejects[0]["reason"], (name, rejects)


@pytest.mark.slow  # the whole English page built in three forms
@pytest.mark.parametrize(
    "hiding", ["<span hidden>, 22</span>", '<span style="display: none">, 22</span>']
)
def test_what_no_reader_sees_is_never_opened(plain_flows, tmp_path, hiding):
    """A port hidden in a cell (the ``hidden`` attribute, an inline ``display: none``), in
    the Markdown source as raw HTML, the HTML the site serves and its text rendering
    (trafilatura keeps a ``hidden`` element's text): every form reads the page as a
    reader sees it: every flow as on the plain page, none it lacks (1494 and 22 are not
    paired)."""
    md = EN.read_text("utf-8").replace("\r\n", "\n")
    marked = md.replace("| 1494 ", f"| 1494{hiding} ", 1)
    assert marked != md
    for name, (got, _) in read_in_forms(marked, tmp_path).items():
        assert got == plain_flows, name


HIDDEN_AS_A_BROWSER_HIDES = [
    "<span hidden><span>x</span>, 22</span>",  # nesting: a pattern stopped at the inner close
    "<span style='font-family:\"A\"; display:none'>, 22</span>",  # a quoted style value
    '<span title="a>b" hidden>, 22</span>',  # a ">" in an attribute value
    '<span style="visibility: collapse">, 22</span>',
    "<details><summary></summary>, 22</details>",  # a closed <details>: its summary only
    "<dialog>, 22</dialog>",  # a <dialog> without open
    '<SPAN HIDDEN="">, 22</SPAN>',  # names in capitals
    '<span style="display:/* x */none">, 22</span>',  # a CSS comment
]


@pytest.mark.slow  # the whole English page built in three forms
@pytest.mark.parametrize("hiding", HIDDEN_AS_A_BROWSER_HIDES)
def test_what_a_browser_hides_is_never_opened_in_any_form(plain_flows, tmp_path, hiding):
    """Markup a browser understands hides ``, 22`` after port 3008 (the Citrix ADC high
    availability row), in the Markdown source, the HTML the site serves and its text
    rendering: every form reads the page as a browser shows it, port 22 is never paired
    with that row."""
    md = EN.read_text("utf-8").replace("\r\n", "\n")
    marked = md.replace("| 3008 ", f"| 3008{hiding} ", 1)
    assert marked != md
    for name, (got, _) in read_in_forms(marked, tmp_path).items():
        assert got == plain_flows, name


@pytest.mark.slow  # the whole English page built in three forms
@pytest.mark.parametrize(
    "shown_as_1494",
    [
        '<bdo dir="rtl">4941</bdo>',  # shows 1494, written 4941
        '<span style="unicode-bidi: bidi-override; direction: rtl">4941</span>',
        "1৪94",  # a Bengali four (it looks like an eight) among ASCII digits
        "1494\u202e",  # a bidi control character
    ],
)
def test_a_port_reordered_or_of_mixed_scripts_is_rejected(plain_flows, tmp_path, shown_as_1494):
    """A Port cell whose digits a reader sees in another order, or from two scripts: in
    every form the row is rejected, saying why, and no port it could mean is opened."""
    md = EN.read_text("utf-8").replace("\r\n", "\n")
    marked = md.replace("| 1494 ", f"| {shown_as_1494} ", 1)
    assert marked != md
    for name, (got, rejects) in read_in_forms(marked, tmp_path).items():
        assert set(got) < set(plain_flows), name  # only the marked row's flows are missing
        assert not any(4941 in (f[4], f[5]) for f in got), name
        assert len(rejects) == 1 and rejects[0]["reason"], (name, rejects)
