package dev.dedup.core.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease renewals of the claims whose work is running, all driven by one timer: a sweep runs when the
 * earliest renewal falls due, renews every claim that is due, and sets the next sweep. A claim that starts
 * and ends between two sweeps (nearly all of them: work takes far less than a third of a lease) costs one
 * add to and one remove from a concurrent set; a task per claim on the scheduler cost a lock, a heap sift and
 * often a wake-up of the renewer thread, twice per record.
 */
final class LeaseRenewals {

	private static final Logger log = LoggerFactory.getLogger(LeaseRenewals.class);

	private final ScheduledExecutorService scheduler;

	private final Set<Renewal> live = ConcurrentHashMap.newKeySet();

	/** When the next sweep is scheduled ({@link System#nanoTime()}), or {@link Long#MAX_VALUE} for none. */
	private final AtomicLong nextSweep = new AtomicLong(Long.MAX_VALUE);

	LeaseRenewals(ScheduledExecutorService scheduler) {
		this.scheduler = scheduler;
	}

	/** Runs {@code renewOnce} every {@code periodMillis} from one period on, until the renewal is cancelled. */
	Renewal start(Runnable renewOnce, long periodMillis) {
		long period = TimeUnit.MILLISECONDS.toNanos(periodMillis);
		Renewal renewal = new Renewal(renewOnce, period, System.nanoTime() + period);
		this.live.add(renewal);
		try {
			sweepBy(renewal.due);
		}
		catch (RejectedExecutionException ex) {
			this.live.remove(renewal); // the scheduler is shut down: nothing would renew it
			throw ex;
		}
		return renewal;
	}

	/** Renewals started and not yet cancelled. */
	int size() {
		return this.live.size();
	}

	/** Makes sure a sweep runs no later than {@code due}; an earlier one scheduled already will do. */
	private void sweepBy(long due) {
		for (;;) {
			long scheduled = this.nextSweep.get();
			if (scheduled <= due) {
				return;
			}
			if (this.nextSweep.compareAndSet(scheduled, due)) {
				try {
					this.scheduler.schedule(this::sweep, Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
				}
				catch (RejectedExecutionException ex) {
					this.nextSweep.compareAndSet(due, Long.MAX_VALUE); // none is scheduled: let the next start try
					throw ex;
				}
				return;
			}
		}
	}

	private void sweep() {
		this.nextSweep.set(Long.MAX_VALUE); // a renewal started from here on schedules its own sweep
		long now = System.nanoTime();
		long next = Long.MAX_VALUE;
		for (Renewal renewal : this.live) {
			if (renewal.due - now <= 0) {
				renewal.due = now + renewal.period;
				try {
					renewal.renewOnce.run();
				}
				catch (RuntimeException ex) {
					log.error("Unexpected failure renewing a lease", ex);
				}
			}
			if (this.live.contains(renewal)) {
				next = Math.min(next, renewal.due);
			}
		}
		if (next != Long.MAX_VALUE) {
			sweepBy(next);
		}
	}

	/** One claim's renewals; {@link #cancel()} ends them. */
	final class Renewal {

		private final Runnable renewOnce;

		private final long period;

		/** When it is next due; read and written by sweeps only, which run on the scheduler one at a time. */
		private volatile long due;

		private Renewal(Runnable renewOnce, long period, long due) {
			this.renewOnce = renewOnce;
			this.period = period;
			this.due = due;
		}

		void cancel() {
			LeaseRenewals.this.live.remove(this);
		}

	}

}
