"""The default job-title taxonomy: seniority levels and departments, with the patterns that find them.

Patterns are matched against the normalised title (see
:func:`leadq.titles.normalise_title_expr`); for each of seniority and department the values are
tried in order and the first match wins.

Default precedence, and why:

Seniority: ``intern_student`` > ``c_level`` > ``vp`` > ``director`` >
``manager`` > ``ic``.

* Intern/student comes first because "Software Engineering Intern" or "Product
  Manager Intern" are interns whatever else the title says. "Student" only
  counts when it names the person ("Student", "PhD Student", "Student at MIT"),
  so "Director of Student Affairs" stays a director.
* Each level is checked from the top down, so the most senior word wins:
  "Senior Vice President" is ``vp``, "Senior Manager" is ``manager``, and
  "senior", "staff", "principal" and "lead" as adjectives only make an ``ic``.
* "President" is ``c_level`` but "Vice President" is ``vp``; "Managing
  Director", founders, owners of a business, partners of a firm, chairs and
  board members count as ``c_level``. "Product Owner" and "HR Business
  Partner" fall through to ``ic``.
* "Head of X" is ``director``: the title is used for whoever runs a function
  below the VP/C-level line, which in most organisations is director level.
  "General Manager" is ``director`` too (runs a business unit, above
  functional managers); "Chief of Staff" is ``director``.
* "Lead" is ``manager`` only as a noun ("Team Lead", "Tech Lead", "Marketing
  Lead"); as an adjective ("Lead Engineer") it is a senior ``ic``.
* Seniority comes from the words, not from the org chart: "Account Manager"
  and "Product Manager" are ``manager``.
* A trailing reporting line ("Executive Assistant to the CEO", "Chief of Staff
  to the CEO", "Assistenz der Geschäftsführung", "Assistante de direction") is
  dropped by normalisation: it names someone else's role.
* German and French titles (written with or without accents; umlauts also as
  "ae"/"ue"): Geschäftsführer(in), Geschäftsleitung, Inhaber(in), Gründer(in),
  Vorstand (the executive board of a German company, so ``c_level``), PDG, DG,
  Directeur/Directrice général(e), Gérant(e) and Président(e) are ``c_level``
  like "Managing Director"; Vice-président(e) is ``vp``; Leiter(in)/Leitung X
  and its compounds (Vertriebsleiter, Marketingleiterin, Abteilungsleiter),
  Prokurist and Directeur/Directrice are ``director``; Teamleiter,
  Gruppenleiter, Projektleiter, Responsable X and Chef de/des X are
  ``manager``; Werkstudent(in), Praktikant(in), Azubi, Auszubildende(r),
  Alternant(e) and Stagiaire are ``intern_student``. "Leiter" counts only as a
  word or in a listed compound, so "Begleiter" and "Halbleiter" are no lead.

Department: ``security`` > ``hr`` > ``procurement`` > ``it`` > ``data`` >
``finance`` > ``operations`` > ``sales`` > ``customer_success`` >
``marketing`` > ``product`` > ``engineering`` > ``executive``.

* Specialised functions win over the generic discipline word: "IT Security
  Manager" and "Security Engineer" are ``security``, "Technical Recruiter" is
  ``hr``, "IT Procurement" is ``procurement``, "Data Engineer" is ``data``,
  "Network Engineer" is ``it``.
* "X Operations" is ``operations`` (RevOps, Sales Ops, Marketing Ops, Business
  Ops) except where a more specialised function claims it first (Security,
  People, IT, Data, Finance operations).
* "Sales Engineer" and "Solutions Engineer" are ``sales``: pre-sales engineers
  sit in, and are paid by, the sales organisation. "Support Engineer" is
  ``customer_success`` for the same reason, "Product Marketing Manager" is
  ``marketing``, and a product word beats an engineering one ("Software
  Product Manager" is ``product``; so, knowingly, is "Product Engineer").
* "Sales & Marketing" titles are ``sales``.
* ``executive`` is last: it only names general management (CEO, founder,
  president, owner, managing director, general manager), so "Co-Founder &
  CTO" is ``engineering`` and "President, Sales" is ``sales``.
* German and French department words: Vertrieb, Verkauf, ventes, commercial
  are ``sales``; Einkauf, achats are ``procurement``; Personal (as a word
  after a lead or in a compound: Personalreferentin, not "Personal
  Assistant"), RH, ressources humaines are ``hr``; informatique, EDV are
  ``it``; Finanzen, comptabilité, Buchhaltung, Controlling are ``finance``.
* Known limitation: "Media Buyer" is ``procurement``.
"""

