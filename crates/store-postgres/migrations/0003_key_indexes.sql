-- A person's keys are listed in `id` order (getUserKeys pages by `after`): index them in
-- that order, so the query planner walks this index rather than every key of the
-- organization.
DROP INDEX keys_user;
CREATE INDEX keys_user ON keys (user_id, id);
