package dev.dedup.core.store;

/**
 * The store could not be reached or did not answer. Stores wrap their driver's exceptions in this one so
 * the engine can apply the store-failure policy without knowing the driver.
 */
public class DedupStoreException extends RuntimeException {

	public DedupStoreException(String message, Throwable cause) {
		super(message, cause);
	}

	public DedupStoreException(String message) {
		super(message);
	}

}
