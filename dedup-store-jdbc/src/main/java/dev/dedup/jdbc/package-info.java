/**
 * A {@link dev.dedup.core.store.DedupStore} on a SQL table through JDBC: MySQL/MariaDB, PostgreSQL and H2,
 * each step one statement in the common case and never a transaction of its own, expiry on the database's
 * clock, Flyway migrations and a purge job; it can join the caller's transaction on the same DataSource. On
 * MySQL/MariaDB and PostgreSQL a poll's keys share one poll row, which holds their lease and, once marked,
 * their CONSUMED state: a poll's claim and its mark are one statement each, whatever its size.
 */
@NullMarked
package dev.dedup.jdbc;

import org.jspecify.annotations.NullMarked;
