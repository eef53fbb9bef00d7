package dev.dedup.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dedup.core.store.DedupStoreException;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.ClusterSlotHashUtil;

/**
 * Runs one store script on many keys in as few calls as the server allows, pipelined in one round trip, and
 * hands back each key's reply in the order of the keys. Invoking a script costs the server more than the few
 * commands it runs per key, so a whole poll is one call. On Redis Cluster a script may only touch keys of one
 * hash slot: the keys are grouped by slot, one call per slot, each routed to its node, so keys need no hash
 * tags.
 */
final class SlotBatches {

	/** The most keys one script call takes: a poll holds 500 records by default, and a script blocks Redis. */
	static final int MAX_KEYS_PER_SCRIPT = 500;

	private final ScriptRunner runner;

	SlotBatches(ScriptRunner runner) {
		this.runner = runner;
	}

	/** Runs {@code script} on {@code keys} with the same {@code args}, and answers each key's reply in order. */
	List<@Nullable Object> perKey(String action, StoreScript script, List<String> keys, byte[][] args) {
		return perKey(action, script, keys, args, null);
	}

	/**
	 * As {@link #perKey(String, StoreScript, List, byte[][])}, with {@code lastKey} (a poll's row) appended to
	 * the keys of every call: not on a cluster, where it would share a hash slot with none of them.
	 */
	List<@Nullable Object> perKey(String action, StoreScript script, List<String> keys, byte[][] args,
			byte @Nullable [] lastKey) {
		List<List<Integer>> groups = groups(keys);
		List<@Nullable Object> replies = run(action, calls(script, keys, groups, args, lastKey));
		@Nullable Object[] perKey = new Object[keys.size()];
		for (int g = 0; g < groups.size(); g++) {
			List<Integer> group = groups.get(g);
			if (!(replies.get(g) instanceof List<?> answers) || answers.size() != group.size()) {
				throw new DedupStoreException("Redis dedup store could not " + action + ": expected "
						+ group.size() + " answers, got " + replies.get(g));
			}
			for (int k = 0; k < group.size(); k++) {
				perKey[group.get(k)] = answers.get(k);
			}
		}
		return Arrays.asList(perKey);
	}

	/** As {@link #perKey}, sent without waiting for replies (see {@link ScriptRunner#sendWithoutReply}). */
	void sendWithoutReply(StoreScript script, List<String> keys, byte[][] args) {
		this.runner.sendWithoutReply(calls(script, keys, groups(keys), args, null));
	}

	/** One call on one key, or on none (ping). */
	@Nullable Object runOne(String action, ScriptCall call) {
		return run(action, List.of(call)).get(0);
	}

	private List<@Nullable Object> run(String action, List<ScriptCall> calls) {
		List<@Nullable Object> replies = this.runner.run(action, calls);
		if (replies.size() != calls.size()) {
			throw new DedupStoreException("Redis dedup store could not " + action + ": expected " + calls.size()
					+ " replies, got " + replies.size());
		}
		return replies;
	}

	/** Whether the server is a Redis Cluster, whose scripts take keys of one hash slot only. */
	boolean isCluster() {
		return this.runner.isCluster();
	}

	/** One call of {@code script} per group of {@code keys} (see {@link #groups}), each with {@code lastKey}. */
	private static List<ScriptCall> calls(StoreScript script, List<String> keys, List<List<Integer>> groups,
			byte[][] args, byte @Nullable [] lastKey) {
		List<ScriptCall> calls = new ArrayList<>(groups.size());
		for (List<Integer> group : groups) {
			byte[][] bytes = new byte[group.size() + ((lastKey != null) ? 1 : 0)][];
			for (int k = 0; k < group.size(); k++) {
				bytes[k] = RedisDedupStore.bytes(keys.get(group.get(k)));
			}
			if (lastKey != null) {
				bytes[group.size()] = lastKey;
			}
			calls.add(new ScriptCall(script, bytes, args));
		}
		return calls;
	}

	/**
	 * The keys that may share one script call, as indexes into {@code keys}: on a cluster, those of one hash
	 * slot (a script may touch only keys of its node, and Redis refuses keys of several slots); on one server,
	 * all of them. Either way at most {@link #MAX_KEYS_PER_SCRIPT} per call.
	 */
	private List<List<Integer>> groups(List<String> keys) {
		Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
		boolean cluster = keys.size() > 1 && this.runner.isCluster();
		for (int i = 0; i < keys.size(); i++) {
			int slot = cluster ? ClusterSlotHashUtil.calculateSlot(keys.get(i)) : 0;
			bySlot.computeIfAbsent(slot, any -> new ArrayList<>()).add(i);
		}
		List<List<Integer>> groups = new ArrayList<>();
		for (List<Integer> slot : bySlot.values()) {
			for (int from = 0; from < slot.size(); from += MAX_KEYS_PER_SCRIPT) {
				groups.add(slot.subList(from, Math.min(slot.size(), from + MAX_KEYS_PER_SCRIPT)));
			}
		}
		return groups;
	}

}
