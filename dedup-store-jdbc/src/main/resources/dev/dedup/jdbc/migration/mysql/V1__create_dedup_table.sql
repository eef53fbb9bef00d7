-- dedup-store-jdbc, MySQL 8 / MariaDB 10.11. ${table} is dedup.jdbc.table-name.
-- Keys and owners are VARBINARY: compared byte for byte (no collation, no trailing-space padding), and the
-- key's 512 bytes are exactly JdbcDedupStore.maxKeyLength(), far within InnoDB's 3072-byte index limit
-- (a utf8mb4 VARCHAR(512) would hold 512 characters, up to 2048 bytes, and compare 'a' = 'A ').
-- Times are UTC DATETIME(3) from UTC_TIMESTAMP(3): no session time zone, no 2038 limit.
CREATE TABLE ${table} (
    dedup_key  VARBINARY(512) NOT NULL,
    state      CHAR(1) CHARACTER SET ascii NOT NULL,
    owner      VARBINARY(128) NULL,
    expires_at DATETIME(3) NOT NULL,
    result     MEDIUMBLOB NULL,
    created_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (dedup_key),
    INDEX ${table}_expires_idx (expires_at)
) ENGINE = InnoDB;