from __future__ import annotations

from dataclasses import dataclass

SENIORITY_LEVELS = ("c_level", "vp", "director", "manager", "ic", "intern_student")
DEPARTMENTS = (
    "engineering",
    "security",
    "it",
    "data",
    "marketing",
    "sales",
    "finance",
    "procurement",
    "product",
    "operations",
    "hr",
    "executive",
    "customer_success",
)

Levels = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class TitleMap:
    """Ordered pattern lists for seniority and department; first match wins.

    Attributes:
        seniority: ``(level, patterns)`` pairs in precedence order.
        department: ``(department, patterns)`` pairs in precedence order.
    """

    seniority: Levels = ()
    department: Levels = ()


# "president" not preceded by the word "vice": the Rust regex engine has no
# look-behind, so the preceding word is spelled out as "anything not ending
# in 'vice'" (or a longer word ending in it, like "service").
_PRESIDENT = r"(?:^|[^e] |[^c]e |[^i]ce |[^v]ice |[a-z]vice )pr[ée]sidente?\b"
# Umlauts as written, as "ae"/"ue", or dropped: Geschäftsführer, Geschaeftsfuehrer, Geschaftsfuhrer.
_GESCH = r"gesch(?:ä|ae?)fts"
# German and French general management: owners, founders, managing directors, the executive
# board. Shared by c_level and the executive department.
_GENERAL_MANAGEMENT = (
    rf"\b{_GESCH}f(?:ü|ue?)hrer(?:in|innen)?\b",
    rf"\b{_GESCH}f(?:ü|ue?)hrende[rn]?\b",
    # As the whole title or its start ("Geschäftsführung", "Geschäftsleitung Vertrieb") or as a
    # member of it; "Assistenz der Geschäftsleitung" loses its reporting line in normalisation.
    rf"^{_GESCH}(?:f(?:ü|ue?)hrung|leitung)\b",
    rf"\b(?:mitglied|vorsitzender?|sprecher(?:in)?) der {_GESCH}(?:f(?:ü|ue?)hrung|leitung)\b",
    rf"\b{_GESCH}leiter(?:in)?\b",
    r"\b(?:mit|co |geschäfts)?inhaber(?:in)?\b",
    r"\b(?:mit|co |co)?gr(?:ü|ue?)nder(?:in)?\b",
    # The Vorstand of a German company is its executive board ("Vorstand Finanzen" is the CFO).
    # Not "vorstands" alone: "Assistent Vorstands..." and the works council's board are not it.
    r"\bvorstand(?:svorsitzender?|smitglied|ssprecher(?:in)?)?\b",
    r"\b(?:mitglied|vorsitzender?|sprecher(?:in)?) des vorstands?\b",
    r"\bpdg\b",
    # Directeur général (adjoint).
    r"\bdga?\b",
    r"\bdirect(?:eur|rice) g[ée]n[ée]rale?\b",
    r"\bg[ée]rante?\b",
    r"\b(?:co ?)?fonda(?:teur|trice|tore)\b",
    r"\b(?:co ?)?fundador(?:a)?\b",
    # Spanish "Director General" is the CEO; not "Director, General Counsel".
    r"\bdirectora? general(?:$| (?:de|del|adjunt[oa])\b)",
    r"\bdirett(?:ore|rice) generale\b",
    r"\bamministrat(?:ore|rice) delegat[oa]\b",
    r"\bconsejer[oa] delegad[oa]\b",
    r"\btitolare\b",
    r"\b(?:algemeen|algemene) directeur\b",
    r"\beigena(?:ar|res)\b",
    r"\boprichter\b",
)
# Owners of a business, not "Product Owner" / "Process Owner".
_OWNER = (
    r"^(?:co )?owners?\b",
    r"\b(?:business|company|practice|franchise|agency|firm|studio|shop|store|restaurant) owners?\b",
)

