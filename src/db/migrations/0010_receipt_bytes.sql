-- Issue 10, item 8: a receipt sent in an encoding other than UTF-8 (ISO-8859-1, with its declaration) is kept
-- byte for byte beside its decoded text, so that every copy handed out (TrasmettiRT, the admin API, epayapi
-- POST /rt) is the document as received, whose bytes agree with its declaration. Null for UTF-8 receipts:
-- their text in UTF-8 is the document.
alter table receipt add column raw_bytes bytea;
