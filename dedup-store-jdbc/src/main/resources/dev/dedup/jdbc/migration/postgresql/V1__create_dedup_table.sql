-- dedup-store-jdbc, PostgreSQL. ${table} is dedup.jdbc.table-name.
-- VARCHAR(512) holds 512 characters, so any key of at most 512 UTF-8 bytes (JdbcDedupStore.maxKeyLength());
-- the "C" collation compares bytes, which is what a key needs and the fastest there is.
CREATE TABLE ${table} (
    dedup_key  VARCHAR(512) COLLATE "C" NOT NULL,
    state      CHAR(1) NOT NULL,
    owner      VARCHAR(128),
    expires_at TIMESTAMPTZ(3) NOT NULL,
    result     BYTEA,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT ${table}_pk PRIMARY KEY (dedup_key)
);
CREATE INDEX ${table}_expires_idx ON ${table} (expires_at);
