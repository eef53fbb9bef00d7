-- dedup-store-jdbc, H2 2.x. ${table} is dedup.jdbc.table-name.
CREATE TABLE ${table} (
    dedup_key  VARCHAR(512) NOT NULL,
    state      CHAR(1) NOT NULL,
    owner      VARCHAR(128),
    expires_at TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    result     VARBINARY(16777216),
    created_at TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP(3) WITH TIME ZONE NOT NULL,
    CONSTRAINT ${table}_pk PRIMARY KEY (dedup_key)
);
CREATE INDEX ${table}_expires_idx ON ${table} (expires_at);
