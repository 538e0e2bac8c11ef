"""German, French (and a few Spanish, Italian, Dutch) job titles with the default title map."""

from __future__ import annotations

import polars as pl
import pytest

from leadq.title_taxonomy import DEFAULT_TITLE_MAP
from leadq.titles import department_expr, merge_title_maps, normalise_title_expr, seniority_expr, title_map_from_dict

# title -> (seniority, department); None = no match.
CASES: dict[str, tuple[str | None, str | None]] = {
    # --- German general management: c_level
    "Geschäftsführer": ("c_level", "executive"),
    "Geschäftsführerin": ("c_level", "executive"),
    "GESCHÄFTSFÜHRER": ("c_level", "executive"),
    "Geschaeftsfuehrer": ("c_level", "executive"),
    "Geschaftsfuhrerin": ("c_level", "executive"),
    "Geschäftsführender Gesellschafter": ("c_level", "executive"),
    "Geschäftsführer Vertrieb": ("c_level", "sales"),
    "Technischer Geschäftsführer": ("c_level", "engineering"),
    "Geschäftsleitung": ("c_level", "executive"),
    "Mitglied der Geschäftsleitung": ("c_level", "executive"),
    "Geschäftsleiter": ("c_level", "executive"),
    "Inhaber": ("c_level", "executive"),
    "Inhaberin": ("c_level", "executive"),
    "Inhaber & Geschäftsführer": ("c_level", "executive"),
    "Gründer": ("c_level", "executive"),
    "Gründerin": ("c_level", "executive"),
    "Gruender & CEO": ("c_level", "executive"),
    "Mitgründer": ("c_level", "executive"),
    "Vorstand": ("c_level", "executive"),
    "Vorstand Finanzen": ("c_level", "finance"),
    "Vorstandsvorsitzender": ("c_level", "executive"),
    "Mitglied des Vorstands": ("c_level", "executive"),
    # --- German leads: director, team level manager
    "Prokurist": ("director", None),
    "Leiter": ("director", None),
    "Leiterin Marketing": ("director", "marketing"),
    "Leiter Vertrieb": ("director", "sales"),
    "Leitung Personal": ("director", "hr"),
    "Leiter IT": ("director", "it"),
    "IT-Leiter": ("director", "it"),
    "Leiterin Buchhaltung": ("director", "finance"),
    "Leiter Finanzen": ("director", "finance"),
    "Vertriebsleiter": ("director", "sales"),
    "Verkaufsleiterin": ("director", "sales"),
    "Marketingleiterin": ("director", "marketing"),
    "Abteilungsleiter": ("director", None),
    "Abteilungsleiter Einkauf": ("director", "procurement"),
    "Bereichsleiterin Personal": ("director", "hr"),
    "Personalleiter": ("director", "hr"),
    "Teamleiter": ("manager", None),
    "Teamleiterin": ("manager", None),
    "Team-Leiter Vertrieb": ("manager", "sales"),
    "Teamleiterin Kundenservice": ("manager", "customer_success"),
    "Gruppenleiter": ("manager", None),
    "Projektleiter IT": ("manager", "it"),
    # --- French
    "PDG": ("c_level", "executive"),
    "DG": ("c_level", "executive"),
    "Président-Directeur Général (PDG)": ("c_level", "executive"),
    "PRESIDENT DIRECTEUR GENERAL": ("c_level", "executive"),
    "Directeur général": ("c_level", "executive"),
    "Directrice générale": ("c_level", "executive"),
    "directrice generale": ("c_level", "executive"),
    "Directeur Général Adjoint": ("c_level", "executive"),
    "Gérant": ("c_level", "executive"),
    "Gérante": ("c_level", "executive"),
    "Gerant": ("c_level", "executive"),
    "Président": ("c_level", "executive"),
    "Présidente": ("c_level", "executive"),
    "PRÉSIDENT": ("c_level", "executive"),
    "President": ("c_level", "executive"),
    "Fondatrice": ("c_level", "executive"),
    "Vice-président": ("vp", None),
    "Vice-Présidente Ventes": ("vp", "sales"),
    "Vice President": ("vp", None),
    "Directeur": ("director", None),
    "Directrice": ("director", None),
    "Directeur Commercial": ("director", "sales"),
    "Directrice Marketing": ("director", "marketing"),
    "Directeur des Ressources Humaines": ("director", "hr"),
    "DRH": ("director", "hr"),
    "Directeur Financier": ("director", "finance"),
    "Directeur Informatique": ("director", "it"),
    "Directeur des Achats": ("director", "procurement"),
    "Responsable Marketing": ("manager", "marketing"),
    "Responsable RH": ("manager", "hr"),
    "Responsable informatique": ("manager", "it"),
    "Chef des ventes": ("manager", "sales"),
    "Chef de projet": ("manager", None),
    "Chargé de recrutement": ("ic", "hr"),
    "Comptable": ("ic", "finance"),
    "Acheteuse": ("ic", "procurement"),
    "Ingénieur commercial": ("ic", "sales"),
    # --- students and interns
    "Werkstudent": ("intern_student", None),
    "Werkstudentin Marketing": ("intern_student", "marketing"),
    "Werkstudent Vertrieb": ("intern_student", "sales"),
    "Azubi": ("intern_student", None),
    "Auszubildende": ("intern_student", None),
    "Auszubildender Industriekaufmann": ("intern_student", None),
    "Praktikant": ("intern_student", None),
    "Praktikantin Einkauf": ("intern_student", "procurement"),
    "Alternant": ("intern_student", None),
    "Alternante RH": ("intern_student", "hr"),
    "Chargée de marketing en alternance": ("intern_student", "marketing"),
    "Stagiaire": ("intern_student", None),
    "Stagiaire Comptabilité": ("intern_student", "finance"),
    # --- departments alone, and German individual contributors
    "Vertrieb": (None, "sales"),
    "Verkauf": (None, "sales"),
    "Ventes": (None, "sales"),
    "Commercial": (None, "sales"),
    "Einkauf": (None, "procurement"),
    "Achats": (None, "procurement"),
    "Personal": (None, "hr"),
    "RH": (None, "hr"),
    "Ressources Humaines": (None, "hr"),
    "Informatique": (None, "it"),
    "Finanzen": (None, "finance"),
    "Finance": (None, "finance"),
    "Comptabilité": (None, "finance"),
    "Buchhaltung": (None, "finance"),
    "Controlling": (None, "finance"),
    "Vertriebsmitarbeiter": ("ic", "sales"),
    "Personalreferentin": ("ic", "hr"),
    "Einkäufer": ("ic", "procurement"),
    "Buchhalterin": ("ic", "finance"),
    "Softwareentwickler": ("ic", "engineering"),
    # --- Spanish, Italian, Dutch basics
    "Director General": ("c_level", "executive"),
    "Directora General de Ventas": ("c_level", "sales"),
    "Gerente": ("manager", None),
    "Gerente General": ("director", "executive"),
    "Amministratore Delegato": ("c_level", "executive"),
    "Direttore Commerciale": ("director", "sales"),
    "Algemeen Directeur": ("c_level", "executive"),
    "Directeur Verkoop": ("director", "sales"),
    # --- false-positive guards
    "Begleiter": (None, None),  # companion, not a lead
    "Halbleiter-Ingenieur": ("ic", None),  # semiconductor engineer
    "Leiterplattendesigner": (None, None),  # PCB designer
    "Leiter Ausbildung": ("director", None),  # head of training, not a trainee
    "Assistenz der Geschäftsführung": ("ic", None),  # reports to the management
    "Assistentin der Geschäftsleitung": ("ic", None),
    "Assistenz Geschäftsführung": ("ic", None),
    "Sekretärin des Vorstands": ("ic", None),
    "Assistant de direction": ("ic", None),
    "Assistante commerciale": ("ic", "sales"),
    "Personal Assistant": ("ic", None),  # English "personal", not HR
    "Personal Trainer": (None, None),
    "Director, General Counsel": ("director", None),  # not "Director General"
    "DGX Platform Engineer": ("ic", "engineering"),  # "dg" only as a word
    "Edge Designer": ("ic", None),
    "RHEL Administrator": ("ic", None),  # "rh" only as a word
    "Product Owner": ("ic", "product"),
    "Assistant Director": ("director", None),
}


