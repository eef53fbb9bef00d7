package dev.dedup.core.engine;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class LeaseRenewalsTests {

	private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

	private final LeaseRenewals renewals = new LeaseRenewals(this.scheduler);

	@AfterEach
	void stop() {
		this.scheduler.shutdownNow();
	}

	@Test
	void oneTimerRenewsEachClaimOnItsOwnPeriodUntilItIsCancelled() throws Exception {
		AtomicInteger fast = new AtomicInteger();
		AtomicInteger slow = new AtomicInteger();
		LeaseRenewals.Renewal fastRenewal = this.renewals.start(fast::incrementAndGet, 20);
		this.renewals.start(slow::incrementAndGet, 150);

		Thread.sleep(600);
		assertThat(fast.get()).as("renewals every 20 ms in 600 ms").isGreaterThanOrEqualTo(10);
		assertThat(slow.get()).as("renewals every 150 ms in 600 ms").isBetween(1, 4);

		fastRenewal.cancel();
		int fastAtCancel = fast.get();
		Thread.sleep(100);
		assertThat(fast.get()).as("no renewal after cancel").isLessThanOrEqualTo(fastAtCancel + 1);
		assertThat(this.renewals.size()).isOne();
	}

	@Test
	void aRenewalCancelledBeforeItIsDueNeverRuns() throws Exception {
		AtomicInteger runs = new AtomicInteger();
		for (int i = 0; i < 1000; i++) {
			this.renewals.start(runs::incrementAndGet, 50).cancel();
		}
		Thread.sleep(150);
		assertThat(runs.get()).isZero();
		assertThat(this.renewals.size()).isZero();
	}

	@Test
	void aRenewalThatThrowsIsTriedAgainAtItsNextPeriod() throws Exception {
		AtomicInteger runs = new AtomicInteger();
		this.renewals.start(() -> {
			runs.incrementAndGet();
			throw new IllegalStateException("injected");
		}, 20);
		Thread.sleep(200);
		assertThat(runs.get()).isGreaterThanOrEqualTo(3);
	}

	@Test
	void aShutDownSchedulerRefusesTheRenewalAndKeepsNothing() {
		ScheduledExecutorService stopped = Executors.newSingleThreadScheduledExecutor();
		stopped.shutdownNow();
		LeaseRenewals refusing = new LeaseRenewals(stopped);

		assertThatExceptionOfType(RejectedExecutionException.class)
			.isThrownBy(() -> refusing.start(() -> { }, 20));
		assertThat(refusing.size()).isZero();
		assertThatExceptionOfType(RejectedExecutionException.class)
			.as("the next start tries the scheduler again").isThrownBy(() -> refusing.start(() -> { }, 20));
	}

}
