-- Problems remember the district (or city) office their routing started
-- from: an escalated problem goes there too, whatever group it is in.

ALTER TABLE problems ADD COLUMN office_id bigint REFERENCES units(id);
CREATE INDEX problems_office ON problems(office_id, status) WHERE escalated = 1;
