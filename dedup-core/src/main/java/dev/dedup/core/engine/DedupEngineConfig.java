package dev.dedup.core.engine;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.Durations;

/**
 * How a {@link DedupEngine} behaves, built in the Resilience4j style:
 *
 * <pre>
 * DedupEngineConfig config = DedupEngineConfig.custom()
 *     .storeFailurePolicy(StoreFailurePolicy.FAIL_OPEN)
 *     .renewalScheduler(scheduler)
 *     .build();
 * DedupEngine engine = new DedupEngine(store, config);
 * </pre>
 *
 * Immutable; every duration is at least 1 ms. {@link #ofDefaults()} is what {@code new DedupEngine(store)}
 * uses.
 */
public final class DedupEngineConfig {

	private static final DedupEngineConfig DEFAULTS = custom().build();

	private final StoreFailurePolicy storeFailurePolicy;

	private final List<Duration> completeRetryPauses;

	private final Duration completeRetryBudget;

	private final Duration minRenewPeriod;

	private final @Nullable ScheduledExecutorService renewalScheduler;

	private DedupEngineConfig(Builder builder) {
		this.storeFailurePolicy = builder.storeFailurePolicy;
		this.completeRetryPauses = builder.completeRetryPauses;
		this.completeRetryBudget = builder.completeRetryBudget;
		this.minRenewPeriod = builder.minRenewPeriod;
		this.renewalScheduler = builder.renewalScheduler;
	}

	/**
	 * Fail-closed; completions retried after 50, 200 and 500 ms within 1 s; renewals at least 10 ms apart;
	 * an own daemon thread for renewals.
	 */
	public static DedupEngineConfig ofDefaults() {
		return DEFAULTS;
	}

	/** A builder starting from the defaults. */
	public static Builder custom() {
		return new Builder();
	}

	/** A builder starting from {@code base}'s values. */
	public static Builder from(DedupEngineConfig base) {
		return new Builder(base);
	}

	/** What a claim or caller-owned step answers when the store cannot be reached. */
	public StoreFailurePolicy storeFailurePolicy() {
		return this.storeFailurePolicy;
	}

	/**
	 * The pauses between the attempts of a completion: one retry per pause. The work is done by then, so
	 * losing the mark is costly.
	 */
	public List<Duration> completeRetryPauses() {
		return this.completeRetryPauses;
	}

	/** Retries of a completion start within this long of its first attempt. */
	public Duration completeRetryBudget() {
		return this.completeRetryBudget;
	}

	/** The shortest time between two renewals of one lease (a lease renews every third of its length). */
	public Duration minRenewPeriod() {
		return this.minRenewPeriod;
	}

	/**
	 * The caller's scheduler that renews leases, which the caller also shuts down; null when the engine runs
	 * its own daemon thread (and stops it on {@link DedupEngine#close()}).
	 */
	public @Nullable ScheduledExecutorService renewalScheduler() {
		return this.renewalScheduler;
	}

	@Override
	public String toString() {
		return "DedupEngineConfig[" + this.storeFailurePolicy + ", completeRetryPauses=" + this.completeRetryPauses
				+ ", completeRetryBudget=" + this.completeRetryBudget + ", minRenewPeriod=" + this.minRenewPeriod
				+ (this.renewalScheduler != null ? ", caller's renewal scheduler" : "") + "]";
	}

	/** Builds a {@link DedupEngineConfig}; each setter checks its value at once. */
	public static final class Builder {

		private StoreFailurePolicy storeFailurePolicy = StoreFailurePolicy.FAIL_CLOSED;

		private List<Duration> completeRetryPauses = List.of(Duration.ofMillis(50), Duration.ofMillis(200),
				Duration.ofMillis(500));

		private Duration completeRetryBudget = Duration.ofSeconds(1);

		private Duration minRenewPeriod = Duration.ofMillis(10);

		private @Nullable ScheduledExecutorService renewalScheduler;

		private Builder() {
		}

		private Builder(DedupEngineConfig base) {
			this.storeFailurePolicy = base.storeFailurePolicy;
			this.completeRetryPauses = base.completeRetryPauses;
			this.completeRetryBudget = base.completeRetryBudget;
			this.minRenewPeriod = base.minRenewPeriod;
			this.renewalScheduler = base.renewalScheduler;
		}

		public Builder storeFailurePolicy(StoreFailurePolicy storeFailurePolicy) {
			this.storeFailurePolicy = Objects.requireNonNull(storeFailurePolicy, "storeFailurePolicy");
			return this;
		}

		/** One retry per pause, each at least 1 ms; none to never retry a completion. */
		public Builder completeRetryPauses(Duration... pauses) {
			for (Duration pause : pauses) {
				Durations.requireAtLeastOneMilli(pause, "complete retry pause");
			}
			this.completeRetryPauses = List.of(pauses);
			return this;
		}

		public Builder completeRetryBudget(Duration completeRetryBudget) {
			this.completeRetryBudget = Durations.requireAtLeastOneMilli(completeRetryBudget,
					"complete retry budget");
			return this;
		}

		public Builder minRenewPeriod(Duration minRenewPeriod) {
			this.minRenewPeriod = Durations.requireAtLeastOneMilli(minRenewPeriod, "minimum renew period");
			return this;
		}

		/** Renew leases on the caller's scheduler, which the caller shuts down; null for an own thread. */
		public Builder renewalScheduler(@Nullable ScheduledExecutorService renewalScheduler) {
			this.renewalScheduler = renewalScheduler;
			return this;
		}

		public DedupEngineConfig build() {
			return new DedupEngineConfig(this);
		}

	}

}
