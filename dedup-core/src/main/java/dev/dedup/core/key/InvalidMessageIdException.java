package dev.dedup.core.key;

/**
 * A message id (or scope) cannot be used as a key: it is empty or carries control characters. Adapters
 * turn this into their documented policy (fall back, reject, bypass); it never means the message is lost.
 */
public class InvalidMessageIdException extends IllegalArgumentException {

	public InvalidMessageIdException(String message) {
		super(message);
	}

}
