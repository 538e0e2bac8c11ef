"""leadq's canonical fields: the names rulesets use, whatever the CRM calls them.

A ruleset's ``columns`` section maps each canonical field to a CRM column
("job_title: Job Title"). Custom fields may be added with a declared type.
"""

from __future__ import annotations

from leadq.conditions import Type

# Contact (lead) fields and their types. Anything not listed here may still be
# mapped as a custom field, with `type:` (text unless said otherwise).
CONTACT_FIELDS: dict[str, Type] = {
    "lead_id": Type.TEXT,
    "email": Type.TEXT,
    "first_name": Type.TEXT,
    "last_name": Type.TEXT,
    "job_title": Type.TEXT,
    "company": Type.TEXT,
    "company_domain": Type.TEXT,
    "company_size": Type.NUMBER,
    "annual_revenue": Type.NUMBER,
    "industry": Type.TEXT,
    "country": Type.TEXT,
    "region": Type.TEXT,
    "city": Type.TEXT,
    "lead_source": Type.TEXT,
    "lifecycle_stage": Type.TEXT,
    "lead_status": Type.TEXT,
    "technologies": Type.TEXT,
    "account_id": Type.TEXT,
    # The user's product workspace (self-serve products); always text, as the events' workspace_id, so that
    # "00123" stays "00123". An accounts key: workspace_id reads it before the events' workspace.
    "workspace_id": Type.TEXT,
    "created_at": Type.DATETIME,
    "mql_at": Type.DATETIME,
    "sql_at": Type.DATETIME,
    "opportunity_at": Type.DATETIME,
    "won_at": Type.DATETIME,
    "lost_at": Type.DATETIME,
    "first_touch_at": Type.DATETIME,
    "updated_at": Type.DATETIME,
}

# Fields leadq derives from mapped ones; they cannot be mapped directly.
DERIVED_FIELDS: dict[str, Type] = {
    "email_domain": Type.TEXT,  # lower-cased part of email after the last '@'
}

# Each field leadq derives, from the mapped field it is derived from.
DERIVED_FROM: dict[str, str] = {"email_domain": "email", "seniority": "job_title", "department": "job_title"}

# Activity-log fields.
EVENT_FIELDS: dict[str, Type] = {
    "lead_id": Type.TEXT,
    "event_type": Type.TEXT,
    "occurred_at": Type.DATETIME,
    "url": Type.TEXT,
    "campaign": Type.TEXT,
    "workspace_id": Type.TEXT,
    "account_id": Type.TEXT,
}

# Account (company) fields; their values fill blanks in the contact's fields of
# the same name after joining on account_id.
ACCOUNT_FIELDS: dict[str, Type] = {
    "account_id": Type.TEXT,
    "company": Type.TEXT,
    "company_domain": Type.TEXT,
    "company_size": Type.NUMBER,
    "annual_revenue": Type.NUMBER,
    "industry": Type.TEXT,
    "country": Type.TEXT,
    "region": Type.TEXT,
    "technologies": Type.TEXT,
}

# Stage date fields in funnel order.
STAGE_FIELDS = ("created_at", "mql_at", "sql_at", "opportunity_at", "won_at")

# The types a `columns` entry may declare.
COLUMN_TYPES = {"text": Type.TEXT, "number": Type.NUMBER, "boolean": Type.BOOL, "datetime": Type.DATETIME}

# Output columns of `leadq score`, in order.
OUTPUT_COLUMNS = (
    "lead_id", "fit_score", "intent_score", "total_score", "grade", "tier",
    "disqualified", "disqualification_reasons", "explanation",
)