def _classify(titles: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"title": titles}, schema={"title": pl.String}).with_columns(
        seniority=seniority_expr(pl.col("title")), department=department_expr(pl.col("title"))
    )


def test_multilingual_title_table():
    got = _classify(list(CASES))
    wrong = [(t, CASES[t], (s, d)) for t, s, d in got.iter_rows() if CASES[t] != (s, d)]
    assert wrong == []


@pytest.mark.parametrize(("title", "normalised"), [
    ("Pre\u0301sident", "président"),  # decomposed accent, as some exports write it
    ("Team-Leiter Vertrieb", "teamleiter vertrieb"),
    ("Projekt Leitung", "projektleitung"),
    ("Assistenz der Geschäftsführung", "assistenz"),
    ("Referentin des Vorstands", "referentin"),
    ("Assistante de direction", "assistante"),
    ("Sekretärin der Personalabteilung", "sekretärin der personalabteilung"),  # not the management
])
def test_normalise_german_and_french(title, normalised):
    assert pl.select(normalise_title_expr(pl.lit(title))).item() == normalised


def test_decomposed_accent_matches():
    assert _classify(["Pre\u0301sidente", "Ge\u0301rante"])["seniority"].to_list() == ["c_level", "c_level"]


def test_ruleset_key_order_does_not_move_a_level_over_the_defaults():
    # A ruleset lists ic first and director after it; merged over the defaults both keep the
    # default positions, so "Senior Director" stays a director although "senior" is an ic word.
    override = title_map_from_dict({"seniority": {"ic": [r"\bsenior\b"], "director": [r"\bdirector\b"]}})
    assert [level for level, _ in override.seniority] == ["ic", "director"]
    merged = merge_title_maps(DEFAULT_TITLE_MAP, override)
    assert [level for level, _ in merged.seniority] == [level for level, _ in DEFAULT_TITLE_MAP.seniority]
    out = pl.DataFrame({"t": ["Senior Director"]}).select(seniority_expr(pl.col("t"), merged).alias("t"))
    assert out["t"].to_list() == ["director"]
    # On its own, the section's key order is its precedence.
    alone = pl.DataFrame({"t": ["Senior Director"]}).select(seniority_expr(pl.col("t"), override).alias("t"))
    assert alone["t"].to_list() == ["ic"]
