"""The vocabularies the sample draws its values from, as plain Python data.

Job titles, industries, countries and their regions, HubSpot original sources,
technologies, first and last names, personal e-mail domains, competitors,
company-name parts and top-level domains for the CRM exports; event types with
their low- and high-intent shares, and the page, content, webinar and campaign
lists for the activity log. Weights are relative; a third element, where present,
is the hidden contribution to fit (or intent) of picking that value.
"""

from __future__ import annotations

# Vocabularies. Weights are relative; the third element, where present, is the
# hidden contribution to fit (or intent) of picking that value.

_TITLES: list[tuple[str, float, float]] = [
    ("VP of Marketing", 3, 1.0), ("vp marketing", 1.5, 1.0), ("VP Marketing", 2, 1.0),
    ("Dir. Demand Generation", 2, 0.9), ("Director of Demand Generation", 2, 0.9),
    ("Marketing Director", 3, 0.9), ("Head of Growth", 2.5, 0.9), ("CMO", 2, 1.0),
    ("Chief Marketing Officer", 1, 1.0), ("Chief Technology Officer", 1, 0.4), ("CTO", 1.5, 0.4),
    ("Sr. Software Engineer", 4, 0.0), ("Software Engineer", 4, -0.1),
    ("Marketing Manager", 8, 0.7), ("Senior Marketing Manager", 3, 0.75),
    ("Marketing Operations Manager", 3, 0.85), ("Demand Generation Manager", 3, 0.8),
    ("Growth Marketing Manager", 2, 0.75), ("Marketing Specialist", 5, 0.4),
    ("Marketing Coordinator", 4, 0.3), ("Sales Development Representative", 3, 0.1),
    ("Account Executive", 3, 0.2), ("VP Sales", 1.5, 0.6), ("Head of Sales", 1.5, 0.6),
    ("Revenue Operations Manager", 2, 0.85), ("Intern", 2, -0.8), ("Student", 3, -1.0),
    ("Marketing Intern", 2, -0.6), ("IT Manager", 3, 0.1), ("CISO", 0.8, 0.0),
    ("Founder & CEO", 3, 0.7), ("CEO", 2, 0.7), ("Co-Founder", 1.5, 0.6),
    ("Procurement Specialist", 1.5, 0.0), ("Data Analyst", 3, 0.1), ("Consultant", 3, 0.0),
    ("Product Manager", 3, 0.3), ("Owner", 2, 0.5), ("Office Manager", 1.5, -0.2),
    ("", 6, 0.0),
]

_INDUSTRIES: list[tuple[str, float, float]] = [
    ("COMPUTER_SOFTWARE", 22, 1.0), ("INFORMATION_TECHNOLOGY_AND_SERVICES", 18, 0.8),
    ("FINANCIAL_SERVICES", 10, 0.4), ("HOSPITAL_HEALTH_CARE", 7, 0.1),
    ("MARKETING_AND_ADVERTISING", 12, 0.9), ("RETAIL", 7, 0.3),
    ("EDUCATION_MANAGEMENT", 5, -0.4), ("MANUFACTURING", 7, 0.1), ("INTERNET", 4, 0.8),
    ("TELECOMMUNICATIONS", 2, 0.3), ("SaaS", 2, 1.0), ("Software", 2, 1.0), ("", 2, 0.0),
]

# (country, weight, fit, region list key). Not-served countries carry a large negative fit.
_COUNTRIES: list[tuple[str, float, float, str]] = [
    ("United States", 40, 0.3, "us"), ("United Kingdom", 9, 0.3, "uk"),
    ("Germany", 8, 0.2, "de"), ("France", 5, 0.1, ""), ("Canada", 6, 0.3, "ca"),
    ("Netherlands", 3, 0.2, ""), ("Australia", 4, 0.2, "au"), ("India", 7, -0.2, "in"),
    ("Brazil", 4, -0.1, ""), ("Spain", 3, 0.0, ""), ("Sweden", 2, 0.2, ""),
    ("Switzerland", 1.5, 0.2, ""), ("Mexico", 1.5, -0.1, ""), ("Japan", 1, 0.0, ""),
    ("Singapore", 1, 0.1, ""), ("Poland", 1, 0.0, ""), ("Nigeria", 1, -0.3, ""),
    ("Russia", 0.8, -3.0, ""), ("Iran", 0.3, -3.0, ""), ("North Korea", 0.05, -3.0, ""),
]

