package dev.dedup.kafka.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.dedup.kafka.poll.InProgressPolicy;
import dev.dedup.kafka.poll.MissingIdPolicy;

/**
 * Kafka listener dedup ({@code dedup.kafka.*}). {@code @Deduplicate} overrides these per listener.
 */
@ConfigurationProperties("dedup.kafka")
public class DedupKafkaProperties {

	/**
	 * Whether to deduplicate the listeners of Boot's kafkaListenerContainerFactory.
	 */
	private boolean enabled = true;

	/**
	 * Where the message id comes from. Unset: 'expression' when id-expression is set, else 'header'. A
	 * MessageIdResolver bean overrides this.
	 */
	private @Nullable IdSource idSource;

	/**
	 * Header carrying the message id (UTF-8), for id-source=header.
	 */
	private String idHeader = "dedup-id";

	/**
	 * SpEL over the record giving the message id, for id-source=expression, e.g. "header('order-id')" or
	 * "value.orderId".
	 */
	private @Nullable String idExpression;

	/**
	 * What to do with a record without a usable id (absent, empty, control characters): 'offset' uses
	 * topic-partition-offset as the id, 'reject' hands it to the error handler, 'skip' runs the handler
	 * without dedup.
	 */
	private MissingIdPolicy missingId = MissingIdPolicy.OFFSET;

	/**
	 * How long a claim holds before another consumer may take the message over; renewed every third of it
	 * while the handler runs, so it only needs to outlast a crash detection, not the handler.
	 */
	private Duration lease = Duration.ofSeconds(30);

	/**
	 * How long a processed id is remembered; a copy arriving later than this is processed again.
	 */
	private Duration retention = Duration.ofDays(7);

	/**
	 * What to do while another consumer is processing the same id: 'retry' redelivers it later (without
	 * spending the error handler's retries), 'skip' acknowledges it without running the handler.
	 */
	private InProgressPolicy onInProgress = InProgressPolicy.RETRY;

	/**
	 * Whether to claim each poll's records in one store call and mark them CONSUMED in batches, outside
	 * transactions. Much faster with a remote store; a crash then re-runs the records whose marks were still
	 * on their way (about one store round trip of records) rather than just the one being marked.
	 */
	private boolean batchPolls = true;

	/**
	 * With poll batching, how long a store call that would carry only a few marks waits for more. Longer
	 * means fewer store calls for a listener that takes a while per record, and a longer time in which a
	 * processed record is not yet marked CONSUMED (a crash then re-runs it); 0 never waits. The end of a poll
	 * never waits: its marks are written before its offsets are committed.
	 */
	private Duration markLinger = Duration.ofMillis(1);

	/**
	 * With poll batching, on a store that marks a whole poll in one write (Redis off a cluster, MySQL/MariaDB,
	 * PostgreSQL), how long a record listener's mark may wait for the end of its poll: a poll that runs longer
	 * sends the marks that waited this long key by key, as does a listener that hands over no mark for
	 * mark-linger (a record that takes long). Longer means fewer writes for a listener that takes a
	 * while per record, and a longer time in which a processed record is not yet marked CONSUMED (a crash then
	 * re-runs it); 0 never waits for the poll, nor does a mark-linger of 0.
	 */
	private Duration pollMarkWait = Duration.ofMillis(20);

	/**
	 * With poll batching, whether the container's offset commit, rather than the consumer thread, waits for a
	 * poll's marks: the consumer goes on to the next poll while they are written, and committed offsets trail
	 * by up to one poll. false: the consumer thread waits for the marks at the end of each poll.
	 */
	private boolean commitsWaitForMarks = true;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable IdSource getIdSource() {
		return this.idSource;
	}

	public void setIdSource(@Nullable IdSource idSource) {
		this.idSource = idSource;
	}

	public String getIdHeader() {
		return this.idHeader;
	}

	public void setIdHeader(String idHeader) {
		this.idHeader = idHeader;
	}

	public @Nullable String getIdExpression() {
		return this.idExpression;
	}

	public void setIdExpression(@Nullable String idExpression) {
		this.idExpression = idExpression;
	}

	public MissingIdPolicy getMissingId() {
		return this.missingId;
	}

	public void setMissingId(MissingIdPolicy missingId) {
		this.missingId = missingId;
	}

	public Duration getLease() {
		return this.lease;
	}

	public void setLease(Duration lease) {
		this.lease = lease;
	}

	public Duration getRetention() {
		return this.retention;
	}

	public void setRetention(Duration retention) {
		this.retention = retention;
	}

	public boolean isBatchPolls() {
		return this.batchPolls;
	}

	public void setBatchPolls(boolean batchPolls) {
		this.batchPolls = batchPolls;
	}

	public boolean isCommitsWaitForMarks() {
		return this.commitsWaitForMarks;
	}

	public void setCommitsWaitForMarks(boolean commitsWaitForMarks) {
		this.commitsWaitForMarks = commitsWaitForMarks;
	}

	public Duration getPollMarkWait() {
		return this.pollMarkWait;
	}

	public void setPollMarkWait(Duration pollMarkWait) {
		this.pollMarkWait = pollMarkWait;
	}

	public Duration getMarkLinger() {
		return this.markLinger;
	}

	public void setMarkLinger(Duration markLinger) {
		this.markLinger = markLinger;
	}

	public InProgressPolicy getOnInProgress() {
		return this.onInProgress;
	}

	public void setOnInProgress(InProgressPolicy onInProgress) {
		this.onInProgress = onInProgress;
	}

	/** Built-in message id sources. */
	public enum IdSource {

		/** The header named by dedup.kafka.id-header. */
		HEADER,

		/** The record key. */
		KEY,

		/** The SpEL expression dedup.kafka.id-expression. */
		EXPRESSION

	}

}
