-- The KPI engine writes a batch at a time (docs/kpis.md §4.6): a row per
-- counted cell (rm_kpi_member) and a row per fact and series (the old
-- rm_kpi_fact) were dozens of writes per event. A fact is now one row
-- listing where it counted, and a subject one row holding the few (year,
-- place) pairs its facts put it in, in every series.

DROP TABLE rm_kpi_member;
DROP TABLE rm_kpi_fact;
DROP TABLE rm_kpi_employee_fact;

-- Every fact: an employee's (kept, counted or not, to be placed again
-- when their history changes) or a thing's; `counted` lists the series,
-- subject and pairs it counts in, so a revocation takes back exactly that.
CREATE TABLE rm_kpi_fact (
    fact_key        text    PRIMARY KEY,
    employee_id     uuid,
    occurred_on     date    NOT NULL,
    fact            jsonb,
    counted         jsonb   NOT NULL
);
CREATE INDEX rm_kpi_fact_employee ON rm_kpi_fact (employee_id, occurred_on) WHERE employee_id IS NOT NULL;

-- What each subject (an employee, institution, resor or thing) holds in
-- each series: its pairs with how many facts keep it in each, and for an
-- employee share its qualifying facts' dates.
CREATE TABLE rm_kpi_subject (
    subject         text    PRIMARY KEY,
    held            jsonb   NOT NULL
);

-- Each batch starts from the totals, and the dashboard reads them.
CREATE INDEX rm_kpi_value_total ON rm_kpi_value (series_key, year) INCLUDE (count, denominator)
    WHERE dimension = 'TOTAL';

-- The engine's tables changed shape: it counts again from the start.
DELETE FROM rm_kpi_history;
DELETE FROM rm_kpi_value;
DELETE FROM rm_kpi_offering;
DELETE FROM rm_kpi_course;
DELETE FROM rm_kpi_career;
DELETE FROM rm_kpi_institution;
DELETE FROM rm_kpi_series;
DELETE FROM projection_checkpoints WHERE name = 'kpi';
