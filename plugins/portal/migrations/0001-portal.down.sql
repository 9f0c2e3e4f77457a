DROP TABLE IF EXISTS portal_payment, portal_invoice_line, portal_invoice, portal_quote, portal_article, portal_session, portal_invite, portal_client;
