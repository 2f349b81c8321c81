-- Tokens that end by themselves: a town clerk's token for one season, an
-- inspector's for one inspection. NULL: the token lives until revoked.

ALTER TABLE accounts ADD COLUMN expires_at text;  -- ISO 8601 with the server's offset
