package dev.dedup.core;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/** The one check of every lease, retention and timeout: stores and schedulers work in whole milliseconds. */
public final class Durations {

	private Durations() {
	}

	/**
	 * @param what what the duration is, as the message names it ("lease", "dedup.store-timeout")
	 * @return {@code duration}
	 * @throws IllegalArgumentException if it is null or shorter than 1 ms (zero and negative included)
	 */
	public static Duration requireAtLeastOneMilli(@Nullable Duration duration, String what) {
		if (duration == null || duration.toMillis() < 1) {
			throw new IllegalArgumentException("The " + what + " must be at least 1ms, was " + duration);
		}
		return duration;
	}

}
