-- A payment intent being opened with its provider. Opening one reserves the invoice here (under the
-- invoice's row lock, briefly), calls the provider with no transaction open, then records the
-- payment and drops the reservation (under the lock again): the provider's call, which may go over
-- the network, never holds the invoice's row. A request meeting a reservation waits for its
-- payment; a reservation left by a crashed node is taken over once it is stale.
CREATE TABLE portal_payment_reservation (
  invoice_id    uuid PRIMARY KEY REFERENCES portal_invoice (id) ON DELETE CASCADE,
  tenant_id     text NOT NULL,
  -- Whose reservation it is: a takeover keeps the payment id, so it cannot tell the two requests apart.
  claim         uuid NOT NULL,
  client_id     uuid NOT NULL,
  payment_id    uuid NOT NULL,
  provider      text NOT NULL,
  amount_minor  bigint NOT NULL,
  reserved_at   timestamptz NOT NULL DEFAULT now()
);

CREATE POLICY portal_client_scope ON portal_payment_reservation AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
