-- API tokens may expire: NULL means never (every token made before this).
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
