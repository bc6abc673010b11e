-- The offerings query lists offerings by start date (then id) with any
-- filter, keyset-paged: this index answers a page without a sort.
CREATE INDEX rm_offering_start ON rm_offering (starts_on, id);
