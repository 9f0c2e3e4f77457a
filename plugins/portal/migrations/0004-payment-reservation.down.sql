DROP TABLE IF EXISTS portal_payment_reservation;
