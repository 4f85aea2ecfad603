-- A dataset's owner shares it with other users: they see it, its runs and samples, and act on them
-- within their own permissions (review a shared sample, classify a shared dataset). Only the owner
-- (or `dataset:admin`) deletes it or changes who it is shared with.
CREATE TABLE dataset_shares (
    dataset_id UUID NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    granted_by UUID REFERENCES users(id) ON DELETE SET NULL,
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset_id, user_id)
);
CREATE INDEX dataset_shares_user ON dataset_shares (user_id);
