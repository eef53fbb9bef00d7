package dev.dedup.core.store;

/**
 * The store holds something under a dedup key that dedup did not write (in Redis, say, a string where dedup
 * keeps a hash): another application shares the key prefix, or someone wrote the key by hand. It is a fact
 * about one key, not about the store's health, so it is not a {@link DedupStoreException}: the store-failure
 * policy does not apply (running the message unprotected, or waiting for the store, would both be wrong) and
 * the circuit breaker does not count it. The caller fails that one message, as it would a poison payload;
 * the entry is left as it is.
 */
public class ForeignEntryException extends RuntimeException {

	private final String key;

	public ForeignEntryException(String key, String found) {
		super("The dedup store holds an entry under '" + key + "' that dedup did not write (" + found + "); "
				+ "remove it, or give dedup a key prefix of its own (dedup.key-prefix)");
		this.key = key;
	}

	/** The key whose entry is not dedup's. */
	public String key() {
		return this.key;
	}

}
