-- Teams, grants to teams, and audit events that know which model they belong to.

CREATE TABLE teams (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE COLLATE nocase,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE team_members (
    team_id  TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE model_team_grants (
    model_id  TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    team_id   TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    role      TEXT NOT NULL,
    can_share BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (model_id, team_id)
);
CREATE INDEX model_team_grants_team ON model_team_grants(team_id);

-- Kept after the model is deleted (no foreign key), so its history stays readable.
ALTER TABLE audit_events ADD COLUMN model_id TEXT;
UPDATE audit_events SET model_id = substr(target, 7) WHERE target LIKE 'model:%';
UPDATE audit_events SET model_id = (SELECT v.model_id FROM versions v WHERE v.id = substr(audit_events.target, 9))
    WHERE target LIKE 'version:%';
CREATE INDEX audit_events_model ON audit_events(model_id, id);
CREATE INDEX audit_events_actor ON audit_events(actor_id, id);
CREATE INDEX audit_events_action ON audit_events(action, id);
