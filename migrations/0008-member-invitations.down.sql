DROP TABLE member_invitation;
