package dev.dedup.jdbc;

import java.util.regex.Pattern;

/**
 * The dedup table's name, checked once so that it can be put into SQL text: a plain identifier (letters,
 * digits, underscores, not starting with a digit) of at most {@value #MAX_LENGTH} characters, which leaves
 * room for the derived index and history-table names within every vendor's 63-character limit. Anything
 * else (quotes, dots, spaces, semicolons) is refused, so a table name can never carry SQL.
 */
public final class TableName {

	public static final int MAX_LENGTH = 48;

	private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0," + (MAX_LENGTH - 1) + "}");

	private final String value;

	private TableName(String value) {
		this.value = value;
	}

	/**
	 * @throws IllegalArgumentException if {@code name} is not a plain identifier of at most 48 characters
	 */
	public static TableName of(String name) {
		if (!IDENTIFIER.matcher(name).matches()) {
			throw new IllegalArgumentException("Invalid dedup table name '" + name + "' (dedup.jdbc.table-name): "
					+ "use letters, digits and underscores only, starting with a letter or underscore, at most "
					+ MAX_LENGTH + " characters");
		}
		return new TableName(name);
	}

	public String value() {
		return this.value;
	}

	/** Flyway's history table for this dedup table: one per table, so two tables never skip each other's. */
	public String historyTable() {
		return this.value + "_schema_history";
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof TableName that && this.value.equals(that.value);
	}

	@Override
	public int hashCode() {
		return this.value.hashCode();
	}

	@Override
	public String toString() {
		return this.value;
	}

}