_REGIONS: dict[str, list[str]] = {
    "us": ["California", "New York", "Texas", "Massachusetts", "Washington", "Illinois",
           "Florida", "Colorado", "Georgia", "New Jersey", "Pennsylvania", "Ohio", "Utah",
           "North Carolina", "Virginia", "Oregon", "Minnesota", "Arizona", "CA", "NY", "TX"],
    "uk": ["England", "Scotland", "Wales", "London", "Northern Ireland"],
    "de": ["Berlin", "Bayern", "Hamburg", "Nordrhein-Westfalen", "Baden-Württemberg", "Hessen"],
    "ca": ["Ontario", "Quebec", "British Columbia", "Alberta", "ON", "BC"],
    "au": ["New South Wales", "Victoria", "Queensland", "Western Australia"],
    "in": ["Karnataka", "Maharashtra", "Delhi", "Tamil Nadu", "Telangana"],
}

# HubSpot "Original Source" values, with an intent effect (referrals and direct
# traffic arrive warmer than paid social).
_SOURCES: list[tuple[str, float, float]] = [
    ("ORGANIC_SEARCH", 25, 0.2), ("PAID_SEARCH", 15, 0.3), ("PAID_SOCIAL", 12, -0.2),
    ("SOCIAL_MEDIA", 8, -0.2), ("EMAIL_MARKETING", 8, 0.0), ("REFERRALS", 7, 0.6),
    ("DIRECT_TRAFFIC", 12, 0.3), ("OFFLINE", 8, 0.0), ("OTHER_CAMPAIGNS", 5, -0.2),
]

# (technology, probability an account uses it, fit contribution)
_TECHS: list[tuple[str, float, float]] = [
    ("salesforce", 0.35, 0.4), ("hubspot", 0.30, 0.4), ("slack", 0.55, 0.1),
    ("google-analytics", 0.60, 0.1), ("marketo", 0.08, 0.4), ("pardot", 0.06, 0.3),
    ("zendesk", 0.15, 0.0), ("intercom", 0.10, 0.1), ("segment", 0.08, 0.2),
    ("snowflake", 0.07, 0.2), ("aws", 0.40, 0.0), ("gcp", 0.12, 0.0), ("azure", 0.15, 0.0),
    ("shopify", 0.06, 0.0), ("wordpress", 0.30, 0.0), ("jira", 0.30, 0.0),
    ("zoom", 0.40, 0.0), ("gong", 0.05, 0.3), ("outreach", 0.06, 0.3), ("6sense", 0.02, 0.3),
]

_FIRST_NAMES = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Daniel", "Karen", "Matthew", "Emily", "Anthony", "Laura", "Mark", "Anna",
    "Paul", "Sophie", "Lukas", "Lena", "Jonas", "Marie", "Pierre", "Camille", "Hugo",
    "Chloe", "Priya", "Rahul", "Ananya", "Arjun", "Wei", "Li", "Yuki", "Haruto", "Lucas",
    "Mariana", "Pedro", "Carmen", "Javier", "Sofia", "Olivia", "Noah", "Emma", "Liam",
    "Ava", "Ethan", "Mia", "Oliver", "Isabella", "Aiden", "Fatima", "Omar", "Ingrid", "Lars",
]
_LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas",
    "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Young", "Allen", "King", "Wright", "Müller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Dubois", "Laurent", "Bernard", "Patel", "Sharma", "Gupta", "Singh",
    "Wang", "Zhang", "Chen", "Tanaka", "Sato", "Silva", "Santos", "Oliveira", "Fernández",
    "González", "van Dijk", "de Vries", "Jansen", "O'Brien", "Murphy", "Kelly", "Nguyen",
    "Kim", "Andersson", "Johansson", "Novak", "Kowalski",
]