_SENIORITY: Levels = (
    (
        "intern_student",
        (
            r"\binterns?\b",
            r"\binternship\b",
            r"\btrainee\b",
            r"\bapprentice(?:ship)?\b",
            r"\bwerkstudent(?:in)?\b",
            r"\bpraktikant(?:in)?\b",
            r"\bazubis?\b",
            r"\bauszubildender?\b",
            r"\bdualer? student(?:in)?\b",
            r"\bstudentin\b",
            r"\bstagiaires?\b",
            r"\bstagiair\b",
            r"\balternante?s?\b",
            r"\ben alternance\b",
            r"\bapprentie?\b",
            r"\bbecari[oa]\b",
            r"\b(?:tirocinante|stagista)\b",
            r"\b(?:working|graduate|grad|phd|ph d|doctoral|masters?|master s|mba|undergraduate|undergrad"
            r"|exchange|university|college|high school|co op) students?\b",
            r"^students?$",
            r"\bstudents?(?:$| (?:at|in|of|assistant|worker|ambassador|researcher|employee)\b)",
            r"\bph ?d candidate\b",
        ),
    ),
    (
        "c_level",
        (
            r"\bchief\b.*\bofficer\b",
            r"\bchief executive\b",
            r"\bc(?:eo|to|fo|oo|mo|io|iso|ro|po|do|co|so|ao|hro|xo)\b",
            _PRESIDENT,
            r"\b(?:co )?founders?\b",
            r"\bcofounders?\b",
            *_OWNER,
            r"\bmanaging director\b",
            r"^partners?$",
            r"^partners? (?:at|of|in|and)\b",
            r"\b(?:managing|founding|general|equity|name) partners?\b",
            r"\bsenior partner(?:$| (?:at|of|in|and)\b)",
            r"\bchair(?:man|woman|person)\b",
            r"\b(?:chair of the board|board chair)\b",
            r"\bboard (?:member|director)\b",
            r"\bnon executive director\b",
            r"\bc (?:level|suite)\b",
            *_GENERAL_MANAGEMENT,
        ),
    ),
    (
        "vp",
        (
            r"\bvps?\b",
            r"\b[saeg]vp\b",
            r"\bvice pr[ée]sidente?\b",
            r"\bvice pres\b",
            r"\bvicepresidente\b",
        ),
    ),
    (
        "director",
        (
            r"\bdirectors?\b",
            r"\bdir\b",
            r"\bdirect(?:eur|rice|ora)\b",
            r"\bdirett(?:ore|rice)\b",
            r"\bdirektor(?:in)?\b",
            # German "Leiter X", "Leitung X", "Vertriebsleiter", "Marketingleiterin": whoever runs a
            # function. Team-level leads are manager (joined by normalisation: "Team-Leiter" is
            # "teamleiter"). Compounds are spelt out, with any "-s-" compound, so that
            # "Begleiter" (companion) and "Halbleiter" (semiconductor) are not read as a lead.
            r"\bleit(?:er|erin|erinnen|ung)\b",
            r"\b(?:\w+s|marketing|personal|finanz|produkt|service|technik|labor|standort|werk|qualität"
            r"|controlling|\w*dienst|it|edv|hr)leit(?:er|erin|erinnen|ung)\b",
            r"\bprokurist(?:in)?\b",
            r"\bgerente general\b",
            r"\bchef de (?:service|d[ée]partement)\b",
            r"\b(?:drh|daf|dsi)\b",
            r"\bhead\b",
            r"\bgeneral manager\b",
            r"\bgm\b",
            r"\bchief of staff\b",
            r"\btreasurer\b",
        ),
    ),
    (
        "manager",
        (
            r"\bmanagers?\b",
            r"\bmgr\b",
            r"\bmngr\b",
            r"\b(?:team|tech|technical) lead(?:er)?\b",
            r"\blead$",
            r"\bleaders?\b",
            r"\bsupervisor\b",
            r"\bforeman\b",
            # A financial controller runs the accounting team.
            r"\b(?:controller|comptroller)\b",
            r"\b(?:csm|bdm)\b",
            r"\b(?:team|gruppen|projekt|schicht|filial|lager|bau|markt)leit(?:er|erin|erinnen|ung)\b",
            r"\bresponsable\b",
            # "Chef de projet", "Chef des ventes", "Chef d'équipe", "Chef de produit".
            r"\bchef (?:de|des|du|d)\b",
            r"\bgerente\b",
        ),
    ),
    (
        "ic",
        (
            r"\bengineers?\b",
            r"\bengr?\b",
            r"\bdevelopers?\b",
            r"\bprogrammer\b",
            r"\b(?:swe|sde|sre)\b",
            r"\bsys ?admin\b",
            r"\banalysts?\b",
            r"\bspecialist\b",
            r"\bcoord(?:inator)?\b",
            r"\bassociate\b",
            r"\bconsultant\b",
            r"\badmin(?:istrator)?\b",
            r"\barchitect\b",
            r"\bdesigner\b",
            r"\brep(?:resentative)?\b",
            r"\b(?:sdr|bdr|ae|cpa|hrbp)\b",
            r"\bexec(?:utive)?\b",
            r"\bscientist\b",
            r"\baccountant\b",
            r"\bbookkeeper\b",
            r"\bauditor\b",
            r"\bbuyer\b",
            r"\bpurchaser\b",
            r"\brecruiter\b",
            r"\bsourcer\b",
            r"\bgeneralist\b",
            r"\b(?:assistant|asst)\b",
            r"\bassist(?:ante|ent|entin|enz)\b",
            r"\bsekret(?:ä|ae?)r(?:in)?\b",
            r"\bsecr[ée]taire\b",
            # German compounds: "Vertriebsmitarbeiter", "Personalreferentin", "Softwareentwickler".
            r"(?:mitarbeiter|sachbearbeiter|referent|berater|ingenieur|entwickler)(?:in)?\b",
            r"\bing[ée]nieure?\b",
            r"\bcharg[ée]e? (?:de|des|du|d)\b",
            r"\bconseill(?:er|[èe]re)\b",
            r"\bd[ée]veloppeu(?:r|se)\b",
            r"\bcomptable\b",
            r"\b(?:ein|ver)k(?:ä|ae?)ufer(?:in)?\b",
            r"\bacheteu(?:r|se)\b",
            r"buchhalter(?:in)?\b",
            r"(?:kaufmann|kauffrau)\b",
            r"\btechnician\b",
            r"\bofficer\b",
            r"\bagent\b",
            r"\bclerk\b",
            r"\badvis(?:or|er)\b",
            r"\bstrategist\b",
            r"\b(?:copy)?writer\b",
            r"\beditor\b",
            r"\bresearcher\b",
            r"\btester\b",
            r"\bscrum master\b",
            # Reached only when c_level's business-owner and firm-partner
            # patterns did not match: "Product Owner", "HR Business Partner".
            r"\bowner\b",
            r"\bpartner\b",
            r"\bfreelancer?\b",
            r"\bcontractor\b",
            r"\bsr\b",
            r"\bsenior\b",
            r"\bjr\b",
            r"\bjunior\b",
            r"\bstaff\b",
            r"\bprincipal\b",
            r"^lead\b",
        ),
    ),
)

