-- The store's version (versioning/schema.py SCHEMA_VERSION), recorded once every layer's table
-- is made as that version makes it (migrations.sql records the versions of the core tables).
INSERT INTO schema_migration (version) VALUES (%(version)s) ON CONFLICT DO NOTHING;
