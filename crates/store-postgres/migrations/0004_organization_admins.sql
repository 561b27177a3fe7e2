-- Organization administrators: people who act with the organization's authority in the
-- portal (webhooks, API keys), beside the key's virtual user. Lock administration stays
-- with keys.
CREATE TABLE organization_admins (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX organization_admins_user ON organization_admins (user_id);
