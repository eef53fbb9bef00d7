package dev.dedup.core.store;

import java.util.Locale;

/** The steps of a {@link DedupStore}, as wrappers count, time and guard them. */
public enum StoreOperation {

	CLAIM, CLAIM_ALL, CLAIM_POLL, COMPLETE, COMPLETE_ALL, COMPLETE_POLL, RELEASE, RENEW, INSPECT, EVICT, PING;

	/** The name of the store's method: CLAIM_ALL → claimAll. */
	public String methodName() {
		String[] words = name().toLowerCase(Locale.ROOT).split("_");
		StringBuilder name = new StringBuilder(words[0]);
		for (int i = 1; i < words.length; i++) {
			name.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
		}
		return name.toString();
	}

}
