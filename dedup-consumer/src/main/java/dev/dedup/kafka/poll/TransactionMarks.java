package dev.dedup.kafka.poll;

/**
 * The marks of the record or batch a listener is running, to be written in the listener's own transaction
 * (a {@code @Transactional} listener method on the JDBC store's DataSource): {@link #write()} just before it
 * commits, {@link #committed()} after. Then the listener's database writes and the marks commit together or
 * not at all, and the adapter's own completion after the listener finds nothing left to mark.
 */
public final class TransactionMarks {

	private final Runnable write;

	private final Runnable committed;

	private TransactionMarks(Runnable write, Runnable committed) {
		this.write = write;
		this.committed = committed;
	}

	static TransactionMarks of(RecordClaim claim) {
		return new TransactionMarks(claim::markInListenerTransaction, claim::committed);
	}

	static TransactionMarks of(ClaimedBatch<?, ?> batch) {
		return new TransactionMarks(batch::markInListenerTransaction, batch::markedInListenerTransaction);
	}

	/**
	 * Write the marks in the current transaction.
	 * @throws IllegalStateException if a lease was lost, to roll the transaction back
	 * @throws dev.dedup.core.store.DedupStoreException if the store failed, which rolls it back too
	 */
	public void write() {
		this.write.run();
	}

	/** The transaction committed with the marks. */
	public void committed() {
		this.committed.run();
	}

}