_PERSONAL_DOMAINS: list[tuple[str, float]] = [
    ("gmail.com", 45), ("yahoo.com", 10), ("hotmail.com", 8), ("outlook.com", 8),
    ("icloud.com", 5), ("aol.com", 2), ("gmx.de", 4), ("web.de", 3), ("mail.ru", 3),
    ("yandex.ru", 2), ("qq.com", 3), ("163.com", 2), ("protonmail.com", 3), ("live.com", 2),
]
_COMPETITORS = [("RivalSoft", "rivalsoft.com"), ("CompetitorCRM", "competitorcrm.io"),
                ("LeadRival", "leadrival.com")]

_NAME_PREFIXES = [
    "Blue", "North", "Bright", "Silver", "Red", "Green", "Quantum", "Apex", "Nova", "Pixel",
    "Cloud", "Iron", "Stellar", "Summit", "Vertex", "Orbit", "Atlas", "Cedar", "Harbor",
    "Lumen", "Nimbus", "Peak", "Pioneer", "Prism", "River", "Sage", "Solar", "Spark",
    "Terra", "Vivid", "Zephyr", "Alpine", "Beacon", "Cobalt", "Delta", "Ember", "Falcon",
    "Granite", "Horizon", "Indigo", "Juniper", "Kinetic", "Maple", "Meridian", "Oak",
    "Onyx", "Polar", "Radiant", "Sierra", "Tidal",
]
_NAME_ROOTS = [
    "Analytics", "Labs", "Systems", "Software", "Dynamics", "Networks", "Health", "Capital",
    "Logistics", "Retail", "Media", "Works", "Digital", "Data", "Solutions", "Tech",
    "Robotics", "Foods", "Energy", "Partners", "Bank", "Learning", "Studio", "Commerce",
    "Security", "Cloud", "Metrics", "Motors", "Pay", "Mobile",
]
_NAME_SUFFIXES = [("", 40), (" Inc.", 20), (" LLC", 8), (" GmbH", 8), (" Ltd", 10),
                  (" SAS", 3), (" B.V.", 3), (" Corp", 8)]
_TLDS = [(".com", 70), (".io", 12), (".de", 6), (".co.uk", 5), (".ai", 4), (".net", 3)]

# Events: (type, share among low-intent contacts, share among high-intent contacts).
# The mix of the two lands close to the target shares of the spec.
_EVENT_TYPES: list[tuple[str, float, float]] = [
    ("page_view", 47, 44), ("email_open", 17, 14), ("email_click", 7, 8.5),
    ("content_download", 7, 8.5), ("webinar_registered", 2.5, 3.2), ("webinar_attended", 1.5, 2.2),
    ("form_submit", 4, 4), ("demo_request", 0.4, 1.2), ("signed_up", 1.5, 2.2),
    ("invited_teammate", 1, 1.6), ("connected_integration", 0.6, 1.1),
    ("used_core_feature", 7, 8), ("hit_usage_limit", 0.3, 0.5), ("unsubscribe", 1.5, 0.8),
]
_BLOG = ["how-to-score-leads", "mql-vs-sql", "b2b-funnel-benchmarks-2026", "intent-data-101",
         "lead-routing-playbook", "abm-for-startups", "hubspot-vs-salesforce",
         "demand-gen-metrics", "pipeline-forecasting", "reduce-speed-to-lead",
         "icp-definition-guide", "product-led-growth-signals"]
_PRODUCT = ["scoring", "routing", "enrichment", "integrations", "analytics", "api"]
_CASES = ["acme-analytics", "northwind", "globex", "initech", "umbrella-health", "hooli"]
_DOCS = ["getting-started", "rulesets", "cli-reference", "hubspot-import", "webhooks",
         "calibration", "api-keys", "sso"]
_EBOOKS = ["state-of-b2b-marketing-2026", "lead-scoring-handbook", "plg-playbook"]
_WEBINARS = ["pipeline-analytics-101", "scoring-that-sales-trusts", "plg-meets-sales"]
_CAMPAIGNS_EMAIL = ["2026-Q3 Newsletter", "2026-Q4 Newsletter", "Nurture - Trial Users",
                    "Nurture - Content Downloaders", "Product Update - October",
                    "Event Invite - SaaStr", "Win-back - Churned Trials"]
_CAMPAIGNS_WEB = ["google-brand", "google-nonbrand-lead-scoring", "linkedin-abm-q4",
                  "g2-comparison", "capterra", "partner-referral"]