_DEPARTMENT: Levels = (
    (
        "security",
        (
            r"\bsecurity\b",
            r"\bciso\b",
            r"\binfosec\b",
            r"\b(?:dev)?secops\b",
            r"\bsoc\b",
            r"\bappsec\b",
            r"\bcyber",
            r"\bpen(?:etration)? test",
            r"\bthreat\b",
            r"\bvulnerability\b",
        ),
    ),
    (
        "hr",
        (
            r"\bhr\b",
            r"\bhrbp\b",
            r"\bhris\b",
            r"\bchro\b",
            r"\bhuman (?:resources|capital)\b",
            r"\bpeople\b",
            r"\btalent\b",
            r"\brecruit",
            r"\bsourcer\b",
            r"\bcompensation\b",
            r"\bbenefits\b",
            r"\blearning (?:and )?development\b",
            r"\bl d\b",
            r"\brh\b",
            r"\bdrh\b",
            r"\bressources humaines\b",
            r"\brecursos humanos\b",
            r"\brisorse umane\b",
            r"\brecrut",
            # German "Personal" is HR, the English "Personal Assistant" is not: compounds, or
            # the word after a lead or as the whole title.
            r"\bpersonal(?:abteilung|wesen|leiter\w*|leitung|referent\w*|sachbearbeiter\w*|entwickl\w*"
            r"|manage\w*|berater\w*|betreuer\w*|disponent\w*|recruit\w*|chef\w*)\b",
            r"(?:leiter(?:in)?|leitung|bereich|abteilung|referent(?:in)?) personal\b",
            r"^personal$",
        ),
    ),
    (
        "procurement",
        (
            r"\bprocurement\b",
            r"\bpurchas(?:ing|er)\b",
            r"\bbuyers?\b",
            r"\bsourcing\b",
            r"\bvendor (?:management|manager)\b",
            r"\bsupplier\b",
            r"einkauf",
            r"eink(?:ä|ae?)ufer",
            r"\bachats?\b",
            r"\bacheteu(?:r|se)s?\b",
            r"\bcompras\b",
            r"\bacquisti\b",
            r"\binkoop",
        ),
    ),
    (
        "it",
        (
            r"\bit\b",
            r"\bict\b",
            r"\binformation technology\b",
            r"\binformati(?:que|k|ker|kerin|ca)\b",
            r"\bedv\b",
            r"\bdsi\b",
            r"\bsyst[èe]mes? d information\b",
            r"\bcio\b",
            r"\bchief information officer\b",
            r"\bsystems? administrator\b",
            r"\bsys ?admin\b",
            r"\bhelp ?desk\b",
            r"\bservice desk\b",
            r"\bdesktop support\b",
            r"\binfrastructure\b",
            r"\bnetwork(?:s|ing)?\b",
            r"\bnoc\b",
            r"\bdata cent(?:er|re)\b",
        ),
    ),
    (
        "data",
        (
            r"\bdata\b",
            r"\bdataops\b",
            r"\banalytics\b",
            r"\bbi\b",
            r"\bbusiness intelligence\b",
            r"\bmachine learning\b",
            r"\bml\b",
            r"\bmlops\b",
            r"\bai\b",
            r"\bartificial intelligence\b",
            r"\bdeep learning\b",
            r"\bnlp\b",
            r"\bcomputer vision\b",
            r"\bcdo\b",
            r"\bdatabase\b",
            r"\bdba\b",
            r"\bstatistician\b",
        ),
    ),
    (
        "finance",
        (
            r"\bfinance\b",
            r"\bfinancial\b",
            r"\bfinances\b",
            r"\bfinanci[eè]re?\b",
            r"\bfinanz",
            r"\bfinanzas\b",
            r"\bfinanza\b",
            r"buchhalt",
            r"\bcomptab",
            r"\bcontabilidad\b",
            r"\bcontrolling\b",
            r"\bdaf\b",
            r"\bfinops\b",
            r"\bcfo\b",
            r"\baccounting\b",
            r"\baccountants?\b",
            r"\baccounts (?:payable|receivable)\b",
            r"\bbookkeep",
            r"\b(?:controller|comptroller)\b",
            r"\btreasur(?:er|y)\b",
            r"\bfp a\b",
            r"\bfpa\b",
            r"\bpayroll\b",
            r"\btax\b",
            r"\baudit(?:or|ing)?\b",
            r"\bbilling\b",
            r"\bcpa\b",
            r"\binvestor relations\b",
        ),
    ),
    (
        "operations",
        (
            r"\boperations?\b",
            r"\boperating\b",
            r"\bcoo\b",
            r"\brevops\b",
            r"\bops\b",
            r"\bsupply chain\b",
            r"\blogistics\b",
            r"\bfacilities\b",
        ),
    ),
    (
        "sales",
        (
            r"\bsales\b",
            r"\bsales(?:person|man|woman)\b",
            r"\baccount executive\b",
            r"\bacct (?:exec|executive|mgr|manager)\b",
            r"\b(?:sdr|bdr|bdm|ae)\b",
            r"\bbusiness development\b",
            r"\bbiz ?dev\b",
            r"\bcro\b",
            r"\brevenue\b",
            r"\baccount (?:manager|management|director)\b",
            r"\bkey accounts?\b",
            r"\bpre ?sales\b",
            r"\bsolutions? (?:engineer|consultant)\b",
            r"\bcommercial(?:e|es|i|aux)?\b",
            r"vertrieb",
            r"verkauf",
            r"\bverk(?:ä|ae?)ufer(?:in)?\b",
            r"\bau(?:ß|ss)endienst",
            r"\bventes?\b",
            r"\bventas\b",
            r"\bvendite\b",
            r"\bverkoop",
            r"\bchannel\b",
            r"\bpartnerships?\b",
            r"\bterritory\b",
        ),
    ),
    (
        "customer_success",
        (
            r"\bcustomer success\b",
            r"\bclient success\b",
            r"\bcsm\b",
            r"\bsupport\b",
            r"\bcustomer (?:experience|service|care)\b",
            r"\bclient services?\b",
            r"\bcx\b",
            r"\bonboarding\b",
            r"\bimplementation\b",
            r"\bchief customer officer\b",
            r"\bkunden(?:service|dienst|support)",
            r"\b(?:service|relation|support) clients?\b",
        ),
    ),
    (
        "marketing",
        (
            r"\bmarketing\b",
            # German compounds: "Marketingleiterin", "Marketingreferent".
            r"\bmarketing\w+",
            r"\bmarketer\b",
            r"\bmktg\b",
            r"\bmarcomm?s?\b",
            r"\bcmo\b",
            r"\bdemand gen(?:eration)?\b",
            r"\blead gen(?:eration)?\b",
            r"\bgrowth\b",
            r"\bbrand(?:ing)?\b",
            r"\bcontent\b",
            r"\b(?:seo|sem|ppc|abm)\b",
            r"\bcommunications?\b",
            r"\bcomms\b",
            r"\bpr\b",
            r"\bpublic relations\b",
            r"\bsocial media\b",
            r"\bcopywriter\b",
            r"\bcreative\b",
            r"\badvertising\b",
            r"\bevents?\b",
            r"\bcampaigns?\b",
            r"\bcommunity\b",
        ),
    ),
    (
        "product",
        (
            r"\bproducts?\b",
            r"\bcpo\b",
            r"\bux\b",
            r"\bui\b",
            r"\buser (?:experience|research)\b",
        ),
    ),
    (
        "engineering",
        (
            r"\bengineers?\b",
            r"\bengineering\b",
            r"\bengr?\b",
            r"\bdevelopers?\b",
            r"\bdev\b",
            r"\bprogrammer\b",
            r"\b(?:swe|sde|sre)\b",
            r"\bsoftware\b",
            r"\bdevops\b",
            r"\bsite reliability\b",
            r"\bcto\b",
            r"\bchief technology\b",
            r"\bchief technical\b",
            r"\btechnology\b",
            r"\btech\b",
            r"\barchitect(?:ure)?\b",
            r"\bplatform\b",
            r"\bqa\b",
            r"\bquality assurance\b",
            r"\b(?:front|back) ?end\b",
            r"\bfull ?stack\b",
            r"\b(?:firmware|embedded)\b",
            r"\br d\b",
            r"\bscrum master\b",
            r"\btechni(?:que|k|scher?)\b",
            r"entwickler",
            r"\bd[ée]veloppeu(?:r|se)\b",
        ),
    ),
    (
        "executive",
        (
            r"\bceo\b",
            r"\bchief executive\b",
            r"\b(?:co )?founders?\b",
            r"\bcofounders?\b",
            _PRESIDENT,
            *_OWNER,
            r"\bmanaging (?:director|partner)\b",
            r"\bfounding partner\b",
            r"\bgeneral manager\b",
            r"\bgm\b",
            r"\bchief of staff\b",
            r"\bchair(?:man|woman|person)\b",
            r"\bboard (?:member|director)\b",
            r"\b(?:non )?executive director\b",
            r"\bc (?:level|suite)\b",
            *_GENERAL_MANAGEMENT,
            r"\bgerente general\b",
        ),
    ),
)

DEFAULT_TITLE_MAP = TitleMap(seniority=_SENIORITY, department=_DEPARTMENT)
