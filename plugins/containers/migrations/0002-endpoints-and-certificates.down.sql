DROP TABLE certificate_check;

DROP TABLE certificate;

DROP TABLE endpoint_flip;

DROP TABLE endpoint_check;

DROP TABLE endpoint;
