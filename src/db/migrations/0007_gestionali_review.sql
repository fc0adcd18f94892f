-- Review of issue 5 (gestionali): a claim token on outbound messages, so that the late answer of an attempt whose
-- lease ended (the message was claimed again meanwhile) cannot overwrite the newer attempt's result.
alter table outbound_message add column claim_token integer not null default 0;
