package dev.dedup.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that stands still until a test moves it, so expiry can be tested without waiting. Thread
 * safe; {@link #withZone} views share the same time.
 */
public final class MutableClock extends Clock {

	private final AtomicReference<Instant> now;

	private final ZoneId zone;

	/** A clock standing at the current wall time, in UTC. */
	public MutableClock() {
		this(Instant.now());
	}

	/** A clock standing at {@code start}, in UTC. */
	public MutableClock(Instant start) {
		this(new AtomicReference<>(start), ZoneOffset.UTC);
	}

	private MutableClock(AtomicReference<Instant> now, ZoneId zone) {
		this.now = now;
		this.zone = zone;
	}

	/** Moves the clock forward (or back, for a negative amount) and returns the new time. */
	public Instant advance(Duration amount) {
		return this.now.updateAndGet(current -> current.plus(amount));
	}

	/** Puts the clock at {@code instant}. */
	public void set(Instant instant) {
		this.now.set(instant);
	}

	@Override
	public Instant instant() {
		return this.now.get();
	}

	@Override
	public ZoneId getZone() {
		return this.zone;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return new MutableClock(this.now, zone);
	}

	@Override
	public String toString() {
		return "MutableClock[" + instant() + ", " + this.zone + "]";
	}

}
