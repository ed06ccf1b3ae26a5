ALTER TABLE {table} ADD CONSTRAINT {fk} FOREIGN KEY (edition_id) REFERENCES edition (id);
