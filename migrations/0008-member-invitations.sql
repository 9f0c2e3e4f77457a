-- Joining a workspace as an existing user is an invitation the user accepts: an admin of one
-- workspace may not enroll (nor look up) another workspace's users. Invitations are addressed by
-- e-mail, so creating one says nothing about whether the address has an account.

CREATE TABLE member_invitation (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  email       text NOT NULL,
  role        text NOT NULL,
  invited_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz
);

CREATE INDEX member_invitation_pending ON member_invitation (lower(email)) WHERE accepted_at IS NULL;
CREATE INDEX member_invitation_tenant ON member_invitation (tenant_id, created_at DESC);
